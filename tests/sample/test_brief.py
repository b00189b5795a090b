"""The brief as of 2021-01-31 on the embedded knowledge base: HTML, PDF, CLI, main job."""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dyadwatch import pipeline
from dyadwatch.present.brief import render_html, render_pdf, write_brief
from dyadwatch.present.cli.main import main
from dyadwatch.present.overview import Overview, overview
from dyadwatch.settings import Settings
from dyadwatch.sources.curated import CuratedSource
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

AS_OF = date(2021, 1, 31)
URL = re.compile(r"https?://[^\s\"'<>)]+")


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
def pdf(ov: Overview) -> bytes:
    return render_pdf(ov)


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (fpdf2 writes them uncompressed: ``/Type /Page``)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def source_list(page: str) -> dict[int, str]:
    items = re.findall(r'<li id="src-(\d+)"[^>]*><a href="([^"]+)">', page)
    return {int(n): html.unescape(u) for n, u in items}


def test_html_has_the_headline_and_the_january_events(page: str, ov: Overview) -> None:
    assert html.escape(ov.headline.text) in page
    assert "<time>31 January 2021</time>" in page
    assert "Cienfuegos" in page
    assert "foreign-agent law" in page
    assert "in force with guidelines" in page
    assert "What changed in the last month" in page


def test_html_sources_are_numbered_and_match_the_events_shown(page: str, ov: Overview) -> None:
    listed = source_list(page)
    assert listed == {s.number: s.url for s in ov.sources}
    assert sorted(listed) == list(range(1, len(listed) + 1))
    for e in ov.changes.events:
        assert [listed[n] for n in e.sources] == list(dict.fromkeys(e.urls))
    refs = {int(n) for n in re.findall(r'href="#src-(\d+)"', page)}
    assert refs == set(listed), "every source is cited, and every citation is listed"


def test_html_is_self_contained(page: str, ov: Overview) -> None:
    found = {html.unescape(u) for u in URL.findall(page)}
    assert found <= set(ov.source_urls()), found - set(ov.source_urls())
    assert "<script" not in page and "<link" not in page and "@import" not in page
    m = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert m, "the index chart is embedded as a data URI"
    assert base64.b64decode(m.group(1)).lstrip().startswith((b"<?xml", b"<svg"))
    assert page.count('<svg class="spark"') == len(ov.indicators) > 0


def test_pdf_is_one_to_three_pages_with_chart_font_and_source_links(
    pdf: bytes, ov: Overview
) -> None:
    assert pdf.startswith(b"%PDF-")
    assert 1 <= pdf_pages(pdf) <= 3
    assert b"/Subtype /Image" in pdf
    assert b"DejaVu" in pdf
    links = {u.decode() for u in re.findall(rb"/URI \(([^)]*)\)", pdf)}
    assert links == set(ov.source_urls())


def test_write_brief_picks_the_format_from_the_extension(ov: Overview, tmp_path: Path) -> None:
    h = write_brief(ov, tmp_path / "a" / "brief.HTML")
    p = write_brief(ov, tmp_path / "brief.pdf")
    assert h.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert p.read_bytes().startswith(b"%PDF-")


def test_before_the_first_event_the_brief_says_insufficient_data(
    store: Store, tmp_path: Path
) -> None:
    early = overview(store, date(1980, 1, 1))
    page = render_html(early)
    assert "Insufficient data" in page and "later --as-of" in page
    assert "data:image" not in page
    data = render_pdf(early)
    assert pdf_pages(data) == 1


def test_cli_writes_html_and_pdf_and_prints_the_path(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("b.html", "b.pdf"):
        out = tmp_path / name
        rc = main(["brief", "--store", str(store.root), "--as-of", "2021-01-31", "-o", str(out)])
        assert rc == 0
        assert capsys.readouterr().out.strip() == str(out)
        assert out.stat().st_size > 1000


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-o", "brief.docx"], 2, "must end in .html or .pdf"),
        (["--as-of", "2021-13-45"], 2, "is not a date"),
        (["--as-of", "yesterday-ish"], 2, "is not a date"),
        (
            ["--as-of", (datetime.now(UTC).date() + timedelta(days=3)).isoformat()],
            2,
            "in the future",
        ),
    ],
)
def test_cli_bad_extension_and_bad_dates_are_clear_errors(
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    argv = ["brief", "--store", str(store.root), *args]
    if "-o" not in args:
        argv += ["-o", str(tmp_path / "x.html")]
    else:
        argv[argv.index("brief.docx")] = str(tmp_path / "brief.docx")
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert len([line for line in err.splitlines() if line.strip()]) <= 3
    assert list(tmp_path.iterdir()) == []


def test_main_job_ends_with_the_brief(store: Store, tmp_path: Path) -> None:
    from dyadwatch.present.jobs import main_job

    result = main_job(Settings(store=store.root), out_dir=tmp_path / "out", as_of=AS_OF)
    html_path, pdf_path = result.briefs
    assert html_path == tmp_path / "out" / "brief-2021-01-31.html"
    assert pdf_path == tmp_path / "out" / "brief-2021-01-31.pdf"
    assert str(html_path) in result.text and str(pdf_path) in result.text
    assert "Cienfuegos" in html_path.read_text(encoding="utf-8")
    assert 1 <= pdf_pages(pdf_path.read_bytes()) <= 3
