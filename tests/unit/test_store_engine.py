"""Readers share one DuckDB database per process, and a Store re-reads its manifest only
when the catalog changed on disk."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store, engine
from tests.conftest import make_event

pytestmark = pytest.mark.unit


def test_cursors_keep_their_temporary_objects_to_themselves() -> None:
    a, b = engine.cursor(), engine.cursor()
    try:
        a.register("mine", pa.table({"x": [1]}))
        a.execute("CREATE TEMP TABLE scratch AS SELECT 41 + 1 AS y")
        assert a.sql("SELECT y FROM scratch").fetchall() == [(42,)]
        for name in ("mine", "scratch"):
            with pytest.raises(duckdb.CatalogException):
                b.sql(f"SELECT * FROM {name}").fetchall()
        assert b.sql("SELECT current_setting('parquet_metadata_cache')").fetchall() == [(True,)]
    finally:
        a.close()
        b.close()
    c = engine.cursor()  # a closed cursor's objects are gone
    try:
        with pytest.raises(duckdb.CatalogException):
            c.sql("SELECT * FROM scratch").fetchall()
    finally:
        c.close()


def test_threads_each_with_a_cursor_get_their_own_answers() -> None:
    results: dict[int, int] = {}

    def work(i: int) -> None:
        con = engine.cursor()
        try:
            con.execute(f"CREATE TEMP TABLE t AS SELECT range AS v FROM range({i * 1000})")
            results[i] = con.sql("SELECT count(*) FROM t").fetchall()[0][0]
        finally:
            con.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: i * 1000 for i in range(1, 9)}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")  # 3.12+: threads + fork
def test_a_forked_child_opens_its_own_database() -> None:
    parent = engine.database()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            child = engine.database()
            ok = child is not parent and child.sql("SELECT 1").fetchall() == [(1,)]
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1" and status == 0
    os.close(read)
    assert engine.database() is parent


def _add(store: Store, key: str) -> None:
    src = MemorySource()
    src.add(key, [make_event(f"{key}{i}", event_date=date(2021, 1, 1 + i)) for i in range(3)])
    assert ingest(src, src.discover(), store).ok


def test_the_manifest_is_kept_until_a_commit(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "s")
    _add(store, "a")
    first = store.snapshot()
    assert store.snapshot() is first  # nothing changed: no catalog open
    other = Store.open(tmp_path / "s")  # another process's writer, say
    _add(other, "b")
    second = store.snapshot()
    assert second is not first
    assert len(second.parts) > len(first.parts)
    assert second.generation > first.generation


def test_a_catalog_change_without_a_generation_bump_is_seen(tmp_path: Path) -> None:
    """A writer killed between its catalog commit and the generation bump."""
    store = Store.init(tmp_path / "s")
    _add(store, "a")
    first = store.snapshot()
    con = duckdb.connect(str(store.catalog_path))
    try:
        con.execute("DELETE FROM parts WHERE path = ?", [first.parts[0].path])
    finally:
        con.close()
    assert store.generation() == first.generation
    assert len(store.snapshot().parts) == len(first.parts) - 1
