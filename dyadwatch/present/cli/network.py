"""``dyadwatch network``: targeting strategies simulated on criminal networks.

A thin skin over :mod:`dyadwatch.analyse.network`: ``simulate`` calls
:func:`~dyadwatch.analyse.network.simulate` and renders its comparison table (or every step
with ``--steps``); ``info`` calls :meth:`Network.describe`; ``essay-claim`` calls
:func:`~dyadwatch.analyse.network.essay_claim` and renders one table per network.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click
import pyarrow as pa

from dyadwatch.analyse.network import (
    OUTCOMES,
    ClaimParams,
    EssayParams,
    essay_claim,
    load,
)
from dyadwatch.analyse.network import simulate as run_simulation
from dyadwatch.analyse.network.verdicts import CLAIMS, STRUCTURE
from dyadwatch.analyse.network.verdicts import OUTCOMES as CLAIM_OUTCOMES
from dyadwatch.errors import UsageError
from dyadwatch.present.cli.options import Output, output_options
from dyadwatch.present.cli.progress import Bar, wanted

STRATEGY_HELP = (
    "Comma-separated: hvt-degree, hvt-betweenness, hvt-rank (add -once for all at once), "
    "sweep, sweep-degree, sweep-rank, random, list."
)


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def parse_budget(text: str, actors: int | None = None) -> int | float:
    """``10`` actors, ``10%`` or ``0.1`` of the network; anything else is a usage error.

    A count is a whole number from 1 to one less than the network's ``actors`` (removing
    everyone measures nothing); a percent lies strictly between 0% and 100%, a share
    strictly between 0 and 1. An error says the valid ranges in the user's own terms
    (``200%``, not ``2.0``).

    >>> parse_budget("10%"), parse_budget("0.1"), parse_budget("7")
    (0.1, 0.1, 7)
    >>> try:
    ...     parse_budget("200", actors=101)
    ... except UsageError as exc:
    ...     print(str(exc).split(" (")[0])
    --budget 200: the network has 101 actors, so a count must be 1 to 100
    """
    raw = text.strip()
    counts = f"1 to {actors - 1}" if actors is not None else "1 or more"
    forms = (
        f"give a count of actors ({counts}), a percent above 0% and below 100% (10%), "
        "or a share above 0 and below 1 (0.1)"
    )
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        raise UsageError(f"--budget {text!r} is not a number: {forms}.") from None
    if not math.isfinite(value):
        raise UsageError(f"--budget {text!r} is not a finite number: {forms}.")
    if percent:
        if not 0 < value < 100:
            raise UsageError(f"--budget {raw}: a percent must be above 0% and below 100%.")
        return value / 100.0
    if 0 < value < 1:
        return value
    if value < 1 or value != int(value):
        raise UsageError(f"--budget {raw} is neither a share nor a whole count: {forms}.")
    if actors is not None and value >= actors:
        raise UsageError(
            f"--budget {raw}: the network has {actors} actors, so a count must be {counts} "
            "(or give a percent such as 10%, or a share such as 0.1)."
        )
    return int(value)


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


@contextlib.contextmanager
def _progress(label: str, output: Output) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (after two seconds) for table output on a terminal, not
    with --quiet; otherwise a no-op (:mod:`dyadwatch.present.cli.progress`)."""
    with Bar(label, total=None, enabled=wanted() and output.format == "table") as bar:
        yield bar.update


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
    parse_budget(budget)  # a malformed budget fails before the network is read
    net = load(file, format=fmt, nodes=nodes_path)
    if rank_attribute:
        net = net.with_rank(rank_attribute, _split(rank_order) or None)
    removed = parse_budget(budget, actors=net.to_igraph(_split(layers) or None).vcount())
    with _progress("simulating", output) as progress:
        result = run_simulation(
            net,
            _split(strategies),
            budget=removed,
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
    output.emit(load(file, format=fmt).describe())


def default_networks() -> Path:
    """``$DYADWATCH_SHARED_DATA/networks``, else ``../shared/data/networks`` (from here)."""
    shared = os.environ.get("DYADWATCH_SHARED_DATA")
    return (Path(shared) if shared else Path("..") / "shared" / "data") / "networks"


@network.command("essay-claim")
@click.argument("folder", type=click.Path(path_type=Path), required=False)
@click.option(
    "--runs",
    type=click.IntRange(min=2),
    default=20,
    show_default=True,
    help="Runs per network (each on a perturbed copy: 90% of ties kept).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@output_options
def essay_claim_command(folder: Path | None, runs: int, seed: int, output: Output) -> None:
    """Test the essay's claim on every network in FOLDER: middle-layer sweep vs. HVT.

    FOLDER defaults to $DYADWATCH_SHARED_DATA/networks, else ../shared/data/networks. Prints
    one table per network (outcomes as mean [95% interval] over runs; a verdict per budget
    and claim), the leader-removal fragmentation model on BACRIM 2020, and a summary that
    says "inconclusive" where the intervals overlap. --json prints everything; --csv the
    outcome rows of every network.

    \b
    Example:
      dyadwatch network essay-claim --runs 20 --json > essay-claim.json
    """
    params = EssayParams(claim=ClaimParams(runs=runs, seed=seed))
    with _progress("comparing", output) as progress:
        report = essay_claim(folder or default_networks(), params, progress)
    if output.format == "json":
        output.emit(report)
    elif output.format == "csv":
        output.emit(
            [{"network": n["name"], **r} for n in report["networks"] for r in n["outcomes"]]
        )
    else:
        for net in report["networks"]:
            _emit_network(net, output)
        if report["fragmentation"] is not None:
            _emit_fragmentation(report["fragmentation"], output)
        click.echo("Summary")
        for line in report["summary"]["text"]:
            click.echo(f"- {line}")


def _cell(row: dict[str, Any], key: str, digits: int = 3) -> str:
    value = row.get(key)
    if value is None:
        return "n/a"
    lo, hi = row.get(f"{key}_lo"), row.get(f"{key}_hi")
    text = f"{value:.{digits}f}"
    if lo is not None and hi is not None and hi > lo:
        text += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
    return text


def _emit_network(net: dict[str, Any], output: Output) -> None:
    layer = net["layer"]
    hvt = layer["overlap_hvt_betweenness"]
    lines = [
        f"{net['name']} — {net['kind']}, {net['operation']}"
        + (f" ({net['note']})" if net["note"] else "")
        + f": {net['nodes']} actors, {net['edges']} ties",
        f"middle layer: {layer['definition']} — {layer['basis']}; {layer['size']} actors, "
        f"{layer['leaders']} leaders/core; hvt-betweenness's first {hvt['targets']} targets: "
        f"{hvt['in_middle_layer']} in the layer",
    ]
    if "structural_rule_agreement" in layer:
        a = layer["structural_rule_agreement"]
        lines.append(
            f"structural rule vs declared layer: {a['both']} of {a['declared']} found "
            f"(precision {a['precision']:.2f}, recall {a['recall']:.2f})"
        )
    click.echo("\n".join(lines))
    keys = [o.key for o in CLAIM_OUTCOMES if any(o.key in r for r in net["outcomes"])]
    rows = [
        {
            "budget": r["budget"],
            "strategy": r["strategy"],
            "removed": f"{r['removed']:.1f}",
            "cost": f"{r['cost']:.1f}",
            "in_layer": f"{r['in_layer']:.2f}" if r["in_layer"] == r["in_layer"] else "",
            **{k: _cell(r, k, 1 if k.startswith("rounds") else 3) for k in keys},
        }
        for r in net["outcomes"]
    ]
    output.emit(rows)
    output.emit(_verdict_rows(net["by_claim"]))
    calls = "; ".join(
        f"{c['claim']} vs {c['versus']}: {c['call']} ({c['sweep_better']} sweep, "
        f"{c['hvt_better']} HVT, {c['no_difference']} no difference)"
        for c in net["claims"]
    )
    click.echo(f"claims: {calls}\n")


def _verdict_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "budget": r["budget"],
            "versus": r["versus"],
            "removed": f"{r['removed_sweep']:.1f} / {r['removed_hvt']:.1f}",
            **{c: r.get(c, "n/a") for c in (*CLAIMS, STRUCTURE)},
        }
        for r in rows
    ]


def _emit_fragmentation(f: dict[str, Any], output: Output) -> None:
    prominent = ", ".join(f"{p['group']} ({p['ties']})" for p in f["prominent"][:5])
    click.echo(
        f"{f['network']} — organisations: {f['groups']} groups, {f['alliances']} alliances, "
        f"{f['rivalries']} rivalries; most ties: {prominent}\n"
        f"leader-removal model: {', '.join(f'{k}={v}' for k, v in f['model'].items())}"
    )
    output.emit(
        [
            {
                "targets": r["targets"],
                "k": r["k"],
                "new rivalries": _cell(r, "new_rivalries", 1),
                "new groups": _cell(r, "new_groups", 1),
                "splits": _cell(r, "splits", 1),
            }
            for r in f["scenarios"]
        ]
    )
    sens = f["sensitivity"]
    click.echo(f"sensitivity (leaders of the {sens['k']} most connected groups removed):")
    output.emit(
        [
            {
                "parameter": r["parameter"],
                "value": r["value"],
                "new rivalries": _cell(r, "new_rivalries", 1),
            }
            for r in sens["one_at_a_time"]
        ]
    )
    grid = sens["grid"]
    click.echo(
        f"full grid ({grid['combinations']} combinations): mean new rivalries from "
        f"{grid['lowest']:.1f} to {grid['highest']:.1f}; "
        f"{grid['share_adding_rivalries']:.0%} of the combinations with splits add at least one\n"
    )
