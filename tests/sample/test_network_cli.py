"""``dyadwatch network``: the command renders what the library computes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dyadwatch.analyse.network import load, simulate
from dyadwatch.present.cli.main import main
from dyadwatch.present.cli.network import parse_band, parse_budget

pytestmark = pytest.mark.sample


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    path = tmp_path / "tree.csv"
    path.write_text(
        "source,target\nB,L1\nB,L2\nL1,s1\nL1,s2\nL2,s3\nL2,s4\nL1,s5\n", encoding="utf-8"
    )
    return path


def test_json_output_is_the_library_summary(tree: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["network", "simulate", str(tree), "--strategy", "hvt-betweenness,random"]
    assert main([*args, "--budget", "2", "--runs", "4", "--seed", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = simulate(load(tree), ["hvt-betweenness", "random"], budget=2, runs=4, seed=3)
    assert rows == json.loads(json.dumps(expected.summary.to_pylist()))
    assert rows[0]["lcc_share"] == pytest.approx(1 / 8)  # L1 then L2 (see unit goldens)


def test_csv_steps_and_plot(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    png = tmp_path / "out.png"
    code = main(
        ["network", "simulate", str(tree), "--strategy", "sweep,hvt-degree", "--budget", "25%",
         "--recovery", "second-neighbour", "--runs", "2", "--steps", "--csv", "--plot", str(png)]
    )  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["stage"] for r in rows} == {"removal", "recovery"}
    assert {r["strategy"] for r in rows} == {"sweep", "hvt-degree"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_output_and_rank_options(tree: Path, tmp_path: Path, capsys) -> None:
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id,title\nB,boss\nL1,lieutenant\nL2,lieutenant\n", encoding="utf-8")
    code = main(
        ["network", "simulate", str(tree), "--nodes", str(nodes), "--rank-attribute", "title",
         "--rank-order", "boss,lieutenant", "--strategy", "hvt-rank", "--budget", "1",
         "--min-group-size", "3"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("tree: 8 actors, 7 ties; budget 1")
    assert "hvt-rank" in out


def test_layers_of_a_dataset_folder(shared_data: Path, capsys: pytest.CaptureFixture) -> None:
    folder = shared_data / "networks" / "montagna"
    code = main(["network", "simulate", str(folder), "--layer", "phone", "--strategy",
                 "hvt-degree", "--budget", "3", "--json"])  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out)[0]["removed"] == 3
    assert main(["network", "info", str(folder), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["default_layers"] == "meetings, phone"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "hvt-betweeness"], "Did you mean hvt-betweenness?"),
        (["--layer", "phon"], "Did you mean phone?"),
        (["--budget", "lots"], "--budget 'lots'"),
        (["--format", "graphm"], "Did you mean graphml?"),
    ],
)
def test_bad_options_are_one_line_errors(
    shared_data: Path, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    folder = shared_data / "networks" / "montagna"
    assert main(["network", "simulate", str(folder), *args]) != 0  # the status is main.py's
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_missing_and_malformed_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["network", "simulate", str(tmp_path / "none.csv")]) == 1
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text('"",a,b\na,0,1\nb,1\n', encoding="utf-8")
    assert main(["network", "simulate", str(bad)]) == 1
    assert "line 3: ragged matrix" in capsys.readouterr().err


def test_option_parsers() -> None:
    assert parse_budget("10%") == pytest.approx(0.1)
    assert parse_budget("12") == 12
    assert parse_budget("0.25") == 0.25
    assert parse_band("0.4,0.8") == (0.4, 0.8)
    assert parse_band("40,80") == (0.4, 0.8)
