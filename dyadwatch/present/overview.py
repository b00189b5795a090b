"""Everything a reader needs about a dyad as of a date, in words, in one JSON-serialisable record.

:func:`overview` reads the facts once (:func:`dyadwatch.policy.digest.digest`: the default
reading of the ``relationship`` series with its interval, ``n`` and window, what changed since
the previous brief, the rules' findings, instruments, indicators) and says them in the
reader's language with the label registry (:mod:`dyadwatch.present.labels`): a bottom line
first — where the relationship stands, how sure that is, what changed since the last brief,
which levers apply and why — then the evidence, each cited page numbered once with its
outlet, title and date. The brief (:mod:`dyadwatch.present.brief`) and the dashboard render
this record; neither computes anything of its own, so the two always agree.

Nothing here reads the store or compares dates of publication: what was public by the end of
the as-of day is decided below this layer (:mod:`dyadwatch.visibility`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from typing import Any, Literal

from dyadwatch.analyse.records import EventFact
from dyadwatch.model import Finding
from dyadwatch.policy.digest import (
    Digest,
    EvidenceFact,
    FindingFact,
    IndicatorFact,
    SeriesPoint,
    StateFact,
    default_findings,
    digest,
)
from dyadwatch.policy.digest import TurningPoint as TurningFact
from dyadwatch.present.bottom_line import events_phrase, move, sentence, stands, sure
from dyadwatch.present.labels import Labels, labels
from dyadwatch.present.reasons import contradictions, lever_in_use, lever_state, reason_words
from dyadwatch.settings import Settings
from dyadwatch.store.store import Store
from dyadwatch.visibility import Citation

MEASURE = "relationship"
"""The named series the headline, the chart and the turning points read (docs/index.md)."""

MAX_NEW_EVENTS = 6
"""Events listed under "since the last brief": the largest in effect."""
MAX_EVIDENCE = 2
"""Evidence items shown per finding."""
MAX_CITES = 1
"""Pages cited per event, state or figure (the first public one)."""

Status = Literal["ok", "insufficient_data"]


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """One numbered source: outlet, title and date of a page, and what in the brief cites it."""

    number: int
    url: str
    title: str | None
    outlet: str | None
    published: date | None
    cited_for: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventRef:
    """An event as shown to a reader, its effect in words and the numbers of its sources."""

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
    effect: float | None
    effect_words: str
    rationale: str | None
    summary: str
    language: str
    handling: str
    instruments: tuple[str, ...]
    contribution: float | None = None
    sources: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexPoint:
    """One value of the series (the chart's rows)."""

    period: str
    period_start: date
    period_end: date
    window: int
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
    text: str
    label: str = ""
    """The period in words, with the direction's arrow (the chart's label)."""
    events: tuple[EventRef, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertView:
    """The latest value unusual against its own past (:func:`..index.series_alerts`)."""

    period: str
    measure: str
    value: float
    z: float
    reading: str
    sure: bool
    events: tuple[EventRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Headline:
    """Where the relationship stands as of D, in one paragraph and as numbers."""

    text: str
    measure: str
    period: str | None
    value: float | None
    lo: float | None
    hi: float | None
    events: int
    window: int | None
    z: float | None = None
    thin: bool = False
    """True when D's own period has too few events and ``period`` is an earlier one."""


@dataclass(frozen=True, slots=True)
class BottomLine:
    """The four things a principal reads first, each a short paragraph."""

    stands: str
    sure: str
    changed: str
    levers: str


@dataclass(frozen=True, slots=True)
class Staleness:
    newest: date | None
    days: int | None
    limit: int
    text: str


@dataclass(frozen=True, slots=True)
class StateChange:
    instrument: str
    name: str
    previous_state: str | None
    state: str
    previous_label: str
    state_label: str
    valid_from: date
    known_at: datetime
    evidence: tuple[EventRef, ...]


@dataclass(frozen=True, slots=True)
class IndexMove:
    """How the value moved since the previous brief, in a sentence."""

    text: str
    period: str | None
    value: float | None
    previous_period: str | None
    previous_value: float | None


@dataclass(frozen=True, slots=True)
class Changes:
    """What became public after the previous brief and by D."""

    since: date
    until: date
    events_total: int
    events: tuple[EventRef, ...]
    state_changes: tuple[StateChange, ...]
    findings_changed: tuple[str, ...]
    index_move: IndexMove | None


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    kind: str
    date: date | None
    text: str
    language: str
    sources: tuple[int, ...] = ()
    instrument: str | None = None


@dataclass(frozen=True, slots=True)
class FindingView:
    rule_id: str
    title: str
    kind: str
    status: str
    status_label: str
    lever: str | None
    lever_label: str | None
    lever_state: str | None
    lever_in_use: bool
    reason: str
    previous_status: str | None
    evidence: tuple[EvidenceItem, ...]
    metrics: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class InstrumentView:
    id: str
    name: str
    state: str | None
    state_label: str
    since: date | None
    known_at: datetime | None
    changed_in_window: bool
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class IndicatorValue:
    period_start: date
    period_end: date
    value: float


@dataclass(frozen=True, slots=True)
class IndicatorView:
    indicator: str
    name: str
    unit: str
    points: tuple[IndicatorValue, ...]
    latest: IndicatorValue
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Overview:
    """What a reader needs about ``dyad`` as of ``as_of``, in ``lang``. Build with
    :func:`overview`."""

    dyad: str
    as_of: date
    previous: date
    freq: str
    lang: str
    measure: str
    status: Status
    title: str
    headline: Headline
    bottom_line: BottomLine
    stale: Staleness | None
    index: tuple[IndexPoint, ...]
    window: int | None
    turning_points: tuple[TurningPoint, ...]
    alerts: tuple[AlertView, ...]
    drivers: tuple[EventRef, ...]
    changes: Changes
    findings: tuple[FindingView, ...]
    contradictions: tuple[str, ...]
    rules_note: str | None
    instruments: tuple[InstrumentView, ...]
    indicators: tuple[IndicatorView, ...]
    sources: tuple[Source, ...]
    first_event: date | None
    last_event: date | None
    events_known: int
    essay: str
    notes: tuple[str, ...] = field(default=())
    history: tuple[IndexPoint, ...] = field(default=())
    """Kept empty for older readers: each value already pools a window of periods."""

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
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


# --- citations ---------------------------------------------------------------------------------


class _Citations:
    """Numbers pages in order of first citation; one number per distinct URL."""

    def __init__(self) -> None:
        self._pages: dict[str, Citation] = {}
        self._uses: dict[str, list[str]] = {}

    def cite(
        self, citations: Iterable[Citation], label: str, limit: int = MAX_CITES
    ) -> tuple[int, ...]:
        numbers = []
        for c in list(citations)[:limit]:
            url = c.url.strip()
            if url not in self._pages:
                self._pages[url] = c
                self._uses[url] = []
            if label not in self._uses[url]:
                self._uses[url].append(label)
            numbers.append(list(self._pages).index(url) + 1)
        return tuple(dict.fromkeys(numbers))

    def sources(self) -> tuple[Source, ...]:
        return tuple(
            Source(i + 1, url, c.title, c.outlet, c.published, tuple(self._uses[url]))
            for i, (url, c) in enumerate(self._pages.items())
        )


def _index_move(d: Digest, lab: Labels) -> IndexMove | None:
    text = move(d, lab)
    if not text:
        return None
    now = d.reading.latest
    before = d.before.latest if d.before is not None else None
    return IndexMove(
        text,
        now.period if now else None,
        now.value if now else None,
        before.period if before else None,
        before.value if before else None,
    )


# --- building ----------------------------------------------------------------------------------


class _Builder:
    """Says a :class:`Digest` in one language, numbering sources as it goes."""

    def __init__(self, d: Digest, lab: Labels) -> None:
        self.d = d
        self.lab = lab
        self.cites = _Citations()

    def event(self, e: EventFact, label: str) -> EventRef:
        return EventRef(
            event_id=e.event_id,
            source=e.source,
            source_key=e.source_key,
            event_date=e.event_date,
            known_at=e.known_at,
            actor1=e.actor1,
            actor2=e.actor2,
            cameo_code=e.cameo_code,
            quad_class=e.quad_class,
            goldstein=e.goldstein,
            effect=e.relation_effect,
            effect_words=self.lab.effect(e.relation_effect),
            rationale=e.effect_rationale,
            summary=e.summary,
            language=e.language,
            handling=e.handling,
            instruments=e.instruments,
            contribution=e.contribution,
            sources=self.cites.cite(e.citations, label),
        )

    def state_change(self, s: Any) -> StateChange:
        lab = self.lab
        return StateChange(
            s.instrument,
            lab.instrument(s.instrument, s.name),
            s.previous_state,
            s.state,
            lab.state(s.instrument, s.previous_state),
            lab.state(s.instrument, s.state),
            s.since,
            s.known_at,
            tuple(self.event(e, f"instrument {s.instrument}") for e in s.evidence[:1]),
        )

    def finding(self, f: FindingFact) -> FindingView:
        lab, fi = self.lab, f.finding
        items = []
        for e in f.evidence[:MAX_EVIDENCE]:
            items.append(self.evidence(e, fi.rule_id))
        state = lever_state(fi)
        return FindingView(
            rule_id=fi.rule_id,
            title=lab.rule(fi.rule_id, fi.title),
            kind=f.kind,
            status=fi.status,
            status_label=lab.status(fi.status, f.kind),
            lever=fi.lever,
            lever_label=lab.instrument(fi.lever) if fi.lever else None,
            lever_state=lab.state(fi.lever, state) if fi.lever and state else None,
            lever_in_use=lever_in_use(fi),
            reason=reason_words(fi, lab),
            previous_status=f.previous_status,
            evidence=tuple(items),
            metrics=dict(fi.metrics),
        )

    def evidence(self, e: EventFact | EvidenceFact, rule_id: str) -> EvidenceItem:
        lab, label = self.lab, f"rule {rule_id}"
        if isinstance(e, EventFact):
            ref = self.event(e, label)
            return EvidenceItem("event", e.event_date, e.summary, e.language, ref.sources)
        if e.kind == "instrument_state" and e.instrument:
            cites = [c for ev in e.events[:1] for c in ev.citations]
            text = lab.text(
                "why_state",
                instrument=lab.instrument(e.instrument),
                state=lab.state(e.instrument, e.state),
            )
            return EvidenceItem(
                e.kind, e.date, text, lab.lang, self.cites.cite(cites, label), e.instrument
            )
        if e.kind == "indicator" and e.indicator:
            value = lab.amount(e.value) if e.value is not None else ""
            unit = lab.unit(e.unit) if e.unit else ""
            text = lab.text("why_indicator", series=lab.series(e.indicator), value=value, unit=unit)
            return EvidenceItem(
                e.kind, e.date, text.strip(), lab.lang, self.cites.cite(e.citations, label)
            )
        return EvidenceItem(e.kind, e.date, "", lab.lang)

    def instrument(self, i: StateFact) -> InstrumentView:
        """An instrument's state, cited by its first piece of evidence."""
        lab = self.lab
        return InstrumentView(
            i.instrument,
            lab.instrument(i.instrument, i.name),
            i.state,
            lab.state(i.instrument, i.state),
            i.since,
            i.known_at,
            i.changed,
            self.cites.cite(
                [c for e in i.evidence[:1] for c in e.citations], f"instrument {i.instrument}"
            ),
        )

    def indicator(self, ind: IndicatorFact) -> IndicatorView:
        lab = self.lab
        return IndicatorView(
            ind.indicator,
            lab.series(ind.indicator, ind.name),
            lab.unit(ind.unit),
            tuple(IndicatorValue(*p) for p in ind.points),
            IndicatorValue(*ind.points[-1]),
            self.cites.cite(ind.citations, f"indicator {ind.indicator}"),
        )

    def findings_changed(self) -> tuple[str, ...]:
        lab, out = self.lab, []
        for f in self.d.findings:
            then, now = f.previous_status, f.finding.status
            if then is None or then == now:
                continue
            if f.kind == "repair" and "met" not in (then, now):
                continue  # a step that was not taken and still is not: no news
            out.append(
                f"{lab.rule(f.finding.rule_id, f.finding.title)} "
                f"({lab.status(then, f.kind)} → {lab.status(now, f.kind)})"
            )
        return tuple(out)


def _levers_line(views: Sequence[FindingView], lab: Labels) -> str:
    recs = [f for f in views if f.kind != "repair"]
    met = [f for f in recs if f.status == "met"]
    unknown = [f for f in recs if f.status == "unknown"]
    if not recs:
        return ""
    if not met:
        head = lab.text("levers_none")
    else:
        extra = lab.text("levers_unknown", n=len(unknown)) if unknown else ""
        head = lab.text("levers_count", met=len(met), total=len(recs), unknown=extra)
    names = "; ".join(f.title for f in met)
    return f"{head} {names}." if names else head


def _changed_line(d: Digest, ch: Changes, move: str, lab: Labels) -> str:
    parts = [move] if move else []
    if ch.events:
        first = ch.events[0]
        said = first.summary.rstrip(".")
        if first.language and first.language != lab.lang:
            said += f" ({lab.text(f'recorded_in_{first.language}')})"
        what = f"{said} ({lab.short_day(first.event_date)}; {first.effect_words})"
        if ch.events_total == 1:
            parts.append(lab.text("changed_events_one", first=what))
        else:
            parts.append(
                lab.text("changed_events", events=events_phrase(ch.events_total, lab), first=what)
            )
    else:
        parts.append(lab.text("changed_no_events"))
    if ch.state_changes:
        items = "; ".join(
            f"{c.name}: {c.previous_label or '–'} → {c.state_label}" for c in ch.state_changes
        )
        parts.append(lab.text("changed_states", items=items))
    if ch.findings_changed:
        parts.append(lab.text("changed_findings", items="; ".join(ch.findings_changed)))
    elif d.findings:
        parts.append(lab.text("changed_findings_none"))
    return " ".join(parts)


def _staleness(d: Digest, limit: int, lab: Labels) -> Staleness | None:
    days = d.stale_days
    if days is None or days <= limit or d.extent.last is None:
        return None
    text = lab.text(
        "stale", newest=lab.day(d.extent.last), days=days, day=lab.day(d.as_of), limit=limit
    )
    return Staleness(d.extent.last, days, limit, text)


def _point(p: SeriesPoint) -> IndexPoint:
    return IndexPoint(
        p.period,
        p.period_start,
        p.period_end,
        p.window,
        p.n,
        p.value,
        p.lo,
        p.hi,
        p.status,
        p.reason,
    )


def _headline(
    latest: SeriesPoint | None, where: str, thin: bool, as_of: date, lab: Labels
) -> Headline:
    return Headline(
        text=lab.text("as_of_lead", day=lab.day(as_of), text=where[:1].lower() + where[1:]),
        measure=MEASURE,
        period=latest.period if latest else None,
        value=latest.value if latest else None,
        lo=latest.lo if latest else None,
        hi=latest.hi if latest else None,
        events=latest.n if latest else 0,
        window=latest.window if latest else None,
        thin=thin,
    )


def _turning(t: TurningFact, freq: str, lab: Labels) -> TurningPoint:
    return TurningPoint(
        t.period,
        t.period_start,
        t.direction,
        t.before_mean,
        t.after_mean,
        t.change,
        t.z,
        t.sure,
        lab.text(
            "turning_item",
            sure=lab.text(f"sure_{t.sure}"),
            direction=lab.text(f"direction_{t.direction}"),
            before=lab.signed(t.before_mean),
            after=lab.signed(t.after_mean),
        ),
        f"{lab.period(t.period, freq)} {'▲' if t.direction == 'up' else '▼'}",
    )


def from_digest(d: Digest, lang: str = "en", *, stale_after_days: int | None = None) -> Overview:
    """Say ``d`` in ``lang``: the record the brief and the dashboard render."""
    lab = labels(lang)
    b = _Builder(d, lab)
    reading = d.reading
    limit = stale_after_days if stale_after_days is not None else Settings().stale_after_days
    where, thin = stands(reading, lab, d.as_of, d.extent.last)
    latest = reading.latest
    headline = _headline(latest, where, thin, d.as_of, lab)
    drivers = tuple(b.event(e, "drivers") for e in reading.drivers)
    findings = tuple(b.finding(f) for f in d.findings)
    new = tuple(b.event(e, "since the last brief") for e in d.new_events[:MAX_NEW_EVENTS])
    changes = Changes(
        since=d.previous,
        until=d.as_of,
        events_total=len(d.new_events),
        events=new,
        state_changes=tuple(b.state_change(s) for s in d.state_changes),
        findings_changed=b.findings_changed(),
        index_move=_index_move(d, lab),
    )
    instruments = tuple(b.instrument(i) for i in d.instruments)
    indicators = tuple(b.indicator(ind) for ind in d.indicators)
    turning = tuple(_turning(t, d.freq, lab) for t in reading.turning)
    alerts = tuple(
        AlertView(a.period, a.measure, a.value, a.z, a.reading, a.sure) for a in reading.alerts
    )
    notes = []
    if not d.extent.events:
        notes.append(lab.text("no_events", pair=lab.pair(d.dyad), day=lab.day(d.as_of)))
    explained = contradictions(
        [(f.finding, f.kind) for f in d.findings],
        lab,
        value=latest.value if latest else None,
        lo=latest.lo if latest else None,
        hi=latest.hi if latest else None,
    )
    bottom = BottomLine(
        stands=where,
        sure=sure(reading, lab),
        changed=_changed_line(
            d, changes, changes.index_move.text if changes.index_move else "", lab
        ),
        levers=_levers_line(findings, lab),
    )
    return Overview(
        dyad=d.dyad,
        as_of=d.as_of,
        previous=d.previous,
        freq=d.freq,
        lang=lang,
        measure=MEASURE,
        status="ok" if latest is not None else "insufficient_data",
        title=lab.text("title", pair=lab.pair(d.dyad)),
        headline=headline,
        bottom_line=bottom,
        stale=_staleness(d, limit, lab),
        index=tuple(_point(p) for p in reading.points),
        window=latest.window if latest else None,
        turning_points=turning,
        alerts=alerts,
        drivers=drivers,
        changes=changes,
        findings=findings,
        contradictions=tuple(explained),
        rules_note=d.rules_note,
        instruments=instruments,
        indicators=indicators,
        sources=b.cites.sources(),
        first_event=d.extent.first,
        last_event=d.extent.last,
        events_known=d.extent.events,
        essay=lab.text("essay"),
        notes=tuple(notes),
    )


def overview(
    store: Store,
    as_of: date,
    *,
    dyad: str = "USA-MEX",
    freq: str = "month",
    findings: Sequence[Finding] | None = None,
    previous: date | None = None,
    lang: str = "en",
    stale_after_days: int | None = None,
    compare_findings: bool = True,
) -> Overview:
    """Assemble what a reader needs about ``dyad`` as of the end of day ``as_of``.

    Parameters
    ----------
    store
        The store to read (build it with ``dyadwatch run``).
    as_of
        Knowledge cut-off: only what was public by the end of this day (UTC); not in the
        future.
    dyad
        Two CAMEO country codes, ``"USA-MEX"``.
    freq
        Steps of the series: ``month`` (default), ``week``, ``quarter`` or ``year``.
    findings
        Rule findings to show; default: the default rule set evaluated as of ``as_of``.
    previous
        The date of the last brief (default: 30 days before ``as_of``): "what changed" is what
        became public after it.
    lang
        ``en`` or ``es``: every word from the label registry in that language.
    stale_after_days
        Days after which the newest evidence is out of date (default: the
        ``stale_after_days`` setting).
    compare_findings
        Evaluate the rules on ``previous`` too, to say which findings changed.

    Returns
    -------
    Overview
        ``status`` is ``"insufficient_data"`` when the series has no value with enough
        evidence by ``as_of``; the record is still complete, never an exception.

    Raises
    ------
    UsageError
        A bad date (not a date, in the future, a previous date not before it), dyad,
        frequency or language.

    Examples
    --------
    >>> ov = overview(store, date(2021, 1, 19))  # doctest: +SKIP
    >>> ov.bottom_line.stands  # doctest: +SKIP
    """
    lab = labels(lang)
    d = digest(
        store,
        as_of,
        dyad=dyad,
        freq=freq,
        previous=previous,
        findings=findings,
        compare_findings=compare_findings,
    )
    return from_digest(d, lab.lang, stale_after_days=stale_after_days)


__all__ = [
    "MEASURE",
    "AlertView",
    "BottomLine",
    "Changes",
    "EventRef",
    "FindingView",
    "Headline",
    "IndexMove",
    "IndexPoint",
    "IndicatorView",
    "InstrumentView",
    "Overview",
    "Source",
    "Staleness",
    "TurningPoint",
    "default_findings",
    "from_digest",
    "overview",
    "sentence",
]
