"""What a brief or a dashboard needs about a dyad as of a date, read once: the facts, no words.

:func:`digest` gathers, for what was public by the end of day D (:mod:`dyadwatch.visibility`):

- the **reading** of the default named series (``relationship``, fused; docs/index.md): every
  monthly value with its interval, ``n`` and window, the value of D's period, "lowest since",
  turning points, alerts, and the events that drive the latest value;
- the same series **as a reader saw it on the previous date** (the last brief), and what
  became public in between: events (one per duplicate group, as the index counts them),
  instrument states, and findings whose status changed;
- the default rules' **findings** (met / not met / unknown, with their reason);
- every instrument's state, short indicator series (the latest vintage public by D);
- how fresh the record is (the newest event date public by D).

Every cited page is one a reader at D could have seen. The words are the presentation
layer's (:mod:`dyadwatch.present.overview`); nothing here formats a sentence.

Examples
--------
>>> d = digest(store, date(2021, 1, 19))
>>> d.reading.current.period, d.reading.current.status
('2021-01', 'ok')
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from dyadwatch.analyse.index import (
    FUSED,
    SeriesLowest,
    load_series,
    make_query,
    series_alerts,
    series_evidence,
    series_lowest_since,
    series_turning_points,
)
from dyadwatch.analyse.index.named import SeriesRun
from dyadwatch.analyse.records import (
    EventFact,
    Extent,
    events_by_id,
    events_by_key,
    extent,
    newly_public,
)
from dyadwatch.errors import AnalysisError, DyadwatchError, UsageError
from dyadwatch.knowledge.loader import load as load_kb
from dyadwatch.model import Finding, Instrument
from dyadwatch.policy.indicators import LATEST_KNOWN, indicator_names, indicator_series
from dyadwatch.policy.instruments import instrument_states
from dyadwatch.policy.rules import evaluate, load_rules
from dyadwatch.store.query import parse_dyad
from dyadwatch.store.store import Snapshot, Store
from dyadwatch.visibility import Citation, check_as_of, is_visible

log = logging.getLogger(__name__)

SERIES = "relationship"
"""The named series a brief reads (docs/index.md, "The default reading")."""

PREVIOUS_DAYS = 30
"""The previous brief, when none is named: this many days before the as-of date."""

MAX_DRIVERS = 5
"""Events shown behind the latest value (largest contributions first)."""

INDICATOR_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("us_overdose_deaths_all", "us_overdose_deaths_synthetic_opioids"),
    ("mexico_homicides_inegi", "mexico_homicide_victims_sesnsp"),
    ("cbp_fentanyl_seized_nationwide", "cbp_fentanyl_seized_southwest_border"),
    ("extraditions_mexico_to_us", "extraditions_mexico_to_us_fgr"),
    ("merida_appropriation_mexico", "merida_cumulative_mexico"),
    ("dea_agents_in_mexico_reported", "dea_staff_in_mexico"),
)
"""Indicator series shown, one per family, the first with enough periods: the essay's
concerns (overdoses, violence, fentanyl seizures, extraditions, Mérida funding, US agents in
Mexico), in that order."""

MIN_INDICATOR_POINTS = 3
"""An indicator needs this many periods to show a direction."""

INDICATOR_MAX_AGE = timedelta(days=3 * 366)
"""An indicator whose latest period ended longer ago than this before the date is not shown
(a brief of 2021 does not put a 2009 figure forward as "latest"); the next series of its
family is tried."""


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One value of the named series: what it pools, how many events, how sure."""

    period: str
    period_start: date
    period_end: date
    window: int
    window_start: date
    n: int
    value: float | None
    lo: float | None
    hi: float | None
    status: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class TurningPoint:
    period: str
    period_start: date
    direction: str
    before_mean: float
    after_mean: float
    change: float
    z: float
    sure: str


@dataclass(frozen=True, slots=True)
class Alert:
    period: str
    measure: str
    """``value`` (more conflictual / cooperative than usual) or ``n`` (more / fewer events)."""
    value: float
    baseline_mean: float
    z: float
    reading: str
    sure: bool


@dataclass(frozen=True, slots=True)
class Reading:
    """The named series as known on one date."""

    name: str
    freq: str
    as_of: date
    points: tuple[SeriesPoint, ...]
    current: SeriesPoint | None
    """The value of the period holding ``as_of`` (None: the series has no periods)."""
    latest: SeriesPoint | None
    """The latest value with enough evidence up to the period of the newest event public by
    ``as_of`` (may be ``current``): later values of a silent record only lose events."""
    windows: Mapping[str, int]
    lowest: SeriesLowest | None = None
    turning: tuple[TurningPoint, ...] = ()
    alerts: tuple[Alert, ...] = ()
    drivers: tuple[EventFact, ...] = ()
    """The events behind ``latest``, largest contributions first."""


@dataclass(frozen=True, slots=True)
class StateFact:
    """An instrument's state as a reader sees it, with the events that establish it."""

    instrument: str
    name: str
    state: str | None
    previous_state: str | None
    since: date | None
    known_at: datetime | None
    note: str | None
    changed: bool
    """Whether the state became public after the previous date."""
    evidence: tuple[EventFact, ...] = ()


@dataclass(frozen=True, slots=True)
class IndicatorFact:
    indicator: str
    name: str
    unit: str
    scope: str | None
    points: tuple[tuple[date, date, float], ...]
    """(period start, period end, value), the latest vintage public by the date."""
    citations: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class EvidenceFact:
    """One item behind a finding, resolved to what a reader can check."""

    kind: str
    ref: str
    date: date | None
    text: str
    instrument: str | None = None
    state: str | None = None
    indicator: str | None = None
    value: float | None = None
    unit: str | None = None
    events: tuple[EventFact, ...] = ()
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True, slots=True)
class FindingFact:
    finding: Finding
    kind: str
    """``recommendation`` or ``repair`` (the rule file's ``kind``)."""
    previous_status: str | None
    """The finding's status on the previous date (None: not evaluated then)."""
    evidence: tuple[EventFact | EvidenceFact, ...] = ()
    reconciliation: str | None = None
    """The rule engine's note on why this finding does not contradict another, if any."""


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything a brief shows about ``dyad`` as of ``as_of``. Build with :func:`digest`."""

    dyad: str
    as_of: date
    previous: date
    freq: str
    extent: Extent
    reading: Reading
    before: Reading | None
    """The series as it was known on ``previous`` (what the last brief said)."""
    new_events: tuple[EventFact, ...]
    """Events public after ``previous`` and by ``as_of``, largest |effect| first."""
    instruments: tuple[StateFact, ...]
    state_changes: tuple[StateFact, ...]
    findings: tuple[FindingFact, ...]
    rules_note: str | None
    indicators: tuple[IndicatorFact, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def stale_days(self) -> int | None:
        """Days from the newest event date public by ``as_of`` to ``as_of`` (None: no event)."""
        return None if self.extent.last is None else (self.as_of - self.extent.last).days


# --- the reading -----------------------------------------------------------------------------


def _point(row: Mapping[str, Any]) -> SeriesPoint:
    return SeriesPoint(
        period=row["period"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        window=int(row["window"]),
        window_start=row["window_start"],
        n=int(row["n"] or 0),
        value=row["value"],
        lo=row["lo"],
        hi=row["hi"],
        status=row["status"],
        reason=row["reason"],
    )


def _reading(
    store: Store, run: SeriesRun, as_of: date, drivers: bool, newest: date | None = None
) -> Reading:
    q = run.query
    points = tuple(_point(r) for r in run.source_rows(FUSED).to_pylist())
    current = points[-1] if points else None
    # After the record falls silent, a trailing window only loses events as they age out: its
    # value moves although nothing happened. The latest value read is therefore the last one
    # with enough evidence up to the period of the newest event public by the date.
    latest = next(
        (
            p
            for p in reversed(points)
            if p.value is not None and (newest is None or p.period_start <= newest)
        ),
        None,
    )
    lowest = None
    turning: tuple[TurningPoint, ...] = ()
    alerts: tuple[Alert, ...] = ()
    driving: tuple[EventFact, ...] = ()
    if latest is not None:
        try:
            lowest = series_lowest_since(store, latest.period, q.name, run=run)
        except AnalysisError as exc:
            log.info("no lowest-since: %s", exc)
        try:
            table = series_turning_points(store, q.name, run=run)
            turning = tuple(TurningPoint(**r) for r in table.to_pylist())
        except AnalysisError as exc:
            log.info("no turning points: %s", exc)
        table = series_alerts(store, q.name, run=run)
        alerts = tuple(
            Alert(
                r["period"],
                r["measure"],
                r["value"],
                r["baseline_mean"],
                r["z"],
                r["reading"],
                r["sure"],
            )
            for r in table.to_pylist()
            if r["period"] == latest.period
        )
        if drivers:
            driving = _drivers(store, run, latest.period, as_of)
    return Reading(
        q.name,
        q.freq,
        as_of,
        points,
        current,
        latest,
        dict(run.windows),
        lowest,
        turning,
        alerts,
        driving,
    )


def _drivers(store: Store, run: SeriesRun, period: str, as_of: date) -> tuple[EventFact, ...]:
    rows = series_evidence(store, period, run.query.name, run=run, limit=MAX_DRIVERS).to_pylist()
    facts = events_by_id(store, [r["event_id"] for r in rows], as_of)
    return tuple(
        replace(facts[r["event_id"]], contribution=r["contribution"])
        for r in rows
        if r["event_id"] in facts
    )


# --- instruments, indicators, findings -------------------------------------------------------


def _instruments(
    store: Store, snap: Snapshot, as_of: date, previous: date
) -> tuple[tuple[StateFact, ...], tuple[StateFact, ...]]:
    insts: list[Instrument] = instrument_states(store, as_of, snapshot=snap)
    current = [(i, i.state_on(as_of)) for i in insts]
    wanted: list[str] = []
    for inst, state in current:
        for s in inst.states:
            if s is state or not is_visible(s.known_at, previous):
                wanted.extend(s.evidence)
    by_key = events_by_key(store, wanted, as_of, snapshot=snap)
    views, changes = [], []
    for inst, state in current:
        for i, s in enumerate(inst.states):
            if is_visible(s.known_at, previous):
                continue
            changes.append(
                StateFact(
                    inst.id,
                    inst.name,
                    s.state,
                    inst.states[i - 1].state if i else None,
                    s.valid_from,
                    s.known_at,
                    s.note,
                    True,
                    tuple(by_key[k] for k in s.evidence if k in by_key),
                )
            )
        if state is None:
            views.append(StateFact(inst.id, inst.name, None, None, None, None, None, False))
            continue
        pos = inst.states.index(state)
        views.append(
            StateFact(
                inst.id,
                inst.name,
                state.state,
                inst.states[pos - 1].state if pos else None,
                state.valid_from,
                state.known_at,
                state.note,
                not is_visible(state.known_at, previous),
                tuple(by_key[k] for k in state.evidence if k in by_key),
            )
        )
    changes.sort(key=lambda c: (c.known_at or datetime.min, c.instrument))
    return tuple(views), tuple(changes)


def outlet_of(url: str) -> str:
    """The site a page is on, as an outlet name of last resort: ``www.inegi.org.mx`` →
    ``inegi.org.mx``.

    >>> outlet_of("https://www.inegi.org.mx/app/x")
    'inegi.org.mx'
    """
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _indicators(store: Store, snap: Snapshot, as_of: date) -> tuple[IndicatorFact, ...]:
    known = {r["indicator"]: r for r in indicator_names(store, as_of, snapshot=snap).to_pylist()}
    names = _series_names()
    out = []
    for family in INDICATOR_FAMILIES:
        for name in family:
            meta = known.get(name)
            if meta is None or (meta["periods"] or 0) < MIN_INDICATOR_POINTS:
                continue
            rows = [
                r
                for r in indicator_series(
                    store, name, as_of, LATEST_KNOWN, snapshot=snap
                ).to_pylist()
                if r["value"] is not None
            ]
            if len(rows) < MIN_INDICATOR_POINTS:
                continue
            latest = rows[-1]
            if as_of - latest["period_end"] > INDICATOR_MAX_AGE:
                continue
            cites: tuple[Citation, ...] = ()
            if latest["source_url"]:
                cites = (
                    Citation(
                        latest["source_url"],
                        latest["source_title"],
                        outlet_of(latest["source_url"]),
                        latest["known_at"].date(),
                    ),
                )
            out.append(
                IndicatorFact(
                    name,
                    names.get(name, name),
                    meta["unit"],
                    meta["scope"],
                    tuple((r["period_start"], r["period_end"], float(r["value"])) for r in rows),
                    cites,
                )
            )
            break
    return tuple(out)


def _series_names() -> dict[str, str]:
    try:
        return {s.record.id: s.record.name for s in load_kb().series}
    except DyadwatchError as exc:
        log.warning("cannot read indicator names from the knowledge base: %s", exc)
        return {}


def default_findings(store: Store, as_of: date) -> tuple[list[Finding], str | None]:
    """The shipped rule set evaluated as of ``as_of``, and a note on what did not run.

    A rule that does not load is left out and named in the note; the others still run.

    Examples
    --------
    >>> findings, note = default_findings(store, date(2021, 1, 31))
    >>> note, {f.rule_id: f.status for f in findings}["merida_suspend"]
    (None, 'met')
    """
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


def rule_kinds() -> dict[str, str]:
    """Rule id → ``recommendation`` or ``repair`` for the default rule set."""
    try:
        return {r.id: r.kind for r in load_rules().rules}
    except DyadwatchError as exc:
        log.info("rule kinds unknown: %s", exc)
        return {}


WHY_BOTH = "why-both:"
"""Prefix of the evidence item the rule engine adds to explain an apparent contradiction."""


def _findings(
    store: Store,
    snap: Snapshot,
    found: Sequence[Finding],
    before: Mapping[str, str],
    instruments: Mapping[str, Instrument],
    as_of: date,
) -> tuple[FindingFact, ...]:
    kinds = rule_kinds()
    keys: list[str] = []
    for f in found:
        for e in f.evidence:
            if e.kind == "event" and ":" in e.ref:
                keys.append(e.ref.split(":", 1)[1])
            elif e.kind == "instrument_state" and "@" in e.ref:
                keys.extend(_state_evidence(instruments, e.ref))
    by_key = events_by_key(store, keys, as_of, snapshot=snap)
    out = []
    for f in found:
        items: list[EventFact | EvidenceFact] = []
        why = None
        for e in f.evidence:
            if e.ref.startswith(WHY_BOTH):
                why = " ".join(e.text.split())
                continue
            if e.kind == "event":
                fact = by_key.get(e.ref.split(":", 1)[-1])
                if fact is not None:
                    items.append(fact)
                continue
            if e.kind == "instrument_state" and "@" in e.ref:
                inst = e.ref.partition("@")[0]
                state = e.text.split(": ", 1)[-1].split(" from ", 1)[0].strip()
                events = tuple(
                    by_key[k] for k in _state_evidence(instruments, e.ref) if k in by_key
                )
                items.append(
                    EvidenceFact(
                        e.kind, e.ref, e.date, e.text, instrument=inst, state=state, events=events
                    )
                )
                continue
            if e.kind == "indicator":
                items.append(_indicator_evidence(store, snap, e, f.metrics, as_of))
        out.append(
            FindingFact(
                f, kinds.get(f.rule_id, "recommendation"), before.get(f.rule_id), tuple(items), why
            )
        )
    return tuple(out)


def _indicator_evidence(
    store: Store, snap: Snapshot, e: Any, metrics: Mapping[str, Any], as_of: date
) -> EvidenceFact:
    """An indicator figure behind a finding, cited by its release (title, date published).

    ``e.ref`` is ``indicator@period_start#vintage`` (the rule engine's form).
    """
    name, _, rest = e.ref.partition("@")
    start, _, vintage = rest.partition("#")
    row = None
    try:
        rows = indicator_series(store, name, as_of, LATEST_KNOWN, snapshot=snap).to_pylist()
        row = next(
            (
                r
                for r in rows
                if r["period_start"].isoformat() == start
                and (not vintage or r["vintage"] == vintage)
            ),
            rows[-1] if rows else None,
        )
    except UsageError as exc:
        log.info("indicator evidence %s not found: %s", e.ref, exc)
    cites: tuple[Citation, ...] = ()
    if row is not None and row["source_url"]:
        cites = (
            Citation(
                row["source_url"],
                row["source_title"],
                outlet_of(row["source_url"]),
                row["known_at"].date(),
            ),
        )
    value = _metric_number(metrics, name)
    if value is None and row is not None and row["value"] is not None:
        value = float(row["value"])
    return EvidenceFact(
        e.kind,
        e.ref,
        e.date,
        e.text,
        indicator=name,
        value=value,
        unit=row["unit"] if row else None,
        citations=cites,
    )


def _state_evidence(instruments: Mapping[str, Instrument], ref: str) -> list[str]:
    inst, _, start = ref.partition("@")
    found = instruments.get(inst)
    if found is None:
        return []
    for s in found.states:
        if s.valid_from.isoformat() == start:
            return list(s.evidence)
    return []


def _metric_number(metrics: Mapping[str, Any], indicator: str) -> float | None:
    for key, value in metrics.items():
        if key.startswith("indicator.") and f'"{indicator}"' in key:
            return float(value) if isinstance(value, int | float) else None
    return None


# --- assembly --------------------------------------------------------------------------------


def check_dates(as_of: date | datetime, previous: date | None) -> tuple[date, date]:
    """``as_of`` as a date (not in the future) and the previous brief's date (before it)."""
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if not isinstance(as_of, date):
        raise UsageError(f"as_of must be a date (YYYY-MM-DD), not {as_of!r}.")
    check_as_of(as_of)
    if previous is None:
        previous = as_of - timedelta(days=PREVIOUS_DAYS)
    if previous >= as_of:
        raise UsageError(
            f"the previous brief's date {previous.isoformat()} must be before the as-of date "
            f"{as_of.isoformat()}."
        )
    return as_of, previous


def digest(
    store: Store,
    as_of: date | datetime,
    *,
    dyad: str = "USA-MEX",
    freq: str = "month",
    previous: date | None = None,
    findings: Sequence[Finding] | None = None,
    previous_findings: Sequence[Finding] | None = None,
    compare_findings: bool = True,
) -> Digest:
    """Gather what a brief shows about ``dyad`` as of the end of day ``as_of``.

    Parameters
    ----------
    store
        The store to read.
    as_of
        Knowledge cut-off: only what was public by the end of this day (UTC); not in the future.
    dyad
        Two CAMEO country codes, ``"USA-MEX"``.
    freq
        Steps of the series: ``month`` (default), ``week``, ``quarter`` or ``year``.
    previous
        The date of the last brief: what changed is what became public after it (default:
        :data:`PREVIOUS_DAYS` days before ``as_of``).
    findings, previous_findings
        Rule findings as of ``as_of`` and ``previous``; default: the default rule set
        evaluated on each date (``compare_findings=False`` skips the previous date's).

    Raises
    ------
    UsageError
        A bad date, dyad or frequency.
    """
    as_of, previous = check_dates(as_of, previous)
    dyad = "-".join(parse_dyad(dyad))
    snap = store.snapshot()
    ext = extent(store, dyad, as_of, snapshot=snap)
    query = make_query(SERIES, {"dyad": dyad, "freq": freq, "as_of": as_of})
    before = None
    if not ext.events:  # nothing public yet (or an empty store): a reading without values
        reading = Reading(SERIES, freq, as_of, (), None, None, {})
    else:
        data = load_series(store, query)
        reading = _reading(store, data.at(as_of), as_of, drivers=True, newest=ext.last)
        seen = extent(store, dyad, previous, snapshot=snap).last
        before = _reading(store, data.at(previous), previous, drivers=False, newest=seen)
    new = newly_public(store, dyad, previous, as_of, snapshot=snap) if ext.events else []
    new.sort(key=lambda e: (-abs(e.relation_effect or 0.0), e.event_date, e.event_id))
    views, changes = _instruments(store, snap, as_of, previous)
    notes: list[str] = []
    if findings is None:
        found, rules_note = default_findings(store, as_of)
    else:
        found, rules_note = list(findings), None
    then: Mapping[str, str] = {}
    if previous_findings is not None:
        then = {f.rule_id: f.status for f in previous_findings}
    elif compare_findings and found:
        then = {f.rule_id: f.status for f in default_findings(store, previous)[0]}
    by_id = {i.id: i for i in instrument_states(store, as_of, snapshot=snap)}
    facts = _findings(store, snap, found, then, by_id, as_of)
    return Digest(
        dyad=dyad,
        as_of=as_of,
        previous=previous,
        freq=freq,
        extent=ext,
        reading=reading,
        before=before,
        new_events=tuple(new),
        instruments=views,
        state_changes=changes,
        findings=facts,
        rules_note=rules_note,
        indicators=_indicators(store, snap, as_of),
        notes=tuple(notes),
    )


__all__ = [
    "INDICATOR_FAMILIES",
    "INDICATOR_MAX_AGE",
    "MAX_DRIVERS",
    "PREVIOUS_DAYS",
    "SERIES",
    "Alert",
    "Digest",
    "EvidenceFact",
    "FindingFact",
    "IndicatorFact",
    "Reading",
    "SeriesPoint",
    "StateFact",
    "TurningPoint",
    "check_dates",
    "default_findings",
    "digest",
    "outlet_of",
    "rule_kinds",
]
