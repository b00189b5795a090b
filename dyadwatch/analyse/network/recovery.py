"""Recovery: how the actors still at large rewire after a removal step.

Criminal networks recover after arrests (Duijn, Kashirin & Sloot 2014, Sci Rep 4:4238, model
recovery by letting the contacts of removed actors find replacements). Two simple models:

``second-neighbour``
    Each surviving former contact ``u`` of a removed actor ``v`` (with probability ``rate``)
    ties to another surviving former contact of ``v`` chosen at random — ``u`` reaches past
    the lost broker to a second neighbour it knew through him.
``preferential``
    Each surviving former contact ``u`` (with probability ``rate``) ties to an actor chosen
    with probability proportional to degree (preferential attachment: the orphan seeks a
    well-connected player), excluding itself and its current contacts.

``none`` leaves the network as the arrests left it. New ties never duplicate existing ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import igraph
import numpy as np

from dyadwatch.errors import UsageError, did_you_mean

RecoveryModel = Literal["none", "second-neighbour", "preferential"]
RECOVERY_MODELS: tuple[str, ...] = ("none", "second-neighbour", "preferential")


def check_model(name: str) -> RecoveryModel:
    """Validate a recovery model name (``second-neighbor`` is accepted too).

    Examples
    --------
    >>> check_model("second-neighbor")
    'second-neighbour'
    """
    key = name.strip().lower().replace("neighbor", "neighbour").replace("_", "-")
    if key not in RECOVERY_MODELS:
        raise UsageError(
            f"Unknown recovery model {name!r}.{did_you_mean(key, RECOVERY_MODELS)} "
            f"Models: {', '.join(RECOVERY_MODELS)}."
        )
    return key  # type: ignore[return-value]


def rewire(
    graph: igraph.Graph,
    orphans: Sequence[Sequence[int]],
    model: RecoveryModel,
    *,
    rate: float,
    rng: np.random.Generator,
) -> int:
    """Add recovery ties to ``graph`` in place; return how many were added.

    Parameters
    ----------
    graph
        The network after the removal step.
    orphans
        For each removed actor, the current indices of its surviving former contacts.
    model
        ``none``, ``second-neighbour`` or ``preferential``.
    rate
        Probability that an orphaned contact rewires (0–1).
    rng
        Random generator.

    Examples
    --------
    >>> g = igraph.Graph(n=2)  # a and c lost their common contact b
    >>> rewire(g, [[0, 1]], "second-neighbour", rate=1.0, rng=np.random.default_rng(0))
    1
    >>> g.get_edgelist()
    [(0, 1)]
    """
    if model == "none" or graph.vcount() < 2:
        return 0
    if not 0.0 <= rate <= 1.0:
        raise UsageError(f"recovery rate {rate} must lie between 0 and 1.")
    new: set[tuple[int, int]] = set()
    neighbours: dict[int, set[int]] = {}

    def adjacent(u: int, w: int) -> bool:
        if u not in neighbours:
            neighbours[u] = set(graph.neighbors(u))
        key = (u, w) if u < w else (w, u)
        return w in neighbours[u] or key in new

    if model == "second-neighbour":
        for group in orphans:
            if len(group) < 2:
                continue
            members = np.asarray(group)
            for u in members:
                if rng.random() >= rate:
                    continue
                others = members[members != u]
                w = int(others[rng.integers(others.size)])
                if not adjacent(int(u), w):
                    new.add((int(u), w) if u < w else (w, int(u)))
    else:
        movers = [int(u) for group in orphans for u in group if rng.random() < rate]
        if movers:
            degree = np.asarray(graph.degree(), dtype=float)
            total = degree.sum()
            p = degree / total if total > 0 else None
            n = graph.vcount()
            tries = 8  # a few draws per mover to find an actor it is not tied to yet
            draws = rng.choice(n, size=(len(movers), tries), p=p)
            for u, row in zip(movers, draws, strict=True):
                for w in row.tolist():
                    if w != u and not adjacent(u, w):
                        new.add((u, w) if u < w else (w, u))
                        break
    if new:
        edges = sorted(new)
        graph.add_edges(edges, attributes={"weight": [1.0] * len(edges)})
    return len(new)


class Reorganisation:
    """Recovery as a process in rounds, after an operation is over.

    Each surviving former contact of a removed actor ("orphan") has lost one tie per removed
    contact and tries to replace each, one per round, with probability ``rate``: under
    ``second-neighbour`` by tying to another surviving former contact of the same removed
    actor, under ``preferential`` by tying to an actor chosen with probability proportional
    to degree (up to eight draws to find one it is not tied to yet, else it tries again the
    next round). Under ``second-neighbour`` an orphan with no candidate left stops trying.
    New ties never duplicate existing ones. Used by the essay comparison
    (:mod:`.comparison`) to time recovery.

    Examples
    --------
    >>> g = igraph.Graph(n=3)  # b was removed; a, c and d were its contacts
    >>> process = Reorganisation(g, [[0, 1, 2]], "second-neighbour", rate=1.0)
    >>> rng = np.random.default_rng(0)
    >>> process.round(rng), process.round(rng), g.ecount()  # each replaced its one lost tie
    (3, 0, 3)
    """

    def __init__(
        self,
        graph: igraph.Graph,
        orphans: Sequence[Sequence[int]],
        model: RecoveryModel,
        *,
        rate: float,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise UsageError(f"recovery rate {rate} must lie between 0 and 1.")
        self.graph = graph
        self.model = model
        self.rate = rate
        self.pending: dict[int, int] = {}
        self.reach: dict[int, set[int]] = {}
        for group in orphans:
            for u in group:
                self.pending[u] = self.pending.get(u, 0) + 1
                self.reach.setdefault(u, set()).update(group)
        self.order = sorted(self.pending)
        self._adjacent: dict[int, set[int]] = {}
        # every tie's two ends: a uniform draw from this list picks an actor with probability
        # proportional to its degree (preferential attachment)
        self.ends = (
            [v for pair in graph.get_edgelist() for v in pair] if model == "preferential" else []
        )

    def adjacent(self, v: int) -> set[int]:
        """Current contacts of ``v`` (read from the graph once, then kept up to date)."""
        if v not in self._adjacent:
            self._adjacent[v] = set(self.graph.neighbors(v))
        return self._adjacent[v]

    def round(self, rng: np.random.Generator) -> int:
        """One round of rewiring; returns the number of ties added."""
        if self.model == "none" or not self.order:
            return 0
        added: list[tuple[int, int]] = []
        draws = rng.random(len(self.order)).tolist()
        for u, draw in zip(self.order, draws, strict=True):
            if self.pending[u] <= 0 or draw >= self.rate:
                continue
            w = self._candidate(u, rng)
            if w is None:
                if self.model == "second-neighbour":
                    self.pending[u] = 0
                continue
            added.append((u, w))
            self.adjacent(u).add(w)
            self.adjacent(w).add(u)
            self.ends.extend((u, w))
            self.pending[u] -= 1
        if added:
            self.graph.add_edges(added, attributes={"weight": [1.0] * len(added)})
        return len(added)

    def _candidate(self, u: int, rng: np.random.Generator) -> int | None:
        taken = self.adjacent(u)
        if self.model == "second-neighbour":
            options = sorted(self.reach[u] - taken - {u})
            return options[int(rng.random() * len(options))] if options else None
        if not self.ends:
            return None
        for _ in range(8):  # a few draws to find an actor u is not tied to yet
            w = self.ends[int(rng.random() * len(self.ends))]
            if w != u and w not in taken:
                return w
        return None
