"""An IndexSession keeps the dyad's rows between calls; answers never differ from a cold call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dyadwatch.analyse.index import IndexSession, dyad_index
from dyadwatch.analyse.index.daily import rows_only
from dyadwatch.model import Actor
from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store
from tests.conftest import make_event

pytestmark = pytest.mark.unit

CODES = ["036", "057", "111", "173", "190", "0874"]


@pytest.fixture()
def from_rows() -> Iterator[None]:
    """The rows' path: the dyad slice is what it reads (the aggregate: test_index_daily)."""
    with rows_only():
        yield


def _events(prefix: str, n: int, start: date) -> list:  # type: ignore[type-arg]
    out = []
    for i in range(n):
        day = start + timedelta(days=3 * i)
        forward = i % 3 != 0
        out.append(
            make_event(
                f"{prefix}{i}",
                event_date=day,
                known_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
                + timedelta(days=i % 5),
                actor1=Actor(country="USA" if forward else "MEX"),
                actor2=Actor(country="MEX" if forward else "USA"),
                cameo_code=CODES[i % len(CODES)],
                confidence=0.3 + 0.1 * (i % 6),
            )
        )
    return out


def _ingest(store: Store, key: str, events: list) -> None:  # type: ignore[type-arg]
    src = MemorySource()
    src.add(key, events)
    ingest(src, src.discover(), store)


@pytest.mark.parametrize(
    "params",
    [
        {"freq": "month"},
        {"freq": "quarter", "direction": "ab"},
        {"freq": "month", "as_of": date(2020, 3, 10)},
        {"freq": "month", "min_confidence": 0.6},
        {"freq": "month", "since": date(2020, 2, 1), "until": date(2020, 4, 30)},
    ],
)
def test_session_answers_equal_cold_answers_and_follow_new_commits(
    tmp_path: Path, params: dict[str, object]
) -> None:
    store = Store.init(tmp_path / "s")
    _ingest(store, "a", _events("a", 60, date(2020, 1, 1)))
    with IndexSession(store) as session:
        for _ in range(2):  # the second call is served from the session's dyad slice
            warm = dyad_index(store, session=session, **params)
            assert warm.to_pylist() == dyad_index(store, **params).to_pylist()
        before = warm.to_pylist()
        # A new commit brings new files: the session must see the new events.
        _ingest(store, "b", _events("b", 30, date(2020, 2, 15)))
        warm = dyad_index(store, session=session, **params)
        cold = dyad_index(store, **params)
        assert warm.to_pylist() == cold.to_pylist()
        assert cold.to_pylist() != before  # the new events do change the answer
        assert sum(r["n"] or 0 for r in cold.to_pylist()) > 0


def _answers(store: Store, **params: object) -> list[dict[str, object]]:
    return dyad_index(store, **params).to_pylist()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "params",
    [
        {"freq": "month"},
        {"freq": "month", "as_of": date(2020, 3, 10), "direction": "ba"},
        {"freq": "quarter", "since": date(2020, 4, 1), "until": date(2020, 6, 30)},
        {"freq": "month", "dedupe": "story", "min_confidence": 0.5},
    ],
)
def test_cached_dyad_slice_on_disk_gives_the_direct_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, params: dict[str, object], from_rows: None
) -> None:
    from dyadwatch.analyse.index import scan

    store = Store.init(tmp_path / "s")
    _ingest(store, "a", _events("a", 90, date(2020, 1, 1)))  # 9 months: >= 8 parts
    cache = store.root / "cache" / "index"

    monkeypatch.setattr(scan, "SLICE_MIN_FILES", 10**9)  # off: scan the parts directly
    direct = _answers(store, **params)
    assert not cache.exists()
    monkeypatch.setattr(scan, "SLICE_MIN_FILES", 8)
    assert _answers(store, **params) == direct  # writes the slice
    slices = sorted(cache.glob("dyad-*.parquet"))
    assert len(slices) >= 1
    assert _answers(store, **params) == direct  # reads it

    _ingest(store, "b", _events("b", 40, date(2020, 3, 1)))
    monkeypatch.setattr(scan, "SLICE_MIN_FILES", 10**9)
    direct = _answers(store, **params)
    monkeypatch.setattr(scan, "SLICE_MIN_FILES", 8)
    assert _answers(store, **params) == direct
    assert not any(p.exists() for p in slices)  # the earlier version's slice is gone


def test_an_unwritable_cache_falls_back_to_scanning(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "s")
    _ingest(store, "a", _events("a", 90, date(2020, 1, 1)))
    (store.root / "cache").write_text("not a directory")  # mkdir of cache/index fails
    assert sum(r["n"] or 0 for r in _answers(store, freq="month")) > 0  # type: ignore[operator]


def _slice_rows(store: Store) -> list[tuple[object, ...]]:
    import duckdb

    (path,) = (store.root / "cache" / "index").glob("dyad-*.parquet")
    con = duckdb.connect()
    try:
        return sorted(con.sql(f"SELECT * FROM read_parquet('{path}')").fetchall(), key=repr)
    finally:
        con.close()


def test_a_new_slice_is_built_from_the_previous_one_and_equals_a_full_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_rows: None
) -> None:
    from dyadwatch.analyse.index import scan

    store = Store.init(tmp_path / "s")
    _ingest(store, "a", _events("a", 90, date(2020, 1, 1)))  # 9 monthly parts
    cache = store.root / "cache" / "index"
    dyad_index(store, freq="month")
    (listing,) = cache.glob("dyad-*.parts")
    assert len(listing.read_text().splitlines()) == 9

    scanned: list[list[str]] = []
    select = scan.slice_select

    def spy(files, *args, **kw):  # type: ignore[no-untyped-def]
        scanned.append(list(files))
        return select(files, *args, **kw)

    monkeypatch.setattr(scan, "slice_select", spy)
    _ingest(store, "b", _events("b", 40, date(2020, 3, 1)))  # adds parts for 4 months
    # Artifact "a" again with one event fewer: its 9 parts are replaced by new ones.
    incremental_answer = None
    for step in ("add", "replace"):
        if step == "replace":
            _ingest(store, "a", _events("a", 89, date(2020, 1, 1)))
        scanned.clear()
        incremental_answer = _answers(store, freq="month")
        current = {p.path for p in store.snapshot().parts if p.dataset == "events"}
        assert scanned and all(len(s) < len(current) for s in scanned)  # only new parts
        incremental = _slice_rows(store)
        for f in cache.iterdir():
            f.unlink()
        monkeypatch.setattr(scan, "slice_select", select)
        full_answer = _answers(store, freq="month")
        assert _slice_rows(store) == incremental
        assert incremental_answer == full_answer
        monkeypatch.setattr(scan, "slice_select", spy)
    assert incremental_answer is not None
    per_source = [r for r in incremental_answer if r["source"] != "fused"]
    assert sum(r["n_raw"] for r in per_source) == 89 + 40  # type: ignore[misc]
