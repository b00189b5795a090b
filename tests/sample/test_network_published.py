"""The qualitative results published studies report, reproduced on the shared real networks.

* Cavallaro, Ficara, De Meo, Fiumara, Catanese, Bagdasar & Liotta (2020), "Disrupting resilient
  criminal networks through data analysis: the case of Sicilian Mafia", PLOS ONE — on the
  Montagna meetings and phone-call networks, removing actors by betweenness (recomputed after
  each arrest) shrinks the largest connected component far faster than random removal, and
  betweenness is the most effective of the social-capital criteria.
* Agreste, Catanese, De Meo, Ferrara & Fiumara, "Network structure and resilience of Mafia
  syndicates" (Information Sciences; arXiv:1509.01608) — bosses high in the hierarchy do not
  occupy the most central positions, so targeting by declared rank disrupts less than
  targeting by centrality.
* Duijn, Kashirin & Sloot (2014), "The relative ineffectiveness of criminal network
  disruption", Scientific Reports 4:4238, studied a Dutch cannabis-cultivation network we do
  not have, with its value-chain roles and their own recovery model, and found that disrupted
  networks can recover and come back more efficient. That is not reproduced here and cannot
  be: the last test pins only what *our* recovery models do on CAVIAR and Montagna — they
  restore connectivity, and CAVIAR does not come back more efficient.

Seeds are fixed; no timing is asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dyadwatch.analyse.network import Network, load_caviar, load_montagna, simulate

pytestmark = pytest.mark.sample


@pytest.fixture(scope="module")
def montagna(shared_data: Path) -> Network:
    return load_montagna(shared_data / "networks" / "montagna")


@pytest.fixture(scope="module")
def caviar(shared_data: Path) -> Network:
    return load_caviar(shared_data / "networks" / "caviar_phases")


def by_strategy(result, stage: str = "removal") -> dict[str, dict]:
    return {r["strategy"]: r for r in result.summary.to_pylist() if r["stage"] == stage}


@pytest.mark.parametrize("layer", ["meetings", "phone"])
def test_cavallaro_betweenness_collapses_the_lcc_faster_than_random(
    montagna: Network, layer: str
) -> None:
    res = simulate(
        montagna,
        ["hvt-betweenness", "hvt-degree", "random"],
        layers=[layer],
        budget=0.05,
        runs=30,
        seed=2020,
    )
    rows = by_strategy(res)
    btw, deg, rnd = rows["hvt-betweenness"], rows["hvt-degree"], rows["random"]
    # 5% of the actors removed: betweenness leaves under half the giant component random does
    assert btw["lcc_share"] < 0.5 * rnd["lcc_share"]
    assert btw["lcc_share"] < rnd["lcc_share_lo"]
    # and betweenness is at least as effective as degree
    assert btw["lcc_share"] <= deg["lcc_share"]


@pytest.mark.parametrize("layer", ["meetings", "phone"])
def test_agreste_bosses_are_not_the_most_central(montagna: Network, layer: str) -> None:
    res = simulate(montagna, ["hvt-betweenness", "hvt-rank"], layers=[layer], budget=0.05)
    rows = by_strategy(res)
    assert rows["hvt-rank"]["lcc_share"] > 1.5 * rows["hvt-betweenness"]["lcc_share"]


def test_caviar_aggregate_collapses_under_betweenness_targeting(caviar: Network) -> None:
    res = simulate(caviar, ["hvt-betweenness", "random"], budget=0.1, runs=30, seed=1996)
    rows = by_strategy(res)
    assert rows["hvt-betweenness"]["lcc_share"] < 0.25 * rows["random"]["lcc_share"]
    # the first target is actor 1, Daniel Serero, the lead trafficker (PROVENANCE.md)
    first = next(r for r in res.steps.to_pylist() if r["step"] == 1)
    assert first["targets"] == ["1"]


@pytest.mark.parametrize(("name", "layers"), [("caviar", None), ("montagna", ["meetings"])])
def test_our_recovery_restores_connectivity_not_a_more_efficient_network(
    request: pytest.FixtureRequest, name: str, layers: list[str] | None
) -> None:
    net = request.getfixturevalue(name)
    kw = {"budget": 0.1, "runs": 10, "seed": 2014, "layers": layers}
    plain = by_strategy(simulate(net, ["hvt-betweenness", "random"], **kw))
    recovered = by_strategy(
        simulate(net, ["hvt-betweenness", "random"], recovery="second-neighbour", **kw),
        stage="recovery",
    )
    gap_plain = plain["random"]["lcc_share"] - plain["hvt-betweenness"]["lcc_share"]
    gap_recovered = recovered["random"]["lcc_share"] - recovered["hvt-betweenness"]["lcc_share"]
    assert gap_plain > 0.4
    assert gap_recovered < 0.25 * gap_plain
    assert (
        recovered["hvt-betweenness"]["efficiency_share"]
        > plain["hvt-betweenness"]["efficiency_share"]
    )
    if name == "caviar":  # not Duijn et al.'s finding: CAVIAR stays less efficient
        for model in ("second-neighbour", "preferential"):
            rows = by_strategy(simulate(net, ["hvt-betweenness"], recovery=model, **kw), "recovery")
            assert rows["hvt-betweenness"]["efficiency_share_hi"] < 0.8
