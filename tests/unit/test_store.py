"""The store: creation, refusal of non-stores, the writer lock, atomic commits, re-ingest."""

from __future__ import annotations

import multiprocessing as mp
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from dyadwatch.errors import NotAStoreError, StoreLockedError
from dyadwatch.model import EVENT_SCHEMA
from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import EventFilter, Store, count_events, events
from dyadwatch.store.migrations import LATEST, MIGRATIONS
from tests.conftest import make_event

pytestmark = pytest.mark.unit


def test_init_creates_catalog_and_records_migrations(store_dir: Path) -> None:
    store = Store.init(store_dir)
    assert (store_dir / "catalog.duckdb").exists()
    versions = store.catalog_query("SELECT version FROM migrations").column(0).to_pylist()
    assert versions == [m.version for m in MIGRATIONS]
    assert store.snapshot().parts == ()
    # A new store answers queries with empty, correctly typed tables.
    assert events(store).schema == EVENT_SCHEMA
    assert count_events(store) == 0


def test_init_is_idempotent(store_dir: Path) -> None:
    Store.init(store_dir)
    Store.init(store_dir)
    store = Store.open(store_dir)
    assert store.catalog_query("SELECT count(*) FROM migrations").column(0)[0].as_py() == LATEST


def test_open_missing_store_says_how_to_create_one(store_dir: Path) -> None:
    with pytest.raises(NotAStoreError, match="dyadwatch init"):
        Store.open(store_dir)


def test_a_directory_with_other_files_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NotAStoreError, match="not a dyadwatch store"):
        Store.open(tmp_path)
    with pytest.raises(NotAStoreError):
        Store.init(tmp_path)


def test_a_file_that_is_not_duckdb_is_refused(store_dir: Path) -> None:
    store_dir.mkdir()
    (store_dir / "catalog.duckdb").write_bytes(b"this is not a database")
    with pytest.raises(NotAStoreError):
        Store.open(store_dir)


def _hold_lock(path: str, ready: mp.synchronize.Event, release: mp.synchronize.Event) -> None:
    store = Store.open(path)
    with store.writer():
        ready.set()
        release.wait(30)


def test_second_writer_gets_a_clear_error_and_readers_are_not_blocked(store_dir: Path) -> None:
    store = Store.init(store_dir)
    src = MemorySource()
    src.add("a", [make_event("1")])
    ingest(src, src.discover(), store)
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(store_dir), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(StoreLockedError, match=r"being written by pid \d+"), store.writer():
            pass
        # Reading while another process holds the writer lock works.
        assert count_events(store) == 1
    finally:
        release.set()
        holder.join(30)
    with store.writer():
        pass


def test_reingest_changes_nothing(store_dir: Path) -> None:
    store = Store.init(store_dir)
    src = MemorySource()
    src.add("a", [make_event(str(i)) for i in range(5)])
    first = ingest(src, src.discover(), store)
    gen = store.generation()
    parts = store.snapshot().parts
    second = ingest(src, src.discover(), store)
    assert first.rows_kept == 5
    assert [a.status for a in second.artifacts] == ["skipped"]
    assert store.generation() == gen
    assert store.snapshot().parts == parts


def test_changed_artifact_replaces_its_previous_version(store_dir: Path) -> None:
    store = Store.init(store_dir)
    src = MemorySource()
    src.add("a", [make_event("1"), make_event("2")])
    ingest(src, src.discover(), store)
    src.add("a", [make_event("2"), make_event("3", summary="new")])
    ingest(src, src.discover(), store)
    keys = sorted(events(store).column("source_key").to_pylist())
    assert keys == ["2", "3"]
    # Old files are gone from disk as well as from the manifest.
    on_disk = {str(p.relative_to(store_dir)) for p in (store_dir / "events").rglob("*.parquet")}
    assert on_disk == {p.path for p in store.snapshot().parts}


def test_overlapping_artifacts_do_not_duplicate_events(store_dir: Path) -> None:
    store = Store.init(store_dir)
    src = MemorySource()
    src.add("a", [make_event("1"), make_event("2")])
    src.add("b", [make_event("2"), make_event("3")])
    summary = ingest(src, src.discover(), store)
    assert summary.rows_duplicate == 1
    assert sorted(events(store).column("source_key").to_pylist()) == ["1", "2", "3"]


def test_partition_layout(store_dir: Path) -> None:
    store = Store.init(store_dir)
    src = MemorySource()
    src.add("a", [make_event("1", event_date=date(2020, 12, 31)), make_event("2")])
    ingest(src, src.discover(), store)
    dirs = sorted(str(p.parent.relative_to(store_dir)) for p in store_dir.rglob("*.parquet"))
    assert dirs == [
        "events/source=demo/year=2020/month=12",
        "events/source=demo/year=2021/month=01",
    ]


def test_as_of_filters_on_known_at(store_dir: Path) -> None:
    from datetime import UTC, datetime

    store = Store.init(store_dir)
    src = MemorySource()
    src.add(
        "a",
        [
            make_event("early", known_at=datetime(2021, 1, 15, 23, tzinfo=UTC)),
            make_event("late", known_at=datetime(2021, 1, 16, 0, 30, tzinfo=UTC)),
        ],
    )
    ingest(src, src.discover(), store)
    got = events(store, EventFilter(as_of=date(2021, 1, 15))).column("source_key").to_pylist()
    assert got == ["early"]
    assert count_events(store, EventFilter(as_of=date(2021, 1, 16))) == 2


def test_dyad_and_direction_filters(store_dir: Path) -> None:
    from dyadwatch.model import Actor

    store = Store.init(store_dir)
    src = MemorySource()
    src.add(
        "a",
        [
            make_event("ab"),
            make_event(
                "ba",
                actor1=Actor(code="MEXGOV", country="MEX"),
                actor2=Actor(code="USAGOV", country="USA"),
            ),
            make_event("other", actor2=Actor(code="CANGOV", country="CAN")),
        ],
    )
    ingest(src, src.discover(), store)

    def keys(**kw: object) -> list[str]:
        flt = EventFilter(**kw)  # type: ignore[arg-type]
        return sorted(events(store, flt).column("source_key").to_pylist())

    assert keys(dyad="USA-MEX") == ["ab", "ba"]
    assert keys(dyad="USA-MEX", direction="ab") == ["ab"]
    assert keys(dyad="USA-MEX", direction="ba") == ["ba"]


def test_uncommitted_files_are_swept_by_the_next_writer(store_dir: Path) -> None:
    store = Store.init(store_dir)
    stray = store_dir / "events" / "source=demo" / "year=2021" / "month=01" / "part-x.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"half a file")
    with store.writer():
        pass
    assert not stray.exists()


def test_table_of_empty_dataset_has_its_schema(store_dir: Path) -> None:
    store = Store.init(store_dir)
    t = store.table("indicators")
    assert t.num_rows == 0
    assert isinstance(t, pa.Table)


def test_a_store_whose_creation_was_interrupted_is_completed(store_dir: Path) -> None:
    import duckdb

    store_dir.mkdir()
    con = duckdb.connect(str(store_dir / "catalog.duckdb"))
    con.execute(
        "CREATE TABLE migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)"
    )
    con.close()
    store = Store.open(store_dir)
    assert store.catalog_query("SELECT max(version) FROM migrations").column(0)[0].as_py() == LATEST


def test_a_version_1_store_is_migrated_by_the_next_writer(store_dir: Path) -> None:
    """A store made before the release register gets it, and keeps its events."""
    import duckdb

    from dyadwatch.store.catalog import FORMAT_MARKER

    store_dir.mkdir()
    con = duckdb.connect(str(store_dir / "catalog.duckdb"))
    con.execute(
        "CREATE TABLE migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)"
    )
    con.execute(MIGRATIONS[0].sql)
    con.execute(
        "INSERT INTO meta VALUES ('format', ?), ('created_at', '2021-01-01')", [FORMAT_MARKER]
    )
    con.execute("INSERT INTO migrations VALUES (1, ?, now())", [MIGRATIONS[0].name])
    con.close()
    store = Store.open(store_dir)  # opening a store of an older dyadwatch migrates it
    assert store.catalog_query("SELECT max(version) FROM migrations").column(0)[0].as_py() == LATEST
    src = MemorySource()
    src.add("a", [make_event("e1")])
    assert ingest(src, src.discover(), store).ok
    assert store.catalog_query("SELECT count(*) FROM releases").column(0)[0].as_py() == 0
    assert count_events(store) == 1


def test_a_writer_may_wait_for_the_lock(store_dir: Path) -> None:
    """wait=0 fails at once; a wait outlasting the holder gets the lock."""
    import threading

    from dyadwatch.store.lock import WriterLock

    store = Store.init(store_dir)
    holder = WriterLock(store_dir / "writer.lock")
    holder.acquire()
    with pytest.raises(StoreLockedError, match="is being written"), store.writer():
        pass
    with pytest.raises(StoreLockedError), store.writer(wait=0.2):
        pass
    release = threading.Timer(0.3, holder.release)
    release.start()
    try:
        with store.writer(wait=30) as writer:
            assert writer.root == store.root
    finally:
        release.join()


def test_parts_of_an_older_event_schema_are_upgraded(store_dir: Path) -> None:
    """Parts written before schema version 2 gain its columns and a derived effect."""
    import duckdb
    import pyarrow.parquet as pq

    store = Store.init(store_dir)
    src = MemorySource()
    src.add("a", [make_event("e1")])
    assert ingest(src, src.discover(), store).ok
    (part,) = store.snapshot().files("events")
    version_1 = EVENT_SCHEMA.names[: EVENT_SCHEMA.names.index("dedupe_group") + 1]
    old = pq.read_table(part).select(version_1)
    pq.write_table(old, part)
    con = duckdb.connect(str(store_dir / "catalog.duckdb"))
    con.execute("DELETE FROM dataset_versions")
    con.close()
    reopened = Store.open(store_dir)
    with reopened.writer():
        pass
    assert pq.read_schema(part).names == EVENT_SCHEMA.names
    row = reopened.catalog_query("SELECT version FROM dataset_versions WHERE dataset = 'events'")
    assert row.column(0)[0].as_py() == "2"
    table = pq.read_table(part)
    assert table.column("effect_basis")[0].as_py() is not None
    assert count_events(reopened) == 1
