"""Hypothesis properties of ingest: idempotent, partition-invariant, stable event ids."""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyadwatch.model import Actor, Event, event_id_for
from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store, events

pytestmark = pytest.mark.unit

CODES = ["010", "036", "0874", "111", "1246", "173", "190", "057"]
COUNTRIES = ["USA", "MEX", "CAN", "GTM"]

event_st = st.builds(
    lambda key, day, lag, c1, c2, code: Event(
        source="prop",
        source_key=str(key),
        event_date=date(2020, 1, 1) + timedelta(days=day),
        known_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=day + lag, hours=3),
        actor1=Actor(country=c1),
        actor2=Actor(country=c2),
        cameo_code=code,
    ),
    key=st.integers(0, 10_000),
    day=st.integers(0, 800),
    lag=st.integers(0, 30),
    c1=st.sampled_from(COUNTRIES),
    c2=st.sampled_from(COUNTRIES),
    code=st.sampled_from(CODES),
)
unique_events = st.lists(event_st, min_size=1, max_size=40, unique_by=lambda e: e.source_key)

SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _content(store: Store) -> list[tuple[object, ...]]:
    cols = [
        "event_id",
        "source_key",
        "event_date",
        "known_at",
        "cameo_code",
        "quad_class",
        "goldstein",
        "actor1_country",
        "actor2_country",
        "dedupe_group",
    ]
    rows = events(store).select(cols).to_pylist()
    return sorted(tuple(r[c] for c in cols) for r in rows)


def _ingest_pieces(pieces: list[list[Event]]) -> list[tuple[object, ...]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.init(Path(tmp) / "s")
        src = MemorySource()
        for i, piece in enumerate(pieces):
            if piece:
                src.add(f"piece-{i}", piece)
        ingest(src, src.discover(), store)
        return _content(store)


@SETTINGS
@given(evs=unique_events, cuts=st.lists(st.integers(0, 40), max_size=4))
def test_splitting_an_artifact_gives_the_same_store(evs: list[Event], cuts: list[int]) -> None:
    bounds = sorted({0, len(evs), *(c % (len(evs) + 1) for c in cuts)})
    pieces = [evs[a:b] for a, b in itertools.pairwise(bounds)]
    assert _ingest_pieces([evs]) == _ingest_pieces(pieces)


@SETTINGS
@given(evs=unique_events, data=st.data())
def test_order_does_not_matter(evs: list[Event], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(evs))
    assert _ingest_pieces([evs]) == _ingest_pieces([list(shuffled)])


@SETTINGS
@given(evs=unique_events)
def test_reingest_is_idempotent(evs: list[Event]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.init(Path(tmp) / "s")
        src = MemorySource()
        src.add("a", evs)
        ingest(src, src.discover(), store)
        before = _content(store)
        # The same events again, under another artifact name and split in two.
        src2 = MemorySource()
        half = len(evs) // 2
        src2.add("again-1", evs[:half])
        src2.add("again-2", evs[half:])
        ingest(src2, src2.discover(), store)
        ingest(src, src.discover(), store)
        assert _content(store) == before


@given(source=st.text(min_size=1, max_size=20), key=st.text(min_size=1, max_size=40))
def test_event_id_is_stable_and_distinguishes_sources(source: str, key: str) -> None:
    a = event_id_for(source, key)
    assert a == event_id_for(source, key)
    assert len(a) == 32
    assert a != event_id_for(source + "x", key)
    assert (
        Event(
            source=source,
            source_key=key,
            event_date=date(2020, 1, 1),
            known_at=datetime(2020, 1, 2, tzinfo=UTC),
        ).event_id
        == a
    )
