"""The brief's pieces without a store: formats, numbering, sparklines, non-Latin-1 text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from dyadwatch.errors import UsageError
from dyadwatch.present.brief import brief_format, render_html, render_pdf
from dyadwatch.present.brief.content import brief_content, humanise, unit_square
from dyadwatch.present.brief.render import sparkline_svg
from dyadwatch.present.overview import (
    Changes,
    EventRef,
    Headline,
    IndicatorValue,
    IndicatorView,
    InstrumentView,
    Overview,
    _Citations,
    period_name,
    signed,
)

pytestmark = pytest.mark.unit

SPANISH = "Fiscalía General — “exoneración” de Cienfuegos; señal de año difícil"


def tiny_overview() -> Overview:
    """A hand-built overview whose text needs more than Latin-1."""
    cites = _Citations()
    when = datetime(2021, 1, 14, 23, 59, tzinfo=UTC)
    ev = EventRef(
        event_id="e1",
        source="curated",
        source_key="2021-01-14-x",
        event_date=date(2021, 1, 14),
        known_at=when,
        actor1="Fiscalía General de la República",
        actor2="Department of Justice",
        cameo_code="0841",
        quad_class=2,
        goldstein=7.0,
        instruments=("indictments",),
        summary=SPANISH,
        urls=("https://example.org/a?x=1&y=2", "https://example.org/b"),
    )
    ev = replace(ev, sources=cites.cite(ev.urls, "what changed"))
    inst = InstrumentView(
        id="foreign_agent_law",
        name="Mexico’s foreign-agent law",
        state="in_force_with_guidelines",
        since=date(2021, 1, 14),
        known_at=when,
        note=None,
        changed_in_window=True,
        evidence=(ev,),
    )
    points = tuple(
        IndicatorValue(date(y, 1, 1), date(y, 12, 31), v)
        for y, v in ((2016, 63632.0), (2017, 70237.0), (2018, 67367.0))
    )
    ind = IndicatorView(
        indicator="us_overdose_deaths_all",
        unit="deaths",
        scope="United States",
        points=points,
        latest=points[-1],
        previous=points[-2],
        urls=("https://example.org/cdc",),
        sources=cites.cite(["https://example.org/cdc"], "indicator"),
    )
    return Overview(
        dyad="USA-MEX",
        as_of=date(2021, 1, 31),
        freq="month",
        measure="net_coop",
        status="ok",
        headline=Headline(
            text="As of 31 January 2021, net cooperation stood at −0.25 — “low”.",
            measure="net_coop",
            period="2021-01",
            value=-0.25,
            events=8,
            z=None,
            recent=None,
            year=None,
        ),
        index=(),
        history=(),
        turning_points=(),
        changes=Changes(
            since=date(2020, 12, 31),
            until=date(2021, 1, 31),
            events_total=1,
            events=(ev,),
            state_changes=(),
            index_move=None,
        ),
        findings=(),
        rules_note=None,
        instruments=(inst,),
        indicators=(ind,),
        sources=cites.sources(),
        first_event=date(1985, 2, 7),
        events_known=1,
    )


def test_brief_format_follows_the_extension() -> None:
    assert brief_format("x.html") == "html"
    assert brief_format("x.HTM") == "html"
    assert brief_format("dir/x.pdf") == "pdf"
    for bad in ("x.docx", "x", "x.pdf.txt"):
        with pytest.raises(UsageError, match=r"must end in \.html or \.pdf"):
            brief_format(bad)


def test_citations_number_each_url_once_in_order_of_first_use() -> None:
    c = _Citations()
    assert c.cite(["https://a", "https://b"], "one") == (1, 2)
    assert c.cite(["https://b", "https://c", "https://a"], "two") == (2, 3, 1)
    assert c.cite(["", "  "], "blank") == ()
    sources = c.sources()
    assert [(s.number, s.url) for s in sources] == [
        (1, "https://a"),
        (2, "https://b"),
        (3, "https://c"),
    ]
    assert sources[1].cited_for == ("one", "two")


def test_small_formatters() -> None:
    assert signed(-0.25) == "−0.25" and signed(0.5) == "+0.50" and signed(None) == "n/a"
    assert signed(float("nan")) == "n/a"
    assert period_name("2020-12", "month") == "December 2020"
    assert period_name("2021Q1", "quarter") == "Q1 2021"
    assert humanise("in_force_with_guidelines") == "in force with guidelines"
    assert humanise(None) == "unknown"


def test_sparkline_points_fill_the_unit_square() -> None:
    pts = unit_square([5.0, 10.0, 7.5])
    assert pts == ((0.0, 0.0), (0.5, 1.0), (1.0, 0.5))
    assert unit_square([3.0, 3.0]) == ((0.0, 0.5), (1.0, 0.5))
    assert unit_square([]) == ()
    svg = sparkline_svg(pts, 100, 20)
    assert svg.startswith('<svg class="spark"') and "http" not in svg
    assert len(re.findall(r"\d+\.\d,\d+\.\d", svg)) == 3


def test_html_and_pdf_render_non_latin1_text() -> None:
    ov = tiny_overview()
    page = render_html(ov)
    assert SPANISH in page
    assert "https://example.org/a?x=1&amp;y=2" in page
    assert 'id="src-1"' in page and 'id="src-3"' in page
    data = render_pdf(ov)
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data)) == 1
    assert b"/URI (https://example.org/cdc)" in data


def test_content_is_shared_by_both_formats() -> None:
    c = brief_content(tiny_overview())
    assert c.title == "United States–Mexico security relationship"
    assert c.events[0].when == "14 Jan 2021" and c.events[0].sources == (1, 2)
    assert c.instruments[0].state == "in force with guidelines" and c.instruments[0].changed
    assert c.sparklines[0].latest.startswith("67,367 deaths")
    assert [s.number for s in c.sources] == [1, 2, 3]
