"""What a removal step did to the network: the outcome measures.

All measures are computed on the simple undirected graph (see ``Network.to_igraph``) and are
relative to the intact network ("baseline"), so strategies can be compared on one scale:

``lcc_share``
    Size of the largest connected component / actors in the intact network.
``components``
    Connected components among the actors still at large (isolates count: each is a fragment).
``successor_groups``
    Components with at least ``min_group_size`` actors — candidate successor groups, the
    fragmentation-and-violence mechanism the essay names.
``efficiency_share``
    Global efficiency (Latora & Marchiori 2001), ``E = Σ_{i≠j} 1/d_ij / (n0 (n0 − 1))`` with
    ``n0`` the *intact* network's size (removed actors count as unreachable), divided by the
    intact network's ``E``.
``brokerage_share``
    Share of the intact network's total betweenness held by actors still at large: how much
    of the brokerage capital survives the arrests. Rewiring does not change it by design.

Large graphs (more than ``exact_limit`` actors) use estimates: betweenness from a sample of
source actors (Brandes & Pich 2007) and efficiency from the harmonic sums of a fixed sample of
actors followed through every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import igraph
import numpy as np

from .graph import FLOW_COLUMN

EXACT_LIMIT = 5000
"""Up to this many actors, betweenness and efficiency are exact."""

DEFAULT_SAMPLES = 128
"""Source actors sampled for betweenness and efficiency above :data:`EXACT_LIMIT`."""


@dataclass(frozen=True, slots=True)
class Estimation:
    """How exact the measures are: exact up to ``exact_limit`` actors, else sampled."""

    exact_limit: int = EXACT_LIMIT
    samples: int = DEFAULT_SAMPLES

    def is_exact(self, graph: igraph.Graph) -> bool:
        return graph.vcount() <= self.exact_limit


def betweenness(
    graph: igraph.Graph, estimation: Estimation, rng: np.random.Generator
) -> np.ndarray:
    """Undirected, unweighted betweenness (exact, or estimated from sampled sources).

    Examples
    --------
    >>> g = igraph.Graph.Ring(5, circular=False)  # a-b-c-d-e
    >>> betweenness(g, Estimation(), np.random.default_rng(0)).tolist()
    [0.0, 3.0, 4.0, 3.0, 0.0]
    """
    n = graph.vcount()
    if n == 0:
        return np.zeros(0)
    if estimation.is_exact(graph) or estimation.samples >= n:
        # Rounded so that exactly tied actors stay tied despite floating-point noise (ties are
        # broken by input order, which must not depend on the summation order of a library).
        return np.round(np.asarray(graph.betweenness(directed=False), dtype=float), 9)
    sources = rng.choice(n, size=estimation.samples, replace=False).tolist()
    # igraph counts each undirected source→target path once; scaling by n/s estimates the
    # all-pairs value up to the factor igraph itself applies for undirected graphs.
    raw = np.asarray(graph.betweenness(directed=False, sources=sources), dtype=float)
    return raw * (n / estimation.samples)


def harmonic_sum(graph: igraph.Graph, estimation: Estimation, rng: np.random.Generator) -> float:
    """``Σ_{i≠j} 1/d_ij`` over ordered pairs (exact, or estimated from sampled actors).

    Examples
    --------
    >>> g = igraph.Graph.Ring(3, circular=False)  # a-b-c: 2·(1 + 1 + 1/2)
    >>> harmonic_sum(g, Estimation(), np.random.default_rng(0))
    5.0
    """
    n = graph.vcount()
    if n < 2 or graph.ecount() == 0:
        return 0.0
    if estimation.is_exact(graph) or estimation.samples >= n:
        return float(np.sum(graph.harmonic_centrality(normalized=False)))
    sample = rng.choice(n, size=estimation.samples, replace=False).tolist()
    values = graph.harmonic_centrality(vertices=sample, normalized=False)
    return float(np.mean(values) * n)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The intact network's reference values."""

    nodes: int
    edges: int
    harmonic: float
    betweenness: np.ndarray
    """Betweenness of each actor in the intact network, by original vertex index."""
    sample: np.ndarray | None = None
    """Sorted original indices of the actors whose harmonic sums estimate efficiency on a large
    graph; the same actors are followed through every step, so changes are not sampling noise
    (common random numbers). ``None`` when efficiency is exact."""

    @property
    def efficiency(self) -> float:
        n = self.nodes
        return self.harmonic / (n * (n - 1)) if n > 1 else 0.0

    @classmethod
    def of(cls, graph: igraph.Graph, estimation: Estimation, rng: np.random.Generator) -> Baseline:
        n = graph.vcount()
        sample = None
        if not estimation.is_exact(graph) and estimation.samples < n:
            sample = np.sort(rng.choice(n, size=estimation.samples, replace=False))
        base = cls(
            nodes=n,
            edges=graph.ecount(),
            harmonic=0.0,
            betweenness=betweenness(graph, estimation, rng),
            sample=sample,
        )
        harmonic = base.harmonic_of(graph, np.arange(n), estimation)
        return cls(base.nodes, base.edges, harmonic, base.betweenness, sample)

    def harmonic_of(
        self, graph: igraph.Graph, original_ids: np.ndarray, estimation: Estimation
    ) -> float:
        """``Σ_{i≠j} 1/d_ij`` of ``graph``: exact, or from the followed sample of actors
        (removed sample actors contribute 0; the sum is scaled to the intact size)."""
        if self.sample is None:
            if graph.vcount() < 2 or graph.ecount() == 0:
                return 0.0
            return float(np.sum(graph.harmonic_centrality(normalized=False)))
        pos = np.searchsorted(original_ids, self.sample)
        pos = np.minimum(pos, max(len(original_ids) - 1, 0))
        alive = pos[original_ids[pos] == self.sample] if len(original_ids) else pos[:0]
        if alive.size == 0 or graph.ecount() == 0:
            return 0.0
        values = graph.harmonic_centrality(vertices=alive.tolist(), normalized=False)
        return float(np.sum(values)) * self.nodes / self.sample.size


def measure(
    graph: igraph.Graph,
    baseline: Baseline,
    original_ids: np.ndarray,
    *,
    min_group_size: int,
    estimation: Estimation,
) -> dict[str, Any]:
    """Outcome measures of ``graph`` (the network after removals) against ``baseline``.

    ``original_ids[v]`` is the intact-network index of current vertex ``v``.

    Examples
    --------
    >>> g = igraph.Graph.Ring(5, circular=False)
    >>> rng = np.random.default_rng(0)
    >>> base = Baseline.of(g, Estimation(), rng)
    >>> h = g.copy(); h.delete_vertices([2])  # remove c from a-b-c-d-e
    >>> m = measure(h, base, np.array([0, 1, 3, 4]), min_group_size=2,
    ...             estimation=Estimation())
    >>> m["lcc_size"], m["components"], round(m["brokerage_share"], 2)
    (2, 2, 0.6)
    """
    n0 = baseline.nodes
    sizes = graph.connected_components().sizes() if graph.vcount() else []
    lcc = max(sizes) if sizes else 0
    harmonic = baseline.harmonic_of(graph, original_ids, estimation)
    efficiency = harmonic / (n0 * (n0 - 1)) if n0 > 1 else 0.0
    total_b = float(baseline.betweenness.sum())
    surviving_b = float(baseline.betweenness[original_ids].sum()) if len(original_ids) else 0.0
    return {
        "nodes": graph.vcount(),
        "edges": graph.ecount(),
        "lcc_size": lcc,
        "lcc_share": lcc / n0 if n0 else math.nan,
        "components": len(sizes),
        "successor_groups": sum(1 for s in sizes if s >= min_group_size),
        "efficiency": efficiency,
        "efficiency_share": efficiency / baseline.efficiency if baseline.efficiency else math.nan,
        "brokerage_share": surviving_b / total_b if total_b else math.nan,
    }


OUTCOMES: tuple[str, ...] = (
    "lcc_share",
    "components",
    "successor_groups",
    "efficiency_share",
    "brokerage_share",
)
"""The outcome columns compared across strategies."""


def flow_capacity(graph: igraph.Graph) -> float | None:
    """Edge-disjoint routes from suppliers to distributors (``None``: no such roles declared).

    Every tie carries one unit, so the value is the number of routes that share no tie —
    the capacity to move product from where it enters the network to where it is sold
    (:meth:`~.graph.Network.with_flow_roles`). It falls to 0 when either side is gone.

    Examples
    --------
    >>> g = igraph.Graph([(0, 1), (0, 2), (1, 3), (2, 3)])  # two routes from 0 to 3
    >>> g.vs["flow_role"] = ["supplier", None, None, "distributor"]
    >>> flow_capacity(g)
    2.0
    """
    if FLOW_COLUMN not in graph.vs.attributes():
        return None
    roles = graph.vs[FLOW_COLUMN]
    suppliers = [v for v, r in enumerate(roles) if r == "supplier"]
    distributors = [v for v, r in enumerate(roles) if r == "distributor"]
    if not suppliers or not distributors or graph.ecount() == 0:
        return 0.0
    h = graph.copy()
    n = h.vcount()
    h.add_vertices(2)
    wide = float(h.ecount() + 1)  # no bottleneck between the super-terminals and the roles
    capacity = [1.0] * h.ecount() + [wide] * (len(suppliers) + len(distributors))
    h.add_edges([(n, v) for v in suppliers] + [(v, n + 1) for v in distributors])
    return float(h.maxflow_value(n, n + 1, capacity=capacity))
