"""Reports of a simulation's step table: the comparison table, the per-step curves, the chart.

These functions read only the step table (:data:`~.simulate.STEP_SCHEMA`), so
:mod:`.simulate` can use them without this module knowing about it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dyadwatch.errors import UsageError

from .outcomes import OUTCOMES
from .stats import mean_ci

LABELS = {
    "lcc_share": "largest component (share of actors)",
    "components": "fragments",
    "successor_groups": "candidate successor groups",
    "efficiency_share": "global efficiency (share of intact)",
    "brokerage_share": "surviving brokerage (share of betweenness)",
}


def _stat_columns(prefix: str, values: list[float]) -> dict[str, Any]:
    m, lo, hi = mean_ci(values)
    return {prefix: m, f"{prefix}_lo": lo, f"{prefix}_hi": hi}


def comparison_table(steps: pa.Table) -> pa.Table:
    """One row per strategy and stage: outcomes after the last step, mean and 95% interval.

    Examples
    --------
    >>> from dyadwatch.analyse.network import Network, simulate
    >>> net = Network.from_edges([("a", "b"), ("b", "c")])
    >>> comparison_table(simulate(net, ["hvt-degree"], budget=1).steps)["removed"].to_pylist()
    [1]
    """
    last: dict[tuple[str, str, int], dict[str, Any]] = {}
    order: list[tuple[str, str]] = []
    for row in steps.to_pylist():
        key = (row["strategy"], row["stage"], row["run"])
        if (row["strategy"], row["stage"]) not in order:
            order.append((row["strategy"], row["stage"]))
        if key not in last or row["step"] >= last[key]["step"]:
            last[key] = row
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for (strategy, stage, _), row in last.items():
        grouped[(strategy, stage)].append(row)
    out = []
    for strategy, stage in order:
        finals = grouped[(strategy, stage)]
        rec: dict[str, Any] = {
            "strategy": strategy,
            "stage": stage,
            "runs": len(finals),
            "removed": max(r["removed"] for r in finals),
            "share_removed": max(r["share_removed"] for r in finals),
        }
        for outcome in OUTCOMES:
            rec.update(_stat_columns(outcome, [float(r[outcome]) for r in finals]))
        out.append(rec)
    return pa.Table.from_pylist(out)


def curves(steps: pa.Table) -> pa.Table:
    """Mean and 95% interval of each outcome per (strategy, stage, step) across runs."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in steps.to_pylist():
        groups[(row["strategy"], row["stage"], row["step"])].append(row)
    out = []
    for (strategy, stage, step), rows in groups.items():
        rec: dict[str, Any] = {
            "strategy": strategy,
            "stage": stage,
            "step": step,
            "runs": len(rows),
            "share_removed": sum(r["share_removed"] for r in rows) / len(rows),
        }
        for outcome in OUTCOMES:
            rec.update(_stat_columns(outcome, [float(r[outcome]) for r in rows]))
        out.append(rec)
    return pa.Table.from_pylist(out)


def plot(
    steps: pa.Table,
    path: str | Path,
    *,
    title: str,
    outcomes: Sequence[str] = OUTCOMES,
) -> Path:
    """Chart each outcome against the share of actors removed, one line per strategy.

    With a recovery stage in ``steps``, solid lines are after recovery and dotted lines right
    after the arrests; shaded bands are 95 % intervals over runs. Drawn with matplotlib's
    ``Figure`` directly (no display, no global backend).

    Examples
    --------
    >>> from dyadwatch.analyse.network import Network, simulate
    >>> import tempfile, pathlib
    >>> net = Network.from_edges([("a", "b"), ("b", "c")])
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "chart.png"
    >>> plot(simulate(net, ["hvt-degree"], budget=1).steps, out, title="toy").exists()
    True
    """
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        raise UsageError(
            f"unknown outcome(s) {', '.join(unknown)}; choose from {', '.join(OUTCOMES)}."
        )
    table = curves(steps).to_pylist()
    recovered = any(r["stage"] == "recovery" for r in table)
    ncols = min(3, len(outcomes))
    nrows = -(-len(outcomes) // ncols)
    fig = Figure(figsize=(4.4 * ncols, 3.6 * nrows), layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    axes = [ax for row in grid for ax in row]
    for spare in axes[len(outcomes) :]:
        spare.set_visible(False)
    for ax, outcome in zip(axes, outcomes, strict=False):
        _draw(ax, table, outcome, recovered)
    axes[0].legend(fontsize=8)
    note = "; solid: after recovery, dotted: right after the arrests" if recovered else ""
    fig.suptitle(f"{title}{note}", fontsize=10)
    out = Path(path)
    fig.savefig(out, dpi=110)
    return out


def _draw(ax: Axes, table: list[dict[str, Any]], outcome: str, recovered: bool) -> None:
    """One outcome's panel: a line (and interval band) per strategy and stage."""
    strategies = list(dict.fromkeys(r["strategy"] for r in table))
    for i, strategy in enumerate(strategies):
        colour = f"C{i % 10}"
        for stage in ("removal", "recovery") if recovered else ("removal",):
            pts = [
                r
                for r in table
                if r["strategy"] == strategy
                and (r["stage"] == stage or (stage == "recovery" and r["step"] == 0))
            ]
            pts.sort(key=lambda r: (r["step"], r["stage"] != "removal"))
            if not pts:
                continue
            x = [r["share_removed"] for r in pts]
            y = [r[outcome] for r in pts]
            solid = stage == "recovery" or not recovered
            ax.plot(
                x,
                y,
                color=colour,
                linestyle="-" if solid else ":",
                marker="o" if len(pts) <= 3 else None,
                label=strategy if solid else None,
            )
            lo = [r[f"{outcome}_lo"] for r in pts]
            hi = [r[f"{outcome}_hi"] for r in pts]
            if solid and all(v is not None for v in lo + hi):
                ax.fill_between(x, lo, hi, color=colour, alpha=0.15, linewidth=0)
    ax.set_xlabel("share of actors removed")
    ax.set_title(LABELS.get(outcome, outcome), fontsize=9)
    ax.grid(alpha=0.3)
