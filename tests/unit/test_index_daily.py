"""The dyad-day aggregate gives the same index as the rows, and follows every commit.

The aggregate (``dyadwatch.analyse.index.daily``) answers most index questions from sums per
event day and publication day. Its exactness rests on one argument (the module docstring):
the members of a dedupe group that an "as of" cut-off keeps are the first ones made public,
representative included. These tests check the answers against the rows, which need no
such argument, over generated stores dense with duplicates and late publications.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyadwatch.analyse.index import daily, dyad_index, lowest_since, turning_points
from dyadwatch.analyse.index.daily import rows_only
from dyadwatch.analyse.index.scan import resolve
from dyadwatch.analyse.index.spec import make_spec
from dyadwatch.model import Actor, Event, end_of_day
from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store
from dyadwatch.store.engine import cursor
from tests.index_compare import assert_same_index, store_of

pytestmark = pytest.mark.unit

ACTORS = [
    Actor(code="USAGOV", country="USA"),
    Actor(code="USACOP", country="USA"),
    Actor(code="MEXGOV", country="MEX"),
    Actor(code="MEXMIL", country="MEX"),
]
CODES = ["036", "057", "111", "173", "190", "0874"]

# Few actors, codes and days: many events share a Phoenix group, published days apart.
event_st = st.builds(
    lambda key, day, lag, hour, a1, a2, code, source: Event(
        source=source,
        source_key=str(key),
        event_date=date(2020, 1, 1) + timedelta(days=day),
        known_at=datetime(2020, 1, 1, hour, tzinfo=UTC) + timedelta(days=day + lag),
        actor1=a1,
        actor2=a2,
        cameo_code=code,
        confidence=0.5,
    ),
    key=st.integers(0, 10**6),
    day=st.integers(0, 120),
    lag=st.integers(0, 30),
    hour=st.sampled_from([0, 6, 23]),
    a1=st.sampled_from(ACTORS),
    a2=st.sampled_from(ACTORS),
    code=st.sampled_from(CODES),
    source=st.sampled_from(["curated", "gdelt2", "gdelt1"]),
)
events_st = st.lists(event_st, min_size=1, max_size=60, unique_by=lambda e: e.source_key)

spec_st = st.fixed_dictionaries(
    {
        "freq": st.sampled_from(["week", "month", "quarter", "year"]),
        "direction": st.sampled_from(["both", "ab", "ba"]),
        "dedupe": st.sampled_from(["phoenix", "none"]),
    },
    optional={
        "as_of": st.one_of(
            st.dates(date(2019, 12, 1), date(2020, 7, 1)),
            st.dates(date(2019, 12, 1), date(2020, 7, 1)).map(end_of_day),
        ),
        "since": st.dates(date(2019, 12, 1), date(2020, 3, 1)),
        "until": st.dates(date(2020, 3, 2), date(2020, 8, 1)),
        "sources": st.sampled_from([["gdelt"], ["curated", "gdelt2"], ["gdelt1"]]),
        "weights": st.sampled_from([{"curated": 3.0}, {"gdelt": 0.5}]),
    },
)


def _both_ways(store: Store, **params: object) -> None:
    with rows_only():
        want = dyad_index(store, **params)
    assert daily.answers(make_spec(None, params))
    assert_same_index(dyad_index(store, **params), want)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=events_st, cut=st.integers(0, 60), specs=st.lists(spec_st, min_size=1, max_size=4))
def test_the_aggregate_gives_the_rows_answer(
    events: list[Event], cut: int, specs: list[dict[str, object]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = store_of(Path(tmp) / "s", [events[:cut], events[cut:]])
        stored = {e.source for e in events}
        for params in specs:
            wanted = params.get("sources") or []
            if not all(any(s.startswith(w) for s in stored) for w in wanted):  # type: ignore[attr-defined]
                continue  # asking for an absent source is a usage error, tested elsewhere
            weights = params.get("weights") or {}
            if not all(any(s.startswith(w) for s in stored) for w in weights):  # type: ignore[attr-defined]
                continue
            _both_ways(store, **params)


def _events(prefix: str, n: int, start: date, source: str = "gdelt2") -> list[Event]:
    out = []
    for i in range(n):
        day = start + timedelta(days=i // 3)  # three reports a day, some of one event
        forward = i % 4 != 0
        out.append(
            Event(
                source=source,
                source_key=f"{prefix}{i}",
                event_date=day,
                known_at=datetime.combine(day, time(6), tzinfo=UTC) + timedelta(hours=7 * i % 50),
                actor1=Actor(
                    code="USAGOV" if forward else "MEXGOV", country="USA" if forward else "MEX"
                ),
                actor2=Actor(
                    code="MEXGOV" if forward else "USAGOV", country="MEX" if forward else "USA"
                ),
                cameo_code=CODES[(i // 2) % len(CODES)],
            )
        )
    return out


def test_turning_points_and_lowest_since_agree_with_the_rows(tmp_path: Path) -> None:
    store = store_of(tmp_path / "s", [_events("a", 400, date(2019, 1, 1))])
    for fn, kw in (
        (turning_points, {"freq": "week", "penalty": 0.1}),
        (lowest_since, {"period": "2019-03", "freq": "month"}),
    ):
        with rows_only():
            want = fn(store, **kw)  # type: ignore[operator]
        got = fn(store, **kw)  # type: ignore[operator]
        if hasattr(got, "to_pylist"):
            got, want = got.to_pylist(), want.to_pylist()
            assert got  # a turning point, with the events around it
        assert got == want


def test_the_aggregate_is_cached_in_the_store_and_renamed_by_each_commit(tmp_path: Path) -> None:
    store = store_of(tmp_path / "s", [_events("a", 300, date(2020, 1, 1))])  # 4 months: 4 parts
    _store_more = MemorySource()
    _store_more.add("b", _events("b", 300, date(2020, 5, 1)))
    ingest(_store_more, _store_more.discover(), store)  # 8 parts: the store caches slices
    cache = store.root / "cache" / "index"
    first = dyad_index(store, freq="month")
    files = sorted(cache.glob("daily-*.parquet"))
    assert len(files) == 1  # (memory sources record no volume: see the GDELT sample test)
    with rows_only():
        assert_same_index(first, dyad_index(store, freq="month"))

    more = MemorySource()
    more.add("c", _events("c", 90, date(2020, 9, 1)))
    ingest(more, more.discover(), store)
    second = dyad_index(store, freq="month")
    assert second.num_rows > first.num_rows  # September's events are counted
    now = sorted(cache.glob("daily-*.parquet"))
    assert len(now) == 1 and now != files  # a new name; the old version's file is gone
    with rows_only():
        assert_same_index(second, dyad_index(store, freq="month"))


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    store = store_of(tmp_path / "s", [_events("a", 800, date(2020, 1, 1))])
    want = dyad_index(store, freq="quarter")
    (path,) = (store.root / "cache" / "index").glob("daily-*.parquet")
    path.write_bytes(b"not parquet")
    daily._memory.clear()  # a new process: nothing in memory
    assert_same_index(dyad_index(store, freq="quarter"), want)
    assert path.read_bytes()[:4] == b"PAR1"


def test_an_unwritable_cache_still_answers_from_memory(tmp_path: Path) -> None:
    store = store_of(tmp_path / "s", [_events("a", 800, date(2020, 1, 1))])
    (store.root / "cache").write_text("not a directory")
    with rows_only():
        want = dyad_index(store, freq="month")
    assert_same_index(dyad_index(store, freq="month"), want)


def test_questions_the_aggregate_cannot_answer_read_the_rows() -> None:
    assert daily.answers(make_spec(None, {"as_of": date(2020, 1, 1)}))
    assert daily.answers(make_spec(None, {"as_of": end_of_day(date(2020, 1, 1))}))
    midday = datetime(2020, 1, 1, 12, tzinfo=UTC)
    assert not daily.answers(make_spec(None, {"as_of": midday}))
    assert not daily.answers(make_spec(None, {"min_confidence": 0.5}))
    assert not daily.answers(make_spec(None, {"dedupe": "story"}))


def test_groups_spanning_days_send_deduplicated_questions_to_the_rows(tmp_path: Path) -> None:
    """Story deduplication at ingest can merge groups across days; Phoenix groups never do."""
    a = _events("a", 30, date(2020, 1, 1))
    store = store_of(tmp_path / "s", [a])
    spec = make_spec(None, {"freq": "month"})
    con = cursor()
    try:
        assert daily.register(con, resolve(store, spec)) is not None
    finally:
        con.close()
    # Rewrite one group to span two days, as a cross-day story merge would.
    part = next(p for p in store.snapshot().parts if p.dataset == "events")
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = store.root / part.path
    table = pq.read_table(path)
    groups = table.column("dedupe_group").to_pylist()
    dates = table.column("event_date").to_pylist()
    other = next(g for g, d in zip(groups, dates, strict=True) if d != dates[0])
    table = table.set_column(
        table.schema.get_field_index("dedupe_group"),
        "dedupe_group",
        pc.if_else(
            pc.equal(table.column("dedupe_group"), other), groups[0], table.column("dedupe_group")
        ),
    )
    pq.write_table(table, path)
    store._memory.clear()
    daily._memory.clear()
    con = cursor()
    try:
        assert daily.register(con, resolve(store, spec)) is None
        assert daily.register(con, resolve(store, spec.with_(dedupe="none"))) is not None
    finally:
        con.close()
    with rows_only():
        want = dyad_index(store, freq="month")
    assert_same_index(dyad_index(store, freq="month"), want)
