"""Run targeting strategies on a network, with optional recovery, and collect the outcomes.

:func:`simulate` is the one entry point the CLI calls. For every strategy and run it copies the
network, removes actors step by step (:mod:`.strategies`), lets survivors rewire
(:mod:`.recovery`), and records the outcome measures (:mod:`.outcomes`) after each removal and
after each recovery. Randomness (random targeting, recovery, sampled estimates on very large
graphs) comes from one seed: each (strategy, run) gets its own stream derived from
``(seed, strategy name, run)``, so adding a strategy does not change the others' results.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import igraph
import numpy as np
import polars as pl
import pyarrow as pa

from dyadwatch.errors import AnalysisError, UsageError

from .graph import Network
from .outcomes import DEFAULT_SAMPLES, EXACT_LIMIT, OUTCOMES, Baseline, Estimation, measure
from .recovery import RecoveryModel, check_model, rewire
from .report import comparison_table, curves, plot
from .strategies import (
    DEFAULT_BAND,
    DEFAULT_STRATEGIES,
    Strategy,
    check_targets,
    next_targets,
    parse_strategy,
)

log = logging.getLogger(__name__)

STEP_SCHEMA = pa.schema(
    [
        ("network", pa.string()),
        ("strategy", pa.string()),
        ("run", pa.int32()),
        ("step", pa.int32()),
        ("stage", pa.string()),
        ("removed", pa.int64()),
        ("share_removed", pa.float64()),
        ("targets", pa.list_(pa.string())),
        ("edges_added", pa.int64()),
        ("nodes", pa.int64()),
        ("edges", pa.int64()),
        ("lcc_size", pa.int64()),
        ("lcc_share", pa.float64()),
        ("components", pa.int64()),
        ("successor_groups", pa.int64()),
        ("efficiency", pa.float64()),
        ("efficiency_share", pa.float64()),
        ("brokerage_share", pa.float64()),
    ]
)
"""One row per (strategy, run, step, stage). Stage ``removal`` is the network right after the
step's arrests; ``recovery`` is the same step after survivors rewired (only with a recovery
model). Step 0 is the intact network."""


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes
    ----------
    steps
        Every step of every run (:data:`STEP_SCHEMA`).
    summary
        The comparison table: one row per strategy and stage with the outcomes after the
        whole budget, as mean and 95% interval over runs (``*_lo``/``*_hi``).
    network
        Name, size and layers of the network analysed.
    params
        The parameters used (budget, seed, recovery …), for the record.
    """

    steps: pa.Table
    summary: pa.Table
    network: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)

    def curves(self) -> pa.Table:
        """Mean (and 95% interval) of each outcome per strategy, stage and step."""
        return curves(self.steps)

    def to_polars(self, table: str = "summary") -> Any:
        """``summary``, ``steps`` or ``curves`` as a polars DataFrame."""
        return pl.from_arrow(self._table(table))

    def to_pandas(self, table: str = "summary") -> Any:
        """``summary``, ``steps`` or ``curves`` as a pandas DataFrame (needs pandas)."""
        return self._table(table).to_pandas()

    def plot(self, path: str | Path, outcomes: Sequence[str] = OUTCOMES) -> Path:
        """Write the chart of outcomes vs. share removed, one line per strategy (PNG/SVG/PDF)."""
        name = self.network.get("name", "network")
        title = f"{name}: targeting strategies (recovery: {self.params.get('recovery', 'none')})"
        return plot(self.steps, path, title=title, outcomes=outcomes)

    def _table(self, name: str) -> pa.Table:
        if name == "summary":
            return self.summary
        if name == "steps":
            return self.steps
        if name == "curves":
            return self.curves()
        raise UsageError(f"no table {name!r}; choose summary, steps or curves.")


def resolve_budget(budget: int | float, n: int) -> int:
    """An actor count from a count (``10``) or a share of the network (``0.1``).

    Examples
    --------
    >>> resolve_budget(0.1, 155), resolve_budget(7, 155)
    (16, 7)
    """
    if isinstance(budget, bool) or budget <= 0:
        raise UsageError(f"budget must be a positive count or a share in (0, 1); got {budget!r}.")
    if isinstance(budget, float) and budget < 1:
        return max(1, round(budget * n))
    if float(budget) != int(budget):
        raise UsageError(f"budget {budget!r}: give a whole number of actors or a share below 1.")
    return min(int(budget), n)


def _stream(seed: int | None, name: str, run: int) -> np.random.Generator:
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode()), run]))


def _graph_of(
    network: Network | igraph.Graph, layers: Sequence[str] | None, isolates: bool
) -> tuple[igraph.Graph, str]:
    if isinstance(network, Network):
        return network.to_igraph(layers, isolates=isolates), network.name
    graph = network.as_undirected() if network.is_directed() else network.copy()
    graph.simplify(combine_edges="sum" if "weight" in graph.es.attributes() else None)
    if "name" not in graph.vs.attributes():
        graph.vs["name"] = [str(i) for i in range(graph.vcount())]
    return graph, "graph"


@dataclass(frozen=True, slots=True)
class _Context:
    """What every run of one simulation shares."""

    base: igraph.Graph
    baseline: Baseline
    network_name: str
    step_size: int
    model: RecoveryModel
    rate: float
    min_group_size: int
    estimation: Estimation


def simulate(
    network: Network | igraph.Graph,
    strategies: Sequence[str | Strategy] = DEFAULT_STRATEGIES,
    *,
    budget: int | float = 0.1,
    recovery: str = "none",
    runs: int = 20,
    seed: int | None = 0,
    layers: Sequence[str] | None = None,
    band: tuple[float, float] = DEFAULT_BAND,
    targets: Sequence[str] = (),
    step_size: int = 1,
    recovery_rate: float = 1.0,
    min_group_size: int = 4,
    isolates: bool = False,
    exact_limit: int = EXACT_LIMIT,
    samples: int = DEFAULT_SAMPLES,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Compare targeting strategies on a network.

    Parameters
    ----------
    network
        A loaded :class:`Network` (or an igraph graph with ``name`` vertex attributes).
    strategies
        Strategy names (see :mod:`.strategies`) or :class:`Strategy` records.
    budget
        Actors each strategy may remove: a count (``10``) or a share of the analysed network
        (``0.1``). The ``list`` strategy removes exactly its targets.
    recovery, recovery_rate
        ``none``, ``second-neighbour`` or ``preferential`` (:mod:`.recovery`), and the
        probability that an orphaned contact rewires after each step.
    runs, seed
        Repetitions of anything random (deterministic combinations run once) and the seed
        of all randomness (``None``: fresh entropy, not reproducible).
    layers, isolates
        Layers of a multi-layer network (default: its defaults); keep untied actors.
    band, targets
        Percentile band of ``sweep-betweenness``/``sweep-degree``; actors of ``list``.
    step_size
        Actors removed per step by sequential strategies (recomputed after each step).
    min_group_size
        Smallest fragment counted as a candidate successor group.
    exact_limit, samples
        Above ``exact_limit`` actors, betweenness and efficiency are estimated from
        ``samples`` sampled actors.
    progress
        Called with ``(done, total)`` after each strategy run.

    Raises
    ------
    UsageError, AnalysisError
        Bad parameters (strategy, budget, layer, target); fewer than two tied actors.

    Examples
    --------
    >>> net = Network.from_edges([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    >>> res = simulate(net, ["hvt-betweenness"], budget=1)
    >>> res.summary.column("lcc_share").to_pylist()
    [0.4]
    """
    _check_counts(runs, step_size, min_group_size)
    model = check_model(recovery)
    parsed = _parse(strategies, band, targets)
    base, net_name = _graph_of(network, layers, isolates)
    _check_graph(base, net_name, parsed)
    k = resolve_budget(budget, base.vcount())
    estimation = Estimation(exact_limit=exact_limit, samples=samples)
    baseline = Baseline.of(base, estimation, _stream(seed, "baseline", 0))
    ctx = _Context(
        base, baseline, net_name, step_size, model, recovery_rate, min_group_size, estimation
    )
    rows = _run_all(ctx, parsed, budget=k, runs=runs, seed=seed, progress=progress)
    steps = pa.Table.from_pylist(rows, schema=STEP_SCHEMA)
    params = _params(ctx, parsed, k, runs=runs, seed=seed, band=band)
    info = _describe(network, base, net_name, layers, baseline)
    return SimulationResult(steps, comparison_table(steps), info, params)


def _params(
    ctx: _Context,
    strategies: Sequence[Strategy],
    budget: int,
    *,
    runs: int,
    seed: int | None,
    band: tuple[float, float],
) -> dict[str, Any]:
    """The parameters of a simulation, for the record."""
    sampled = not ctx.estimation.is_exact(ctx.base)
    return {
        "strategies": [s.name for s in strategies],
        "budget": budget,
        "budget_share": budget / ctx.base.vcount(),
        "recovery": ctx.model,
        "recovery_rate": ctx.rate,
        "runs": runs,
        "seed": seed,
        "band": list(band),
        "step_size": ctx.step_size,
        "min_group_size": ctx.min_group_size,
        "estimated": sampled,
        "samples": ctx.estimation.samples if sampled else None,
    }


def _check_counts(runs: int, step_size: int, min_group_size: int) -> None:
    if runs < 1:
        raise UsageError(f"runs must be at least 1; got {runs}.")
    if step_size < 1:
        raise UsageError(f"step size must be at least 1; got {step_size}.")
    if min_group_size < 1:
        raise UsageError(f"minimum group size must be at least 1; got {min_group_size}.")


def _parse(
    strategies: Sequence[str | Strategy], band: tuple[float, float], targets: Sequence[str]
) -> list[Strategy]:
    parsed = [
        s if isinstance(s, Strategy) else parse_strategy(s, band=band, targets=targets)
        for s in strategies
    ]
    if not parsed:
        raise UsageError("name at least one strategy.")
    names = [s.name for s in parsed]
    if len(set(names)) != len(names):
        raise UsageError(f"a strategy is named twice: {', '.join(names)}.")
    return parsed


def _check_graph(base: igraph.Graph, name: str, strategies: Sequence[Strategy]) -> None:
    if base.vcount() < 2 or base.ecount() == 0:
        raise AnalysisError(
            f"{name} has {base.vcount()} tied actor(s) in the chosen layers; nothing to disrupt. "
            "Choose other layers (--layer) or check the file."
        )
    for s in strategies:
        check_targets(s, base.vs["name"])


def _describe(
    network: Network | igraph.Graph,
    base: igraph.Graph,
    name: str,
    layers: Sequence[str] | None,
    baseline: Baseline,
) -> dict[str, Any]:
    if layers:
        used = list(layers)
    elif isinstance(network, Network):
        used = list(network.default_layers or network.layers)
    else:
        used = []
    return {
        "name": name,
        "nodes": base.vcount(),
        "edges": base.ecount(),
        "layers": used,
        "efficiency": baseline.efficiency,
    }


def _varies(strategy: Strategy, model: str, sampled: bool) -> bool:
    """Whether repeated runs of ``strategy`` can differ (random choice, recovery, sampling)."""
    uses_betweenness = strategy.measure == "betweenness" or (
        strategy.kind == "sweep" and strategy.measure != "degree"
    )
    return strategy.stochastic or model != "none" or (sampled and uses_betweenness)


def _run_all(
    ctx: _Context,
    strategies: Sequence[Strategy],
    *,
    budget: int,
    runs: int,
    seed: int | None,
    progress: Callable[[int, int], None] | None,
) -> list[dict[str, Any]]:
    # Deterministic combinations run once: no random targeting, no recovery, and no sampled
    # betweenness (the efficiency sample is fixed at the baseline, so it adds no noise).
    sampled = not ctx.estimation.is_exact(ctx.base)
    plan = [(s, runs if _varies(s, ctx.model, sampled) else 1) for s in strategies]
    total = sum(r for _, r in plan)
    rows: list[dict[str, Any]] = []
    done = 0
    for strategy, n_runs in plan:
        cap = len(strategy.targets) if strategy.kind == "list" else budget
        for run in range(n_runs):
            rng = _stream(seed, strategy.name, run)
            rows.extend(_run(ctx, strategy, run=run, budget=cap, rng=rng))
            done += 1
            if progress is not None:
                progress(done, total)
    return rows


def _run(
    ctx: _Context, strategy: Strategy, *, run: int, budget: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    graph = ctx.base.copy()
    n0 = ctx.base.vcount()
    oids = np.arange(n0)
    rows: list[dict[str, Any]] = []

    def record(step: int, stage: str, removed: int, targets: list[str], added: int) -> None:
        outcome = measure(
            graph,
            ctx.baseline,
            oids,
            min_group_size=ctx.min_group_size,
            estimation=ctx.estimation,
        )
        rows.append(
            {
                "network": ctx.network_name,
                "strategy": strategy.name,
                "run": run,
                "step": step,
                "stage": stage,
                "removed": removed,
                "share_removed": removed / n0,
                "targets": targets,
                "edges_added": added,
                **outcome,
            }
        )

    record(0, "removal", 0, [], 0)
    removed = 0
    step = 0
    while removed < budget:
        step += 1
        idx = next_targets(
            strategy,
            graph,
            step=step,
            remaining=budget - removed,
            step_size=ctx.step_size,
            order=oids,
            estimation=ctx.estimation,
            rng=rng,
        )
        if idx.size == 0:
            break
        idx_list = [int(i) for i in idx]
        gone = set(idx_list)
        orphan_oids = [
            [int(oids[u]) for u in graph.neighbors(v) if u not in gone] for v in idx_list
        ]
        names = [graph.vs[v]["name"] for v in idx_list]
        graph.delete_vertices(idx_list)
        oids = np.delete(oids, idx_list)
        removed += len(idx_list)
        record(step, "removal", removed, names, 0)
        if ctx.model != "none":
            where = np.full(n0, -1)
            where[oids] = np.arange(oids.size)
            orphans = [[int(where[o]) for o in group] for group in orphan_oids]
            added = rewire(graph, orphans, ctx.model, rate=ctx.rate, rng=rng)
            record(step, "recovery", removed, [], added)
    log.debug("%s run %d: %d actors removed in %d steps", strategy.name, run, removed, step)
    return rows
