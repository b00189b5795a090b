"""``dyadwatch index``: the dyad index, its turning points, "lowest since", evidence, chart.

Each command is one call of :mod:`dyadwatch.analyse.index` (or :mod:`dyadwatch.analyse.chart`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
import pyarrow as pa

from dyadwatch.analyse.index import (
    FUSED,
    IndexSpec,
    alerts,
    dyad_index,
    evidence,
    lowest_since,
    parse_weights,
    turning_points,
)
from dyadwatch.analyse.index.spec import MEASURES
from dyadwatch.present.cli.options import DATE, DYAD, Output, output_options, store_options
from dyadwatch.settings import Settings
from dyadwatch.store import Store

F = TypeVar("F", bound=Callable[..., Any])

TABLE_COLUMNS = (
    "source",
    "period",
    "n",
    "vc",
    "mc",
    "vk",
    "mk",
    "net_coop",
    "goldstein_net",
    "goldstein_pos",
    "goldstein_neg",
    "share_a",
    "share_b",
    "z_net_coop",
    "z_goldstein_net",
)


def spec_options(func: F) -> F:
    """The options every index command shares; passes ``spec: IndexSpec`` and ``series``."""

    @click.option(
        "--dyad", type=DYAD, default="USA-MEX", show_default=True, help="Country pair A-B."
    )
    @click.option(
        "--direction",
        type=click.Choice(["both", "ab", "ba"]),
        default="both",
        show_default=True,
        help="A→B (ab), B→A (ba) or both.",
    )
    @click.option(
        "--freq",
        type=click.Choice(["week", "month", "quarter", "year"]),
        default="month",
        show_default=True,
    )
    @click.option(
        "--as-of", "as_of", type=DATE, default=None, help="Knowledge cut-off (end of day)."
    )
    @click.option("--since", type=DATE, default=None, help="First event date (whole periods).")
    @click.option("--until", type=DATE, default=None, help="Last event date (whole periods).")
    @click.option(
        "--source",
        "series",
        default=FUSED,
        show_default=True,
        help="Series to show: a source (curated, gdelt, …), 'fused', or 'all'.",
    )
    @click.option(
        "--sources",
        default=None,
        help="Comma-separated sources to compute from [default: every stored source].",
    )
    @click.option(
        "--dedupe",
        type=click.Choice(["phoenix", "story", "none"]),
        default="phoenix",
        show_default=True,
        help="One event per dedupe group (phoenix), also merge near-duplicate stories, or none.",
    )
    @click.option(
        "--min-confidence",
        type=click.FloatRange(0, 1),
        default=0.0,
        show_default=True,
        help="Drop events rated below this confidence.",
    )
    @click.option("--baseline", type=int, default=None, help="Baseline length in periods.")
    @click.option(
        "--weights", default=None, help="Fused-index weights, e.g. curated=2,gdelt=1 [default 1]."
    )
    @wraps(func)
    def wrapper(
        *args: Any,
        dyad: str,
        direction: str,
        freq: str,
        as_of: date | None,
        since: date | None,
        until: date | None,
        series: str,
        sources: str | None,
        dedupe: str,
        min_confidence: float,
        baseline: int | None,
        weights: str | None,
        **kwargs: Any,
    ) -> Any:
        wanted = [s.strip() for s in sources.split(",")] if sources else None
        if wanted is None and series not in (FUSED, "all"):
            wanted = [series]
        kwargs["spec"] = IndexSpec(
            dyad=dyad,
            direction=direction,  # type: ignore[arg-type]
            freq=freq,  # type: ignore[arg-type]
            as_of=as_of,
            since=since,
            until=until,
            sources=wanted,
            dedupe=dedupe,  # type: ignore[arg-type]
            min_confidence=min_confidence,
            baseline=baseline,
            weights=parse_weights(weights) if weights else {},
        )
        kwargs["series"] = series
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _measure_option(func: F) -> F:
    return click.option(
        "--measure",
        type=click.Choice(MEASURES),
        default="net_coop",
        show_default=True,
        help="The measure to analyse.",
    )(func)


@click.group(invoke_without_command=True)
@spec_options
@click.option("--all-columns", is_flag=True, help="Every column (default: the main ones).")
@store_options
@output_options
@click.pass_context
def index(
    ctx: click.Context,
    spec: IndexSpec,
    series: str,
    all_columns: bool,
    settings: Settings,
    output: Output,
) -> None:
    """The cooperation–conflict index of a dyad, one row per period.

    Counts by quad class, net cooperation, Goldstein-weighted net cooperation (positive and
    negative mass apart), volume-normalised shares and z-scores against a rolling baseline,
    per source and fused. See docs/index.md.

    \b
    Example:
      dyadwatch index --freq quarter --since 2018-01-01 --as-of 2021-01-19
      dyadwatch index --source curated --freq year --json
    """
    ctx.ensure_object(dict)
    ctx.obj["index"] = {"spec": spec, "series": series}
    if ctx.invoked_subcommand is not None:
        return
    store = Store.open(settings.store)
    table: pa.Table = dyad_index(store, spec, source=None if series == "all" else series)
    if output.format == "table" and not all_columns:
        table = table.select([c for c in TABLE_COLUMNS if c in table.column_names])
    elif output.format == "csv":
        table = table.drop_columns(["contributions"])
    output.emit(table)


def _inherit(ctx: click.Context, spec: IndexSpec, series: str) -> tuple[IndexSpec, str]:
    """Options given before the subcommand apply unless repeated after it."""
    parent = (ctx.obj or {}).get("index") if isinstance(ctx.obj, dict) else None
    if parent is None:
        return spec, series
    defaults = IndexSpec()
    merged = {}
    for name in IndexSpec.__dataclass_fields__:
        mine = getattr(spec, name)
        merged[name] = mine if mine != getattr(defaults, name) else getattr(parent["spec"], name)
    picked = series if series != FUSED else parent["series"]
    return IndexSpec(**merged), picked


@index.command("turning-points")
@spec_options
@_measure_option
@click.option("--penalty", type=float, default=None, help="PELT penalty [default: BIC-like].")
@click.option("--min-size", type=int, default=2, show_default=True, help="Shortest segment.")
@click.option(
    "--window", type=int, default=1, show_default=True, help="Periods each side for events."
)
@click.option("--events", type=int, default=5, show_default=True, help="Events per point.")
@store_options
@output_options
@click.pass_context
def turning_points_cmd(
    ctx: click.Context,
    spec: IndexSpec,
    series: str,
    measure: str,
    penalty: float | None,
    min_size: int,
    window: int,
    events: int,
    settings: Settings,
    output: Output,
) -> None:
    """Turning points of the index (change-point detection), each with its events.

    \b
    Example:
      dyadwatch index turning-points --freq quarter --penalty 0.5
    """
    spec, series = _inherit(ctx, spec, series)
    store = Store.open(settings.store)
    table: pa.Table = turning_points(
        store,
        spec,
        source=FUSED if series == "all" else series,
        measure=measure,
        penalty=penalty,
        model="l2",
        min_size=min_size,
        window=window,
        events=events,
    )
    if output.format == "json":
        output.emit(table)
        return
    rows = []
    for r in table.to_pylist():
        rows.append(
            {
                "period": r["period"],
                "direction": r["direction"],
                "before_mean": r["before_mean"],
                "after_mean": r["after_mean"],
                "change": r["change"],
                "top_event": _top_event(r["events"]),
            }
        )
    output.emit(rows)


def _top_event(events: list[dict[str, Any]]) -> str:
    """The first event of an analysis row, on one line: date, code, summary, first URL."""
    if not events:
        return ""
    top = events[0]
    url = (top["source_urls"] or [""])[0]
    return f"{top['event_date']} {top['cameo_code']} {top['summary'] or ''} {url}".strip()


@index.command("alerts")
@spec_options
@click.option(
    "--threshold", type=float, default=2.0, show_default=True, help="Smallest |z| to report."
)
@click.option(
    "--recent", type=click.IntRange(min=1), default=1, show_default=True, help="Latest periods."
)
@click.option("--events", type=click.IntRange(min=1), default=5, show_default=True)
@store_options
@output_options
@click.pass_context
def alerts_cmd(
    ctx: click.Context,
    spec: IndexSpec,
    series: str,
    threshold: float,
    recent: int,
    events: int,
    settings: Settings,
    output: Output,
) -> None:
    """Is the latest period unusual? Measures far from their baseline, with the events why.

    \b
    Example:
      dyadwatch index alerts --freq week --as-of 2020-10-18
    """
    spec, series = _inherit(ctx, spec, series)
    table: pa.Table = alerts(
        Store.open(settings.store),
        spec,
        source=FUSED if series == "all" else series,
        threshold=threshold,
        recent=recent,
        events=events,
    )
    if output.format == "json":
        output.emit(table)
        return
    output.emit(
        [
            {
                "period": r["period"],
                "measure": r["measure"],
                "value": r["value"],
                "z": r["z"],
                "reading": r["reading"],
                "top_event": _top_event(r["events"]),
            }
            for r in table.to_pylist()
        ]
    )


@index.command("lowest-since")
@click.argument("period")
@spec_options
@_measure_option
@store_options
@output_options
@click.pass_context
def lowest_since_cmd(
    ctx: click.Context,
    period: str,
    spec: IndexSpec,
    series: str,
    measure: str,
    settings: Settings,
    output: Output,
) -> None:
    """When was the index last as low as in PERIOD?

    PERIOD is 2021, 2021Q1, 2021-01, 2021-W03 or a day.

    \b
    Example:
      dyadwatch index lowest-since 2020 --freq year --source curated
    """
    spec, series = _inherit(ctx, spec, series)
    store = Store.open(settings.store)
    answer = lowest_since(
        store, period, spec, source=FUSED if series == "all" else series, measure=measure
    )
    if output.format == "table":
        click.echo(answer.text())
    else:
        output.emit([answer.as_dict()])


@index.command("evidence")
@click.argument("period")
@spec_options
@_measure_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@store_options
@output_options
@click.pass_context
def evidence_cmd(
    ctx: click.Context,
    period: str,
    spec: IndexSpec,
    series: str,
    measure: str,
    limit: int,
    settings: Settings,
    output: Output,
) -> None:
    """The events behind the index value of PERIOD, largest contributions first.

    \b
    Example:
      dyadwatch index evidence 2020-12 --source curated
    """
    spec, series = _inherit(ctx, spec, series)
    store = Store.open(settings.store)
    table: pa.Table = evidence(
        store,
        period,
        spec,
        source=FUSED if series == "all" else series,
        measure=measure,
        limit=limit,
    )
    if output.format == "table":
        table = table.select(
            [
                "rank",
                "series",
                "event_date",
                "actor1_code",
                "actor2_code",
                "cameo_code",
                "goldstein",
                "duplicates",
                "contribution",
                "summary",
                "source_urls",
            ]
        )
    output.emit(table)


@index.command("chart")
@spec_options
@_measure_option
@click.option(
    "-o",
    "--output",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Image file: .png or .svg.",
)
@click.option("--penalty", type=float, default=None, help="Turning-point penalty.")
@click.option("--no-turning-points", is_flag=True, help="Do not mark turning points.")
@store_options
@click.pass_context
def chart_cmd(
    ctx: click.Context,
    spec: IndexSpec,
    series: str,
    measure: str,
    path: Path,
    penalty: float | None,
    no_turning_points: bool,
    settings: Settings,
) -> None:
    """Draw the index (PNG or SVG) with its turning points marked.

    \b
    Example:
      dyadwatch index chart --freq quarter -o index.svg
    """
    from dyadwatch.analyse.chart import index_chart

    spec, series = _inherit(ctx, spec, series)
    store = Store.open(settings.store)
    written = index_chart(
        store,
        path,
        spec,
        source=FUSED if series == "all" else series,
        measure=measure,
        penalty=penalty,
        turning=not no_turning_points,
    )
    click.echo(f"wrote {written}")


__all__ = ["index"]
