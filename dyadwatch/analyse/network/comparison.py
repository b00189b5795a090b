"""The essay's comparison on one network: a sweep of the middle layer against high-value targeting.

Each run ``r`` (of ``runs``):

1. **Perturb the observed network.** Every tie is kept with probability ``tie_keep`` (default
   0.9). Covert-network data are incomplete (wiretaps and surveillance see part of the
   contacts), so a conclusion worth reporting must survive losing a tenth of the ties; this
   is what the intervals measure for the strategies that are otherwise deterministic.
2. **Fix the middle layer** on that network (:func:`~.layers.middle_layer`) and the cost of
   arresting each actor (:func:`~.budgets.costs`).
3. **Remove actors** under each strategy and budget (:mod:`.budgets`):

   ``sweep``            the middle layer's top brokers (betweenness), all at once;
   ``hvt-betweenness``  the top broker, then recompute, and so on (a campaign of arrests);
   ``hvt-rank``         the most senior declared rank first (only where ranks are declared);
   ``random``           a random order of all actors (the structural baseline: no verdict
                        uses it, and it is not put through recovery).

   Removal is complete before anyone reorganises: both strategies get the same time to
   recover afterwards. A strategy that runs out of targets before its budget is spent (CAVIAR
   declares two leaders) is marked ``short``; its comparisons are reported but not judged.
4. **Measure** (all relative to the run's intact network): the largest component and global
   efficiency (structure); *successor groups* — fragments of at least ``min_group_size``
   actors that keep a member of the leadership or the middle layer, someone able to run them
   (the fragmentation the essay ties to violence); *product flow* — supplier-to-distributor
   routes, only where the data declares those roles.
5. **Let the survivors reorganise** under each recovery model for ``recovery_rounds`` rounds
   (:class:`~.recovery.Reorganisation`, each lost tie replaced with probability
   ``recovery_rate`` per round) and record efficiency afterwards and the rounds until half
   of the efficiency lost was regained (``recovery_rounds + 1``: not within the rounds).

Strategies in one run share the perturbed network and the random streams, so differences
are paired (:mod:`.stats`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import igraph
import numpy as np

from dyadwatch.errors import UsageError

from .budgets import DEFAULT_COST_SLOPE, DEFAULT_SHARES, Budget, budgets, costs, layer_count, within
from .graph import RANK_COLUMN
from .layers import DEFAULT_CORE_SHARE, MiddleLayer, middle_layer
from .outcomes import flow_capacity
from .recovery import RecoveryModel, Reorganisation
from .strategies import top

RECOVERY_KEYS: dict[RecoveryModel, str] = {"second-neighbour": "sn", "preferential": "pa"}
"""Short names of the recovery models in outcome columns (``efficiency_sn``, ``rounds_pa``)."""

SWEEP = "sweep"
HVT = ("hvt-betweenness", "hvt-rank")
RANDOM = "random"


@dataclass(frozen=True, slots=True)
class ClaimParams:
    """Parameters of the essay comparison (defaults documented in the module docstring).

    Examples
    --------
    >>> ClaimParams(runs=5).runs
    5
    """

    runs: int = 20
    seed: int = 0
    shares: tuple[float, ...] = DEFAULT_SHARES
    tie_keep: float = 0.9
    cost_slope: float = DEFAULT_COST_SLOPE
    recovery_models: tuple[RecoveryModel, ...] = ("second-neighbour", "preferential")
    recovery_rate: float = 0.25
    recovery_rounds: int = 10
    min_group_size: int = 4
    core_share: float = DEFAULT_CORE_SHARE

    def __post_init__(self) -> None:
        if self.runs < 2:
            raise UsageError(f"runs must be at least 2 for an interval; got {self.runs}.")
        if not 0.0 < self.tie_keep <= 1.0:
            raise UsageError(f"tie_keep {self.tie_keep} must lie in (0, 1].")
        if self.recovery_rounds < 1:
            raise UsageError(f"recovery rounds must be at least 1; got {self.recovery_rounds}.")
        for model in self.recovery_models:
            if model not in RECOVERY_KEYS:
                raise UsageError(
                    f"recovery model {model!r}: choose from {', '.join(RECOVERY_KEYS)}."
                )


def stream(seed: int, *parts: object) -> np.random.Generator:
    """An independent random stream for ``(seed, parts…)`` (stable across Python runs)."""
    key = zlib.crc32("|".join(str(p) for p in parts).encode())
    return np.random.default_rng(np.random.SeedSequence([seed, key]))


def strategies_for(graph: igraph.Graph) -> list[str]:
    """The strategies the comparison runs on ``graph`` (``hvt-rank`` only with declared ranks).

    Examples
    --------
    >>> strategies_for(igraph.Graph(3))
    ['sweep', 'hvt-betweenness', 'random']
    """
    ranked = (
        RANK_COLUMN in graph.vs.attributes()
        and not np.isnan(np.asarray(graph.vs[RANK_COLUMN], dtype=float)).all()
    )
    return [SWEEP, "hvt-betweenness", *(["hvt-rank"] if ranked else []), RANDOM]


def run_network(
    graph: igraph.Graph,
    name: str,
    params: ClaimParams,
    progress: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Every run's outcomes on one network: one row per (run, budget, strategy).

    Examples
    --------
    >>> g = igraph.Graph.Famous("Zachary"); g.vs["name"] = [str(i) for i in range(34)]
    >>> rows = run_network(g, "karate", ClaimParams(runs=2, shares=(0.5,)))
    >>> sorted({r["strategy"] for r in rows}), len(rows)
    (['hvt-betweenness', 'random', 'sweep'], 12)
    """
    rows: list[dict[str, Any]] = []
    for run in range(params.runs):
        rows.extend(_one_run(graph, name, params, run))
        if progress is not None:
            progress()
    return rows


def perturb(graph: igraph.Graph, keep: float, rng: np.random.Generator) -> igraph.Graph:
    """A copy of ``graph`` keeping each tie with probability ``keep`` (every actor stays).

    Examples
    --------
    >>> perturb(igraph.Graph.Full(5), 1.0, np.random.default_rng(0)).ecount()
    10
    """
    out = graph.copy()
    if keep < 1.0:
        drop = np.flatnonzero(rng.random(out.ecount()) >= keep)
        out.delete_edges(drop.tolist())
    return out


@dataclass(frozen=True, slots=True)
class _Run:
    """One perturbed network with its layer, costs and intact reference values."""

    graph: igraph.Graph
    layer: MiddleLayer
    cost: np.ndarray
    harmonic: float
    flow: float | None
    params: ClaimParams
    name: str
    run: int


def _one_run(graph: igraph.Graph, name: str, params: ClaimParams, run: int) -> list[dict[str, Any]]:
    g = perturb(graph, params.tie_keep, stream(params.seed, "ties", name, run))
    b = np.round(np.asarray(g.betweenness(directed=False), dtype=float), 9)
    layer = middle_layer(g, core_share=params.core_share, betweenness=b)
    ctx = _Run(
        g, layer, costs(g, params.cost_slope), _harmonic(g), flow_capacity(g), params, name, run
    )
    sweep_order = top(np.where(layer.middle, b, np.nan), layer.size, np.arange(g.vcount()))
    limits = {
        s: float(ctx.cost[sweep_order[: layer_count(s, layer.size)]].sum()) for s in params.shares
    }
    need = layer_count(max(params.shares), layer.size)
    orders = {
        SWEEP: [int(v) for v in sweep_order],
        "hvt-betweenness": campaign(g, ctx.cost, need, max(limits.values(), default=0.0)),
        RANDOM: [int(v) for v in stream(params.seed, RANDOM, name, run).permutation(g.vcount())],
    }
    if "hvt-rank" in strategies_for(g):
        rank = np.asarray(g.vs[RANK_COLUMN], dtype=float)
        orders["hvt-rank"] = [
            int(v) for v in top(rank, int((~np.isnan(rank)).sum()), np.arange(g.vcount()))
        ]
    rows = []
    for budget in budgets(params.shares):
        for strategy in strategies_for(g):
            order = orders[strategy]
            if budget.kind == "count":
                targets = order[: layer_count(budget.share, layer.size)]
                short = len(targets) < layer_count(budget.share, layer.size)
            else:
                targets = within(order, ctx.cost, limits[budget.share])
                short = (
                    len(targets) == len(order) and ctx.cost[targets].sum() < limits[budget.share]
                )
            row = _outcomes(ctx, strategy, budget, targets)
            row["short"] = bool(short)
            rows.append(row)
    return rows


def campaign(graph: igraph.Graph, cost: np.ndarray, count: int, limit: float) -> list[int]:
    """High-value targeting: the top broker, recompute, the next … (vertex indices, in order).

    Runs until at least ``count`` actors are taken and their cost exceeds ``limit`` (so the
    order covers both the largest count budget and the largest cost budget), or no one is left.

    Examples
    --------
    >>> campaign(igraph.Graph.Star(5), np.ones(5), 2, 0.0)
    [0, 1]
    """
    h = graph.copy()
    oids = np.arange(graph.vcount())
    order: list[int] = []
    spent = 0.0
    while h.vcount() and (len(order) < count or spent <= limit):
        b = np.round(np.asarray(h.betweenness(directed=False), dtype=float), 9)
        v = int(top(b, 1, oids)[0])
        order.append(int(oids[v]))
        spent += float(cost[oids[v]])
        h.delete_vertices([v])
        oids = np.delete(oids, v)
    return order


def _harmonic(graph: igraph.Graph) -> float:
    if graph.vcount() < 2 or graph.ecount() == 0:
        return 0.0
    return float(np.sum(graph.harmonic_centrality(normalized=False)))


def _outcomes(ctx: _Run, strategy: str, budget: Budget, targets: Sequence[int]) -> dict[str, Any]:
    g, n = ctx.graph, ctx.graph.vcount()
    h = g.copy()
    h.delete_vertices(list(targets))
    alive = np.delete(np.arange(n), list(targets))
    efficiency = _harmonic(h) / ctx.harmonic if ctx.harmonic else float("nan")
    components = h.connected_components()
    capable = (ctx.layer.core | ctx.layer.middle)[alive]
    led = {m for v, m in enumerate(components.membership) if capable[v]}
    sizes = components.sizes()
    flow = flow_capacity(h)
    row: dict[str, Any] = {
        "network": ctx.name,
        "run": ctx.run,
        "budget": budget.label,
        "budget_kind": budget.kind,
        "share": budget.share,
        "strategy": strategy,
        "removed": len(targets),
        "cost": float(ctx.cost[list(targets)].sum()),
        "in_layer": float(ctx.layer.middle[list(targets)].mean()) if len(targets) else float("nan"),
        "lcc_share": (max(sizes) if sizes else 0) / n,
        "efficiency_share": efficiency,
        "successor_groups": sum(1 for m in led if sizes[m] >= ctx.params.min_group_size),
        "flow_share": (flow / ctx.flow) if flow is not None and ctx.flow else None,
    }
    gone = set(targets)
    where = np.full(n, -1)
    where[alive] = np.arange(alive.size)
    orphans = [[int(where[u]) for u in g.neighbors(v) if u not in gone] for v in targets]
    for model, key in RECOVERY_KEYS.items():
        if model in ctx.params.recovery_models and strategy != RANDOM:
            rng = stream(
                ctx.params.seed, "recovery", model, ctx.name, ctx.run, strategy, budget.label
            )
            after, rounds = _recover(ctx, h.copy(), orphans, model, efficiency, rng)
            row[f"efficiency_{key}"] = after
            row[f"rounds_{key}"] = rounds
    return row


def _recover(
    ctx: _Run,
    h: igraph.Graph,
    orphans: list[list[int]],
    model: RecoveryModel,
    efficiency: float,
    rng: np.random.Generator,
) -> tuple[float, int]:
    """Efficiency after the recovery rounds, and the rounds until half the loss was regained.

    Ties are only added, so efficiency never falls from one round to the next: the first round
    that reaches the target is found by bisection over the rounds' ties.
    """
    p = ctx.params
    if efficiency >= 1.0 - 1e-9 or not ctx.harmonic:
        return efficiency, 0
    target = efficiency + 0.5 * (1.0 - efficiency)
    start = h.ecount()
    process = Reorganisation(h, orphans, model, rate=p.recovery_rate)
    ends = [start + 0]
    for _ in range(p.recovery_rounds):
        ends.append(ends[-1] + process.round(rng))
    final = _harmonic(h) / ctx.harmonic if ends[-1] > start else efficiency
    if final < target - 1e-12:
        return final, p.recovery_rounds + 1
    lo, hi = 1, p.recovery_rounds  # the first round reaching the target lies in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        partial = h.copy()
        partial.delete_edges(range(ends[mid], ends[-1]))
        if _harmonic(partial) / ctx.harmonic >= target - 1e-12:
            hi = mid
        else:
            lo = mid + 1
    return final, lo
