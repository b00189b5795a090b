"""Named series: what the relationship's index *is*, with its evidence and uncertainty.

Every consumer — rules, alerts, turning points, "lowest since", judgments, the brief, the
dashboard, the API — reads one of these series by name, never a pool of raw events across
sources (docs/measurement.md, docs/index.md):

``relationship`` (the default)
    State-to-state events (both actors organs of the two states; :mod:`~dyadwatch.normalise.
    scope`), measured by their ``relation_effect``: what each did to cooperation between the
    two governments, on the Goldstein −10…+10 scale.
``environment``
    Every other event involving both countries (cartel violence against US citizens, US
    prosecutions of traffickers, seizures), measured by the Goldstein score of its CAMEO code.
``cameo``
    A baseline, not a reading: every event involving both countries by its CAMEO Goldstein
    score — what the index measured before it measured the relationship.

How a value is made, per source and period (``freq`` steps; a value at step P pools the
``window`` periods ending at P):

1. the dyad's events public by ``as_of`` (:mod:`dyadwatch.visibility`), in scope;
2. one event per duplicate group (the first to become public), as the index counts them;
3. an **episode** counts once per period, by its strongest step (``episodes="all"``: every
   step), before periods are pooled into windows;
4. ``n``, the mean, its 90 % t interval (:mod:`~dyadwatch.analyse.index.interval`); fewer
   than ``min_n`` (:data:`MIN_N`) events make the value null with the reason "insufficient
   evidence";
5. the **window**, unless given, is each source's finest (:data:`~.pooling.WINDOWS`) at
   which at least half of its periods reach ``min_n`` — the curated record is read over a
   year, GDELT over a month;
6. **fusion**: sources with a value are combined by inverse-variance weights times the
   source's reliability (mean event confidence) and coverage (the share of the window's days
   it holds data for), times any user weight. One 15-minute GDELT file covers one day of a
   year: it cannot move a fused year.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal, get_args

import duckdb
import polars as pl
import pyarrow as pa

from dyadwatch.analyse.index.core import prepare_events, session_connection, snapshot_of, to_frame
from dyadwatch.analyse.index.interval import (
    DEFAULT_LEVEL,
    check_level,
    fused_interval,
    mean_interval,
    mean_variance,
)
from dyadwatch.analyse.index.pooling import (
    auto_window,
    ordinal,
    pooled,
    representatives,
    start_of,
    window_stats,
)
from dyadwatch.analyse.index.scan import Scope, label_case, resolve
from dyadwatch.analyse.index.spec import (
    FREQS,
    FUSED,
    IndexSpec,
    parse_weights,
    period_end,
    period_label,
)
from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.normalise.scope import SCOPES, scope
from dyadwatch.store.parts import parquet
from dyadwatch.store.store import Store
from dyadwatch.visibility import bound, check_as_of, visible_sql

log = logging.getLogger(__name__)

MIN_N = 5
"""Fewest events behind a reported value. With five, no single event can move a mean by more
than a fifth of the scale's range (20 points / 5 = 4); with fewer, one event decides it."""

MIN_COVERAGE = 0.5
"""A source speaks for a window only if it holds data for at least half of it: a record that
stops in February is not a reading of a window that runs to December, and a record that
starts in 1985 is not a reading of the 1970s."""

EpisodeMode = Literal["once", "all"]
EPISODE_MODES: tuple[str, ...] = get_args(EpisodeMode)


@dataclass(frozen=True, slots=True)
class NamedSeries:
    """What a named series measures: which events (scope) and which per-event number."""

    name: str
    scope: str
    column: str
    title: str
    unit: str


NAMED: Mapping[str, NamedSeries] = {
    "relationship": NamedSeries(
        "relationship",
        "state",
        "relation_effect",
        "Cooperation between the governments",
        "mean effect of state-to-state events on cooperation (−10 … +10)",
    ),
    "environment": NamedSeries(
        "environment",
        "environment",
        "goldstein",
        "Security environment",
        "mean Goldstein score of non-state events involving both countries (−10 … +10)",
    ),
    "cameo": NamedSeries(
        "cameo",
        "all",
        "goldstein",
        "All events by CAMEO Goldstein score (baseline)",
        "mean Goldstein score of every event involving both countries (−10 … +10)",
    ),
}
"""The series every consumer reads by name (docs/index.md). ``cameo`` is the baseline the
relational measure is judged against: the tone of the coding, every actor, no editor."""

DEFAULT_SERIES = "relationship"

COLUMNS: Mapping[str, str] = {
    "series": "the named series (relationship, environment)",
    "source": "a source (or family) label, or 'fused'",
    "period": "period label of the step (2021-01, 2021Q1, 2021, 2021-W03)",
    "period_start": "first day of the step's period",
    "period_end": "last day of the step's period",
    "window": "periods pooled: the value at this step reads the `window` periods ending here",
    "window_start": "first day of the pooled window",
    "n": "events counted in the window (after scope, deduplication and episodes)",
    "n_unscored": "events in scope without a per-event number (not counted)",
    "value": "mean per-event effect (null when status is 'insufficient')",
    "lo": "lower end of the interval (level given by `level`)",
    "hi": "upper end of the interval",
    "sd": "sample standard deviation of the per-event numbers",
    "pos": "events with a positive number (cooperative)",
    "neg": "events with a negative number (conflictual)",
    "status": "'ok' or 'insufficient'",
    "reason": "why a value is null, in words",
    "reliability": "mean confidence of the events counted",
    "coverage": "share of the window's days the source holds data for",
    "weight_share": "per-source rows: the source's share of the fused weight (0 if unused)",
    "last_event": "date of the source's latest event public by as_of (fused: the latest of all)",
}
"""Every column of a named-series frame, in order, with its meaning."""


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """Which named series, over what, as of when, and how strict.

    Examples
    --------
    >>> SeriesQuery(freq="quarter").checked().window_for("curated") is None
    True
    """

    name: str = DEFAULT_SERIES
    dyad: str = "USA-MEX"
    direction: str = "both"
    freq: str = "month"
    window: int | None = None
    as_of: date | datetime | None = None
    since: date | None = None
    until: date | None = None
    sources: Sequence[str] | None = None
    dedupe: str = "phoenix"
    episodes: EpisodeMode = "once"
    min_confidence: float = 0.0
    min_n: int = MIN_N
    level: float = DEFAULT_LEVEL
    weights: Mapping[str, float] = field(default_factory=dict)
    scope: str | None = None
    """Override the series' own scope (``state``, ``environment``, ``all``)."""

    def checked(self) -> SeriesQuery:
        """This query, validated; a :class:`UsageError` naming any bad value."""
        if self.name not in NAMED:
            raise UsageError(
                f"unknown series {self.name!r}.{did_you_mean(self.name, NAMED)} "
                f"Series: {', '.join(NAMED)}."
            )
        if self.freq not in FREQS:
            raise UsageError(f"freq {self.freq!r} is not one of {', '.join(FREQS)}.")
        if self.window is not None and (
            isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1
        ):
            raise UsageError(f"window must be a whole number of periods >= 1, not {self.window!r}.")
        if self.episodes not in EPISODE_MODES:
            raise UsageError(f"episodes must be one of {', '.join(EPISODE_MODES)}.")
        if isinstance(self.min_n, bool) or not isinstance(self.min_n, int) or self.min_n < 2:
            raise UsageError(f"min_n must be a whole number >= 2, not {self.min_n!r}.")
        try:
            level = check_level(self.level)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if self.scope is not None and self.scope not in SCOPES:
            raise UsageError(f"scope {self.scope!r} is not one of {', '.join(SCOPES)}.")
        weights = self.weights
        if isinstance(weights, str):
            weights = parse_weights(weights)
        check_as_of(self.as_of)
        spec = self.index_spec().checked()  # dyad, direction, dates, sources, confidence
        return replace(
            self,
            dyad=spec.dyad,
            level=level,
            weights=dict(spec.weights or {}) or dict(weights),
            min_confidence=spec.min_confidence,
            sources=spec.sources,
        )

    @property
    def series(self) -> NamedSeries:
        return NAMED[self.name]

    @property
    def event_scope(self) -> str:
        return self.scope or self.series.scope

    def index_spec(self) -> IndexSpec:
        """The index spec that loads this query's rows (every date: windows look back)."""
        return IndexSpec(
            dyad=self.dyad,
            direction=self.direction,  # type: ignore[arg-type]
            freq=self.freq,  # type: ignore[arg-type]
            as_of=self.as_of,
            since=self.since,
            until=self.until,
            sources=self.sources,
            dedupe=self.dedupe,  # type: ignore[arg-type]
            min_confidence=self.min_confidence,
            weights=dict(self.weights) if not isinstance(self.weights, str) else {},
        )

    def window_for(self, source: str) -> int | None:
        """The window asked for (None: chosen from the source's own density)."""
        return self.window


# --- reading the rows ---------------------------------------------------------------------

ROW_COLUMNS: tuple[str, ...] = (
    "event_id",
    "relation_effect",
    "actor1_agent",
    "actor2_agent",
    "actor1_country",
    "actor2_country",
    "episode",
    "confidence",
)


def load_rows(con: duckdb.DuckDBPyConnection, scope_: Scope, query: SeriesQuery) -> pl.DataFrame:
    """The dyad's events of the query's sources public by ``as_of``, in scope, deduplicated.

    Columns: ``src`` (series label), ``event_id``, ``event_date``, ``known_at``, ``v`` (the
    series' per-event number), ``episode``, ``confidence``.
    """
    prepare_events(con, scope_, extra=ROW_COLUMNS)
    table = con.sql("SELECT * FROM dy").to_arrow_table()
    table = scope(table, query.event_scope).table
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if query.dedupe != "none":
        frame = representatives(frame)
    column = query.series.column
    return frame.select(
        "src",
        "event_id",
        "event_date",
        "known_at",
        pl.col(column).cast(pl.Float64).round(4).alias("v"),
        "episode",
        pl.col("confidence").cast(pl.Float64),
    )


def _coverage_days(
    con: duckdb.DuckDBPyConnection, scope_: Scope, query: SeriesQuery
) -> dict[str, dict[date, datetime]]:
    """Per series label: each day the source holds volume data for, and when it became public."""
    if not scope_.volume_files:
        return {}
    where = ["country = '*'"]
    params: dict[str, object] = {}
    if query.as_of is not None:
        where.append(visible_sql("known_at", "$as_of"))
        params["as_of"] = bound(query.as_of)
    sql = (
        f"SELECT {label_case(scope_.labels)} AS src, day, min(known_at) "
        f"FROM {parquet(scope_.volume_files)} WHERE {' AND '.join(where)} GROUP BY ALL"
    )
    days: dict[str, dict[date, datetime]] = {}
    for src, day, known in con.sql(sql, params=params).fetchall():
        if src is not None:
            days.setdefault(src, {})[day] = known
    return days


@dataclass(frozen=True, slots=True)
class SeriesRun:
    """A computed named series: the frame, and what it was computed from."""

    query: SeriesQuery
    table: pa.Table
    windows: Mapping[str, int]
    events: Mapping[str, pl.DataFrame]
    """Per source: the counted events of every window (src, target, event_id, v, …)."""
    steps: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    """Per source: every step of every episode in every window (before episodes collapse)."""

    def source_rows(self, source: str = FUSED) -> pa.Table:
        import pyarrow.compute as pc

        return self.table.filter(pc.equal(self.table.column("source"), source))


def _step_range(frame: pl.DataFrame, query: SeriesQuery) -> tuple[int, int] | None:
    freq = query.freq
    if query.since is not None:
        first = ordinal(query.since, freq)
    elif frame.is_empty():
        return None
    else:
        first = ordinal(frame["event_date"].min(), freq)  # type: ignore[arg-type]
    if query.until is not None:
        last = ordinal(query.until, freq)
    elif query.as_of is not None:
        as_of = query.as_of.date() if isinstance(query.as_of, datetime) else query.as_of
        last = ordinal(as_of, freq)
    elif frame.is_empty():
        return None
    else:
        last = ordinal(frame["event_date"].max(), freq)  # type: ignore[arg-type]
    return (first, last) if last >= first else None


def _coverage(
    days: set[date] | None, span: tuple[date, date] | None, start: date, end: date
) -> float:
    """Share of [start, end] the source holds data for: its volume days, else its event span."""
    total = (end - start).days + 1
    if total <= 0:
        return 0.0
    if days is not None:
        return sum(1 for d in days if start <= d <= end) / total
    if span is None:
        return 0.0
    lo, hi = max(span[0], start), min(span[1], end)
    return max(0, (hi - lo).days + 1) / total


@dataclass(frozen=True, slots=True)
class SeriesData:
    """The rows a named series is computed from, loaded once, answerable as of many dates.

    ``rows`` are the dyad's events in scope, deduplicated, with their ``known_at``; a
    group's representative is its first-published member, so filtering by ``known_at``
    after deduplicating gives what deduplicating after filtering would. A backtest asks
    :meth:`at` for every month without reading the store again.
    """

    query: SeriesQuery
    rows: pl.DataFrame
    volume: Mapping[str, Mapping[date, datetime]]
    labels: tuple[str, ...]

    def at(self, as_of: date | datetime | None = None, **changes: Any) -> SeriesRun:
        """The series as known at the end of ``as_of`` (None: everything loaded)."""
        query = replace(self.query, as_of=as_of, **changes)
        rows, volume = self.rows, self.volume
        if as_of is not None:
            limit = bound(as_of)
            rows = rows.filter(pl.col("known_at") <= pl.lit(limit, dtype=rows.schema["known_at"]))
            volume = {
                src: {d: k for d, k in days.items() if k <= limit} for src, days in volume.items()
            }
        return compute_series(query, rows, volume, self.labels)


def load_series(store: Store, query: SeriesQuery, *, session: Any = None) -> SeriesData:
    """Read what ``query`` needs from the store once (as of its ``as_of``, if any)."""
    spec = replace(query.index_spec(), since=None, until=None)
    scope_ = resolve(store, spec, snapshot_of(store, session))
    with session_connection(session) as con:
        rows = load_rows(con, scope_, query)
        volume = _coverage_days(con, scope_, query)
    return SeriesData(query, rows, volume, tuple(scope_.series))


def run_series(store: Store, query: SeriesQuery, *, session: Any = None) -> SeriesRun:
    """Compute a named series (every source and fused) for a checked query."""
    return load_series(store, query, session=session).at(query.as_of)


def compute_series(
    query: SeriesQuery,
    rows: pl.DataFrame,
    volume: Mapping[str, Mapping[date, datetime]],
    labels: Sequence[str],
) -> SeriesRun:
    """The series from loaded rows (no I/O): every source, then the fused rows."""
    freq = query.freq
    steps = _step_range(rows, query)
    out: list[dict[str, Any]] = []
    windows: dict[str, int] = {}
    counted: dict[str, pl.DataFrame] = {}
    steps_of: dict[str, pl.DataFrame] = {}
    per_step: dict[int, list[dict[str, Any]]] = {}
    as_of_day = (
        query.as_of.date() if isinstance(query.as_of, datetime) else query.as_of
    ) or datetime.now(UTC).date()
    for label in labels:
        mine = rows.filter(pl.col("src") == label)
        w = query.window or auto_window(mine, freq, query.min_n, query.episodes)
        windows[label] = w
        events = pooled(mine, freq, w, query.episodes)
        counted[label] = events
        steps_of[label] = pooled(mine.filter(pl.col("episode").is_not_null()), freq, w, "all")
        if steps is None:
            continue
        stats = {r["target"]: r for r in window_stats(events).iter_rows(named=True)}
        dates = mine["event_date"].to_list()
        span = (min(dates), max(dates)) if dates else None
        days = set(volume[label]) if label in volume else None
        for k in range(steps[0], steps[1] + 1):
            row = _source_row(query, label, k, w, stats.get(k), days, span, as_of_day)
            out.append(row)
            per_step.setdefault(k, []).append(row)
    if steps is not None:
        for k in range(steps[0], steps[1] + 1):
            out.append(_fused_row(query, k, per_step.get(k, [])))
    table = pl.DataFrame(out, schema=_SCHEMA, orient="row").to_arrow() if out else _empty()
    return SeriesRun(query, table, windows, counted, steps_of)


_SCHEMA: dict[str, Any] = {
    "series": pl.String,
    "source": pl.String,
    "period": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "window": pl.Int64,
    "window_start": pl.Date,
    "n": pl.Int64,
    "n_unscored": pl.Int64,
    "value": pl.Float64,
    "lo": pl.Float64,
    "hi": pl.Float64,
    "sd": pl.Float64,
    "pos": pl.Int64,
    "neg": pl.Int64,
    "status": pl.String,
    "reason": pl.String,
    "reliability": pl.Float64,
    "coverage": pl.Float64,
    "weight_share": pl.Float64,
    "last_event": pl.Date,
}


def _empty() -> pa.Table:
    return pl.DataFrame(schema=_SCHEMA).to_arrow()


def _base(query: SeriesQuery, source: str, k: int, w: int) -> dict[str, Any]:
    start = start_of(k, query.freq)
    return {
        "series": query.name,
        "source": source,
        "period": period_label(start, query.freq),
        "period_start": start,
        "period_end": period_end(start, query.freq),
        "window": w,
        "window_start": start_of(k - w + 1, query.freq),
    }


def _source_row(
    query: SeriesQuery,
    label: str,
    k: int,
    w: int,
    stat: Mapping[str, Any] | None,
    days: set[date] | None,
    span: tuple[date, date] | None,
    as_of_day: date,
) -> dict[str, Any]:
    row = _base(query, label, k, w)
    n = int(stat["n"]) if stat else 0
    end = min(row["period_end"], as_of_day)
    row.update(
        n=n,
        n_unscored=int(stat["n_unscored"]) if stat else 0,
        pos=int(stat["pos"]) if stat else 0,
        neg=int(stat["neg"]) if stat else 0,
        sd=stat["sd"] if stat else None,
        reliability=stat["reliability"] if stat else None,
        coverage=_coverage(days, _periods_of(span), row["window_start"], end),
        last_event=span[1] if span else None,
        value=None,
        lo=None,
        hi=None,
        weight_share=0.0,
    )
    if n >= query.min_n and stat is not None and row["coverage"] >= MIN_COVERAGE:
        sd = float(stat["sd"] or 0.0)
        lo, hi = mean_interval(n, float(stat["mean"]), sd, query.level)
        row.update(value=float(stat["mean"]), lo=lo, hi=hi, status="ok", reason=None)
    elif n >= query.min_n:
        row.update(status="insufficient", reason=_uncovered(row["coverage"], span))
    else:
        row.update(status="insufficient", reason=_too_few(n, query.min_n, w, query.freq))
    return row


def _periods_of(span: tuple[date, date] | None) -> tuple[date, date] | None:
    """The whole months a source's events span: a record with an event in March covers March
    (a month is the finest precision the record's dates carry)."""
    if span is None:
        return None
    return span[0].replace(day=1), period_end(span[1].replace(day=1), "month")


def _uncovered(coverage: float, span: tuple[date, date] | None) -> str:
    runs = f" (its record runs {span[0].isoformat()} to {span[1].isoformat()})" if span else ""
    return (
        f"insufficient evidence: the source holds data for {coverage:.0%} of the window, "
        f"less than {MIN_COVERAGE:.0%}{runs}"
    )


def _too_few(n: int, min_n: int, w: int, freq: str) -> str:
    span = f"{w} {freq}s" if w > 1 else f"the {freq}"
    return f"insufficient evidence: {n} event(s) in {span}, fewer than {min_n}"


def _weight(query: SeriesQuery, row: Mapping[str, Any]) -> float:
    user = query.weights.get(row["source"], 1.0)
    variance = mean_variance(row["n"], float(row["sd"] or 0.0))
    reliability = row["reliability"] if row["reliability"] is not None else 0.5
    return user * reliability * row["coverage"] / variance


def _fused_row(query: SeriesQuery, k: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    w = max((r["window"] for r in rows), default=1)
    fused = _base(query, FUSED, k, w)
    ok = [r for r in rows if r["status"] == "ok"]
    weights = [_weight(query, r) for r in ok]
    used = [(r, wt) for r, wt in zip(ok, weights, strict=True) if wt > 0 and math.isfinite(wt)]
    fused.update(
        n=sum(r["n"] for r, _ in used),
        n_unscored=sum(r["n_unscored"] for r in rows),
        pos=sum(r["pos"] for r, _ in used),
        neg=sum(r["neg"] for r, _ in used),
        sd=None,
        reliability=None,
        coverage=max((r["coverage"] for r, _ in used), default=0.0),
        weight_share=None,
        last_event=max((r["last_event"] for r in rows if r["last_event"]), default=None),
    )
    if not used:
        counts = ", ".join(f"{r['source']} {r['n']}" for r in rows) or "no events"
        fused["n"] = sum(r["n"] for r in rows)
        fused.update(
            value=None,
            lo=None,
            hi=None,
            status="insufficient",
            reason=(
                f"insufficient evidence: no source has {query.min_n} events in its window "
                f"({counts})"
            ),
        )
        return fused
    total = sum(wt for _, wt in used)
    for r, wt in used:
        r["weight_share"] = wt / total
    value, lo, hi = fused_interval(
        [r["value"] for r, _ in used],
        [mean_variance(r["n"], float(r["sd"] or 0.0)) for r, _ in used],
        [wt for _, wt in used],
        query.level,
    )
    fused.update(value=value, lo=lo, hi=hi, status="ok", reason=None)
    return fused


def series(
    store: Store,
    name: str = DEFAULT_SERIES,
    *,
    output: str = "arrow",
    source: str | None = FUSED,
    session: Any = None,
    **params: Any,
) -> Any:
    """A named series of the dyad: one row per step (``fused`` by default; ``source=None``
    for every source and the fused row).

    Parameters
    ----------
    store
        The store to read.
    name
        ``relationship`` (default) or ``environment`` (:data:`NAMED`).
    source
        ``fused`` (default), a source label, or None for every row.
    output
        ``arrow``, ``polars`` or ``pandas``.
    params
        Fields of :class:`SeriesQuery`: ``freq``, ``window``, ``as_of``, ``since``,
        ``until``, ``dyad``, ``direction``, ``sources``, ``dedupe``, ``episodes``,
        ``min_confidence``, ``min_n``, ``level``, ``weights``, ``scope``.

    Returns
    -------
    A frame with the columns of :data:`COLUMNS`.

    Examples
    --------
    >>> t = series(store, as_of=date(2021, 1, 19))
    >>> row = t.select(["period", "value", "lo", "hi", "n", "status"]).to_pylist()[-1]
    >>> row["period"], row["status"], row["lo"] <= row["value"] <= row["hi"]
    ('2021-01', 'ok', True)
    """
    query = make_query(name, params)
    run = run_series(store, query, session=session)
    table = run.table if source is None else run.source_rows(source)
    return to_frame(table, output)


def make_query(name: str, params: Mapping[str, Any]) -> SeriesQuery:
    """A checked :class:`SeriesQuery` from a name and keyword fields."""
    fields = set(SeriesQuery.__dataclass_fields__)
    unknown = [k for k in params if k not in fields]
    if unknown:
        raise UsageError(
            f"unknown series parameter {unknown[0]!r}.{did_you_mean(unknown[0], fields)}"
        )
    return SeriesQuery(name=name, **params).checked()


__all__ = [
    "COLUMNS",
    "DEFAULT_SERIES",
    "EPISODE_MODES",
    "MIN_COVERAGE",
    "MIN_N",
    "NAMED",
    "NamedSeries",
    "SeriesData",
    "SeriesQuery",
    "SeriesRun",
    "compute_series",
    "load_rows",
    "load_series",
    "make_query",
    "run_series",
    "series",
]
