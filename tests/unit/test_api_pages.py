"""Dashboard pages over TestClient, the SVG charts, and the single-flight cache."""

from __future__ import annotations

import re
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dyadwatch.present.api.app import create_app
from dyadwatch.present.api.cache import SingleFlightCache
from dyadwatch.present.api.charts import index_svg, sparkline_svg, status_strip
from dyadwatch.present.api.pages import backtest_range
from dyadwatch.settings import Settings
from tests.unit.api_support import curated_store, make_client

pytestmark = pytest.mark.unit

DAY = "2021-01-31"
PAGES = (
    "/",
    "/timeline",
    "/instruments",
    "/instruments/merida",
    "/rules",
    "/indicators",
    "/indicators/extraditions_mexico_to_us",
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = curated_store(tmp_path_factory)
    return make_client(create_app(Settings(store=root)), raise_server_exceptions=False)


@pytest.mark.parametrize("path", PAGES)
def test_each_page_renders_as_of_the_date_asked(client: Any, path: str) -> None:
    r = client.get(path, params={"as_of": DAY})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert f'name="as_of" value="{DAY}"' in html
    # Every navigation link keeps the date.
    nav = re.findall(r"<nav>(.*?)</nav>", html, re.S)[0]
    assert nav.count(f"as_of={DAY}") == 5
    # Nothing is loaded from another host: scripts and styles are local.
    for ref in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert ref.startswith("/static/"), ref


def test_static_files_are_served_locally(client: Any) -> None:
    css = client.get("/static/dashboard.css")
    js = client.get("/static/dashboard.js")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert js.status_code == 200 and "as_of" in js.text
    assert "http" not in js.text.replace("https:", "")  # no remote fetches


def test_overview_shows_the_default_series_with_its_interval_and_n(client: Any) -> None:
    html = client.get("/", params={"as_of": DAY}).text
    assert "Cooperation between the governments" in html and "31 January 2021" in html
    chart = html.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert 'class="band"' in chart and 'class="line"' in chart  # the interval, the value
    assert "events (n)" in chart and "90 % interval" in chart  # the legend says what is drawn
    assert "effect on cooperation" in chart  # the value axis is named
    assert re.search(r">−?5<", chart) and ">2020<" in chart  # value and year ticks
    assert "the shaded band is its 90 % interval" in html
    assert "Findings" in html and 'class="status met"' in html and ">applies<" in html
    assert "/instruments/merida?as_of=2021-01-31" in html
    assert 'id="src-1"' in html
    # Each point links to the timeline of the events its value pools: the twelve months
    # to January 2021 for the last point.
    link = "/timeline?as_of=2021-01-31&amp;dyad=USA-MEX&amp;since=2020-02-01&amp;until=2021-01-31"
    assert f'<a href="{link}">' in html


def test_overview_labels_codes_in_words(client: Any) -> None:
    html = client.get("/", params={"as_of": DAY}).text
    text = re.sub(r"<[^>]+>", " ", html.split("<main>", 1)[1].split("</main>", 1)[0])
    text = re.sub(r"https?://\S+", " ", text)
    codes = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text))
    assert not codes, f"codes shown as text: {sorted(codes)[:10]}"
    assert "in force with implementing guidelines" in html  # a state, in words


def test_overview_shows_an_unusual_value(client: Any) -> None:
    html = client.get("/", params={"as_of": DAY}).text
    box = html.split("Unusual against its own past", 1)[1].split("</section>", 1)[0]
    assert "than usual" in box and "January 2021" in box
    calm = client.get("/", params={"as_of": "2019-06-30"}).text
    assert "Unusual against its own past" not in calm


def test_the_date_changes_what_is_shown(client: Any) -> None:
    early = client.get("/instruments", params={"as_of": "2000-01-01"}).text
    late = client.get("/instruments", params={"as_of": DAY}).text
    assert early != late
    # The foreign-agent law did not exist in 2000 and was in force with guidelines in 2021.
    assert "implementing guidelines" not in early and "implementing guidelines" in late


def test_timeline_filters_and_sources(client: Any) -> None:
    html = client.get("/timeline", params={"as_of": DAY, "instrument": "merida"}).text
    total = int(re.search(r'id="event-count">(\d+) event', html)[1])  # type: ignore[index]
    everything = client.get("/timeline", params={"as_of": DAY}).text
    assert 0 < total < int(re.search(r'id="event-count">(\d+) event', everything)[1])  # type: ignore[index]
    assert '<option value="merida" selected>' in html
    assert '<details class="sources">' in html and 'rel="noopener noreferrer"' in html
    none = client.get("/timeline", params={"as_of": DAY, "q": "no such words anywhere"}).text
    assert "No events match" in none
    paged = client.get("/timeline", params={"as_of": DAY, "page": 2}).text
    assert 'rel="prev"' in paged


def test_pages_answer_errors_as_html(client: Any) -> None:
    r = client.get("/nothing")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    bad = client.get("/", params={"as_of": "2021-02-31"})
    assert bad.status_code == 422 and "as_of" in bad.text
    unknown = client.get("/instruments/nope")
    assert unknown.status_code == 404 and "merida" in unknown.text
    early = client.get("/instruments/foreign_agent_law", params={"as_of": "1950-01-01"})
    assert early.status_code == 404 and "choose a later date" in early.text


def test_rules_page_backtests_up_to_the_page_date(client: Any) -> None:
    html = client.get("/rules", params={"as_of": DAY}).text
    assert "to 31 January 2021," in html and '<svg class="strip"' in html
    strip = html.split('<svg class="strip"', 1)[1].split("</svg>", 1)[0]
    assert ">2019<" in strip and ">2020<" in strip  # the years under the months
    assert backtest_range(date(2010, 5, 3), None, None) == (
        "2007-01",
        "2010-05",
    )
    assert backtest_range(date(2021, 1, 31), "2019-01", None) == (
        "2019-01",
        "2021-01",
    )


def test_rendered_pages_are_cached(client: Any) -> None:
    cache = client.app.state.view.cache
    client.get("/indicators", params={"as_of": DAY})
    misses = cache.misses
    client.get("/indicators", params={"as_of": DAY})
    assert cache.misses == misses


# --- charts ------------------------------------------------------------------------------------


def test_index_svg_breaks_the_line_at_missing_periods() -> None:
    rows: list[dict[str, Any]] = [
        {"period": "2020", "period_start": "2020-01-01", "net_coop": 0.5, "n": 2},
        {"period": "2021", "period_start": "2021-01-01", "net_coop": None, "n": 0},
        {"period": "2022", "period_start": "2022-01-01", "net_coop": -0.5, "n": 1},
        {"period": "2023", "period_start": "2023-01-01", "net_coop": -1.0, "n": 3},
    ]
    turning = [
        {"period": "2022", "period_start": "2022-01-01", "direction": "down", "change": -1.0}
    ]
    svg = index_svg(rows, turning, title="t <&>")
    assert svg.count('<path class="line"') == 2  # the gap splits the line
    assert svg.count('<circle class="pt"') == 3
    assert 'class="tp down"' in svg and "t &lt;&amp;&gt;" in svg
    assert "no periods" in index_svg([])


def test_sparkline_and_strip() -> None:
    points: list[dict[str, Any]] = [
        {"period_start": "2019-01-01", "value": 1.0},
        {"period_start": "2020-01-01", "value": None},
        {"period_start": "2021-01-01", "value": 3.0},
        {"period_start": "2022-01-01", "value": 2.0},
    ]
    assert sparkline_svg(points).count("<path") == 2
    assert "<path" not in sparkline_svg(points[:1])
    strip = status_strip(
        [
            {"as_of": "2021-01-31", "status": "met", "lever_in_use": True},
            {"as_of": "2021-02-28", "status": "not_met", "lever_in_use": False},
        ]
    )
    assert 'class="met"' in strip and 'class="not_met"' in strip and 'class="used"' in strip


# --- cache -------------------------------------------------------------------------------------


def test_single_flight_computes_a_cold_key_once() -> None:
    cache = SingleFlightCache(4)
    calls = 0
    gate = threading.Event()

    def slow() -> int:
        nonlocal calls
        calls += 1
        gate.wait(5)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    while not cache._pending:  # the first thread is computing
        time.sleep(0.001)
    gate.set()
    for t in threads:
        t.join()
    assert results == [42] * 8 and calls == 1


def test_cache_forgets_failures_and_evicts_oldest() -> None:
    cache = SingleFlightCache(2)

    def fail() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError):
        cache.get("a", fail)
    assert cache.get("a", lambda: 1) == 1
    cache.get("b", lambda: 2)
    cache.get("c", lambda: 3)
    assert len(cache) == 2 and cache.get("a", lambda: 10) == 10


def test_a_commit_invalidates_cached_answers(tmp_path: Path) -> None:
    from dyadwatch.present.api.data import StoreView
    from dyadwatch.store import Store

    store = Store.init(tmp_path / "s")
    view = StoreView(store)
    first = view.cached("x", (), lambda: "old")
    with store.writer() as w:
        w.bump_generation()
    assert first == "old" and view.cached("x", (), lambda: "new") == "new"


def test_api_reference_page_is_local(client: Any) -> None:
    html = client.get("/docs").text
    assert "<code>/api/events</code>" in html and "<code>as_of</code>" in html
    assert "cdn" not in html.lower()
    assert client.get("/redoc").status_code == 404


def test_warm_up_computes_todays_overview(tmp_path_factory: pytest.TempPathFactory) -> None:
    from dyadwatch.present.api.app import warm
    from dyadwatch.present.api.data import today

    app = create_app(Settings(store=curated_store(tmp_path_factory)))
    warm(app).join(300)
    view = app.state.view
    misses = view.cache.misses
    assert view.overview(today(), "month")["as_of"] == today().isoformat()
    assert view.cache.misses == misses
