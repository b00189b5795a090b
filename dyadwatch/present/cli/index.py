"""``dyadwatch index``: the dyad index, its turning points, "lowest since", evidence, chart.

Each command is one call of :mod:`dyadwatch.analyse.index` (or :mod:`dyadwatch.present.charts`).
A period outside the series is one error that gives the series' range
(:func:`check_in_series`); an empty answer inside it says why on stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dyadwatch.analyse.index import (
    FUSED,
    MIN_N,
    NAMED,
    IndexSpec,
    alerts,
    dyad_index,
    evidence,
    lowest_since,
    run_series,
    series_alerts,
    series_evidence,
    series_lowest_since,
    series_turning_points,
    turning_points,
)
from dyadwatch.analyse.index.compare import compare_sources
from dyadwatch.analyse.index.spec import MEASURES, parse_period, period_label
from dyadwatch.errors import AnalysisError
from dyadwatch.policy.disclosure import shown_urls
from dyadwatch.present.charts import index_chart
from dyadwatch.present.cli.index_options import series_query, spec_options
from dyadwatch.present.cli.options import (
    Output,
    note,
    output_options,
    store_options,
)
from dyadwatch.settings import Settings
from dyadwatch.store import Store

F = TypeVar("F", bound=Callable[..., Any])

SERIES_COLUMNS = (
    "source",
    "period",
    "window",
    "n",
    "value",
    "lo",
    "hi",
    "status",
    "reason",
)
"""What a named series shows in a terminal table (``--all-columns`` or JSON: everything)."""

DEFAULT_MEASURE = "relationship"
MEASURE_CHOICES = (*NAMED, *MEASURES)
"""Named series first (the default reading), then the CAMEO-based measures by their names."""

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


def _measure_option(func: F) -> F:
    return click.option(
        "--measure",
        type=click.Choice(MEASURE_CHOICES),
        default=DEFAULT_MEASURE,
        show_default=True,
        help="A named series (relationship: cooperation between the governments; "
        "environment: the rest) or a CAMEO-based measure (net_coop, goldstein_net, …).",
    )(func)


@click.group(invoke_without_command=True)
@spec_options
@_measure_option
@click.option("--all-columns", is_flag=True, help="Every column (default: the main ones).")
@store_options
@output_options
@click.pass_context
def index(
    ctx: click.Context,
    spec: IndexSpec,
    series: str,
    reading: dict[str, Any],
    measure: str,
    all_columns: bool,
    settings: Settings,
    output: Output,
) -> None:
    """The relationship's index, one row per period, each value with its n and interval.

    By default the named series ``relationship``: state-to-state events by their effect on
    cooperation between the two governments (−10 … +10), per source and fused; a value
    with fewer than --min-n events is null with the reason. ``--measure environment`` reads
    the rest of the events; ``--measure net_coop`` (or another CAMEO-based measure) the
    quad-class frame. See docs/index.md and docs/measurement.md.

    \b
    Example:
      dyadwatch index --as-of 2021-01-19 --since 2019-01-01
      dyadwatch index --freq quarter --window 4 --json
      dyadwatch index --measure net_coop --source curated --freq year
    """
    ctx.ensure_object(dict)
    ctx.obj["index"] = {"spec": spec, "series": series, "reading": reading, "measure": measure}
    if ctx.invoked_subcommand is not None:
        return
    store = Store.open(settings.store)
    if measure in NAMED:
        run = run_series(store, series_query(spec, measure, reading))
        table = run.table if series == "all" else run.source_rows(series)
        if output.format == "table" and not all_columns:
            table = table.select(list(SERIES_COLUMNS))
        output.emit(table)
        return
    table = dyad_index(store, spec, source=None if series == "all" else series)
    if output.format == "table" and not all_columns:
        table = table.select([c for c in TABLE_COLUMNS if c in table.column_names])
    elif output.format == "csv":
        table = table.drop_columns(["contributions"])
    output.emit(table)


_READING_DEFAULTS: dict[str, Any] = {"window": None, "episodes": "once", "min_n": MIN_N}


def _inherit(ctx: click.Context, spec: IndexSpec, series: str) -> tuple[IndexSpec, str]:
    """Options given before the subcommand apply unless repeated after it."""
    parent = _parent(ctx)
    if parent is None:
        return spec, series
    defaults = IndexSpec()
    merged = {}
    for name in IndexSpec.__dataclass_fields__:
        mine = getattr(spec, name)
        merged[name] = mine if mine != getattr(defaults, name) else getattr(parent["spec"], name)
    picked = series if series != FUSED else parent["series"]
    return IndexSpec(**merged), picked


def _parent(ctx: click.Context) -> dict[str, Any] | None:
    found = (ctx.obj or {}).get("index") if isinstance(ctx.obj, dict) else None
    return found if isinstance(found, dict) else None


def _inherit_reading(
    ctx: click.Context, reading: dict[str, Any], measure: str
) -> tuple[dict[str, Any], str]:
    """The named-series options and measure, with the group's where not repeated."""
    parent = _parent(ctx)
    if parent is None:
        return reading, measure
    merged = {
        k: v if v != _READING_DEFAULTS[k] else parent["reading"].get(k, v)
        for k, v in reading.items()
    }
    return merged, measure if measure != DEFAULT_MEASURE else parent["measure"]


def _named_run(
    ctx: click.Context,
    settings: Settings,
    spec: IndexSpec,
    series: str,
    reading: dict[str, Any],
    measure: str,
) -> tuple[Any, Store, str] | None:
    """(run, store, source) of a named series, or None when ``measure`` is CAMEO-based."""
    spec, series = _inherit(ctx, spec, series)
    reading, measure = _inherit_reading(ctx, reading, measure)
    if measure not in NAMED:
        return None
    store = Store.open(settings.store)
    run = run_series(store, series_query(spec, measure, reading))
    return run, store, FUSED if series == "all" else series


@index.command("turning-points")
@spec_options
@_measure_option
@click.option("--penalty", type=float, default=None, help="PELT penalty [default: BIC-like].")
@click.option("--min-size", type=int, default=2, show_default=True, help="Shortest segment.")
@click.option(
    "--around",
    type=int,
    default=1,
    show_default=True,
    help="CAMEO measures: periods each side of a turning point to draw events from.",
)
@click.option("--events", type=int, default=5, show_default=True, help="Events per point.")
@store_options
@output_options
@click.pass_context
def turning_points_cmd(
    ctx: click.Context,
    spec: IndexSpec,
    series: str,
    reading: dict[str, Any],
    measure: str,
    penalty: float | None,
    min_size: int,
    around: int,
    events: int,
    settings: Settings,
    output: Output,
) -> None:
    """Turning points of the index (change-point detection), each with its events.

    A named series is read on non-overlapping windows of values with enough evidence;
    each turning point says how sure it is (z of the change against the segments' spread).

    \b
    Example:
      dyadwatch index turning-points --as-of 2026-11-30
      dyadwatch index turning-points --measure net_coop --freq quarter --penalty 0.5
    """
    named = _named_run(ctx, settings, spec, series, reading, measure)
    if named is not None:
        run, store, source = named
        table = series_turning_points(
            store, source=source, penalty=penalty, min_size=min_size, run=run
        )
        if output.format == "json":
            output.emit(table)
            return
        output.emit(
            [
                {
                    **r,
                    "top_event": _top_series_event(
                        store, run, r["period"], source, 1 if r["direction"] == "up" else -1
                    ),
                }
                for r in table.to_pylist()
            ]
        )
        return
    spec, series = _inherit(ctx, spec, series)
    store = Store.open(settings.store)
    table = turning_points(
        store,
        spec,
        source=FUSED if series == "all" else series,
        measure=measure,
        penalty=penalty,
        model="l2",
        min_size=min_size,
        window=around,
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


def check_in_series(period: str, freq: str, table: Any, what: str) -> dict[str, Any] | None:
    """The row of ``period`` in a series table (None if it has none); an
    :class:`AnalysisError` giving the series' range if ``period`` lies outside it.

    The series runs from its first to its last period with events (``n`` > 0).
    """
    start = parse_period(period, freq)
    label = period_label(start, freq)
    rows = table.to_pylist()
    counted = [r for r in rows if r.get("n")]
    if not counted:
        raise AnalysisError(
            f"the {what} series has no events at all: nothing to read for {label} "
            "(check --dyad, --source, --as-of and the store)."
        )
    first, last = counted[0], counted[-1]
    span = f"the {what} series runs {first['period']} to {last['period']} (by {freq})"
    if start < first["period_start"]:
        raise AnalysisError(f"{label} is before the first record: {span}.")
    if start > last["period_start"]:
        raise AnalysisError(f"{label} is after the last record: {span}.")
    return next((r for r in rows if r["period_start"] == start), None)


def _why_no_evidence(period: str, row: dict[str, Any] | None) -> None:
    """A note on stderr: why a period inside the series has no events to show."""
    why = (row or {}).get("reason") or "no events were counted in it"
    note(f"note: no events behind {period}: {why}.")


def _top_series_event(store: Store, run: Any, period: str, source: str, sign: int) -> str:
    """The event pulling a named series' value of ``period`` most in direction ``sign``."""
    rows = series_evidence(store, period, source=source, limit=1, sign=sign, run=run).to_pylist()
    if not rows:
        return ""
    top = rows[0]
    url = top["citations"][0]["url"] if top["citations"] else ""
    return f"{top['event_date']} {top['summary'] or ''} {url}".strip()


def _top_event(events: list[dict[str, Any]]) -> str:
    """The first event of an analysis row, on one line: date, code, summary, first URL."""
    if not events:
        return ""
    top = events[0]
    url = (top["source_urls"] or [""])[0]
    return f"{top['event_date']} {top['cameo_code']} {top['summary'] or ''} {url}".strip()


@index.command("alerts")
@spec_options
@_measure_option
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
    reading: dict[str, Any],
    measure: str,
    threshold: float,
    recent: int,
    events: int,
    settings: Settings,
    output: Output,
) -> None:
    """Is the latest period unusual? Values far from their own history, with the events why.

    A named series alerts on its value (more conflictual or more cooperative than usual,
    and whether its interval is clear of the usual level) and on its number of events.

    \b
    Example:
      dyadwatch index alerts --as-of 2021-01-19 --recent 3
      dyadwatch index alerts --measure net_coop --freq week --as-of 2020-10-18
    """
    named = _named_run(ctx, settings, spec, series, reading, measure)
    if named is not None:
        run, store, source = named
        table = series_alerts(store, source=source, threshold=threshold, recent=recent, run=run)
        if output.format == "json":
            output.emit(table)
            return
        output.emit(
            [
                {
                    **r,
                    "top_event": _top_series_event(
                        store,
                        run,
                        r["period"],
                        source,
                        0 if r["measure"] == "n" else (1 if r["z"] > 0 else -1),
                    ),
                }
                for r in table.to_pylist()
            ]
        )
        return
    spec, series = _inherit(ctx, spec, series)
    table = alerts(
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
    reading: dict[str, Any],
    measure: str,
    settings: Settings,
    output: Output,
) -> None:
    """When was the index last as low as in PERIOD? (values with enough evidence only)

    PERIOD is 2021, 2021Q1, 2021-01, 2021-W03 or a day.

    \b
    Example:
      dyadwatch index lowest-since 2021-01 --as-of 2021-01-19
      dyadwatch index lowest-since 2020 --measure net_coop --freq year --source curated
    """
    named = _named_run(ctx, settings, spec, series, reading, measure)
    if named is not None:
        run, store, source = named
        check_in_series(period, run.query.freq, run.source_rows(source), _what(measure, source))
        found = series_lowest_since(store, period, source=source, run=run)
        if output.format == "table":
            click.echo(found.text())
        else:
            output.emit([found.as_dict()])
        return
    spec, series = _inherit(ctx, spec, series)
    store = Store.open(settings.store)
    whole = dyad_index(store, spec, source=FUSED if series == "all" else series)
    check_in_series(period, spec.freq, whole, _what(measure, series))
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
    reading: dict[str, Any],
    measure: str,
    limit: int,
    settings: Settings,
    output: Output,
) -> None:
    """The events behind the index value of PERIOD, largest contributions first.

    For a named series, each event's effect and why, and an episode's other steps.

    \b
    Example:
      dyadwatch index evidence 2021-01 --as-of 2021-01-19
      dyadwatch index evidence 2020-12 --measure net_coop --source curated
    """
    named = _named_run(ctx, settings, spec, series, reading, measure)
    if named is not None:
        run, store, source = named
        row = check_in_series(
            period, run.query.freq, run.source_rows(source), _what(measure, source)
        )
        table = series_evidence(store, period, source=source, limit=limit, run=run)
        if table.num_rows == 0:
            _why_no_evidence(period, row)
        if output.format == "table":
            output.emit(
                [
                    {
                        "event_date": r["event_date"],
                        "source": r["source"],
                        "effect": r["value"],
                        "contribution": r["contribution"],
                        "episode": r["episode"] or "",
                        "summary": r["summary"],
                        "url": r["citations"][0]["url"] if r["citations"] else "",
                    }
                    for r in table.to_pylist()
                ]
            )
        else:
            output.emit(table)
        return
    spec, series = _inherit(ctx, spec, series)
    store = Store.open(settings.store)
    source = FUSED if series == "all" else series
    row = check_in_series(
        period, spec.freq, dyad_index(store, spec, source=source), _what(measure, source)
    )
    table = evidence(store, period, spec, source=source, measure=measure, limit=limit)
    if table.num_rows == 0:
        _why_no_evidence(period, row)
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


@index.command("compare")
@spec_options
@click.option(
    "--measure",
    type=click.Choice(MEASURES),
    default="net_coop",
    show_default=True,
    help="The index measure to compare.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Periods where the sources disagree most.",
)
@click.option(
    "--events",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Events shown behind each source's value in those periods.",
)
@store_options
@output_options
@click.pass_context
def compare_cmd(
    ctx: click.Context,
    spec: IndexSpec,
    series: str,
    reading: dict[str, Any],
    measure: str,
    top: int,
    events: int,
    settings: Settings,
    output: Output,
) -> None:
    """Where the datasets disagree: each source's series side by side, their correlation,
    and the periods of largest disagreement with the events behind each value.

    \b
    Example:
      dyadwatch index compare --sources icews,gdelt,phoenix --freq quarter
      dyadwatch index compare --sources curated,gdelt --measure goldstein_net --json
    """
    spec, series = _inherit(ctx, spec, series)
    store = Store.open(settings.store)
    result = compare_sources(
        store,
        spec.sources or [],
        spec,
        measure=measure,
        top=top,
        events=events,
    )
    if output.format == "table":
        click.echo(result.text(), nl=False)
    elif output.format == "csv":
        output.emit(result.values)
    else:
        body = result.as_dict()
        for d in body["disagreements"]:
            d["events"] = shown_urls(store, d["events"], spec.as_of)
        output.emit(body)


@index.command("chart")
@spec_options
@_measure_option
@click.option(
    "-o",
    "--output",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Image file: .svg or .png.",
)
@click.option("--penalty", type=float, default=None, help="Turning-point penalty.")
@click.option("--no-turning-points", is_flag=True, help="Do not mark turning points.")
@store_options
@click.pass_context
def chart_cmd(
    ctx: click.Context,
    spec: IndexSpec,
    series: str,
    reading: dict[str, Any],
    measure: str,
    path: Path,
    penalty: float | None,
    no_turning_points: bool,
    settings: Settings,
) -> None:
    """Draw the series (SVG or PNG): each value with its 90 % interval, the events (n)
    behind it, and the turning points; by default the named series relationship.

    \b
    Example:
      dyadwatch index chart --as-of 2021-01-19 -o relationship.svg
      dyadwatch index chart --measure net_coop --freq quarter -o net_coop.png
    """
    spec, series = _inherit(ctx, spec, series)
    reading, measure = _inherit_reading(ctx, reading, measure)
    written = index_chart(
        Store.open(settings.store),
        path,
        series_query(spec, measure, reading) if measure in NAMED else None,
        spec=spec,
        measure=measure,
        source=FUSED if series == "all" else series,
        penalty=penalty,
        turning=not no_turning_points,
    )
    click.echo(f"wrote {written}")


def _what(measure: str, source: str) -> str:
    """``relationship (fused)``: the series a message is about."""
    return f"{measure} ({source})"


__all__ = ["check_in_series", "index"]
