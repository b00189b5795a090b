"""The brief on the embedded knowledge base: HTML and PDF, English and Spanish, CLI, main job.

What issue 17 asks of the brief is checked by parsing the HTML as a browser would: at most
three PDF pages, no text cut mid-word, no code (snake_case) in the text, a staleness banner
when due, sources as outlet, title and date linked to their page and only pages public by
the as-of date; ``brief --lang es`` writes the same brief in Spanish from the registry.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dyadwatch import pipeline
from dyadwatch.present.brief import render_html, render_pdf
from dyadwatch.present.cli.main import main
from dyadwatch.present.labels import labels
from dyadwatch.present.overview import Overview, overview
from dyadwatch.settings import Settings
from dyadwatch.sources.curated import CuratedSource
from dyadwatch.store import EventFilter, Store, events
from tests.unit.test_brief_render import SNAKE, read

pytestmark = pytest.mark.sample

AS_OF = date(2021, 1, 19)
SOURCE_LINE = re.compile(r"^(?P<outlet>[^,]+), “(?P<title>.+)”, (?P<date>.+)\.$")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store.init(tmp_path_factory.mktemp("brief") / "store")
    src = CuratedSource()
    summary = pipeline.ingest(src, src.discover(), s)
    assert summary.ok, summary.describe()
    return s


@pytest.fixture(scope="module")
def ov(store: Store) -> Overview:
    return overview(store, AS_OF)


@pytest.fixture(scope="module")
def page(ov: Overview) -> str:
    return render_html(ov)


@pytest.fixture(scope="module")
def stale(store: Store) -> Overview:
    last = max(events(store, EventFilter(dyad="USA-MEX")).column("event_date").to_pylist())
    return overview(store, last + timedelta(days=120), stale_after_days=60)


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (fpdf2 writes them uncompressed: ``/Type /Page``)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def source_items(page: str) -> list[str]:
    """The text of each item of the numbered source list."""
    block = page.split('<ol class="sources">', 1)[1].split("</ol>", 1)[0]
    return [read("<li " + item).text for item in block.split("<li ")[1:]]


def test_pdf_is_at_most_three_pages(ov: Overview, stale: Overview) -> None:
    for record in (ov, stale):
        assert 1 <= pdf_pages(render_pdf(record)) <= 3


def test_the_bottom_line_opens_the_brief(ov: Overview, page: str) -> None:
    text = read(page).text
    assert text.index("Bottom line") < text.index("Levers that apply, and why")
    assert ov.bottom_line.stands in text and "twelve months to January 2021" in text
    assert f"{ov.headline.events} events" in text and "90 % interval" in text


def test_no_text_is_cut_mid_word_every_summary_is_whole(
    store: Store, ov: Overview, page: str
) -> None:
    text = read(page).text
    assert "…" not in text.replace("−10 … +10", "")
    stored = {
        r["source_key"]: " ".join(r["summary"].split())
        for r in events(store, EventFilter(dyad="USA-MEX", as_of=AS_OF)).to_pylist()
    }
    shown = [*ov.changes.events, *ov.drivers]
    assert shown
    for e in shown[:4]:
        assert stored[e.source_key] in text


def test_no_code_is_visible_in_the_text(page: str, stale: Overview) -> None:
    for html in (page, render_html(stale)):
        found = SNAKE.findall(read(html).text)
        assert not found, found


def test_sources_are_outlet_title_and_date_linked_and_public_by_the_date(
    ov: Overview, page: str
) -> None:
    items = source_items(page)
    assert len(items) == len(ov.sources) > 5
    for text, src in zip(items, ov.sources, strict=True):
        if src.title:
            m = SOURCE_LINE.match(text)
            assert m, text
            assert m["outlet"] == src.outlet and m["title"] == src.title
        assert src.url in read(page).links
        assert src.published is None or src.published <= AS_OF
    assert not re.search(r">\s*https?://", page)  # no raw URL as text


def test_a_staleness_banner_when_the_newest_evidence_is_old(page: str, stale: Overview) -> None:
    assert 'id="stale"' not in page
    html = render_html(stale)
    # The banner names the date it is read at, so it reads right in the dashboard too.
    day = labels("en").day(stale.as_of)
    assert 'id="stale"' in html and f"120 days before {day} (the limit" in read(html).text


def test_cli_writes_a_spanish_brief_from_the_registry(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "informe.html"
    argv = ["brief", "--store", str(store.root), "--as-of", "2021-01-19", "--lang", "es"]
    assert main([*argv, "-o", str(out)]) == 0
    text = read(out.read_text(encoding="utf-8")).text
    es, en = labels("es"), labels("en")
    for key in ("bottom_line", "where_title", "levers_title", "instruments_title"):
        assert es.text(key) in text and en.text(key) not in text
    assert es.state("dialogue", "frozen") in text  # the dialogue froze on 15 January 2021
    assert es.rule("merida_suspend") in text
    assert f"({es.text('recorded_in_en')};" in text  # summaries stay English, marked
    assert not SNAKE.findall(text)
    pdf = tmp_path / "informe.pdf"
    assert main([*argv, "-o", str(pdf)]) == 0
    assert 1 <= pdf_pages(pdf.read_bytes()) <= 3


def test_cli_previous_names_the_last_brief(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b.html"
    argv = ["brief", "--store", str(store.root), "--as-of", "2021-01-19", "-o", str(out)]
    assert main([*argv, "--previous", "2021-01-13"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    text = read(out.read_text(encoding="utf-8")).text
    assert "Since the last brief (13 January 2021)" in text
    assert main([*argv, "--previous", "2021-02-01"]) == 2  # a usage error
    assert "must be before" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-o", "brief.docx"], 2, "must end in .html or .pdf"),
        (["--as-of", "2021-13-45"], 2, "is not a date"),
        (["--lang", "fr"], 2, "fr"),
        (["--as-of", (datetime.now(UTC).date() + timedelta(days=3)).isoformat()], None, "future"),
    ],
)
def test_cli_bad_arguments_are_one_line_errors(
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int | None,
    message: str,
) -> None:
    argv = ["brief", "--store", str(store.root), *args]
    if "-o" not in args:
        argv += ["-o", str(tmp_path / "x.html")]
    else:
        argv[argv.index("brief.docx")] = str(tmp_path / "brief.docx")
    rc = main(argv)
    assert rc != 0 and (code is None or rc == code)
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_main_job_ends_with_the_brief(store: Store, tmp_path: Path) -> None:
    from dyadwatch.present.jobs import main_job

    result = main_job(Settings(store=store.root), out_dir=tmp_path / "out", as_of=AS_OF)
    html_path, pdf_path = result.briefs
    assert html_path == tmp_path / "out" / "brief-2021-01-19.html"
    assert "Cienfuegos" in html_path.read_text(encoding="utf-8")
    assert 1 <= pdf_pages(pdf_path.read_bytes()) <= 3


def test_index_chart_draws_the_named_series_with_interval_and_n(
    store: Store, tmp_path: Path
) -> None:
    svg = tmp_path / "relationship.svg"
    argv = ["index", "chart", "--store", str(store.root), "--as-of", "2021-01-19"]
    assert main([*argv, "-o", str(svg)]) == 0
    text = svg.read_text(encoding="utf-8")
    assert 'class="band"' in text and 'class="n"' in text and "90 % interval" in text
    assert "Cooperation between the governments" in text and ("▲" in text or "▼" in text)
    png = tmp_path / "net_coop.png"
    assert main([*argv, "--measure", "net_coop", "-o", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
