"""The dashboard in Debian's headless Chromium, driven by Playwright, against a real server.

uvicorn serves a store built from the shipped knowledge base on a free loopback port (in a
thread of this process). The test loads each page, changes the as-of date in the page,
filters the timeline, opens an event's sources, and saves a screenshot of each step to
``test-artifacts/`` (gitignored). Skipped, with the reason, where /usr/bin/chromium is absent
(`.ci/run` installs Debian's ``chromium`` package).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dyadwatch.present.api.app import create_app
from dyadwatch.present.api.tokens import TokenStore
from dyadwatch.settings import Settings
from tests.unit.api_support import curated_store

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DAY = "2021-01-31"
TIMEOUT_MS = 120_000  # a cold page computes the index and the rules once

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not installed at /usr/bin/chromium "
        "(apt-get install -y chromium); Playwright must not download its own browser",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(app: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(create_app(Settings(store=curated_store(tmp_path_factory))))


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The same store served with ``api_read_access = token``, and a token (kept apart)."""
    settings = Settings(store=curated_store(tmp_path_factory), api_read_access="token")
    app = create_app(settings)
    app.state.tokens = TokenStore(tmp_path_factory.mktemp("browser-tokens"))
    token = app.state.tokens.create("browser").token
    for base in _serve(app):
        yield base, token


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.on(
            "requestfailed",
            lambda req: errors.append(f"request failed: {req.url}"),
        )
        pg.errors = errors  # type: ignore[attr-defined]
        yield pg
        context.close()
        browser.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=False)


def test_pages_load_with_local_assets(page: Any, server: str) -> None:
    for path, name, heading in [
        ("/", "overview", "Overview"),
        ("/instruments", "instruments", "Instruments"),
        ("/instruments/merida", "instrument-merida", "Mérida"),
        ("/rules", "rules", "Rules & backtest"),
        ("/indicators", "indicators", "Indicators"),
        ("/indicators/extraditions_mexico_to_us", "indicator", "Extraditions"),
    ]:
        page.goto(f"{server}{path}?as_of={DAY}")
        assert heading in page.locator("h1").inner_text()
        assert page.locator("#as_of").input_value() == DAY
        # The stylesheet applied (the header is dark), so static files are served locally.
        bg = page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")
        assert bg == "rgb(18, 50, 74)"
        shot(page, name)
    hosts = page.evaluate(
        "[...document.querySelectorAll('script[src], link[href]')]"
        ".map(e => new URL(e.src || e.href).host)"
    )
    assert set(hosts) == {server.removeprefix("http://")}
    assert page.errors == []


def test_changing_the_as_of_date_reloads_the_page_as_of_it(page: Any, server: str) -> None:
    page.goto(f"{server}/?as_of={DAY}")
    assert "31 January 2021" in page.locator(".headline").inner_text()
    with page.expect_navigation():
        page.fill("#as_of", "2019-06-30")  # the page script submits on change
        page.locator("#as_of").dispatch_event("change")
    assert "as_of=2019-06-30" in page.url
    assert "30 June 2019" in page.locator(".headline").inner_text()
    assert page.locator("svg.chart").count() == 1
    shot(page, "overview-2019-06-30")
    last = page.locator("svg.chart a").last
    href = last.get_attribute("href")
    assert "until=2019-06-30" in href and "as_of=2019-06-30" in href
    with page.expect_navigation():
        last.click()  # the events the latest value pools
    assert "/timeline" in page.url and "since=2018-07-01" in page.url  # its twelve months
    assert "until=2019-06-30" in page.url and "as_of=2019-06-30" in page.url
    assert page.locator("#f-dyad").input_value() == "USA-MEX"
    assert page.locator("li.event").count() >= 1
    shot(page, "timeline-from-chart-point")
    page.click("nav >> text=Timeline")
    assert "as_of=2019-06-30" in page.url
    assert page.locator("#as_of").input_value() == "2019-06-30"


def test_timeline_filters_and_event_sources(page: Any, server: str) -> None:
    page.goto(f"{server}/timeline?as_of={DAY}")
    everything = int(page.locator("#event-count").inner_text().split()[0])
    with page.expect_navigation():
        page.select_option("#f-instrument", "foreign_agent_law")  # submits on change
    assert "instrument=foreign_agent_law" in page.url and "as_of=2021-01-31" in page.url
    filtered = int(page.locator("#event-count").inner_text().split()[0])
    assert 0 < filtered < everything
    tags = page.locator("li.event").first.locator(".tag")
    assert "foreign_agent_law" in [
        tags.nth(i).get_attribute("data-id") for i in range(tags.count())
    ]
    assert "Mexico's foreign-agent law" in tags.all_inner_texts()  # a label, not the id
    shot(page, "timeline-foreign-agent-law")
    page.fill("#f-q", "guidelines")
    with page.expect_navigation():
        page.click("#timeline-filters button[type=submit]")
    assert "q=guidelines" in page.url and "actor=" not in page.url  # empty fields left out
    assert int(page.locator("#event-count").inner_text().split()[0]) <= filtered
    first = page.locator("li.event").first
    sources = first.locator("details.sources")
    assert sources.get_attribute("open") is None
    sources.locator("summary").click()
    assert sources.get_attribute("open") is not None
    link = sources.locator("a").first
    assert link.is_visible() and link.get_attribute("href").startswith("http")
    assert link.get_attribute("rel") == "noopener noreferrer"
    shot(page, "timeline-sources-open")


def test_instrument_page_shows_state_history_with_evidence(page: Any, server: str) -> None:
    page.goto(f"{server}/instruments?as_of={DAY}")
    with page.expect_navigation():
        page.click("text=foreign-agent law")
    assert "/instruments/foreign_agent_law" in page.url and f"as_of={DAY}" in page.url
    assert page.locator("li.state-item").count() >= 2
    assert page.locator("li.state-item li.event").count() >= 1
    shot(page, "instrument-foreign-agent-law")


def test_sign_in_when_reads_need_a_token(page: Any, token_server: tuple[str, str]) -> None:
    base, token = token_server
    response = page.goto(f"{base}/instruments?as_of={DAY}")
    assert response.status == 401
    assert "needs an API token" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.click("main a[href='/login']")
    page.fill("#login-token", token)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert page.url.rstrip("/") == base
    page.goto(f"{base}/instruments?as_of={DAY}")
    assert "Instruments" in page.locator("h1").inner_text()
    shot(page, "signed-in")
    page.context.clear_cookies()


# --- layout and charts on every page -------------------------------------------------------------

PAGES = (
    "/",
    "/?freq=year",
    "/timeline",
    "/instruments",
    "/instruments/foreign_agent_law",
    "/rules",
    "/indicators",
    "/indicators?page=2",
    "/indicators?q=heroin",
    "/indicators/extraditions_mexico_to_us",
    "/indicators/cdc_vsrr_heroin_t40_1_al",
)

OVERFLOW_JS = """() => {
  const bad = [];
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) bad.push(`page ${page.scrollWidth}px wide`);
  for (const el of document.querySelectorAll('main *, header.top *')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const name = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.split(' ').join('.') : '');
    const text = (el.innerText || '').slice(0, 40);
    if (el.clientWidth > 0 && style.overflowX === 'visible'
        && el.scrollWidth > el.clientWidth + 1) {
      bad.push(`${name} "${text}": content ${el.scrollWidth}px in ${el.clientWidth}px`);
    }
    const box = el.parentElement && el.parentElement.getBoundingClientRect();
    if (box && box.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1)
        && !el.closest('.scroll')) {
      bad.push(`${name} "${text}": ${Math.round(r.left)}-${Math.round(r.right)} outside `
        + `${Math.round(box.left)}-${Math.round(box.right)}`);
    }
  }
  return bad;
}"""

AXES_JS = """() => [...document.querySelectorAll('main svg[role=img]')].map(svg => {
  const texts = [...svg.querySelectorAll('text')].map(t => t.textContent.trim());
  return {
    cls: svg.getAttribute('class'),
    label: svg.getAttribute('aria-label'),
    lines: svg.querySelectorAll('line').length,
    years: texts.filter(t => /^(19|20)\\d\\d$/.test(t)).length,
    numbers: texts.filter(t => /^[−-]?[\\d,.]+$/.test(t)).length,
  };
})"""


@pytest.fixture(scope="module")
def many_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shipped knowledge base plus 208 CDC-format state series (tests/unit)."""
    import shutil

    from dyadwatch import pipeline
    from dyadwatch.sources import get_source
    from dyadwatch.store import Store
    from tests.unit.test_api_indicators import cdc_file

    base = tmp_path_factory.mktemp("browser-many")
    shutil.copytree(curated_store(tmp_path_factory), base / "store")
    source = get_source("cdc_vsrr")
    path = cdc_file(base / "VSRR_Provisional_Drug_Overdose_Death_Counts.csv")
    store = Store.open(base / "store")
    assert pipeline.ingest(source, list(source.artifacts_for_paths([path])), store).ok
    yield from _serve(create_app(Settings(store=base / "store")))


@pytest.mark.parametrize("width", [1280, 760])
def test_text_stays_in_its_box_on_every_page(page: Any, many_server: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    try:
        problems = {}
        for path in PAGES:
            sep = "&" if "?" in path else "?"
            page.goto(f"{many_server}{path}{sep}as_of={DAY}")
            bad = page.evaluate(OVERFLOW_JS)
            if bad:
                problems[path] = bad[:5]
        page.screenshot(path=str(ARTIFACTS / f"dashboard-indicator-{width}.png"))
        assert not problems, problems
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_every_chart_has_axes(page: Any, many_server: str) -> None:
    seen = 0
    for path in PAGES:
        sep = "&" if "?" in path else "?"
        page.goto(f"{many_server}{path}{sep}as_of={DAY}")
        for chart in page.evaluate(AXES_JS):
            seen += 1
            where = f"{path}: {chart}"
            assert chart["lines"] >= 1 and chart["years"] >= 1, where  # a time axis
            if chart["cls"] in ("chart", "spark", "effects"):
                assert chart["numbers"] >= 2, where  # a value scale (or its two ends)
    assert seen > 50  # the overview's chart and sparklines, a page of indicators, strips …


def test_indicators_are_searched_and_paged_in_the_page(page: Any, many_server: str) -> None:
    page.goto(f"{many_server}/indicators?as_of={DAY}")
    assert "page 1 of" in page.locator("#series-count").inner_text()
    assert page.locator("td.series-name").count() == 50
    with page.expect_navigation():
        page.click("nav.pager a[rel=next]")
    assert "page=2" in page.url and "as_of=2021-01-31" in page.url
    page.fill("#f-series", "heroin texas")
    with page.expect_navigation():
        page.click("#indicator-filters button[type=submit]")
    names = page.locator("td.series-name a").all_inner_texts()
    assert names == ["Heroin (T40.1), Texas", "Heroin (T40.1), Texas, predicted"]
    with page.expect_navigation():
        page.click("td.series-name a >> nth=0")
    assert page.locator("h1").inner_text() == "Heroin (T40.1), Texas"
    assert page.locator("svg.chart circle.pt").count() == 6
    shot(page, "indicator-heroin-texas")
