"""Hypothesis properties of the dyad index and of the deduplication steps.

- The index does not change when the same events are split into several artifacts, given in
  another order, or ingested again.
- Deduplication (Phoenix and story) is idempotent.
- As of D, the index equals the index of a store holding only the events public by D, and
  its evidence never shows an event with ``known_at`` after D.
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyadwatch.analyse.index import dyad_index, evidence
from dyadwatch.model import Actor, Event, as_of_timestamp, events_to_table
from dyadwatch.normalise import StepContext, phoenix_dedupe
from dyadwatch.normalise.story import story_dedupe, url_stem
from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store
from tests.index_compare import store_of

pytestmark = pytest.mark.unit

CODES = ["036", "057", "0874", "111", "173", "190", "192", "193"]
ACTORS = [
    Actor(code="USAGOV", country="USA"),
    Actor(code="USACOP", country="USA"),
    Actor(code="MEXGOV", country="MEX"),
    Actor(code="MEXMIL", country="MEX"),
    Actor(code="CANGOV", country="CAN"),
]
URLS = [
    "https://www.example.com/a/story-1",
    "https://example.com/a/story-1/amp?utm=x",
    "https://news.example.org/b/story-2",
    "https://example.net/",
]

event_st = st.builds(
    lambda key, day, lag, a1, a2, code, source, url, conf: Event(
        source=source,
        source_key=str(key),
        event_date=date(2020, 1, 1) + timedelta(days=day),
        known_at=datetime(2020, 1, 1, 6, tzinfo=UTC) + timedelta(days=day + lag),
        actor1=a1,
        actor2=a2,
        cameo_code=code,
        source_urls=(url,),
        summary=f"story {day % 3} about {code[:2]} and the border",
        confidence=conf,
    ),
    key=st.integers(0, 100_000),
    day=st.integers(0, 200),
    lag=st.integers(0, 40),
    a1=st.sampled_from(ACTORS),
    a2=st.sampled_from(ACTORS),
    code=st.sampled_from(CODES),
    source=st.sampled_from(["curated", "gdelt2"]),
    url=st.sampled_from(URLS),
    conf=st.sampled_from([0.3, 0.6, 0.9]),
)
unique_events = st.lists(
    event_st, min_size=1, max_size=30, unique_by=lambda e: (e.source, e.source_key)
)

SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BOUNDS = {"since": date(2020, 1, 1), "until": date(2020, 9, 30)}


def _index(store: Store, **kw: object) -> list[dict[str, object]]:
    rows = dyad_index(store, **BOUNDS, **kw).to_pylist()
    for r in rows:
        for k, v in list(r.items()):
            if isinstance(v, float):
                r[k] = round(v, 9)
        for c in r.get("contributions") or []:
            for k, v in list(c.items()):
                if isinstance(v, float):
                    c[k] = round(v, 9)
    return rows


@SETTINGS
@given(events=unique_events, cuts=st.lists(st.integers(0, 30), max_size=4), seed=st.randoms())
def test_partitioning_order_and_reingest_do_not_change_the_index(
    events: list[Event], cuts: list[int], seed: object
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        whole = store_of(Path(tmp) / "whole", [events])
        shuffled = list(events)
        seed.shuffle(shuffled)  # type: ignore[attr-defined]
        edges = sorted({0, len(events), *(min(c, len(events)) for c in cuts)})
        parts = [shuffled[a:b] for a, b in itertools.pairwise(edges)]
        split = store_of(Path(tmp) / "split", parts)
        expected = _index(whole)
        assert _index(split) == expected
        assert _index(whole, dedupe="story") == _index(split, dedupe="story")
        # Re-ingesting the same events (as new artifacts, too) changes nothing.
        src = MemorySource()
        src.add("again", shuffled)
        ingest(src, src.discover(), whole)
        assert _index(whole) == expected


@SETTINGS
@given(events=unique_events, cut=st.integers(0, 240))
def test_as_of_equals_a_store_of_what_was_public(events: list[Event], cut: int) -> None:
    as_of = date(2020, 1, 1) + timedelta(days=cut)
    public = [e for e in events if e.known_at <= as_of_timestamp(as_of)]
    with tempfile.TemporaryDirectory() as tmp:
        full = store_of(Path(tmp) / "full", [events])
        seen = _index(full, as_of=as_of)
        if public:
            only = _index(store_of(Path(tmp) / "only", [public]))
            sources = {r["source"] for r in only}
            # Sources with nothing public yet are all-empty rows; the rest are identical
            # (the fused rows list every stored source, so compare them without that list).
            assert all(r["n"] == 0 for r in seen if r["source"] not in sources)
            strip = [
                {k: v for k, v in r.items() if k != "contributions"}
                for r in seen
                if r["source"] in sources
            ]
            assert strip == [{k: v for k, v in r.items() if k != "contributions"} for r in only]
        else:
            assert all(r["n"] == 0 for r in seen)
        for month in ("2020-01", "2020-03", "2020-06"):
            ev = evidence(full, month, as_of=as_of, limit=None, **BOUNDS)
            limit = as_of_timestamp(as_of)
            assert all(k <= limit for k in ev["known_at"].to_pylist())


def _normalised(events: list[Event]) -> pa.Table:
    from dyadwatch.normalise import normalise

    table = events_to_table(events)
    table = table.append_column("_line", pa.array(range(table.num_rows)))
    kept, rejects = normalise(table, StepContext(source="prop"))
    assert not rejects
    return kept


@settings(max_examples=40, deadline=None)
@given(events=unique_events)
def test_dedupe_steps_are_idempotent(events: list[Event]) -> None:
    ctx = StepContext(source="prop")
    table = _normalised(events)
    once = phoenix_dedupe(table, ctx).table
    assert phoenix_dedupe(once, ctx).table.equals(once)
    story = story_dedupe(once, ctx).table
    again = story_dedupe(story, ctx).table
    assert again.column("dedupe_group").equals(story.column("dedupe_group"))
    # Story grouping only merges groups: it never splits a Phoenix group of one source.
    merged: dict[tuple[str, str], set[str]] = {}
    for source, phoenix, grouped in zip(
        once.column("source").to_pylist(),
        once.column("dedupe_group").to_pylist(),
        story.column("dedupe_group").to_pylist(),
        strict=True,
    ):
        merged.setdefault((source, phoenix), set()).add(grouped)
    assert all(len(v) == 1 for v in merged.values())
    assert story.num_rows == once.num_rows


def _row(key: str, **kw: object) -> Event:
    base: dict[str, object] = {
        "source": "gdelt2",
        "source_key": key,
        "event_date": date(2021, 1, 5),
        "known_at": datetime(2021, 1, 5, 12, tzinfo=UTC),
        "actor1": ACTORS[0],
        "actor2": ACTORS[2],
        "cameo_code": "192",
        "source_urls": (),
    }
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


def test_story_dedupe_links_url_stems_and_near_identical_summaries() -> None:
    events = [
        _row("1", cameo_code="192", source_urls=("https://www.paper.com/x/story-9/",)),
        _row("2", cameo_code="193", source_urls=("http://paper.com/x/story-9?utm=1",)),
        _row("3", cameo_code="190", summary="Mexico rejects the U.S. request over agents"),
        _row("4", cameo_code="191", summary="Mexico rejects the US request over agents."),
        # same stem but another root (17x): not the same story
        _row("5", cameo_code="173", source_urls=("https://paper.com/x/story-9",)),
        # same stem, same root, other day: not the same story
        _row(
            "6",
            event_date=date(2021, 1, 6),
            known_at=datetime(2021, 1, 6, 12, tzinfo=UTC),
            source_urls=("https://paper.com/x/story-9",),
        ),
        # same stem, same root, other source: not merged
        _row("7", source="curated", source_urls=("https://paper.com/x/story-9",)),
        # a home page is not a story
        _row("8", cameo_code="194", source_urls=("https://paper.com/",)),
        _row("9", cameo_code="195", source_urls=("https://paper.com/",)),
    ]
    out = story_dedupe(_normalised(events)).table
    g = dict(
        zip(out.column("source_key").to_pylist(), out["dedupe_group"].to_pylist(), strict=True)
    )
    assert g["1"] == g["2"]
    assert g["3"] == g["4"]
    assert len({g["1"], g["3"], g["5"], g["6"], g["7"], g["8"], g["9"]}) == 7


def test_url_stem() -> None:
    assert url_stem("https://amp.example.com/a/b/index.html?x=1") == "example.com/a/b"
    assert url_stem("https://m.example.com/a/b/amp/") == "example.com/a/b"
    assert url_stem("https://example.com") is None
    assert url_stem(None) is None
