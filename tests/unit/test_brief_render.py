"""The brief without a store: a hand-built digest said in words, rendered as HTML and PDF.

Checks, by parsing the HTML as a reader's browser would: the bottom line comes first, no
text is cut mid-word, no code (snake_case) is visible, sources read outlet, title and date,
a staleness banner appears when due, Spanish labels come from the registry, and the PDF is
written in a font that prints Spanish.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from dyadwatch.analyse.records import EventFact, Extent
from dyadwatch.errors import UsageError
from dyadwatch.model import Finding
from dyadwatch.policy.digest import (
    Digest,
    FindingFact,
    IndicatorFact,
    Reading,
    SeriesPoint,
    StateFact,
)
from dyadwatch.present.brief import brief_format, render_html, render_pdf
from dyadwatch.present.brief.content import brief_content
from dyadwatch.present.labels import labels
from dyadwatch.present.overview import Overview, from_digest
from dyadwatch.present.reasons import contradictions, reason_words
from dyadwatch.visibility import Citation

pytestmark = pytest.mark.unit

LONG = (
    "López Obrador endorsed the exoneration, accused the DEA of fabricating the case, and had "
    "the Foreign Ministry publish the 751-page US evidence file that had been shared in "
    "confidence, a step the Justice Department called a breach of the treaty’s terms."
)
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def point(period: str, value: float | None, n: int) -> SeriesPoint:
    y, m = int(period[:4]), int(period[5:])
    return SeriesPoint(
        period, date(y, m, 1), date(y, m, 28), 12, date(y - 1, m, 1), n, value,
        None if value is None else value - 1.6, None if value is None else value + 1.6,
        "ok" if value is not None else "insufficient",
        None if value is not None else "insufficient evidence: 3 event(s) in 12 months",
    )  # fmt: skip


def event(key: str, summary: str, effect: float, day: date) -> EventFact:
    return EventFact(
        event_id=f"id-{key}", source="curated", source_key=key, event_date=day,
        known_at=datetime(day.year, day.month, day.day, 23, tzinfo=UTC), actor1="Mexico",
        actor2="United States", actor1_country="MEX", actor2_country="USA", cameo_code="112",
        quad_class=3, goldstein=-2.0, relation_effect=effect, effect_basis="editor",
        effect_rationale="breaks trust", episode=None, instruments=("mlat",), summary=summary,
        language="en", handling="public",
        citations=(Citation(f"https://example.org/{key}?a=1&b=2", f"Title of {key}", "AP", day),),
    )  # fmt: skip


def digest(as_of: date = date(2021, 1, 19), newest: date = date(2021, 1, 18)) -> Digest:
    e1 = event("file", LONG, -7.0, date(2021, 1, 15))
    e2 = event("law", "Mexico published the rules of the foreign-agent law.", -4.0,
               date(2021, 1, 14))  # fmt: skip
    points = (point("2020-11", 0.9, 13), point("2020-12", 0.2, 12), point("2021-01", -1.07, 14))
    reading = Reading(
        "relationship", "month", as_of, points, points[-1], points[-1], {"curated": 12},
        drivers=(replace(e1, contribution=-0.5),),
    )  # fmt: skip
    before = Reading("relationship", "month", date(2020, 12, 20), points[:2], points[1],
                     points[1], {"curated": 12})  # fmt: skip
    state = StateFact(
        "dialogue", "High-level dialogues", "frozen", "active_ad_hoc_cabinet_contacts",
        date(2021, 1, 15), datetime(2021, 1, 15, tzinfo=UTC), None, True, (e1,),
    )  # fmt: skip
    rec = Finding(
        "stop_returning_suspects", "Stop handing back suspects", as_of, "met",
        {"improved": False, "lasting_structures": False, 'instrument.state("us_returns")':
         "no_further_return_recorded", "sabotage": True},
        (), "", lever="us_returns", reason="met: 'improved' is false.",
    )  # fmt: skip
    unknown = Finding(
        "keep_indicting", "Keep indicting", as_of, "unknown", {}, (), "",
        reason="unknown: no evidence since 2020-06-01 (the latest event), longer ago than the "
        "rule's horizon of 6 months.",
    )  # fmt: skip
    ind = IndicatorFact(
        "us_overdose_deaths_all", "US drug overdose deaths, all drugs", "deaths", None,
        tuple((date(y, 1, 1), date(y, 12, 31), v) for y, v in ((2017, 70237.0), (2018, 67367.0),
                                                                 (2019, 70630.0))),
        (Citation("https://example.org/cdc", "Overdose deaths 2019", "CDC", date(2020, 12, 1)),),
    )  # fmt: skip
    return Digest(
        dyad="USA-MEX", as_of=as_of, previous=date(2020, 12, 20), freq="month",
        extent=Extent(277, date(1985, 2, 7), newest, datetime(2021, 1, 18, tzinfo=UTC)),
        reading=reading, before=before, new_events=(e1, e2), instruments=(state,),
        state_changes=(state,),
        findings=(FindingFact(rec, "recommendation", "not_met"),
                  FindingFact(unknown, "recommendation", "unknown")),
        rules_note=None, indicators=(ind,),
    )  # fmt: skip


class Text(HTMLParser):
    """The text a reader sees (no style, no attribute values), and every link."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag == "a":
            self.links.extend(v or "" for k, v in attrs if k == "href")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def read(html: str) -> Text:
    parser = Text()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def ov() -> Overview:
    return from_digest(digest())


def test_the_bottom_line_comes_first_and_says_value_interval_n_and_window(ov: Overview) -> None:
    text = read(render_html(ov)).text
    start = text.index("Bottom line")
    assert start < text.index("Levers that apply") < text.index("Sources")
    stands = ov.bottom_line.stands
    assert "−1.07" in stands and "−2.67 to +0.53" in stands and "14 events" in stands
    assert "over the twelve months to January 2021" in stands
    assert "leans towards strain" in stands  # the interval spans zero: no firm word
    assert "spans zero" in ov.bottom_line.sure
    assert "+0.20" in ov.bottom_line.changed and "2 events became public" in ov.bottom_line.changed
    assert "1 of 2 recommendations apply" in ov.bottom_line.levers


def test_no_text_is_cut_and_no_code_is_visible(ov: Overview) -> None:
    text = read(render_html(ov)).text
    assert LONG in text
    assert "…" not in text.replace("−10 … +10", "")
    assert not SNAKE.findall(text), SNAKE.findall(text)


def test_sources_read_outlet_title_and_date_and_link_the_page(ov: Overview) -> None:
    page = read(render_html(ov))
    assert "AP, “Title of file”, 15 January 2021." in page.text
    assert "https://example.org/file?a=1&b=2" in page.links
    assert "https://example.org/file" not in page.text  # no raw URL is printed


def test_a_staleness_banner_appears_only_when_due() -> None:
    fresh = render_html(from_digest(digest()))
    assert 'id="stale"' not in fresh
    old = from_digest(digest(as_of=date(2021, 12, 1)), stale_after_days=60)
    assert old.stale is not None and old.stale.days == 317
    assert 'id="stale"' in render_html(old)
    assert "Out of date" in read(render_html(old)).text
    quiet = from_digest(digest(as_of=date(2021, 12, 1)), stale_after_days=400)
    assert quiet.stale is None


def test_spanish_brief_takes_every_label_from_the_registry() -> None:
    ov = from_digest(digest(), "es")
    es = labels("es")
    text = read(render_html(ov)).text
    assert es.text("bottom_line") in text and es.text("sources_title") in text
    assert es.state("dialogue", "frozen") in text
    assert es.rule("stop_returning_suspects", "x") in text
    assert es.status("met") in text
    assert "Bottom line" not in text and "Levers that apply" not in text
    marked = es.text("recorded_in_en")  # summaries stay in the language they were recorded in
    assert f"{LONG.rstrip('.')} ({marked})" in text  # the bottom line
    assert f"{LONG} ({marked}; {es.effect(-7)}, −7)" in text  # the list of events
    assert "AP, «Title of file», 15 de enero de 2021." in text
    assert not SNAKE.findall(text)


def test_reasons_are_words_not_codes() -> None:
    en = labels("en")
    f = Finding(
        "x", "X", date(2021, 1, 19), "met",
        {"sabotage": True, 'instrument.state("merida")': "active_contested_by_mexico"}, (), "",
        reason="met: 'sabotage' holds; state of merida is \"active_contested_by_mexico\" "
        "(test: other than \"not_in_place\").",
    )  # fmt: skip
    why = reason_words(f, en)
    assert why.startswith("Mexico is working against the cooperation")
    assert "delivered, but rejected by Mexico's government" in why and not SNAKE.findall(why)
    silent = replace(f, status="unknown", reason="unknown: no evidence since 2026-02-24, longer "
                     "ago than the rule's horizon of 6 months.")  # fmt: skip
    assert reason_words(silent, en) == (
        "no evidence since 24 February 2026, longer ago than the rule's 6-month horizon"
    )
    nothing = replace(f, metrics={}, reason="met: (something new) holds.")
    assert reason_words(nothing, en) == "its conditions hold"


def test_apparent_contradictions_are_explained() -> None:
    en = labels("en")
    day = date(2021, 1, 19)
    repair = Finding("r", "Repair: resume dialogues", day, "met", {}, (), "")
    advice = Finding("a", "Stop handing back suspects", day, "met",
                     {"improved": False, "sabotage": True}, (), "")  # fmt: skip
    out = contradictions([(repair, "repair"), (advice, "recommendation")], en, value=-1.0,
                         lo=-2.0, hi=0.5)  # fmt: skip
    assert any("Not a contradiction: a repair step is a start" in t for t in out)
    assert any("its own past ten years" in t for t in out)
    assert contradictions([(advice, "recommendation")], en, value=-3, lo=-4, hi=-2) == []


def test_brief_format_follows_the_extension() -> None:
    assert brief_format("x.html") == "html" and brief_format("dir/x.PDF") == "pdf"
    for bad in ("x.docx", "x", "x.pdf.txt"):
        with pytest.raises(UsageError, match=r"must end in \.html or \.pdf"):
            brief_format(bad)


def test_html_and_pdf_render_one_content_record_with_spanish_text() -> None:
    ov = from_digest(digest(), "es")
    content = brief_content(ov)
    html = render_html(ov, content)
    pdf = render_pdf(ov, content)
    assert pdf.startswith(b"%PDF") and b"DejaVuSans" in pdf
    assert content.title in html and "Relación de seguridad" in content.title
    assert html.count("<svg") == 2  # the series chart and one indicator chart, inline
    assert not re.search(r"https?://(?!example\.org|www\.w3\.org)", html)
