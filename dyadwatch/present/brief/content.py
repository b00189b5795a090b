"""The brief's content, laid out once: what each section says, in the order a principal reads.

:func:`brief_content` turns an :class:`~dyadwatch.present.overview.Overview` into plain
strings, rows and chart scenes; the HTML template and the PDF writer both render this one
record, so the two formats say the same thing. Nothing here computes a fact (every number
comes from the overview) and nothing is cut: every summary is shown whole, and the layouts
wrap it at word boundaries.

Order: the bottom line (where the relationship stands, how sure, what changed since the last
brief, which levers apply), then the levers with their reasons and the apparent
contradictions explained, the chart, what drives the value, what became public, the
instruments, the indicators, the turning points, the sources and how to read the brief.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import metadata

from dyadwatch.analyse.index import MIN_N
from dyadwatch.present.charts import Scene, series_scene, series_text, spark_scene
from dyadwatch.present.labels import Labels, labels
from dyadwatch.present.overview import (
    Changes,
    EventRef,
    FindingView,
    IndicatorView,
    InstrumentView,
    Overview,
    sentence,
)

MAX_EVENTS = 5
"""Events listed under "since the last brief" (the largest in effect; the total is said)."""
MAX_DRIVERS = 4
"""Events listed behind the value."""


@dataclass(frozen=True, slots=True)
class Line:
    """One item of a list: a date, a text, a muted note and the numbers of its sources."""

    when: str
    text: str
    note: str
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Block:
    """A finding as the brief shows it: title, status, why, lever, evidence."""

    title: str
    status: str
    why: str
    lever: str
    evidence: tuple[Line, ...]
    lever_sources: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class InstrumentRow:
    name: str
    state: str
    since: str
    changed: bool
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Spark:
    label: str
    latest: str
    scene: Scene
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SourceLine:
    number: int
    url: str
    outlet: str
    title: str
    date: str


@dataclass(frozen=True, slots=True)
class BriefContent:
    lang: str
    title: str
    as_of: str
    as_of_line: str
    status: str
    stale: str | None
    notes: tuple[str, ...]
    bottom_title: str
    bottom: tuple[tuple[str, str], ...]
    """(heading, paragraph): where it stands, how sure, since the last brief, levers."""
    levers_title: str
    levers: tuple[Block, ...]
    repairs_title: str
    repairs: tuple[Block, ...]
    others_title: str
    others: tuple[Line, ...]
    contradictions_title: str
    contradictions: tuple[str, ...]
    rules_note: str | None
    chart: Scene | None
    chart_title: str
    chart_caption: str
    chart_alt: str
    drivers_title: str
    drivers_intro: str
    drivers: tuple[Line, ...]
    new_title: str
    new_intro: str
    new_events: tuple[Line, ...]
    instruments_title: str
    instrument_head: tuple[str, str, str, str]
    instruments: tuple[InstrumentRow, ...]
    changed_tag: str
    indicators_title: str
    indicators: tuple[Spark, ...]
    indicators_none: str
    turning_title: str
    turning: tuple[Line, ...]
    sources_title: str
    sources_note: str
    sources: tuple[SourceLine, ...]
    method_title: str
    method: str
    footer: str


def event_line(e: EventRef, lab: Labels) -> Line:
    """An event as one line: its date, its whole summary, and a note — the language it was
    recorded in when not the brief's, its effect in words and number."""
    notes = []
    if e.language and e.language != lab.lang:
        notes.append(lab.text(f"recorded_in_{e.language}"))
    if e.effect is not None:
        words = f"{e.effect_words}, " if e.effect_words else ""
        notes.append(f"{words}{lab.signed(e.effect, 0)}")
    return Line(
        lab.short_day(e.event_date), e.summary or e.cameo_code or "", "; ".join(notes), e.sources
    )


def _block(f: FindingView, lab: Labels) -> Block:
    """A finding; the evidence item that only restates the lever's state lends the lever
    line its sources instead of repeating it."""
    lever = ""
    lever_sources: tuple[int, ...] = ()
    shown = []
    for e in f.evidence:
        if not e.text:
            continue
        if f.lever and e.instrument == f.lever and e.kind == "instrument_state":
            lever_sources = e.sources
            continue
        shown.append(
            Line(
                lab.short_day(e.date) if e.date else "",
                _marked(e.text, e.language, lab),
                "",
                e.sources,
            )
        )
    if f.lever_label:
        lever = lab.text("lever_line", instrument=f.lever_label, state=f.lever_state or "–")
        if f.lever_in_use:
            lever += " " + lab.text("lever_in_use")
    why = lab.text("why", reason=f.reason)
    return Block(f.title, f.status_label, why, lever, tuple(shown), lever_sources)


def _marked(text: str, language: str, lab: Labels) -> str:
    if language and language != lab.lang:
        return f"{text} ({lab.text(f'recorded_in_{language}')})"
    return text


def _source_date(d: date | None, lab: Labels) -> str:
    return lab.day(d) if d is not None else lab.text("undated")


def brief_content(ov: Overview) -> BriefContent:
    """Lay out the brief for ``ov`` (see the module docstring), in ``ov.lang``.

    Examples
    --------
    >>> brief_content(overview(store, date(2021, 1, 19))).bottom[0]  # doctest: +SKIP
    """
    lab = labels(ov.lang)
    levers, repairs, others = _findings(ov, lab)
    ch = ov.changes
    period = lab.period(ov.headline.period, ov.freq) if ov.headline.period else ""
    head = (
        lab.text("th_instrument"),
        lab.text("th_state"),
        lab.text("th_since"),
        lab.text("th_sources"),
    )
    return BriefContent(
        lang=ov.lang,
        title=ov.title,
        as_of=lab.day(ov.as_of),
        as_of_line=lab.text("asof_line", day=lab.day(ov.as_of), previous=lab.day(ov.previous)),
        status=ov.status,
        stale=ov.stale.text if ov.stale else None,
        notes=ov.notes,
        bottom_title=lab.text("bottom_line"),
        bottom=_bottom(ov, lab),
        levers_title=lab.text("levers_title"),
        levers=levers,
        repairs_title=lab.text("repairs_title"),
        repairs=repairs,
        others_title=lab.text("others_title"),
        others=others,
        contradictions_title=lab.text("contradictions_title"),
        contradictions=ov.contradictions,
        rules_note=ov.rules_note,
        chart=_chart(ov, lab),
        chart_title=lab.text("chart_title", day=lab.day(ov.as_of)),
        chart_caption=lab.text(
            "chart_caption",
            count=lab.number(ov.window or 1),
            unit=lab.freq(ov.freq, ov.window or 1),
            min=MIN_N,
        ),
        chart_alt=lab.text("chart_alt"),
        drivers_title=lab.text("drivers_title"),
        drivers_intro=lab.text("drivers_intro", period=period) if ov.drivers else "",
        drivers=tuple(event_line(e, lab) for e in ov.drivers[:MAX_DRIVERS]),
        new_title=lab.text("new_events_title") + f" ({lab.day(ov.previous)})",
        new_intro=_new_intro(ch, lab),
        new_events=tuple(event_line(e, lab) for e in ch.events[:MAX_EVENTS]),
        instruments_title=lab.text("instruments_title"),
        instrument_head=head,
        instruments=tuple(_instrument_row(i, lab) for i in ov.instruments),
        changed_tag=lab.text("changed_tag"),
        indicators_title=lab.text("indicators_title"),
        indicators=tuple(_spark(i, lab) for i in ov.indicators),
        indicators_none=lab.text("indicators_none"),
        turning_title=lab.text("turning_title"),
        turning=tuple(
            Line(lab.period(t.period, ov.freq), sentence(t.text), "", ()) for t in ov.turning_points
        ),
        sources_title=lab.text("sources_title"),
        sources_note=lab.text("sources_note", essay=ov.essay, day=lab.day(ov.as_of)),
        sources=tuple(
            SourceLine(
                s.number,
                s.url,
                s.outlet or "",
                lab.text("quoted", title=s.title) if s.title else "",
                _source_date(s.published, lab),
            )
            for s in ov.sources
        ),
        method_title=lab.text("method_title"),
        method=lab.text("method", min=MIN_N),
        footer=lab.text("footer", version=version(), day=lab.day(ov.as_of)),
    )


def version() -> str:
    """The installed dyadwatch version (``dev`` in a source tree without metadata)."""
    try:
        return metadata.version("dyadwatch")
    except metadata.PackageNotFoundError:
        return "dev"


def _span(start: date, end: date, lab: Labels) -> str:
    if start.year == end.year and start.month == 1 and end.month == 12:
        return str(start.year)
    if (start.year, start.month) == (end.year, end.month):
        return lab.month_year(start)
    return f"{lab.month_year(start)} – {lab.month_year(end)}"


def _bottom(ov: Overview, lab: Labels) -> tuple[tuple[str, str], ...]:
    """The bottom line's four parts that have something to say, each under its heading."""
    b = ov.bottom_line
    return tuple(
        (head, text)
        for head, text in (
            (lab.text("where_title"), b.stands),
            (lab.text("sure_title"), b.sure),
            (lab.text("changed_title") + f" ({lab.day(ov.previous)})", b.changed),
            (lab.text("levers_short_title"), b.levers),
        )
        if text
    )


def _findings(
    ov: Overview, lab: Labels
) -> tuple[tuple[Block, ...], tuple[Block, ...], tuple[Line, ...]]:
    """Levers whose conditions are met, the repair actions, and one line per (status, reason)
    shared by the rest ("cannot be told: no evidence since …" once, not once per lever)."""
    recs = [f for f in ov.findings if f.kind != "repair"]
    levers = tuple(_block(f, lab) for f in recs if f.status == "met")
    repairs = tuple(_block(f, lab) for f in ov.findings if f.kind == "repair")
    groups: dict[tuple[str, str], list[str]] = {}
    for f in recs:
        if f.status != "met":
            groups.setdefault((f.status_label, f.reason), []).append(f.title)
    others = tuple(
        Line("", "; ".join(titles), f"{st}: {why}", ()) for (st, why), titles in groups.items()
    )
    return levers, repairs, others


def _chart(ov: Overview, lab: Labels) -> Scene | None:
    """The relationship series up to the as-of date, None when no period has a value."""
    if not any(p.value is not None for p in ov.index):
        return None
    marker = (ov.last_event, lab.text("newest_event")) if ov.stale and ov.last_event else None
    return series_scene(
        ov.index,
        ov.turning_points,
        text=series_text("relationship", ov.lang),
        width=960,
        height=300,
        marker=marker,
    )


def _new_intro(ch: Changes, lab: Labels) -> str:
    if ch.events_total > len(ch.events[:MAX_EVENTS]):
        return lab.text("new_events_more", shown=len(ch.events[:MAX_EVENTS]), total=ch.events_total)
    return "" if ch.events else lab.text("changed_no_events")


def _instrument_row(i: InstrumentView, lab: Labels) -> InstrumentRow:
    since = lab.short_day(i.since) if i.since else ""
    return InstrumentRow(i.name, i.state_label or "–", since, i.changed_in_window, i.sources)


def _spark(i: IndicatorView, lab: Labels) -> Spark:
    latest = lab.text(
        "latest",
        value=lab.amount(i.latest.value),
        unit=i.unit,
        period=_span(i.latest.period_start, i.latest.period_end, lab),
    )
    return Spark(
        i.name, latest, spark_scene(i.points, unit=i.unit, width=230, height=46), i.sources
    )


__all__ = ["BriefContent", "Line", "brief_content", "event_line"]
