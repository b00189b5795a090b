"""Invariants of the targeting simulation on random graphs (Hypothesis).

Without recovery, removing actors can never reconnect anything: the largest component,
efficiency and surviving brokerage never rise from one step to the next, and every strategy
that has candidates spends exactly its budget. Surviving brokerage is undefined (NaN) for a
network without brokers (every actor has betweenness 0).
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.analyse.network import Network, simulate

pytestmark = pytest.mark.unit

STRATEGIES = ["hvt-degree", "hvt-betweenness", "hvt-degree-once", "random"]


@st.composite
def networks(draw: st.DrawFn) -> Network:
    n = draw(st.integers(min_value=3, max_value=14))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            min_size=2,
            max_size=30,
        )
    )
    return Network.from_edges([(f"v{a}", f"v{b}") for a, b in pairs], name="random")


@settings(max_examples=30, deadline=None)
@given(net=networks(), budget=st.integers(min_value=1, max_value=4), seed=st.integers(0, 99))
def test_removal_never_improves_the_network(net: Network, budget: int, seed: int) -> None:
    res = simulate(net, STRATEGIES, budget=budget, runs=2, seed=seed)
    n0 = res.network["nodes"]
    rows = res.steps.to_pylist()
    for (_, _), group in itertools.groupby(rows, key=lambda r: (r["strategy"], r["run"])):
        steps = list(group)
        assert steps[0]["efficiency_share"] == pytest.approx(1.0)
        assert steps[-1]["removed"] == min(budget, n0)
        for a, b in itertools.pairwise(steps):
            assert b["lcc_size"] <= a["lcc_size"]
            assert b["efficiency"] <= a["efficiency"] + 1e-12
            if not math.isnan(a["brokerage_share"]):  # NaN: no broker in the intact network
                assert b["brokerage_share"] <= a["brokerage_share"] + 1e-12
            assert b["nodes"] == n0 - b["removed"]


@settings(max_examples=20, deadline=None)
@given(net=networks(), seed=st.integers(0, 99))
def test_recovery_only_adds_ties_among_survivors(net: Network, seed: int) -> None:
    res = simulate(
        net, ["hvt-betweenness"], budget=2, recovery="second-neighbour", runs=1, seed=seed
    )
    rows = res.steps.to_pylist()
    for removal, recovery in zip(rows[1::2], rows[2::2], strict=True):
        assert recovery["stage"] == "recovery"
        assert recovery["nodes"] == removal["nodes"]
        assert recovery["edges"] == removal["edges"] + recovery["edges_added"]
        assert recovery["lcc_size"] >= removal["lcc_size"]
        assert recovery["components"] <= removal["components"]
