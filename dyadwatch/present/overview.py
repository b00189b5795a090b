"""Everything a reader needs about a dyad as of a date, in one JSON-serialisable record.

:func:`overview` assembles, for the knowledge available at the end of day D, the headline
state of the relationship and its place in history ("lowest since …", from the dyad index),
the index series with its turning points, what changed in the month up to D (events that
became public, instrument states that changed, the index's move), the findings of the
default rules, the instruments' states, short indicator series for sparklines, and a
numbered list of every source URL cited anywhere in it, de-duplicated. The brief
(:mod:`dyadwatch.present.brief`) and the dashboard render this record; neither computes
anything of its own, so the two always agree.

Everything is point in time: an event, state or figure appears only if its ``known_at`` is
at or before the end of D, as in the rest of dyadwatch (DESIGN.md, "Point-in-time
correctness").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

import duckdb

from dyadwatch.analyse.index import (
    FUSED,
    IndexSpec,
    LowestSince,
    alerts,
    lowest_since,
    turning_points,
)
from dyadwatch.analyse.index.core import run_index
from dyadwatch.analyse.index.spec import FREQS, period_end, period_label, period_start
from dyadwatch.errors import AnalysisError, DyadwatchError, UsageError, did_you_mean
from dyadwatch.model import Finding, Instrument, as_of_timestamp
from dyadwatch.policy.indicators import indicator_names
from dyadwatch.policy.instruments import instrument_states
from dyadwatch.store.query import EventFilter, parse_dyad
from dyadwatch.store.store import Snapshot, Store

log = logging.getLogger(__name__)

MEASURE = "net_coop"
"""The measure the headline, the chart and the turning points use (docs/index.md)."""

ESSAY = (
    'Vanda Felbab-Brown, "The US-Mexico security relationship in 2021", Brookings '
    "Institution, Order from Chaos, 19 January 2021"
)
"""The policy analysis whose instruments and conditional recommendations dyadwatch tracks."""

MAX_CHANGED_EVENTS = 12
"""Events shown under "what changed": the largest by |Goldstein|, then the most recent."""
MAX_TURNING_EVENTS = 2
"""Events shown per turning point (largest contributions)."""
MAX_INDICATORS = 6
"""Indicator series shown as sparklines."""
MIN_INDICATOR_POINTS = 3
"""A sparkline needs at least this many periods to show a direction."""
MAX_URLS_PER_ITEM = 2
"""URLs cited per event, state or figure (the first ones the record lists)."""
MAX_FINDING_EVIDENCE = 3
"""Evidence items kept per met finding (the rule engine's order: states, figures, events)."""

INDICATOR_PRIORITY = (
    "us_overdose_deaths",
    "mexico_homicide",
    "cbp_fentanyl",
    "extraditions_mexico_to_us",
    "merida",
    "dea_",
)
"""Series families shown first: the essay's concerns (overdoses, violence, fentanyl
seizures, extraditions, Mérida funding, US agents in Mexico), in that order."""

Status = Literal["ok", "insufficient_data"]
Con = duckdb.DuckDBPyConnection


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """One numbered source: a URL and what in the overview cites it."""

    number: int
    url: str
    title: str | None
    cited_for: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventRef:
    """An event as shown to a reader, with the numbers of its sources."""

    event_id: str
    source: str
    source_key: str
    event_date: date
    known_at: datetime
    actor1: str
    actor2: str
    cameo_code: str | None
    quad_class: int | None
    goldstein: float | None
    instruments: tuple[str, ...]
    summary: str
    urls: tuple[str, ...]
    sources: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexPoint:
    period: str
    period_start: date
    n: int
    net_coop: float | None
    goldstein_net: float | None
    z_net_coop: float | None


@dataclass(frozen=True, slots=True)
class TurningPoint:
    period: str
    period_start: date
    direction: Literal["up", "down"]
    before_mean: float
    after_mean: float
    change: float
    events: tuple[EventRef, ...]


@dataclass(frozen=True, slots=True)
class AlertView:
    """A measure of the latest week far from its own baseline (:mod:`..analyse.index.alerts`)."""

    period: str
    measure: str
    value: float
    z: float
    reading: str
    events: tuple[EventRef, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One "lowest since" answer of the index, as structured fields and a sentence."""

    freq: str
    period: str
    value: float
    since: str | None
    since_value: float | None
    first_period: str
    periods_between: int | None
    record_low: bool
    text: str


@dataclass(frozen=True, slots=True)
class Headline:
    """The state of the relationship as of D and how it compares with history."""

    text: str
    measure: str
    period: str | None
    """The latest period with events, at the overview's frequency."""
    value: float | None
    events: int
    z: float | None
    """z-score of ``value`` against the index's rolling baseline (None: too little history)."""
    recent: Comparison | None
    """"Lowest since" for ``period``."""
    year: Comparison | None
    """"Lowest since" for the last complete calendar year."""


@dataclass(frozen=True, slots=True)
class IndexMove:
    period: str
    value: float | None
    events: int
    previous_period: str | None
    previous_value: float | None
    previous_events: int
    change: float | None
    text: str


@dataclass(frozen=True, slots=True)
class StateChange:
    instrument: str
    name: str
    previous_state: str | None
    state: str
    valid_from: date
    known_at: datetime
    note: str | None
    evidence: tuple[EventRef, ...]


@dataclass(frozen=True, slots=True)
class Changes:
    """What became known in the month up to D: ``(since, until]`` by ``known_at``."""

    since: date
    until: date
    events_total: int
    events: tuple[EventRef, ...]
    state_changes: tuple[StateChange, ...]
    index_move: IndexMove | None


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    kind: str
    ref: str
    date: date | None
    text: str
    urls: tuple[str, ...]
    sources: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class FindingView:
    rule_id: str
    title: str
    status: str
    lever: str | None
    explanation: str
    metrics: Mapping[str, Any]
    evidence: tuple[EvidenceItem, ...]
    """Up to :data:`MAX_FINDING_EVIDENCE` items, for met findings only."""
    evidence_total: int = 0


@dataclass(frozen=True, slots=True)
class InstrumentView:
    id: str
    name: str
    state: str | None
    since: date | None
    known_at: datetime | None
    note: str | None
    changed_in_window: bool
    evidence: tuple[EventRef, ...]


@dataclass(frozen=True, slots=True)
class IndicatorValue:
    period_start: date
    period_end: date
    value: float


@dataclass(frozen=True, slots=True)
class IndicatorView:
    indicator: str
    unit: str
    scope: str | None
    points: tuple[IndicatorValue, ...]
    latest: IndicatorValue
    previous: IndicatorValue | None
    urls: tuple[str, ...]
    sources: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Overview:
    """What a reader needs about ``dyad`` as of ``as_of``. Build with :func:`overview`."""

    dyad: str
    as_of: date
    freq: str
    measure: str
    status: Status
    headline: Headline
    index: tuple[IndexPoint, ...]
    history: tuple[IndexPoint, ...]
    """The same index by calendar year: the long view behind "lowest since"."""
    turning_points: tuple[TurningPoint, ...]
    changes: Changes
    findings: tuple[FindingView, ...]
    rules_note: str | None
    """Why there are no findings, when there are none (e.g. the rule engine is absent)."""
    instruments: tuple[InstrumentView, ...]
    indicators: tuple[IndicatorView, ...]
    sources: tuple[Source, ...]
    first_event: date | None
    """The first dyad event public by ``as_of`` (None: none)."""
    events_known: int
    """Dyad events public by ``as_of``."""
    essay: str = ESSAY
    notes: tuple[str, ...] = field(default=())
    alerts: tuple[AlertView, ...] = field(default=())
    """Measures of the week holding ``as_of`` at least 2 standard deviations from their
    baseline, each with its events (empty: nothing unusual, or too little history)."""

    @property
    def met_findings(self) -> tuple[FindingView, ...]:
        return tuple(f for f in self.findings if f.status == "met")

    def source_urls(self) -> list[str]:
        """Every cited URL in source-number order."""
        return [s.url for s in self.sources]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (dates as ISO strings, NaN as None).

        >>> json.dumps(overview(store, date(2021, 1, 31)).as_dict())  # doctest: +SKIP
        """
        out = _jsonable(self)
        assert isinstance(out, dict)
        return out


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


# --- source numbering ------------------------------------------------------------------------


class _Citations:
    """Numbers URLs in order of first citation; one number per distinct URL."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._titles: dict[str, str | None] = {}
        self._uses: dict[str, list[str]] = {}

    def cite(
        self, urls: Iterable[str], label: str, titles: Sequence[str | None] = ()
    ) -> tuple[int, ...]:
        numbers = []
        for i, url in enumerate(urls):
            url = url.strip()
            if not url:
                continue
            if url not in self._numbers:
                self._numbers[url] = len(self._numbers) + 1
                self._titles[url] = titles[i] if i < len(titles) else None
                self._uses[url] = []
            if label not in self._uses[url]:
                self._uses[url].append(label)
            numbers.append(self._numbers[url])
        return tuple(dict.fromkeys(numbers))

    def sources(self) -> tuple[Source, ...]:
        return tuple(
            Source(n, url, self._titles[url], tuple(self._uses[url]))
            for url, n in sorted(self._numbers.items(), key=lambda kv: kv[1])
        )


# --- helpers ---------------------------------------------------------------------------------


def _checked(as_of: date | datetime, dyad: str, freq: str) -> tuple[date, str, str]:
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if not isinstance(as_of, date):
        raise UsageError(f"as_of must be a date (YYYY-MM-DD), not {as_of!r}.")
    today = datetime.now(UTC).date()
    if as_of > today:
        raise UsageError(
            f"as-of date {as_of} is in the future (today is {today}): "
            "a brief can only say what was known by a past or present date."
        )
    if freq not in FREQS:
        raise UsageError(
            f"freq {freq!r} is not one of {', '.join(FREQS)}.{did_you_mean(freq, FREQS)}"
        )
    return as_of, "-".join(parse_dyad(dyad)), freq


def _month_before(d: date) -> date:
    y, m = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
    last = period_end(date(y, m, 1), "month")
    return date(y, m, min(d.day, last.day))


def _event_ref(row: Mapping[str, Any]) -> EventRef:
    def actor(prefix: str) -> str:
        return str(
            row.get(f"{prefix}_name")
            or row.get(f"{prefix}_code")
            or row.get(f"{prefix}_country")
            or ""
        )

    urls = tuple(u for u in (row.get("source_urls") or ()) if u)[:MAX_URLS_PER_ITEM]
    return EventRef(
        event_id=row["event_id"],
        source=row["source"],
        source_key=row["source_key"],
        event_date=row["event_date"],
        known_at=row["known_at"],
        actor1=actor("actor1"),
        actor2=actor("actor2"),
        cameo_code=row.get("cameo_code"),
        quad_class=row.get("quad_class"),
        goldstein=_num(row.get("goldstein")),
        instruments=tuple(row.get("instruments") or ()),
        summary=" ".join(str(row.get("summary") or "").split()),
        urls=urls,
    )


def _num(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _cite_event(ev: EventRef, cites: _Citations, label: str) -> EventRef:
    return replace(ev, sources=cites.cite(ev.urls, label))


_EVENT_COLUMNS = (
    "event_id, source, source_key, event_date, known_at, actor1_code, actor1_name, "
    "actor1_country, actor2_code, actor2_name, actor2_country, cameo_code, quad_class, "
    "goldstein, instruments, source_urls, summary, dedupe_group, confidence"
)


def _query_events(con: Con, where: str, params: list[Any], tail: str = "") -> list[dict[str, Any]]:
    sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE {where} {tail}"
    return con.sql(sql, params=params).to_arrow_table().to_pylist()


def signed(x: float | None, digits: int = 2) -> str:
    """``-0.25`` → ``−0.25`` (a true minus sign), ``0.5`` → ``+0.50``; None → ``n/a``.

    >>> signed(-0.25), signed(0.5), signed(None)
    ('−0.25', '+0.50', 'n/a')
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:+.{digits}f}".replace("-", "−")


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def day_name(d: date) -> str:
    """``date(2021, 1, 31)`` → ``31 January 2021`` (not locale-dependent).

    >>> day_name(date(2021, 1, 31))
    '31 January 2021'
    """
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def period_name(label: str, freq: str) -> str:
    """A period label as a person writes it: ``2021-01`` → ``January 2021``.

    >>> period_name("2021-01", "month"), period_name("2021Q1", "quarter")
    ('January 2021', 'Q1 2021')
    >>> period_name("2021-W03", "week"), period_name("2021", "year")
    ('week 3 of 2021', '2021')
    """
    if freq == "month" and len(label) == 7:
        return f"{_MONTHS[int(label[5:]) - 1]} {label[:4]}"
    if freq == "quarter" and "Q" in label:
        year, q = label.split("Q")
        return f"Q{q} {year}"
    if freq == "week" and "-W" in label:
        year, w = label.split("-W")
        return f"week {int(w)} of {year}"
    return label


def _comparison(ls: LowestSince, freq: str) -> Comparison:
    name = period_name(ls.period, freq)
    if ls.record_low:
        text = f"{name}: {signed(ls.value)}, the lowest in the record (from {ls.first_period})"
    elif ls.periods_between == 0:
        text = (
            f"{name}: {signed(ls.value)}, not a low: {period_name(ls.since or '', freq)} "
            f"was {signed(ls.since_value)}"
        )
    else:
        text = (
            f"{name}: {signed(ls.value)}, the lowest since "
            f"{period_name(ls.since or '', freq)} ({signed(ls.since_value)})"
        )
    return Comparison(
        freq=freq,
        period=ls.period,
        value=ls.value,
        since=ls.since,
        since_value=ls.since_value,
        first_period=ls.first_period,
        periods_between=ls.periods_between,
        record_low=ls.record_low,
        text=text,
    )


def _points(rows: Iterable[Mapping[str, Any]]) -> tuple[IndexPoint, ...]:
    return tuple(
        IndexPoint(
            period=r["period"],
            period_start=r["period_start"],
            n=int(r["n"] or 0),
            net_coop=_num(r["net_coop"]),
            goldstein_net=_num(r["goldstein_net"]),
            z_net_coop=_num(r["z_net_coop"]),
        )
        for r in rows
    )


def _index(store: Store, spec: IndexSpec) -> tuple[IndexPoint, ...]:
    try:
        run = run_index(store, spec)
    except AnalysisError as exc:
        log.info("no index: %s", exc)
        return ()
    if not run.scope.series:
        return ()
    return _points(run.series(FUSED).to_pylist())


# --- the sections ----------------------------------------------------------------------------


def _headline(
    store: Store,
    spec: IndexSpec,
    index: Sequence[IndexPoint],
    history: Sequence[IndexPoint],
    as_of: date,
    pair: str,
) -> Headline:
    observed = [p for p in index if p.net_coop is not None]
    if not observed:
        return Headline(
            text=(
                f"Insufficient data: no {pair} events were public by {day_name(as_of)}, "
                "so dyadwatch cannot say where the relationship stood."
            ),
            measure=MEASURE,
            period=None,
            value=None,
            events=0,
            z=None,
            recent=None,
            year=None,
        )
    last = observed[-1]
    recent: Comparison | None = None
    try:
        recent = _comparison(
            lowest_since(store, last.period_start, spec, measure=MEASURE), spec.freq
        )
    except AnalysisError as exc:
        log.info("no lowest-since for %s: %s", last.period, exc)
    year: Comparison | None = None
    full_year = as_of.year if as_of == date(as_of.year, 12, 31) else as_of.year - 1
    if any(p.period == str(full_year) and p.net_coop is not None for p in history):
        try:
            year = _comparison(
                lowest_since(store, str(full_year), spec.with_(freq="year"), measure=MEASURE),
                "year",
            )
        except AnalysisError as exc:
            log.info("no lowest-since for %s: %s", full_year, exc)
    freq = spec.freq
    text = (
        f"As of {day_name(as_of)}, net cooperation between {pair} stood at "
        f"{signed(last.net_coop)} in {period_name(last.period, freq)}"
    )
    latest = last.period != period_label(period_start(as_of, freq), freq)
    text += f" ({last.n} event(s){f'; the latest {freq} with events' if latest else ''})"
    if recent is not None and recent.record_low:
        text += f", the lowest in the record (from {period_name(recent.first_period, freq)})."
    elif recent is not None and recent.periods_between == 0 and recent.since:
        word = "level with" if recent.since_value == last.net_coop else "up from"
        text += f", {word} {signed(recent.since_value)} in {period_name(recent.since, freq)}."
    elif recent is not None and recent.since:
        text += f", the lowest since {period_name(recent.since, freq)}."
    else:
        text += "."
    if year is not None:
        if year.record_low:
            text += (
                f" Over {year.period}, at {signed(year.value)}, it was the lowest of any year "
                f"in the record (from {year.first_period})."
            )
        elif year.periods_between == 0:
            text += (
                f" Over {year.period} it was {signed(year.value)}, above "
                f"{year.since} ({signed(year.since_value)})."
            )
        else:
            text += (
                f" Over {year.period}, at {signed(year.value)}, it was the lowest of any year "
                f"since {year.since}."
            )
    return Headline(
        text=text,
        measure=MEASURE,
        period=last.period,
        value=last.net_coop,
        events=last.n,
        z=last.z_net_coop,
        recent=recent,
        year=year,
    )


def _turning_points(
    store: Store, con: Con, spec: IndexSpec, cites: _Citations
) -> tuple[TurningPoint, ...]:
    try:
        table = turning_points(store, spec, measure=MEASURE, events=MAX_TURNING_EVENTS)
    except AnalysisError as exc:
        log.info("no turning points: %s", exc)
        return ()
    out = []
    for r in table.to_pylist():
        refs = _cited_events(con, r["events"], cites, f"turning point {r['period']}")
        out.append(
            TurningPoint(
                period=r["period"],
                period_start=r["period_start"],
                direction=r["direction"],
                before_mean=r["before_mean"],
                after_mean=r["after_mean"],
                change=r["change"],
                events=refs,
            )
        )
    return tuple(out)


ALERT_EVENTS = 3
"""Events shown per alert."""


def _alerts(store: Store, con: Con, spec: IndexSpec, cites: _Citations) -> tuple[AlertView, ...]:
    """This week's unusual measures (weekly index, the default threshold), with events."""
    try:
        table = alerts(store, spec.with_(freq="week"), events=ALERT_EVENTS)
    except AnalysisError as exc:
        log.info("no alerts: %s", exc)
        return ()
    out = []
    for r in table.to_pylist():
        refs = _cited_events(con, r["events"], cites, f"alert {r['period']}")
        out.append(AlertView(r["period"], r["measure"], r["value"], r["z"], r["reading"], refs))
    return tuple(out)


def _cited_events(
    con: Con, events: Sequence[Mapping[str, Any]], cites: _Citations, label: str
) -> tuple[EventRef, ...]:
    """The stored events behind an analysis row (in its order), their sources cited."""
    ids = [e["event_id"] for e in events]
    rows = {e["event_id"]: e for e in _events_by_id(con, ids)}
    return tuple(_cite_event(_event_ref(rows[i]), cites, label) for i in ids if i in rows)


def _events_by_id(con: Con, ids: Sequence[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    return _query_events(con, f"event_id IN ({marks})", list(ids))


def _events_by_key(con: Con, keys: Sequence[str], as_of: date) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    marks = ", ".join("?" for _ in keys)
    rows = _query_events(
        con,
        f"source = 'curated' AND source_key IN ({marks}) AND known_at <= ?",
        [*keys, as_of_timestamp(as_of)],
    )
    return {r["source_key"]: r for r in rows}


def _changed_events(
    con: Con, dyad: str, since: date, as_of: date, cites: _Citations
) -> tuple[int, tuple[EventRef, ...]]:
    where, params = EventFilter(dyad=dyad, as_of=as_of).where()
    where += " AND known_at > ?"
    params.append(as_of_timestamp(since))
    # One event per dedupe group (the first to become public), as the index counts them.
    rows = _query_events(
        con,
        where,
        params,
        "QUALIFY row_number() OVER (PARTITION BY coalesce(dedupe_group, event_id) "
        "ORDER BY known_at, event_id) = 1",
    )
    total = len(rows)
    rows.sort(
        key=lambda r: (-abs(r["goldstein"] or 0.0), -(r["confidence"] or 0.0), r["event_date"])
    )
    shown = sorted(rows[:MAX_CHANGED_EVENTS], key=lambda r: (r["event_date"], r["event_id"]))
    refs = tuple(_cite_event(_event_ref(r), cites, "what changed") for r in shown)
    return total, refs


def _index_move(index: Sequence[IndexPoint], as_of: date, freq: str) -> IndexMove | None:
    current = period_label(period_start(as_of, freq), freq)
    pos = next((i for i, p in enumerate(index) if p.period == current), None)
    if pos is None:
        return None
    now = index[pos]
    prev = index[pos - 1] if pos > 0 else None
    change = (
        now.net_coop - prev.net_coop
        if prev is not None and now.net_coop is not None and prev.net_coop is not None
        else None
    )
    partial = period_end(period_start(as_of, freq), freq) > as_of
    label = period_name(now.period, freq)
    to_date = "to date, " if partial else ""
    if now.net_coop is None:
        text = f"No events counted in {label}{' so far' if partial else ''}"
        last = next((p for p in reversed(index[:pos]) if p.net_coop is not None), None)
        if last is not None:
            text += (
                f"; the latest period with events, {period_name(last.period, freq)}, stood at "
                f"{signed(last.net_coop)} ({last.n} event(s))"
            )
        text += "."
    elif prev is None or prev.net_coop is None:
        text = (
            f"{label}: {signed(now.net_coop)} ({now.n} event(s)); no events in the period before."
        )
    else:
        assert change is not None
        verb = "rose" if change > 0 else "fell" if change < 0 else "held"
        text = (
            f"Net cooperation {verb} from {signed(prev.net_coop)} in "
            f"{period_name(prev.period, freq)} ({prev.n} event(s)) to {signed(now.net_coop)} "
            f"in {label} ({to_date}{now.n} event(s))"
            + (f", a move of {signed(change)}." if change else ".")
        )
    return IndexMove(
        period=now.period,
        value=now.net_coop,
        events=now.n,
        previous_period=prev.period if prev else None,
        previous_value=prev.net_coop if prev else None,
        previous_events=prev.n if prev else 0,
        change=change,
        text=text,
    )


def _instruments(
    store: Store, snap: Snapshot, con: Con, as_of: date, since: date, cites: _Citations
) -> tuple[tuple[InstrumentView, ...], tuple[StateChange, ...]]:
    instruments = instrument_states(store, as_of, snapshot=snap)
    window_start = as_of_timestamp(since)
    window_end = as_of_timestamp(as_of)
    wanted: list[str] = []
    current: list[tuple[Instrument, Any]] = []
    for inst in instruments:
        state = inst.state_on(as_of)
        current.append((inst, state))
        for s in inst.states:
            if window_start < s.known_at <= window_end or s is state:
                wanted.extend(s.evidence[:1])
    by_key = _events_by_key(con, list(dict.fromkeys(wanted)), as_of)
    views = []
    changes = []
    for inst, state in current:
        for i, s in enumerate(inst.states):
            if not window_start < s.known_at <= window_end:
                continue
            refs = tuple(
                _cite_event(_event_ref(by_key[k]), cites, f"instrument {inst.id}")
                for k in s.evidence[:1]
                if k in by_key
            )
            changes.append(
                StateChange(
                    instrument=inst.id,
                    name=inst.name,
                    previous_state=inst.states[i - 1].state if i > 0 else None,
                    state=s.state,
                    valid_from=s.valid_from,
                    known_at=s.known_at,
                    note=s.note,
                    evidence=refs,
                )
            )
        refs = ()
        if state is not None:
            refs = tuple(
                _cite_event(_event_ref(by_key[k]), cites, f"instrument {inst.id}")
                for k in state.evidence[:1]
                if k in by_key
            )
        views.append(
            InstrumentView(
                id=inst.id,
                name=inst.name,
                state=state.state if state else None,
                since=state.valid_from if state else None,
                known_at=state.known_at if state else None,
                note=state.note if state else None,
                changed_in_window=state is not None and window_start < state.known_at <= window_end,
                evidence=refs,
            )
        )
    changes.sort(key=lambda c: (c.known_at, c.instrument))
    return tuple(views), tuple(changes)


def _priority(name: str) -> tuple[int, str]:
    for i, prefix in enumerate(INDICATOR_PRIORITY):
        if name.startswith(prefix):
            return i, name
    return len(INDICATOR_PRIORITY), name


def _indicator_rows(con: Con, names: Sequence[str], as_of: date) -> dict[str, list[dict[str, Any]]]:
    """For each series, one row per period: the latest vintage public by ``as_of``.

    The same rule as :func:`dyadwatch.policy.indicators.indicator_series` (``latest-known``),
    read for every series at once over the overview's connection.
    """
    if not names:
        return {}
    marks = ", ".join("?" for _ in names)
    rows = (
        con.sql(
            f"SELECT * FROM indicators WHERE indicator IN ({marks}) AND known_at <= ? "
            "QUALIFY row_number() OVER (PARTITION BY indicator, period_start, period_end "
            "ORDER BY known_at DESC, vintage DESC) = 1 "
            "ORDER BY indicator, period_start, period_end",
            params=[*names, as_of_timestamp(as_of)],
        )
        .to_arrow_table()
        .to_pylist()
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["value"] is not None:
            out.setdefault(r["indicator"], []).append(r)
    return out


def _indicators(
    store: Store, snap: Snapshot, con: Con, as_of: date, cites: _Citations
) -> tuple[IndicatorView, ...]:
    names = indicator_names(store, as_of, snapshot=snap).to_pylist()
    candidates = sorted(
        (r for r in names if (r["periods"] or 0) >= MIN_INDICATOR_POINTS),
        key=lambda r: _priority(r["indicator"]),
    )
    series = _indicator_rows(con, [r["indicator"] for r in candidates], as_of)
    out = []
    families: set[int] = set()
    for r in candidates:
        family = _priority(r["indicator"])[0]
        # One series per family, so the sparklines show different things.
        if family < len(INDICATOR_PRIORITY) and family in families:
            continue
        rows = series.get(r["indicator"], [])
        if len(rows) < MIN_INDICATOR_POINTS:
            continue
        families.add(family)
        values = tuple(
            IndicatorValue(p["period_start"], p["period_end"], float(p["value"])) for p in rows
        )
        urls: list[str] = []
        titles: list[str | None] = []
        for p in reversed(rows):
            if p["source_url"] and p["source_url"] not in urls:
                urls.append(p["source_url"])
                titles.append(p["source_title"])
        urls, titles = urls[:MAX_URLS_PER_ITEM], titles[:MAX_URLS_PER_ITEM]
        out.append(
            IndicatorView(
                indicator=r["indicator"],
                unit=r["unit"],
                scope=r["scope"],
                points=values,
                latest=values[-1],
                previous=values[-2] if len(values) > 1 else None,
                urls=tuple(urls),
                sources=cites.cite(urls, f"indicator {r['indicator']}", titles),
            )
        )
        if len(out) >= MAX_INDICATORS:
            break
    return tuple(out)


def default_findings(store: Store, as_of: date) -> tuple[list[Finding], str | None]:
    """The shipped rule set evaluated as of ``as_of``, and a note on what did not run.

    A rule that does not load is left out and named in the note; the others still run.

    Examples
    --------
    >>> findings, note = default_findings(store, date(2021, 1, 31))  # doctest: +SKIP
    """
    from dyadwatch.policy.rules import evaluate, load_rules

    try:
        rules = load_rules()
        findings = evaluate(store, rules, as_of) if rules.rules else []
    except DyadwatchError as exc:
        log.warning("default rules not evaluated: %s", exc)
        return [], f"The default rules could not be evaluated: {exc}"
    note = None
    if rules.problems:
        note = f"{len(rules.problems)} rule(s) did not load and were skipped: " + "; ".join(
            str(p) for p in rules.problems
        )
    elif not rules.rules:
        note = "No default rules are installed."
    return list(findings), note


def _findings(findings: Sequence[Finding], cites: _Citations) -> tuple[FindingView, ...]:
    order = {"met": 0, "not_met": 1, "insufficient_data": 2}
    out = []
    for f in sorted(findings, key=lambda f: (order.get(f.status, 3), f.rule_id)):
        items: tuple[EvidenceItem, ...] = ()
        if f.status == "met":
            items = tuple(
                EvidenceItem(
                    kind=e.kind,
                    ref=e.ref,
                    date=e.date,
                    text=" ".join(e.text.split()),
                    urls=tuple(e.urls[:MAX_URLS_PER_ITEM]),
                    sources=cites.cite(e.urls[:MAX_URLS_PER_ITEM], f"rule {f.rule_id}"),
                )
                for e in f.evidence[:MAX_FINDING_EVIDENCE]
            )
        out.append(
            FindingView(
                rule_id=f.rule_id,
                title=f.title,
                status=f.status,
                lever=f.lever,
                explanation=" ".join(f.explanation.split()),
                metrics=dict(f.metrics),
                evidence=items,
                evidence_total=len(f.evidence),
            )
        )
    return tuple(out)


def _known(con: Con, dyad: str, as_of: date) -> tuple[int, date | None]:
    where, params = EventFilter(dyad=dyad, as_of=as_of).where()
    rows = con.sql(
        f"SELECT count(*), min(event_date) FROM events WHERE {where}", params=params
    ).fetchall()
    row = rows[0] if rows else None
    return (int(row[0]), row[1]) if row else (0, None)


def pair_name(dyad: str) -> str:
    """``USA-MEX`` → ``United States–Mexico`` (CAMEO country names, an en dash).

    >>> pair_name("USA-MEX")
    'United States–Mexico'
    """
    from dyadwatch.codebooks.cameo import cameo

    names = cameo().countries
    return "–".join(names.get(c, c) for c in parse_dyad(dyad))


def overview(
    store: Store,
    as_of: date,
    *,
    dyad: str = "USA-MEX",
    freq: str = "month",
    findings: Sequence[Finding] | None = None,
) -> Overview:
    """Assemble what a reader needs about ``dyad`` as of the end of day ``as_of``.

    Parameters
    ----------
    store
        The store to read (build it with ``dyadwatch run``).
    as_of
        Knowledge cut-off: only what was public by the end of this day (UTC). Not in the
        future.
    dyad
        Two CAMEO country codes, ``"USA-MEX"``.
    freq
        Index periods: ``week``, ``month`` (default), ``quarter`` or ``year``.
    findings
        Rule findings to show; default: the default rule set evaluated as of ``as_of``
        (:func:`default_findings`).

    Returns
    -------
    Overview
        ``status`` is ``"insufficient_data"`` when no dyad event was public by ``as_of``;
        the record is still complete (empty sections), never an exception.

    Raises
    ------
    UsageError
        A bad date (not a date, or in the future), dyad or frequency.

    Examples
    --------
    >>> ov = overview(store, date(2021, 1, 31))  # doctest: +SKIP
    >>> ov.headline.text  # doctest: +SKIP
    >>> [s.url for s in ov.sources][:2]  # doctest: +SKIP
    """
    as_of, dyad, freq = _checked(as_of, dyad, freq)
    spec = IndexSpec(dyad=dyad, freq=freq, as_of=as_of, until=as_of).checked()  # type: ignore[arg-type]
    cites = _Citations()
    snap = store.snapshot()
    con = store.connect(snap)
    try:
        events_known, first_event = _known(con, dyad, as_of)
        index = _index(store, spec) if events_known else ()
        history = _index(store, spec.with_(freq="year")) if events_known else ()
        headline = _headline(store, spec, index, history, as_of, pair_name(dyad))
        since = _month_before(as_of)
        total, new_events = (
            _changed_events(con, dyad, since, as_of, cites) if events_known else (0, ())
        )
        move = _index_move(index, as_of, freq)
        if findings is None:
            found, rules_note = default_findings(store, as_of)
        else:
            found, rules_note = list(findings), None
        finding_views = _findings(found, cites)
        instruments, state_changes = _instruments(store, snap, con, as_of, since, cites)
        tps = _turning_points(store, con, spec, cites) if events_known else ()
        unusual = _alerts(store, con, spec, cites) if events_known else ()
        indicators = _indicators(store, snap, con, as_of, cites)
    finally:
        con.close()
    notes = []
    if not events_known:
        notes.append(
            f"No {pair_name(dyad)} events were public by {as_of}. Build or update the store "
            "with dyadwatch run, or choose a later --as-of date."
        )
    elif headline.recent is None:
        notes.append("Too few periods with events to compare the latest one with history.")
    return Overview(
        dyad=dyad,
        as_of=as_of,
        freq=freq,
        measure=MEASURE,
        status="ok" if headline.period is not None else "insufficient_data",
        headline=headline,
        index=index,
        history=history,
        turning_points=tps,
        changes=Changes(
            since=since,
            until=as_of,
            events_total=total,
            events=new_events,
            state_changes=state_changes,
            index_move=move,
        ),
        findings=finding_views,
        rules_note=rules_note,
        instruments=instruments,
        indicators=indicators,
        sources=cites.sources(),
        first_event=first_event,
        events_known=events_known,
        notes=tuple(notes),
        alerts=unusual,
    )


__all__ = [
    "ESSAY",
    "Changes",
    "EventRef",
    "FindingView",
    "Headline",
    "IndexPoint",
    "IndicatorView",
    "InstrumentView",
    "Overview",
    "Source",
    "TurningPoint",
    "default_findings",
    "overview",
]
