"""The essay comparison on the shared networks: middle layers from the data, the Montagna pin,
and ``dyadwatch network essay-claim`` end to end on a small folder of shared networks.

Counts are what the files hold (networks/PROVENANCE.md); the comparison's own figures are
not pinned (they are random-run means), only the properties the design promises.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dyadwatch.analyse.network import (
    ClaimParams,
    EssayParams,
    essay_claim,
    load_caviar,
    load_montagna,
    load_pandillas,
    middle_layer,
    shared_networks,
    simulate,
)
from dyadwatch.analyse.network.essay import SOURCES
from dyadwatch.errors import UsageError
from dyadwatch.present.cli.main import main

pytestmark = pytest.mark.sample


@pytest.fixture(scope="module")
def nets(shared_data: Path) -> Path:
    return shared_data / "networks"


@pytest.fixture
def small(nets: Path, tmp_path: Path) -> Path:
    """Montagna, BACRIM 2020 and one UCINET matrix, linked (not copied) into a folder."""
    folder = tmp_path / "networks"
    (folder / "ucinet").mkdir(parents=True)
    (folder / "montagna").symlink_to(nets / "montagna")
    (folder / "bacrim").symlink_to(nets / "mexico_cartels_bacrim2020")
    matrix = "natajaran_cocaine.csv"
    (folder / "ucinet" / matrix).symlink_to(nets / "ucinet_covert_matrices" / matrix)
    return folder


@pytest.mark.parametrize("budget", [10, 23])
def test_montagna_sweep_rank_and_hvt_rank_remove_different_actors(nets: Path, budget: int) -> None:
    # The issue this fixes: a 0.5–0.9 rank-percentile band held the bosses (percentile about
    # 0.89), so sweep-rank removed exactly hvt-rank's targets. The declared middle layer is
    # the executives and soldiers; the bosses and the underboss are the leadership.
    res = simulate(load_montagna(nets / "montagna"), ["hvt-rank", "sweep-rank"], budget=budget)
    targets: dict[str, set[str]] = {"hvt-rank": set(), "sweep-rank": set()}
    for row in res.steps.to_pylist():
        targets[row["strategy"]].update(row["targets"])
    assert targets["hvt-rank"] and targets["sweep-rank"]
    net = load_montagna(nets / "montagna")
    title = dict(zip(net.nodes["node"].to_pylist(), net.nodes["title"].to_pylist(), strict=True))
    assert {title[a] for a in targets["sweep-rank"]} <= {"executive", "soldier"}
    if budget <= 10:  # ten leaders: hvt-rank stays within them and shares no one
        assert not targets["hvt-rank"] & targets["sweep-rank"]
        assert {title[a] for a in targets["hvt-rank"]} <= {"boss", "underboss"}
    else:  # beyond the leaders hvt-rank goes down the ranks; the overlap is there to report
        assert targets["hvt-rank"] != targets["sweep-rank"]


def test_montagna_middle_layer_is_declared(nets: Path) -> None:
    net = load_montagna(nets / "montagna")
    g = net.to_igraph()
    layer = middle_layer(g, basis=net.tier_basis)
    # meetings + phone: 7 executives and 24 soldiers appear; 9 bosses and 1 underboss
    assert (layer.definition, layer.size, int(layer.core.sum())) == ("declared", 31, 10)


def test_caviar_principals_and_pandillas_hierarchy(nets: Path) -> None:
    caviar = load_caviar(nets / "caviar_phases")
    g = caviar.to_igraph()
    layer = middle_layer(g, basis=caviar.tier_basis)
    assert layer.definition == "declared-core" and layer.leaders(g) == ["1", "3"]
    assert "Serero" in layer.basis and layer.size > 0
    res = simulate(caviar, ["hvt-rank"], budget=5)
    taken = [r["targets"] for r in res.steps.to_pylist() if r["targets"]]
    assert taken == [["1"], ["3"]]  # the two principals, then nobody: no other rank is known
    pand = load_pandillas(nets / "pandillas_teaching")
    pg = pand.to_igraph()
    assert middle_layer(pg).size == 7  # actors with both a superior and a subordinate


def test_every_shared_network_is_found_and_described(nets: Path) -> None:
    paths = shared_networks(nets)
    assert len(paths) == 19  # 6 dataset folders + 13 UCINET matrices (PROVENANCE.md)
    stems = {p.stem for p in paths if p.suffix == ".csv"}
    assert stems <= set(SOURCES)
    with pytest.raises(UsageError, match="no such folder"):
        shared_networks(nets / "nowhere")


def test_essay_claim_json_on_a_small_folder(small: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["network", "essay-claim", str(small), "--runs", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = [n["name"] for n in report["networks"]]
    assert names == ["montagna", "natajaran_cocaine"]
    for net in report["networks"]:
        strategies = {r["strategy"] for r in net["outcomes"]}
        assert {"sweep", "hvt-betweenness", "random"} <= strategies
        row = net["outcomes"][0]
        assert row["runs"] == 3 and "lcc_share_lo" in row and "rounds_sn_hi" in row
        budgets = {r["budget"] for r in net["outcomes"]}
        assert budgets == {f"{p}% of the layer" for p in (25, 50, 75)} | {
            f"cost of {p}% of the layer" for p in (25, 50, 75)
        }
        assert {v["verdict"] for v in net["verdicts"]} <= {
            "sweep better", "HVT better", "no difference at this confidence"
        }  # fmt: skip
        assert {c["call"] for c in net["claims"]} <= {
            "supports", "contradicts", "mixed", "inconclusive"
        }  # fmt: skip
    assert report["networks"][0]["layer"]["definition"] == "declared"
    frag = report["fragmentation"]
    assert frag["network"] == "bacrim2020" and frag["groups"] > 0
    assert frag["prominent"][0]["group"] == "CJNG"  # the most alliances and rivalries
    assert {r["targets"] for r in frag["scenarios"]} == {"prominent", "random"}
    no_split = [
        r for r in frag["sensitivity"]["one_at_a_time"]
        if r["parameter"] == "p_split" and r["value"] == 0.0
    ]  # fmt: skip
    assert no_split[0]["new_rivalries"] == 0.0
    text = " ".join(report["summary"]["text"])
    assert "bacrim2020" in text and "do not estimate" in text


def test_essay_claim_table_and_errors(small: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["network", "essay-claim", str(small), "--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert "montagna — mafia" in out and "middle layer: declared" in out
    assert "fragmentation" in out and "Summary" in out
    assert main(["network", "essay-claim", str(small / "none"), "--runs", "2"]) != 0
    assert "no such folder" in capsys.readouterr().err


def test_library_and_cli_agree(small: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["network", "essay-claim", str(small), "--runs", "2", "--seed", "4", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    lib = essay_claim(small, EssayParams(ClaimParams(runs=2, seed=4)))
    assert cli["summary"]["text"] == lib["summary"]["text"]
