"""``dyadwatch network``: targeting strategies simulated on criminal networks.

A thin skin over :mod:`dyadwatch.analyse.network`: ``simulate`` calls
:func:`~dyadwatch.analyse.network.simulate` and renders its comparison table (or every step
with ``--steps``); ``info`` calls :meth:`Network.describe`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click
import pyarrow as pa

from dyadwatch.errors import UsageError
from dyadwatch.present.cli.options import Output, output_options

STRATEGY_HELP = (
    "Comma-separated: hvt-degree, hvt-betweenness, hvt-rank (add -once for all at once), "
    "sweep, sweep-degree, sweep-rank, random, list."
)


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def parse_budget(text: str) -> int | float:
    """``10`` actors, ``10%`` or ``0.1`` of the network.

    >>> parse_budget("10%"), parse_budget("0.1"), parse_budget("7")
    (0.1, 0.1, 7)
    """
    raw = text.strip()
    try:
        if raw.endswith("%"):
            return float(raw[:-1]) / 100.0
        value = float(raw)
    except ValueError:
        raise UsageError(
            f"--budget {text!r}: give actors (10), a percent (10%) or a share (0.1)."
        ) from None
    return int(value) if value >= 1 and value == int(value) else value


def parse_band(text: str) -> tuple[float, float]:
    """``0.5,0.9`` (percentiles; ``50,90`` is read as percent).

    >>> parse_band("50,90")
    (0.5, 0.9)
    """
    parts = _split(text)
    try:
        lo, hi = (float(p.rstrip("%")) for p in parts)
    except ValueError:
        raise UsageError(f"--band {text!r}: give two percentiles, e.g. 0.5,0.9.") from None
    if hi > 1:
        lo, hi = lo / 100.0, hi / 100.0
    return lo, hi


def _compact(summary: pa.Table) -> list[dict[str, Any]]:
    """Table view: each outcome as ``mean [lo, hi]`` so the comparison fits a terminal."""
    from dyadwatch.analyse.network import OUTCOMES

    rows = []
    for r in summary.to_pylist():
        row: dict[str, Any] = {k: r[k] for k in ("strategy", "stage", "runs", "removed")}
        row["share"] = f"{r['share_removed']:.3f}"
        for o in OUTCOMES:
            lo, hi = r.get(f"{o}_lo"), r.get(f"{o}_hi")
            cell = f"{r[o]:.3f}"
            if lo is not None and hi is not None and hi > lo:
                cell += f" [{lo:.3f}, {hi:.3f}]"
            row[o] = cell
        rows.append(row)
    return rows


@click.group()
def network() -> None:
    """Targeting strategies on criminal networks: high-value targets vs. the middle layer.

    \b
    Example:
      dyadwatch network simulate ../shared/data/networks/montagna --runs 50 --plot out.png
    """


@network.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--strategy",
    "strategies",
    default="hvt-degree,hvt-betweenness,sweep,random",
    show_default=True,
    help=STRATEGY_HELP,
)
@click.option(
    "--budget",
    default="10%",
    show_default=True,
    help="Actors each strategy removes: a count (10), percent (10%) or share (0.1).",
)
@click.option(
    "--recovery",
    type=click.Choice(["none", "second-neighbour", "preferential"]),
    default="none",
    show_default=True,
    help="How survivors rewire after each step.",
)
@click.option(
    "--recovery-rate",
    type=float,
    default=1.0,
    show_default=True,
    help="Probability that an orphaned contact rewires.",
)
@click.option(
    "--runs",
    type=int,
    default=20,
    show_default=True,
    help="Repetitions of anything random (random targeting, recovery).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--layer",
    "layers",
    default=None,
    help="Layers of a multi-layer network, comma-separated (default: its defaults).",
)
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    help="Reader: auto, edgelist, matrix, graphml, gexf, or a dataset name "
    "(montagna, caviar, bacrim2020, pandillas, noordin, koschade).",
)
@click.option(
    "--nodes",
    "nodes_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Node attribute table (roles, ranks) for a single network file.",
)
@click.option("--rank-attribute", default=None, help="Node attribute holding declared rank.")
@click.option(
    "--rank-order",
    default=None,
    help="Values of the rank attribute, most senior first (boss,underboss,…).",
)
@click.option(
    "--band",
    default="0.5,0.9",
    show_default=True,
    help="Middle-layer percentile band for sweep strategies.",
)
@click.option("--targets", default=None, help="Actors for the 'list' strategy, comma-separated.")
@click.option(
    "--step-size",
    type=int,
    default=1,
    show_default=True,
    help="Actors removed per step by sequential strategies.",
)
@click.option(
    "--min-group-size",
    type=int,
    default=4,
    show_default=True,
    help="Smallest fragment counted as a candidate successor group.",
)
@click.option("--steps", "show_steps", is_flag=True, help="Print every step, not the comparison.")
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the chart (PNG, SVG or PDF) here.",
)
@output_options
def simulate(
    file: Path,
    strategies: str,
    budget: str,
    recovery: str,
    recovery_rate: float,
    runs: int,
    seed: int,
    layers: str | None,
    fmt: str,
    nodes_path: Path | None,
    rank_attribute: str | None,
    rank_order: str | None,
    band: str,
    targets: str | None,
    step_size: int,
    min_group_size: int,
    show_steps: bool,
    plot_path: Path | None,
    output: Output,
) -> None:
    """Simulate targeting strategies on FILE (a network file or dataset folder).

    Prints the comparison: outcomes after the whole budget per strategy (mean [95% interval]
    over runs) — largest component share, fragments, successor groups, efficiency and surviving
    brokerage, each relative to the intact network.

    \b
    Example:
      dyadwatch network simulate ../shared/data/networks/montagna \\
          --strategy hvt-betweenness,sweep,random --budget 10% \\
          --recovery second-neighbour --runs 50 --seed 1 --plot montagna.png
    """
    from dyadwatch.analyse.network import load
    from dyadwatch.analyse.network import simulate as run_simulation

    net = load(file, format=fmt, nodes=nodes_path)
    if rank_attribute:
        net = net.with_rank(rank_attribute, _split(rank_order) or None)
    show_bar = sys.stderr.isatty() and output.format == "table"
    bar_cm: Any = (
        click.progressbar(length=100, label="simulating", file=sys.stderr)
        if show_bar
        else contextlib.nullcontext(None)
    )
    with bar_cm as bar:

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.update(done * 100 // total - bar.pos)

        result = run_simulation(
            net,
            _split(strategies),
            budget=parse_budget(budget),
            recovery=recovery,
            runs=runs,
            seed=seed,
            layers=_split(layers) or None,
            band=parse_band(band),
            targets=_split(targets),
            step_size=step_size,
            recovery_rate=recovery_rate,
            min_group_size=min_group_size,
            progress=progress,
        )
    if plot_path is not None:
        result.plot(plot_path)
    info = result.network
    title = (
        f"{info['name']}: {info['nodes']} actors, {info['edges']} ties; budget "
        f"{result.params['budget']} ({result.params['budget_share']:.1%}); "
        f"recovery {result.params['recovery']}; seed {result.params['seed']}"
    )
    if show_steps:
        table = result.steps
        if output.format == "table":
            table = table.drop_columns(["network", "targets"])
        output.emit(table, title=title)
    elif output.format == "table":
        output.emit(_compact(result.summary), title=title)
    else:
        output.emit(result.summary)


@network.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", default="auto", show_default=True, help="Reader (see simulate).")
@output_options
def info(file: Path, fmt: str, output: Output) -> None:
    """Describe a network file or dataset folder: actors, ties, layers, attributes.

    \b
    Example:
      dyadwatch network info ../shared/data/networks/caviar_phases
    """
    from dyadwatch.analyse.network import load

    output.emit(load(file, format=fmt).describe())
