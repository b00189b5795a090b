"""Golden results of the targeting simulation on tiny graphs, computed by hand.

Two graphs are used throughout.

PATH  a - b - c - d - e   (5 actors)
    betweenness (pairs whose only shortest path runs through the actor):
      b: (a,c) (a,d) (a,e) = 3;  c: (a,d) (a,e) (b,d) (b,e) = 4;  d: 3;  a, e: 0;  total 10
    efficiency Σ_{i≠j} 1/d_ij over ordered pairs:
      distance 1: 4 pairs, 2: 3 pairs, 3: 2 pairs, 4: 1 pair
      → 2·(4 + 3/2 + 2/3 + 1/4) = 12.8333…;  E0 = 12.8333/(5·4) = 0.641667

TREE  B is the boss; lieutenants L1 and L2; L1 runs s1, s2, s5; L2 runs s3, s4 (8 actors)
      edges in input order: B-L1, B-L2, L1-s1, L1-s2, L2-s3, L2-s4, L1-s5
    degree: B 2, L1 4, L2 3, soldiers 1
    betweenness = (actors on one side) × (other side) + pairs among the actor's subtrees:
      L1: its 3 soldiers among themselves 3 + 3 × {B, L2, s3, s4} 4 = 15
      L2: s3-s4 1 + 2 × {B, L1, s1, s2, s5} 5 = 11
      B:  {L1, s1, s2, s5} 4 × {L2, s3, s4} 3 = 12
      soldiers 0;  total 38
    mid-rank percentiles of betweenness (n = 8): soldiers (0 + 5/2)/8 = 0.3125,
      L2 (5 + 1/2)/8 = 0.6875, B (6 + 1/2)/8 = 0.8125, L1 (7 + 1/2)/8 = 0.9375
"""

from __future__ import annotations

import itertools
import math

import igraph
import numpy as np
import pyarrow as pa
import pytest

from dyadwatch.analyse.network import (
    STEP_SCHEMA,
    Network,
    Strategy,
    parse_strategy,
    resolve_budget,
    simulate,
)
from dyadwatch.analyse.network.outcomes import Baseline, Estimation, harmonic_sum
from dyadwatch.analyse.network.recovery import check_model, rewire
from dyadwatch.analyse.network.stats import mean_ci
from dyadwatch.analyse.network.strategies import percentiles
from dyadwatch.errors import AnalysisError, UsageError

pytestmark = pytest.mark.unit

E0_PATH = 2 * (4 + 3 / 2 + 2 / 3 + 1 / 4) / 20


def path_net() -> Network:
    return Network.from_edges([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")], name="path")


def tree_net() -> Network:
    edges = [
        ("B", "L1"),
        ("B", "L2"),
        ("L1", "s1"),
        ("L1", "s2"),
        ("L2", "s3"),
        ("L2", "s4"),
        ("L1", "s5"),
    ]
    titles = {"B": "boss", "L1": "lieutenant", "L2": "lieutenant"}
    titles.update({s: "soldier" for s in ("s1", "s2", "s3", "s4", "s5")})
    nodes = {k: {"title": v} for k, v in titles.items()}
    return Network.from_edges(edges, name="tree", nodes=nodes).with_rank(
        "title", ["boss", "lieutenant", "soldier"]
    )


def final(result, strategy: str, stage: str = "removal") -> dict:
    rows = [r for r in result.summary.to_pylist() if r["strategy"] == strategy]
    return next(r for r in rows if r["stage"] == stage)


def test_path_betweenness_and_efficiency_baseline() -> None:
    g = path_net().to_igraph()
    base = Baseline.of(g, Estimation(), np.random.default_rng(0))
    assert base.betweenness.tolist() == [0.0, 3.0, 4.0, 3.0, 0.0]
    assert base.efficiency == pytest.approx(E0_PATH)


def test_removing_the_path_centre() -> None:
    # Remove c: {a,b} and {d,e} remain. LCC 2 of 5; 2 fragments; surviving brokerage
    # (3 + 3)/10 = 0.6; efficiency 2·(1 + 1)/20 = 0.2, i.e. 0.2/0.641667 of the intact value.
    res = simulate(path_net(), ["hvt-betweenness"], budget=1, min_group_size=2)
    row = final(res, "hvt-betweenness")
    assert row["removed"] == 1
    assert row["lcc_share"] == pytest.approx(2 / 5)
    assert row["components"] == 2
    assert row["successor_groups"] == 2
    assert row["brokerage_share"] == pytest.approx(0.6)
    assert row["efficiency_share"] == pytest.approx(0.2 / E0_PATH)
    step1 = next(r for r in res.steps.to_pylist() if r["step"] == 1)
    assert step1["targets"] == ["c"]


def test_degree_ties_are_broken_by_input_order() -> None:
    # b, c and d all have degree 2; b comes first in the input, so it goes first:
    # {a} and {c,d,e} remain → LCC 3 of 5, 2 fragments.
    res = simulate(path_net(), ["hvt-degree"], budget=1)
    assert res.steps.to_pylist()[1]["targets"] == ["b"]
    assert final(res, "hvt-degree")["lcc_share"] == pytest.approx(3 / 5)


def test_tree_betweenness_percentiles() -> None:
    g = tree_net().to_igraph()
    assert g.vs["name"] == ["B", "L1", "L2", "s1", "s2", "s3", "s4", "s5"]
    b = np.asarray(g.betweenness(directed=False))
    assert b.tolist() == [12.0, 15.0, 11.0, 0, 0, 0, 0, 0]
    assert percentiles(b).tolist() == [0.8125, 0.9375, 0.6875] + [0.3125] * 5


def test_kingpin_removal_leaves_two_successor_groups() -> None:
    # hvt-rank removes B: {L1,s1,s2,s5} (4) and {L2,s3,s4} (3) remain — two groups of >= 3,
    # the fragmentation the essay warns about. Brokerage (38 − 12)/38.
    res = simulate(tree_net(), ["hvt-rank"], budget=1, min_group_size=3)
    row = final(res, "hvt-rank")
    assert res.steps.to_pylist()[1]["targets"] == ["B"]
    assert row["lcc_share"] == pytest.approx(4 / 8)
    assert row["components"] == 2
    assert row["successor_groups"] == 2
    assert row["brokerage_share"] == pytest.approx(26 / 38)


def test_top_broker_removal() -> None:
    # hvt-betweenness removes L1 (15): s1, s2, s5 isolated; {B,L2,s3,s4} → LCC 4, 4 fragments,
    # one group of >= 3, brokerage (38 − 15)/38.
    res = simulate(tree_net(), ["hvt-betweenness"], budget=1, min_group_size=3)
    row = final(res, "hvt-betweenness")
    assert row["lcc_share"] == pytest.approx(4 / 8)
    assert (row["components"], row["successor_groups"]) == (4, 1)
    assert row["brokerage_share"] == pytest.approx(23 / 38)


def test_sequential_recomputation_differs_from_all_at_once() -> None:
    # Sequential: L1 first; then in {B,L2,s3,s4} (a star on L2) L2 has betweenness 3 and goes
    # → six isolates, LCC 1, brokerage (38 − 15 − 11)/38.
    # All at once: the intact top two, L1 (15) and B (12) → {L2,s3,s4} remains, LCC 3,
    # brokerage (38 − 27)/38.
    res = simulate(tree_net(), ["hvt-betweenness", "hvt-betweenness-once"], budget=2)
    seq, once = final(res, "hvt-betweenness"), final(res, "hvt-betweenness-once")
    assert seq["lcc_share"] == pytest.approx(1 / 8)
    assert seq["components"] == 6
    assert seq["brokerage_share"] == pytest.approx(12 / 38)
    assert once["lcc_share"] == pytest.approx(3 / 8)
    assert once["components"] == 4
    assert once["brokerage_share"] == pytest.approx(11 / 38)
    steps = res.steps.to_pylist()
    assert [r["targets"] for r in steps if r["strategy"] == "hvt-betweenness"][1:] == [
        ["L1"],
        ["L2"],
    ]
    assert [r["targets"] for r in steps if r["strategy"] == "hvt-betweenness-once"][1:] == [
        ["L1", "B"]
    ]


def test_betweenness_band_sweep_takes_the_band() -> None:
    # Band 0.5–0.9 holds L2 (0.6875) and B (0.8125); both go in one step:
    # {L1,s1,s2,s5} (4), s3, s4 → LCC 4, 3 fragments, brokerage (38 − 12 − 11)/38.
    # The boss is in the band: this is why the band is not the essay's middle layer.
    res = simulate(tree_net(), ["sweep-betweenness"], budget=3, band=(0.5, 0.9))
    row = final(res, "sweep-betweenness")
    assert row["removed"] == 2
    assert row["lcc_share"] == pytest.approx(4 / 8)
    assert row["components"] == 3
    assert row["brokerage_share"] == pytest.approx(15 / 38)
    assert sorted(res.steps.to_pylist()[1]["targets"]) == ["B", "L2"]


def test_sweep_is_capped_by_the_budget_keeping_the_upper_band() -> None:
    res = simulate(tree_net(), ["sweep-betweenness"], budget=1, band=(0.5, 0.9))
    assert res.steps.to_pylist()[1]["targets"] == ["B"]


def test_layer_sweep_takes_the_declared_middle_not_the_boss() -> None:
    # Ranks boss > lieutenant > soldier: the boss is the leadership, the other ranks the
    # middle layer. Its top brokers go first: L1 (15), then L2 (11) — never B.
    res = simulate(tree_net(), ["sweep", "sweep-rank", "hvt-rank"], budget=2)
    targets = {r["strategy"]: r["targets"] for r in res.steps.to_pylist() if r["step"] == 1}
    assert targets["sweep"] == targets["sweep-rank"] == ["L1", "L2"]
    assert targets["hvt-rank"] == ["B"]


def test_structural_sweep_takes_the_relays_around_the_core() -> None:
    # No ranks on the path a-b-c-d-e: the core is the top 10% by coreness, then degree
    # (b: first of b, c, d); the relays are c (tied to b and to d, betweenness 4).
    res = simulate(path_net(), ["sweep", "sweep-structural"], budget=2)
    targets = {r["strategy"]: r["targets"] for r in res.steps.to_pylist() if r["step"] == 1}
    assert targets == {"sweep": ["c"], "sweep-structural": ["c"]}
    with pytest.raises(UsageError, match="declared middle layer"):
        simulate(path_net(), ["sweep-rank"])


def test_user_list_in_order() -> None:
    res = simulate(tree_net(), ["list"], targets=["s3", "L2"], budget=1)
    steps = res.steps.to_pylist()
    assert [r["targets"] for r in steps[1:]] == [["s3"], ["L2"]]
    assert final(res, "list")["removed"] == 2


def test_second_neighbour_recovery_on_the_path() -> None:
    # Remove c; its contacts b and d are orphaned; each picks the other → one new tie b-d.
    # Recovered network a-b-d-e: LCC 4 of 5, one fragment;
    # efficiency 2·(3 + 2/2 + 1/3)/20 = 0.43333 → share 0.43333/0.641667.
    res = simulate(path_net(), ["hvt-betweenness"], budget=1, recovery="second-neighbour", runs=3)
    rec = final(res, "hvt-betweenness", "recovery")
    assert rec["runs"] == 3
    assert rec["lcc_share"] == pytest.approx(4 / 5)
    assert rec["components"] == 1
    assert rec["efficiency_share"] == pytest.approx((2 * (3 + 1 + 1 / 3) / 20) / E0_PATH)
    assert rec["brokerage_share"] == pytest.approx(0.6)  # rewiring does not restore brokers
    added = [r["edges_added"] for r in res.steps.to_pylist() if r["stage"] == "recovery"]
    assert added == [1, 1, 1]


def test_rewire_adds_no_duplicates_or_loops() -> None:
    g = igraph.Graph.Full(4)
    assert (
        rewire(g, [[0, 1, 2, 3]], "second-neighbour", rate=1.0, rng=np.random.default_rng(1)) == 0
    )
    g = igraph.Graph.Star(6)
    g.delete_vertices([0])  # the hub was arrested; five isolated spokes
    added = rewire(g, [[0, 1, 2, 3, 4]], "preferential", rate=1.0, rng=np.random.default_rng(2))
    assert added == g.ecount() == len(set(map(tuple, g.get_edgelist())))
    assert all(a != b for a, b in g.get_edgelist())
    h = igraph.Graph(n=3)
    assert rewire(h, [[0, 1, 2]], "second-neighbour", rate=0.0, rng=np.random.default_rng(0)) == 0


def test_preferential_attachment_favours_hubs() -> None:
    # Orphan 0 picks among 1..4 with probability ∝ degree: actor 1 (degree 3) with 1/2, each
    # other actor (degree 1) with 1/6 — so actor 1 is picked about three times as often.
    picks = []
    for seed in range(500):
        g = igraph.Graph([(1, 2), (1, 3), (1, 4)], n=5)
        rewire(g, [[0]], "preferential", rate=1.0, rng=np.random.default_rng(seed))
        picks.extend(b for a, b in g.get_edgelist() if a == 0)
    assert picks.count(1) > 2 * max(picks.count(k) for k in (2, 3, 4))


def test_same_seed_same_result_and_streams_are_independent() -> None:
    kw = {"budget": 3, "recovery": "preferential", "runs": 4}
    a = simulate(tree_net(), ["random", "hvt-degree"], seed=7, **kw)
    b = simulate(tree_net(), ["random", "hvt-degree"], seed=7, **kw)
    assert a.steps.equals(b.steps)
    # the random strategy's stream does not depend on which other strategies run
    c = simulate(tree_net(), ["random"], seed=7, **kw)
    assert c.steps.equals(a.steps.filter(pa.compute.equal(a.steps["strategy"], "random")))
    d = simulate(tree_net(), ["random"], seed=8, **kw)
    assert not d.steps.equals(c.steps)


def test_deterministic_strategies_run_once_random_repeats() -> None:
    res = simulate(tree_net(), ["hvt-degree", "random"], budget=2, runs=5)
    runs = {r["strategy"]: r["runs"] for r in res.summary.to_pylist()}
    assert runs == {"hvt-degree": 1, "random": 5}
    rnd = final(res, "random")
    assert rnd["lcc_share_lo"] <= rnd["lcc_share"] <= rnd["lcc_share_hi"]


def test_result_tables_and_frames() -> None:
    res = simulate(path_net(), ["hvt-degree", "random"], budget=0.4, runs=3)
    assert res.steps.schema.equals(STEP_SCHEMA)
    assert res.params["budget"] == 2
    assert res.to_polars().height == 2
    assert list(res.to_pandas("steps").columns) == STEP_SCHEMA.names
    curves = res.curves()
    assert {"strategy", "stage", "step", "lcc_share", "lcc_share_lo"} <= set(curves.column_names)
    with pytest.raises(UsageError, match="no table"):
        res.to_polars("everything")


def test_mean_ci() -> None:
    # mean 2, sample sd √2, standard error 1, t(0.975, 1 df) = 12.706
    assert mean_ci([1.0, 3.0]) == (2.0, pytest.approx(-10.706), pytest.approx(14.706))
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    m, lo, hi = mean_ci([5.0])
    assert (m, lo, hi) == (5.0, None, None)


def test_harmonic_sum_estimate_is_close_on_a_larger_graph() -> None:
    g = igraph.Graph.Lattice([30, 30], circular=False)
    exact = harmonic_sum(g, Estimation(), np.random.default_rng(0))
    est = harmonic_sum(g, Estimation(exact_limit=10, samples=200), np.random.default_rng(0))
    assert est == pytest.approx(exact, rel=0.1)


def test_budget_resolution() -> None:
    assert resolve_budget(0.1, 155) == 16
    assert resolve_budget(0.001, 155) == 1
    assert resolve_budget(500, 155) == 155
    for bad in (0, -1, 2.5):
        with pytest.raises(UsageError):
            resolve_budget(bad, 10)


def test_parse_strategy() -> None:
    assert parse_strategy("hvt-rank").measure == "rank"
    assert parse_strategy("sweep-degree", band=(0.2, 0.4)).band == (0.2, 0.4)
    assert Strategy("random").name == "random"
    with pytest.raises(UsageError, match="Did you mean hvt-degree"):
        parse_strategy("hvt-degre")
    with pytest.raises(UsageError, match="band"):
        Strategy("sweep", band=(0.9, 0.5))
    with pytest.raises(UsageError, match="targets"):
        parse_strategy("list")
    assert check_model("second-neighbor") == "second-neighbour"
    with pytest.raises(UsageError, match="recovery model"):
        check_model("rewire")


def test_bad_parameters_are_usage_errors() -> None:
    net = tree_net()
    with pytest.raises(UsageError, match="not an actor"):
        simulate(net, ["list"], targets=["L3"])
    with pytest.raises(UsageError, match="runs"):
        simulate(net, runs=0)
    with pytest.raises(UsageError, match="twice"):
        simulate(net, ["random", "random"])
    with pytest.raises(UsageError, match="no layer"):
        simulate(net, layers=["phone"])
    with pytest.raises(UsageError, match="declared rank"):
        simulate(path_net(), ["hvt-rank"])
    with pytest.raises(AnalysisError, match="nothing to disrupt"):
        simulate(Network.from_edges([("a", "a")]))


def test_rank_order_and_numeric_ranks() -> None:
    net = Network.from_edges([("a", "b"), ("b", "c")], nodes={"a": {"r": "2"}, "b": {"r": "10"}})
    ranks = net.with_rank("r").to_igraph().vs["rank"]
    assert ranks[:2] == [2.0, 10.0] and math.isnan(ranks[2])
    with pytest.raises(UsageError, match="not numeric"):
        tree_net().with_rank("title")
    with pytest.raises(UsageError, match="no node attribute"):
        net.with_rank("role")


def test_layers_are_merged_into_one_undirected_tie() -> None:
    net = Network(
        name="two",
        nodes=pa.table({"node": ["x", "y", "z"]}),
        edges=pa.table(
            {
                "source": ["x", "y", "y"],
                "target": ["y", "x", "z"],
                "weight": [2.0, 3.0, 1.0],
                "layer": ["phone", "phone", "meetings"],
            }
        ),
    )
    g = net.to_igraph()
    assert g.ecount() == 2 and g.es["weight"] == [5.0, 1.0]
    assert net.to_igraph(["meetings"]).vs["name"] == ["y", "z"]
    assert net.to_igraph(["meetings"], isolates=True).vcount() == 3


def test_sampled_efficiency_follows_the_same_actors() -> None:
    # Above exact_limit, efficiency comes from a fixed sample of actors followed through every
    # step: the intact network scores exactly 1, and removals without recovery never raise it.
    g = igraph.Graph.Lattice([20, 20], circular=False)
    g.vs["name"] = [str(i) for i in range(g.vcount())]
    res = simulate(g, ["hvt-degree"], budget=40, step_size=10, exact_limit=50, samples=60)
    assert res.params["estimated"]
    assert res.summary["runs"].to_pylist() == [1]  # degree targeting + fixed sample: no noise
    shares = [r["efficiency_share"] for r in res.steps.to_pylist()]
    assert shares[0] == pytest.approx(1.0)
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(shares))
