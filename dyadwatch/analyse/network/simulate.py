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
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import igraph
import numpy as np
import pyarrow as pa

from dyadwatch.errors import AnalysisError, UsageError

from .graph import Network
from .outcomes import DEFAULT_SAMPLES, EXACT_LIMIT, OUTCOMES, Baseline, Estimation, measure
from .recovery import check_model, rewire
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

# Two-sided 95% Student-t quantiles by degrees of freedom (any statistics table).
_T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
    25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}  # fmt: skip


def t975(df: int) -> float:
    """The 97.5% Student-t quantile (the nearest tabulated df at or below; 1.96 beyond 120)."""
    if df > 120:
        return 1.96
    return _T975[max(k for k in _T975 if k <= df)]


def mean_ci(values: Sequence[float]) -> tuple[float, float | None, float | None]:
    """Mean and 95% t-interval of the mean; no interval for fewer than two values.

    Examples
    --------
    >>> mean_ci([1.0, 3.0])  # mean 2, sd √2, se 1, t(1) = 12.706
    (2.0, -10.706, 14.706)
    """
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return math.nan, None, None
    m = float(np.mean(vals))
    if len(vals) < 2:
        return m, None, None
    half = t975(len(vals) - 1) * float(np.std(vals, ddof=1)) / math.sqrt(len(vals))
    return m, round(m - half, 12), round(m + half, 12)


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
        from .report import curves

        return curves(self.steps)

    def to_polars(self, table: str = "summary") -> Any:
        """``summary``, ``steps`` or ``curves`` as a polars DataFrame."""
        import polars as pl

        return pl.from_arrow(self._table(table))

    def to_pandas(self, table: str = "summary") -> Any:
        """``summary``, ``steps`` or ``curves`` as a pandas DataFrame (needs pandas)."""
        return self._table(table).to_pandas()

    def plot(self, path: str | Path, outcomes: Sequence[str] = OUTCOMES) -> Path:
        """Write the chart of outcomes vs. share removed, one line per strategy (PNG/SVG/PDF)."""
        from .report import plot

        return plot(self, path, outcomes=outcomes)

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
    recovery
        ``none``, ``second-neighbour`` or ``preferential`` (see :mod:`.recovery`).
    runs
        Repetitions for anything random (random targeting, recovery, sampled estimates).
        Deterministic combinations run once.
    seed
        Seed for all randomness (``None``: fresh entropy, not reproducible).
    layers
        Layers of a multi-layer network to use (default: the network's default layers).
    band
        Percentile band of the middle layer for ``sweep`` strategies.
    targets
        Actor names for the ``list`` strategy.
    step_size
        Actors removed per step by sequential strategies (centralities are recomputed after
        each step).
    recovery_rate
        Probability that an orphaned contact rewires after each step.
    min_group_size
        Smallest fragment counted as a candidate successor group.
    isolates
        Keep actors with no tie in the chosen layers.
    exact_limit, samples
        Above ``exact_limit`` actors, betweenness and efficiency are estimated from
        ``samples`` sampled actors.
    progress
        Called with ``(done, total)`` after each strategy run.

    Returns
    -------
    SimulationResult
        Step table, comparison table, and chart/frame helpers.

    Raises
    ------
    UsageError
        Bad parameters (unknown strategy, budget, layer, target).
    AnalysisError
        A network with fewer than two tied actors.

    Examples
    --------
    >>> net = Network.from_edges([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    >>> res = simulate(net, ["hvt-betweenness"], budget=1)
    >>> res.summary.column("lcc_share").to_pylist()
    [0.4]
    """
    if runs < 1:
        raise UsageError(f"runs must be at least 1; got {runs}.")
    if step_size < 1:
        raise UsageError(f"step size must be at least 1; got {step_size}.")
    if min_group_size < 1:
        raise UsageError(f"minimum group size must be at least 1; got {min_group_size}.")
    model = check_model(recovery)
    parsed = [
        s if isinstance(s, Strategy) else parse_strategy(s, band=band, targets=targets)
        for s in strategies
    ]
    if not parsed:
        raise UsageError("name at least one strategy.")
    names = [s.name for s in parsed]
    if len(set(names)) != len(names):
        raise UsageError(f"a strategy is named twice: {', '.join(names)}.")
    base, net_name = _graph_of(network, layers, isolates)
    n0 = base.vcount()
    if n0 < 2 or base.ecount() == 0:
        raise AnalysisError(
            f"{net_name} has {n0} tied actor(s) in the chosen layers; nothing to disrupt. "
            "Choose other layers (--layer) or check the file."
        )
    vertex_names = base.vs["name"]
    for s in parsed:
        check_targets(s, vertex_names)
    k = resolve_budget(budget, n0)
    estimation = Estimation(exact_limit=exact_limit, samples=samples)
    sampled = not estimation.is_exact(base)
    baseline = Baseline.of(base, estimation, _stream(seed, "baseline", 0))
    rows: list[dict[str, Any]] = []
    # Deterministic combinations run once: no random targeting, no recovery, and no sampled
    # betweenness (the efficiency sample is fixed at the baseline, so it adds no noise).
    plan = [
        (
            s,
            runs
            if s.stochastic or model != "none" or (sampled and s.measure == "betweenness")
            else 1,
        )
        for s in parsed
    ]
    total = sum(r for _, r in plan)
    done = 0
    for strategy, n_runs in plan:
        cap = len(strategy.targets) if strategy.kind == "list" else k
        for run in range(n_runs):
            rng = _stream(seed, strategy.name, run)
            rows.extend(
                _run(
                    base,
                    baseline,
                    strategy,
                    run=run,
                    budget=cap,
                    step_size=step_size,
                    model=model,
                    rate=recovery_rate,
                    min_group_size=min_group_size,
                    estimation=estimation,
                    rng=rng,
                    network_name=net_name,
                )
            )
            done += 1
            if progress is not None:
                progress(done, total)
    steps = pa.Table.from_pylist(rows, schema=STEP_SCHEMA)
    from .report import comparison_table

    params = {
        "strategies": names,
        "budget": k,
        "budget_share": k / n0,
        "recovery": model,
        "recovery_rate": recovery_rate,
        "runs": runs,
        "seed": seed,
        "band": list(band),
        "step_size": step_size,
        "min_group_size": min_group_size,
        "estimated": sampled,
        "samples": samples if sampled else None,
    }
    info = {
        "name": net_name,
        "nodes": n0,
        "edges": base.ecount(),
        "layers": list(layers)
        if layers
        else (
            list(network.default_layers or network.layers) if isinstance(network, Network) else []
        ),
        "efficiency": baseline.efficiency,
    }
    return SimulationResult(
        steps=steps, summary=comparison_table(steps), network=info, params=params
    )


def _run(
    base: igraph.Graph,
    baseline: Baseline,
    strategy: Strategy,
    *,
    run: int,
    budget: int,
    step_size: int,
    model: str,
    rate: float,
    min_group_size: int,
    estimation: Estimation,
    rng: np.random.Generator,
    network_name: str,
) -> list[dict[str, Any]]:
    graph = base.copy()
    n0 = base.vcount()
    oids = np.arange(n0)
    rows: list[dict[str, Any]] = []

    def record(step: int, stage: str, removed: int, targets: list[str], added: int) -> None:
        rows.append(
            {
                "network": network_name,
                "strategy": strategy.name,
                "run": run,
                "step": step,
                "stage": stage,
                "removed": removed,
                "share_removed": removed / n0,
                "targets": targets,
                "edges_added": added,
                **measure(
                    graph,
                    baseline,
                    oids,
                    min_group_size=min_group_size,
                    estimation=estimation,
                ),
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
            step_size=step_size,
            order=oids,
            estimation=estimation,
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
        if model != "none":
            where = np.full(n0, -1)
            where[oids] = np.arange(oids.size)
            orphans = [[int(where[o]) for o in group] for group in orphan_oids]
            added = rewire(graph, orphans, model, rate=rate, rng=rng)  # type: ignore[arg-type]
            record(step, "recovery", removed, [], added)
    log.debug("%s run %d: %d actors removed in %d steps", strategy.name, run, removed, step)
    return rows
