"""The brief's content, laid out once: what each section says, in the order a principal reads.

:func:`brief_content` turns an :class:`~dyadwatch.present.overview.Overview` into plain
strings, rows and points; the HTML template and the PDF writer both render this one record,
so the two formats say the same thing. Nothing here computes a fact: every number comes from
the overview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dyadwatch.present.overview import (
    MAX_CHANGED_EVENTS,
    EventRef,
    Overview,
    day_name,
    pair_name,
    period_name,
    signed,
)

QUAD = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}

MEASURE_NOTE = (
    "Net cooperation is the index's share of cooperative minus conflictual events between the "
    "two governments in a period (from −1, all conflict, to +1, all cooperation), counted once "
    "per story and only from what was public by the as-of date."
)


@dataclass(frozen=True, slots=True)
class Line:
    """One item of a list: a date, a text and the numbers of its sources."""

    when: str
    text: str
    tag: str
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FindingBlock:
    title: str
    status: str
    lever: str | None
    explanation: str
    evidence: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class InstrumentRow:
    name: str
    state: str
    since: str
    changed: bool
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Sparkline:
    label: str
    latest: str
    span: str
    points: tuple[tuple[float, float], ...]
    """Points in the unit square (x right, y up), first period to last."""
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SourceLine:
    number: int
    url: str
    title: str | None


@dataclass(frozen=True, slots=True)
class BriefContent:
    title: str
    as_of: str
    status: str
    headline: str
    measure_note: str
    chart_caption: str
    move: str | None
    changes_intro: str
    events: tuple[Line, ...]
    state_changes: tuple[Line, ...]
    findings_met: tuple[FindingBlock, ...]
    findings_other: tuple[str, ...]
    rules_note: str | None
    instruments: tuple[InstrumentRow, ...]
    sparklines: tuple[Sparkline, ...]
    turning_points: tuple[Line, ...]
    sources: tuple[SourceLine, ...]
    notes: tuple[str, ...]
    essay: str


_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def humanise(state: str | None) -> str:
    """``in_force_with_guidelines`` → ``in force with guidelines``.

    >>> humanise("not_designated_deferred")
    'not designated deferred'
    """
    return (state or "unknown").replace("_", " ")


def short_date(d: date) -> str:
    """``date(2021, 1, 14)`` → ``14 Jan 2021``.

    >>> short_date(date(2021, 1, 14))
    '14 Jan 2021'
    """
    return f"{d.day} {_ABBR[d.month - 1]} {d.year}"


def _clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis.

    >>> _clip("one two three", 9)
    'one two…'
    """
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _event_line(ev: EventRef) -> Line:
    tag = QUAD.get(ev.quad_class or 0, "")
    return Line(short_date(ev.event_date), ev.summary or ev.cameo_code or "", tag, ev.sources)


def _number(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:,.1f}".rstrip("0").rstrip(".")
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def unit_square(values: Sequence[float]) -> tuple[tuple[float, float], ...]:
    """Values as points in [0, 1]², evenly spaced; a flat series sits at mid-height.

    >>> unit_square([1.0, 3.0, 2.0])
    ((0.0, 0.0), (0.5, 1.0), (1.0, 0.5))
    """
    if not values:
        return ()
    lo, hi = min(values), max(values)
    n = len(values)
    return tuple(
        (i / (n - 1) if n > 1 else 0.5, (v - lo) / (hi - lo) if hi > lo else 0.5)
        for i, v in enumerate(values)
    )


def _indicator_label(name: str) -> str:
    return name.replace("_", " ")


def brief_content(ov: Overview) -> BriefContent:
    """Lay out the brief for ``ov`` (see the module docstring).

    Examples
    --------
    >>> brief_content(overview(store, date(2021, 1, 31))).headline  # doctest: +SKIP
    """
    pair = pair_name(ov.dyad)
    ch = ov.changes
    n_shown = len(ch.events)
    window = f"between {day_name(ch.since)} (exclusive) and {day_name(ch.until)}"
    if ch.events_total:
        intro = f"{ch.events_total} {pair} event(s) became public {window}"
        if ch.events_total > n_shown:
            intro += f"; the {n_shown} with the largest Goldstein scores are shown"
        intro += "."
    else:
        intro = f"No {pair} events became public {window}."
    state_lines = tuple(
        Line(
            short_date(c.valid_from),
            f"{c.name}: {humanise(c.previous_state)} → {humanise(c.state)}",
            "instrument",
            tuple(n for e in c.evidence for n in e.sources),
        )
        for c in ch.state_changes
    )
    shown = {f"{e.source}:{e.source_key}" for e in ch.events}
    met = tuple(
        FindingBlock(
            title=f.title,
            status=f.status,
            lever=f.lever.replace("_", " ") if f.lever else None,
            explanation=f.explanation,
            evidence=tuple(
                Line(
                    short_date(e.date) if e.date else "",
                    "(above)" if e.ref in shown else _clip(e.text.replace("_", " "), 90),
                    e.kind,
                    e.sources,
                )
                for e in f.evidence
            ),
        )
        for f in ov.met_findings
    )
    other = tuple(f"{f.title} — {humanise(f.status)}" for f in ov.findings if f.status != "met")
    instruments = tuple(
        InstrumentRow(
            name=i.name,
            state=humanise(i.state),
            since=short_date(i.since) if i.since else "",
            changed=i.changed_in_window,
            sources=tuple(n for e in i.evidence for n in e.sources),
        )
        for i in ov.instruments
    )
    sparks = []
    for ind in ov.indicators:
        last = ind.latest
        span = f"{ind.points[0].period_start.year}–{last.period_end.year}"
        latest = (
            f"{_number(last.value)} {ind.unit} ({last.period_start:%Y-%m}–{last.period_end:%Y-%m})"
        )
        sparks.append(
            Sparkline(
                label=_indicator_label(ind.indicator),
                latest=latest,
                span=span,
                points=unit_square([p.value for p in ind.points]),
                sources=ind.sources,
            )
        )
    tps = tuple(
        Line(
            period_name(t.period, ov.freq),
            f"{'upturn' if t.direction == 'up' else 'downturn'}: mean net cooperation "
            f"{signed(t.before_mean)} before, {signed(t.after_mean)} after"
            + (f" — e.g. {t.events[0].summary}" if t.events else ""),
            t.direction,
            tuple(n for e in t.events[:1] for n in e.sources),
        )
        for t in ov.turning_points
    )
    caption = (
        f"Net cooperation by year (black) and by {ov.freq} (faint), as known on "
        f"{day_name(ov.as_of)}; dashed lines mark turning points found by change-point "
        f"detection on the {ov.freq}ly series (green up, red down)."
    )
    return BriefContent(
        title=f"{pair} security relationship",
        as_of=day_name(ov.as_of),
        status=ov.status,
        headline=ov.headline.text,
        measure_note=MEASURE_NOTE,
        chart_caption=caption,
        move=ch.index_move.text if ch.index_move else None,
        changes_intro=intro,
        events=tuple(_event_line(e) for e in ch.events),
        state_changes=state_lines,
        findings_met=met,
        findings_other=other,
        rules_note=ov.rules_note,
        instruments=instruments,
        sparklines=tuple(sparks),
        turning_points=tps,
        sources=tuple(SourceLine(s.number, s.url, s.title) for s in ov.sources),
        notes=ov.notes,
        essay=ov.essay,
    )


__all__ = ["MAX_CHANGED_EVENTS", "BriefContent", "brief_content", "humanise", "unit_square"]
