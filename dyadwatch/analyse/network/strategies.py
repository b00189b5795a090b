"""Targeting strategies: which actors law enforcement removes, and in what order.

A :class:`Strategy` is a small frozen record; :func:`parse_strategy` reads the names the CLI
uses. Each step of a simulation asks :func:`next_targets` for the actors to remove next, on
the network as it stands then (after earlier removals and any recovery).

======================  =============================================================
name                    what it removes
======================  =============================================================
``hvt-degree``          the most connected actor, then recompute, … (``step_size`` at a time)
``hvt-betweenness``     the top broker (betweenness), then recompute, …
``hvt-rank``            the most senior declared rank (boss before underboss …)
``hvt-*-once``          the top ``budget`` actors of the intact network, all at once
``sweep``               the middle layer (:mod:`.layers`: declared where the data has roles,
                        else structural), all at once, its top brokers first if the budget
                        is smaller than the layer
``sweep-rank``          the declared middle layer only (layers or ranks; an error without)
``sweep-structural``    the structural middle layer, even where roles are declared
``sweep-betweenness``   a percentile band of betweenness (default 0.5–0.9), all at once;
                        ``sweep-degree`` the same band on degree. A band is not a layer: it
                        can hold the leaders, so the essay comparison never uses it
``random``              uniformly random actors, ``step_size`` at a time (the baseline)
``list``                the user's ``targets``, in order (``list-once``: all at once)
======================  =============================================================

Ties in a measure are broken by the order actors appear in the input, so a run is
reproducible. Percentiles are mid-rank percentiles: ``(#lower + #equal/2) / #ranked``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import igraph
import numpy as np

from dyadwatch.errors import UsageError, did_you_mean

from .layers import declared_tiers, middle_layer, relays, structural_core
from .outcomes import Estimation, betweenness

log = logging.getLogger(__name__)

Kind = Literal["hvt", "sweep", "random", "list"]
Measure = Literal["degree", "betweenness", "rank", "layer", "structural"]
Mode = Literal["sequential", "simultaneous"]

DEFAULT_BAND: tuple[float, float] = (0.5, 0.9)
"""Middle layer: above the median, below the top decile of the measure."""

STRATEGY_NAMES: tuple[str, ...] = (
    "hvt-degree",
    "hvt-betweenness",
    "hvt-rank",
    "hvt-degree-once",
    "hvt-betweenness-once",
    "hvt-rank-once",
    "sweep",
    "sweep-betweenness",
    "sweep-degree",
    "sweep-rank",
    "sweep-structural",
    "random",
    "random-once",
    "list",
    "list-once",
)
DEFAULT_STRATEGIES: tuple[str, ...] = ("hvt-degree", "hvt-betweenness", "sweep", "random")


@dataclass(frozen=True, slots=True)
class Strategy:
    """One targeting strategy.

    Examples
    --------
    >>> Strategy("hvt", "betweenness").name
    'hvt-betweenness'
    >>> Strategy("sweep", "degree", band=(0.4, 0.8)).mode
    'simultaneous'
    >>> Strategy("sweep").name
    'sweep'
    """

    kind: Kind
    measure: Measure | None = None
    mode: Mode | None = None
    band: tuple[float, float] = DEFAULT_BAND
    targets: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.mode is None:
            default: Mode = "simultaneous" if self.kind == "sweep" else "sequential"
            object.__setattr__(self, "mode", default)
        if self.kind in ("hvt", "sweep") and self.measure is None:
            object.__setattr__(self, "measure", "betweenness" if self.kind == "hvt" else "layer")
        if self.kind == "hvt" and self.measure in ("layer", "structural"):
            raise UsageError(f"hvt targets by degree, betweenness or rank, not {self.measure}.")
        lo, hi = self.band
        if not (0.0 <= lo <= hi <= 1.0):
            raise UsageError(f"band {lo},{hi} must satisfy 0 <= low <= high <= 1 (percentiles).")
        if self.kind == "list" and not self.targets:
            raise UsageError("the 'list' strategy needs targets (--targets A,B,C).")

    @property
    def name(self) -> str:
        if self.kind == "hvt":
            base = f"hvt-{self.measure}"
        elif self.kind == "sweep":
            base = "sweep" if self.measure == "layer" else f"sweep-{self.measure}"
        else:
            base = self.kind
        if self.kind != "sweep" and self.mode == "simultaneous":
            base += "-once"
        return base

    @property
    def stochastic(self) -> bool:
        """Whether repeated runs can differ (random choice, not counting sampled estimates)."""
        return self.kind == "random"


def parse_strategy(
    text: str,
    *,
    band: tuple[float, float] = DEFAULT_BAND,
    targets: Sequence[str] = (),
) -> Strategy:
    """Read a strategy name such as ``hvt-betweenness``, ``sweep-degree`` or ``random``.

    Raises
    ------
    UsageError
        An unknown name (with a did-you-mean).

    Examples
    --------
    >>> parse_strategy("hvt-degree-once").mode
    'simultaneous'
    >>> parse_strategy("sweep").measure, parse_strategy("sweep-betweenness").measure
    ('layer', 'betweenness')
    """
    name = text.strip().lower()
    if name not in STRATEGY_NAMES:
        raise UsageError(
            f"Unknown strategy {text!r}.{did_you_mean(name, STRATEGY_NAMES)} "
            f"Strategies: {', '.join(STRATEGY_NAMES)}."
        )
    once = name.endswith("-once")
    core = name.removesuffix("-once")
    mode: Mode = "simultaneous" if once else "sequential"
    if core.startswith("hvt-"):
        return Strategy("hvt", core[4:], mode)  # type: ignore[arg-type]
    if core.startswith("sweep"):
        measure = core[6:] or "layer"
        return Strategy("sweep", measure, "simultaneous", band=band)  # type: ignore[arg-type]
    if core == "random":
        return Strategy("random", None, mode)
    return Strategy("list", None, mode, targets=tuple(targets))


def scores(
    graph: igraph.Graph, measure: Measure, estimation: Estimation, rng: np.random.Generator
) -> np.ndarray:
    """The measure for every current actor (NaN where an actor has no declared rank)."""
    if measure == "degree":
        return np.asarray(graph.degree(), dtype=float)
    if measure == "betweenness":
        return betweenness(graph, estimation, rng)
    if "rank" not in graph.vs.attributes():
        raise UsageError(
            "rank-based strategies need a declared rank: load a dataset that has one "
            "(Montagna titles) or pass --rank-attribute (and --rank-order)."
        )
    return np.asarray(graph.vs["rank"], dtype=float)


def percentiles(values: np.ndarray) -> np.ndarray:
    """Mid-rank percentile of each value among the non-NaN values (NaN stays NaN).

    Examples
    --------
    >>> percentiles(np.array([0.0, 3.0, 4.0, 3.0, 0.0])).tolist()
    [0.2, 0.6, 0.9, 0.6, 0.2]
    """
    out = np.full(values.shape, math.nan)
    ok = ~np.isnan(values)
    v = values[ok]
    if v.size == 0:
        return out
    ordered = np.sort(v)
    lower = np.searchsorted(ordered, v, side="left")
    upper = np.searchsorted(ordered, v, side="right")
    out[ok] = (lower + (upper - lower) / 2.0) / v.size
    return out


def top(values: np.ndarray, k: int, order: np.ndarray) -> np.ndarray:
    """Indices of the ``k`` largest non-NaN values; ties by ``order`` (input position)."""
    ok = np.flatnonzero(~np.isnan(values))
    if ok.size == 0 or k <= 0:
        return np.zeros(0, dtype=int)
    keys = np.lexsort((order[ok], -values[ok]))
    return ok[keys[:k]]


def next_targets(
    strategy: Strategy,
    graph: igraph.Graph,
    *,
    step: int,
    remaining: int,
    step_size: int,
    order: np.ndarray,
    estimation: Estimation,
    rng: np.random.Generator,
) -> np.ndarray:
    """Current vertex indices to remove at ``step`` (1-based); empty when the strategy is done.

    Parameters
    ----------
    strategy
        What to remove.
    graph
        The network as it stands.
    step
        1 for the first removal.
    remaining
        Budget left (actors).
    step_size
        Actors removed per step by sequential strategies.
    order
        Input position of each current vertex (for tie-breaking).
    estimation, rng
        For sampled betweenness and random choice.

    Examples
    --------
    >>> g = igraph.Graph.Ring(5, circular=False)
    >>> next_targets(Strategy("hvt", "betweenness"), g, step=1, remaining=2, step_size=1,
    ...              order=np.arange(5), estimation=Estimation(),
    ...              rng=np.random.default_rng(0)).tolist()
    [2]
    """
    n = graph.vcount()
    if n == 0 or remaining <= 0:
        return np.zeros(0, dtype=int)
    once = strategy.mode == "simultaneous"
    if once and step > 1:
        return np.zeros(0, dtype=int)
    k = remaining if once else min(step_size, remaining)
    if strategy.kind == "random":
        return rng.choice(n, size=min(k, n), replace=False)
    if strategy.kind == "list":
        names = graph.vs["name"]
        index = {name: i for i, name in enumerate(names)}
        wanted = [index[t] for t in strategy.targets if t in index]
        return np.asarray(wanted[:k], dtype=int)
    assert strategy.measure is not None
    if strategy.kind == "sweep" and strategy.measure in ("layer", "rank", "structural"):
        return top(layer_scores(strategy, graph, estimation, rng), k, order)
    values = scores(graph, strategy.measure, estimation, rng)
    if strategy.kind == "hvt":
        return top(values, k, order)
    pct = percentiles(values)
    lo, hi = strategy.band
    in_band = np.where((pct >= lo) & (pct <= hi), values, math.nan)
    if np.isnan(in_band).all():
        log.warning(
            "%s: no actor's %s percentile lies in %.2f-%.2f (ties put whole groups of actors at"
            " one percentile); widen the band or use another measure",
            strategy.name,
            strategy.measure,
            lo,
            hi,
        )
    return top(in_band, k, order)


def layer_scores(
    strategy: Strategy, graph: igraph.Graph, estimation: Estimation, rng: np.random.Generator
) -> np.ndarray:
    """Betweenness of the middle layer's members (NaN for everyone else), for a layer sweep.

    Raises
    ------
    UsageError
        ``sweep-rank`` on a network with no declared layers or ranks.

    Examples
    --------
    >>> g = igraph.Graph([(0, 1), (1, 2), (2, 3)]); g.vs["rank"] = [2.0, 1.0, 1.0, math.nan]
    >>> layer_scores(Strategy("sweep", "rank"), g, Estimation(), np.random.default_rng(0))
    array([nan,  2.,  2., nan])
    """
    b = betweenness(graph, estimation, rng)
    if strategy.measure == "structural":
        members = relays(graph, structural_core(graph), b)
    elif strategy.measure == "rank":
        declared = declared_tiers(graph)
        if declared is None or not declared[1].any():
            raise UsageError(
                "sweep-rank needs a declared middle layer: load a dataset that declares layers "
                "(Montagna, pandillas) or pass --rank-attribute with two or more ranks."
            )
        members = declared[1]
    else:
        members = middle_layer(graph, betweenness=b).middle
    return np.where(members, b, math.nan)


def check_targets(strategy: Strategy, names: Sequence[str]) -> None:
    """Raise :class:`UsageError` if a ``list`` strategy names an actor not in the network."""
    if strategy.kind != "list":
        return
    known = set(names)
    for t in strategy.targets:
        if t not in known:
            raise UsageError(
                f"target {t!r} is not an actor of this network.{did_you_mean(t, names)}"
            )
