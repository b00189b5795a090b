"""Budgets for the essay comparison: by count, by share of the middle layer, and by cost.

Equal counts of removals are not equal effort. A sweep of the middle layer and a campaign
against the top of a network are compared three ways:

``count``
    Both remove the same number of actors: ``share`` (25, 50, 75 %) of the middle layer.
``cost``
    Both spend the same effort: what it costs to sweep ``share`` of the middle layer. Each
    strategy removes actors in its own order while the next one still fits the budget.

The cost model (:func:`costs`) is an assumption, not a measurement: arresting an actor costs
``1 + slope × seniority``, seniority running from 0 (street level) to 1 (the most senior
declared rank), declared ranks spaced evenly and unranked actors one level below the lowest
rank (Montagna: boss 1, underboss 0.75, executive 0.5, soldier 0.25, untitled 0). Where no
rank is declared, seniority is the actor's coreness percentile (how deep it sits in the
network — a proxy for the intermediaries protecting it). With the default slope of 3 the most
senior actor costs four times a street-level one; with slope 0 the cost budgets equal the
count budgets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import igraph
import numpy as np

from dyadwatch.errors import UsageError

from .graph import RANK_COLUMN
from .strategies import percentiles

DEFAULT_SHARES: tuple[float, ...] = (0.25, 0.5, 0.75)
"""Shares of the middle layer a sweep takes."""

DEFAULT_COST_SLOPE = 3.0
"""Extra cost of the most senior actor over a street-level one, in street-level arrests."""


@dataclass(frozen=True, slots=True)
class Budget:
    """One budget of the comparison.

    Examples
    --------
    >>> Budget("cost", 0.5).label
    'cost of 50% of the layer'
    """

    kind: Literal["count", "cost"]
    share: float

    def __post_init__(self) -> None:
        if not 0.0 < self.share <= 1.0:
            raise UsageError(f"a budget's share of the layer must lie in (0, 1]; got {self.share}.")

    @property
    def label(self) -> str:
        if self.kind == "count":
            return f"{self.share:.0%} of the layer"
        return f"cost of {self.share:.0%} of the layer"


def budgets(shares: Sequence[float] = DEFAULT_SHARES) -> list[Budget]:
    """Count budgets, then cost budgets, for each share of the middle layer.

    Examples
    --------
    >>> [b.label for b in budgets([0.5])]
    ['50% of the layer', 'cost of 50% of the layer']
    """
    return [Budget("count", s) for s in shares] + [Budget("cost", s) for s in shares]


def layer_count(share: float, layer_size: int) -> int:
    """Actors in ``share`` of a layer of ``layer_size`` (at least one when the layer is not empty).

    Examples
    --------
    >>> layer_count(0.25, 31), layer_count(0.25, 2), layer_count(0.5, 0)
    (8, 1, 0)
    """
    if layer_size == 0:
        return 0
    return max(1, math.floor(share * layer_size + 0.5))


def costs(graph: igraph.Graph, slope: float = DEFAULT_COST_SLOPE) -> np.ndarray:
    """Cost of arresting each actor: ``1 + slope × seniority`` (see the module docstring).

    Examples
    --------
    >>> g = igraph.Graph([(0, 1), (1, 2)]); g.vs["rank"] = [2.0, 1.0, math.nan]
    >>> costs(g).tolist()
    [4.0, 2.5, 1.0]
    """
    if slope < 0:
        raise UsageError(f"cost slope {slope} must not be negative.")
    n = graph.vcount()
    seniority = np.zeros(n)
    rank = (
        np.asarray(graph.vs[RANK_COLUMN], dtype=float)
        if RANK_COLUMN in graph.vs.attributes()
        else np.full(n, math.nan)
    )
    ranked = ~np.isnan(rank)
    if ranked.any():
        # unranked actors sit one level below the lowest declared rank
        lo = float(np.nanmin(rank)) - (0.0 if ranked.all() else 1.0)
        hi = float(np.nanmax(rank))
        seniority[ranked] = (rank[ranked] - lo) / (hi - lo) if hi > lo else 1.0
    elif n:
        seniority = percentiles(np.asarray(graph.coreness(), dtype=float))
    return 1.0 + slope * seniority


def within(order: Sequence[int], cost: np.ndarray, limit: float) -> list[int]:
    """The longest prefix of ``order`` whose total cost stays within ``limit``.

    Examples
    --------
    >>> within([2, 0, 1], np.array([1.0, 2.0, 4.0]), 5.0)
    [2, 0]
    """
    spent = 0.0
    taken: list[int] = []
    for v in order:
        spent += float(cost[v])
        if spent > limit + 1e-9:
            break
        taken.append(int(v))
    return taken
