"""As of the essay's date, the API and the dashboard's Overview show nothing published later.

The shipped knowledge base is stored; every event that became public after 2021-01-19, and
every page first cited after it, is a marker that must not appear in any answer as of that
date: not its id, its knowledge-base key or its URL. Every publication date an answer shows
(``known_at``, ``published`` …) and every id that begins with a date is at or before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dyadwatch.model import end_of_day
from dyadwatch.present.api.app import create_app
from dyadwatch.settings import Settings
from dyadwatch.store import Store
from dyadwatch.store.query import events
from tests.unit.api_support import curated_store, make_client

pytestmark = pytest.mark.unit

D = "2021-01-19"
"""Felbab-Brown, 'The US-Mexico security relationship in 2021', Brookings, 19 January 2021."""

DATE_KEYS = frozenset(
    {"known_at", "published", "last_known_at", "known_by", "last_event", "first_public"}
)
"""Keys whose value says when something became public (or the newest thing public)."""
DATED_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})-[a-z0-9]")


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return curated_store(tmp_path_factory)


@pytest.fixture(scope="module")
def client(store_root: Path) -> Any:
    return make_client(create_app(Settings(store=store_root)), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def later(store_root: Path) -> dict[str, set[str]]:
    """What became public after D: event ids, knowledge-base keys, and pages first cited then."""
    limit = end_of_day(date.fromisoformat(D))
    ids: set[str] = set()
    keys: set[str] = set()
    first_cited: dict[str, datetime] = {}
    for e in events(Store.open(store_root)).to_pylist():
        if e["known_at"] > limit:
            ids.add(e["event_id"])
            keys.add(e["source_key"])
        for i, url in enumerate(e["source_urls"] or []):
            published = (e["source_published"] or [None] * (i + 1))[i]
            when = end_of_day(published) if published else e["known_at"]
            first_cited[url] = min(when, first_cited.get(url, when))
    urls = {u for u, when in first_cited.items() if when > limit}
    assert ids and keys and urls, "the knowledge base runs past the essay's date"
    return {"ids": ids, "keys": keys, "urls": urls}


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def _late(key: str, text: str, later: dict[str, set[str]]) -> bool:
    """Whether ``text`` (under ``key``) names or dates something published after D."""
    if text in later["ids"] or text in later["keys"] or text in later["urls"]:
        return True
    if key in DATE_KEYS and re.match(r"\d{4}-\d{2}-\d{2}", text):
        return text[:10] > D
    dated = DATED_ID.match(text)
    return bool(dated and dated[1] > D)


def _leaks(body: Any, later: dict[str, set[str]]) -> list[str]:
    return [f"{key}={text}" for key, text in _strings(body) if _late(key, text, later)]


def _routes(client: Any) -> list[str]:
    instruments = client.get("/api/instruments", params={"as_of": D}).json()["rows"]
    indicators = client.get("/api/indicators", params={"as_of": D}).json()["rows"]
    return [
        "/api/events?limit=1000&order=desc",
        "/api/index?source=all",
        "/api/index?measure=environment&source=all",
        "/api/index?measure=net_coop&freq=quarter",
        "/api/index/turning-points?events=10",
        "/api/index/alerts?recent=12&threshold=0.5",
        "/api/index/lowest-since?period=2021-01",
        "/api/index/evidence?period=2021-01&limit=100",
        "/api/index/evidence?period=2020-12&limit=100&measure=environment",
        "/api/index/evidence?period=2020Q4&freq=quarter&measure=net_coop&limit=100",
        "/api/index/turning-points?measure=net_coop&freq=quarter",
        "/api/validate/judgments",
        "/api/instruments",
        *[f"/api/instruments/{r['id']}" for r in instruments],
        "/api/indicators",
        *[f"/api/indicators/{r['indicator']}?vintage=all" for r in indicators],
        "/api/findings",
        "/api/overview",
    ]


def test_no_api_answer_as_of_the_essay_shows_anything_published_later(
    client: Any, later: dict[str, set[str]]
) -> None:
    problems = {}
    for route in _routes(client):
        r = client.get(f"{route}{'&' if '?' in route else '?'}as_of={D}")
        assert r.status_code == 200, (route, r.text[:300])
        leaks = _leaks(r.json(), later)
        if leaks:
            problems[route] = leaks[:5]
    assert not problems, problems


def test_an_event_not_yet_public_is_not_found_as_of_the_essay(
    client: Any, later: dict[str, set[str]]
) -> None:
    some = sorted(later["ids"])[0]
    assert client.get(f"/api/events/{some}").status_code == 200
    assert client.get(f"/api/events/{some}", params={"as_of": D}).status_code == 404


def test_the_overview_page_as_of_the_essay_shows_nothing_published_later(
    client: Any, later: dict[str, set[str]]
) -> None:
    html = client.get("/", params={"as_of": D}).text
    for url in re.findall(r'href="(https?://[^"]+)"', html):
        assert url.replace("&amp;", "&") not in later["urls"], url
    leaked = [x for x in later["ids"] | later["keys"] if x in html]
    assert not leaked, leaked[:5]
    for when in re.findall(r'<time datetime="([^"]+)"', html):
        assert when[:10] <= D, when
