"""The middle operational layer of a network: declared where the data says so, structural otherwise.

Felbab-Brown (Brookings, 19 January 2021) contrasts removing a group's top leaders with
dismantling, in one operation, the layer of people below them who run its operations. To
test that contrast the layer has to be fixed from the data before any strategy runs — never
as a band of some centrality that may happen to hold the leaders. :func:`middle_layer` reads
it in this order:

``declared``
    The data assigns actors to layers (:meth:`~.graph.Network.with_tiers`): Montagna's titles
    (boss and underboss: leadership; executive and soldier: middle; untitled: periphery), the
    pandillas superior–subordinate layer (actors with both a superior and a subordinate are
    the middle). Declared ranks without tiers (:meth:`~.graph.Network.with_rank`) count too:
    the most senior declared level is the leadership, the other declared levels the middle.
``declared-core``
    The data names the leaders but not the layer below them (CAVIAR: the two known principals,
    actors 1 and 3). The middle layer is the relays around those leaders (rule below).
``structural``
    No roles. The core is the top ``core_share`` (default 10 %) of actors by coreness (the
    k-core number: how deep an actor sits in mutually tied groups), ties broken by degree and
    then input order. The middle layer is every actor outside the core who (a) has a tie into
    the core, (b) has a tie to an actor outside it, and (c) brokers — lies on a shortest path
    between two other actors (betweenness above zero): the relays between core and periphery.

The structural rule is a stand-in, and :func:`agreement` says how well it recovers declared
layers where both exist (docs/network.md reports it for Montagna).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import igraph
import numpy as np

from .graph import RANK_COLUMN, TIER_COLUMN

Definition = Literal["declared", "declared-core", "structural"]

DEFAULT_CORE_SHARE = 0.10
"""Share of actors in the structural core (top by coreness)."""


@dataclass(frozen=True, slots=True)
class MiddleLayer:
    """The leadership (or structural core) and the middle layer of one graph.

    Attributes
    ----------
    definition
        ``declared``, ``declared-core`` or ``structural`` (see the module docstring).
    basis
        Where the layers come from, in words (reported with every result).
    core, middle
        Boolean masks over the graph's vertices.

    Examples
    --------
    >>> g = igraph.Graph([(0, 1), (1, 2), (2, 3)]); g.vs["name"] = list("abcd")
    >>> layer = middle_layer(g, core_share=0.25)
    >>> layer.definition, layer.members(g)
    ('structural', ['c'])
    """

    definition: Definition
    basis: str
    core: np.ndarray
    middle: np.ndarray

    @property
    def size(self) -> int:
        return int(self.middle.sum())

    def members(self, graph: igraph.Graph) -> list[str]:
        """Names of the middle layer, in input order."""
        return [graph.vs[int(v)]["name"] for v in np.flatnonzero(self.middle)]

    def leaders(self, graph: igraph.Graph) -> list[str]:
        """Names of the leadership (declared) or the structural core, in input order."""
        return [graph.vs[int(v)]["name"] for v in np.flatnonzero(self.core)]


def structural_core(graph: igraph.Graph, share: float = DEFAULT_CORE_SHARE) -> np.ndarray:
    """The top ``share`` of actors by coreness, then degree, then input order (at least one).

    Examples
    --------
    >>> g = igraph.Graph.Full(4) + igraph.Graph([(0, 1)])  # a clique of 4 and a pair
    >>> structural_core(g, 0.5).tolist()
    [True, True, True, False, False, False]
    """
    n = graph.vcount()
    if n == 0:
        return np.zeros(0, dtype=bool)
    coreness = np.asarray(graph.coreness())
    degree = np.asarray(graph.degree())
    order = np.lexsort((np.arange(n), -degree, -coreness))
    core = np.zeros(n, dtype=bool)
    core[order[: max(1, math.ceil(share * n))]] = True
    return core


def relays(graph: igraph.Graph, core: np.ndarray, betweenness: np.ndarray) -> np.ndarray:
    """Actors outside ``core`` tied to it and to someone outside it, with betweenness > 0.

    Examples
    --------
    >>> g = igraph.Graph([(0, 1), (1, 2), (2, 3)])  # a-b-c-d, core {a}
    >>> relays(g, np.array([True, False, False, False]), np.array([0.0, 2, 2, 0])).tolist()
    [False, True, False, False]
    """
    out = np.zeros(graph.vcount(), dtype=bool)
    for v in range(graph.vcount()):
        if core[v] or betweenness[v] <= 0:
            continue
        contacts = graph.neighbors(v)
        out[v] = any(core[u] for u in contacts) and any(not core[u] for u in contacts)
    return out


def declared_tiers(graph: igraph.Graph) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Declared leadership and middle masks, from tiers or else declared ranks (``None``: none).

    Examples
    --------
    >>> g = igraph.Graph([(0, 1), (1, 2)]); g.vs["rank"] = [2.0, 1.0, math.nan]
    >>> lead, mid, how = declared_tiers(g)
    >>> lead.tolist(), mid.tolist(), how
    ([True, False, False], [False, True, False], 'declared ranks')
    """
    attrs = graph.vs.attributes()
    if TIER_COLUMN in attrs:
        tiers = graph.vs[TIER_COLUMN]
        lead = np.asarray([t == "leadership" for t in tiers], dtype=bool)
        mid = np.asarray([t == "middle" for t in tiers], dtype=bool)
        if lead.any() or mid.any():
            return lead, mid, "declared layers"
    if RANK_COLUMN in attrs:
        rank = np.asarray(graph.vs[RANK_COLUMN], dtype=float)
        ranked = ~np.isnan(rank)
        if ranked.any():
            top = rank == np.nanmax(rank)
            return top, ranked & ~top, "declared ranks"
    return None


def middle_layer(
    graph: igraph.Graph,
    *,
    basis: str | None = None,
    core_share: float = DEFAULT_CORE_SHARE,
    betweenness: np.ndarray | None = None,
) -> MiddleLayer:
    """The middle layer of ``graph``: declared, around a declared leadership, or structural.

    Parameters
    ----------
    graph
        The undirected graph (``Network.to_igraph``), with ``tier``/``rank`` if declared.
    basis
        Words naming the declaration's source (the network's ``tier_basis``).
    core_share
        Share of actors in the structural core.
    betweenness
        Betweenness of every actor, if already computed.

    Examples
    --------
    >>> g = igraph.Graph([(0, 1), (1, 2), (2, 3)]); g.vs["name"] = list("abcd")
    >>> g.vs["tier"] = ["leadership", None, None, None]
    >>> layer = middle_layer(g, basis="toy")
    >>> layer.definition, layer.members(g), layer.basis
    ('declared-core', ['b'], 'toy: leaders declared; middle layer = relays around them')
    """
    declared = declared_tiers(graph)
    if declared is not None and declared[1].any():
        lead, mid, how = declared
        return MiddleLayer("declared", basis or how, lead, mid)
    if betweenness is None:
        betweenness = np.asarray(graph.betweenness(directed=False), dtype=float)
    if declared is not None:
        lead = declared[0]
        text = f"{basis or declared[2]}: leaders declared; middle layer = relays around them"
        return MiddleLayer("declared-core", text, lead, relays(graph, lead, betweenness))
    core = structural_core(graph, core_share)
    text = (
        f"no roles in the data; core = top {core_share:.0%} by coreness; "
        "middle layer = relays between core and periphery"
    )
    return MiddleLayer("structural", text, core, relays(graph, core, betweenness))


def overlap(targets: Sequence[str], layer: Sequence[str]) -> dict[str, Any]:
    """How many of a strategy's targets belong to the middle layer.

    Examples
    --------
    >>> overlap(["a", "b", "c"], ["b", "c", "d", "e"])
    {'targets': 3, 'in_middle_layer': 2, 'share': 0.6667, 'actors': ['b', 'c']}
    """
    members = set(layer)
    shared = [t for t in targets if t in members]
    share = round(len(shared) / len(targets), 4) if targets else 0.0
    return {
        "targets": len(targets),
        "in_middle_layer": len(shared),
        "share": share,
        "actors": shared,
    }


def agreement(structural: Sequence[str], declared: Sequence[str]) -> dict[str, Any]:
    """How well a structural middle layer recovers a declared one (precision and recall).

    Examples
    --------
    >>> agreement(["a", "b", "x"], ["a", "b", "c", "d"])
    {'structural': 3, 'declared': 4, 'both': 2, 'precision': 0.6667, 'recall': 0.5}
    """
    both = len(set(structural) & set(declared))
    return {
        "structural": len(structural),
        "declared": len(declared),
        "both": both,
        "precision": round(both / len(structural), 4) if structural else 0.0,
        "recall": round(both / len(declared), 4) if declared else 0.0,
    }
