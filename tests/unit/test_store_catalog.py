"""Opening the catalog: waiting out a commit, and one clear error for what is not a catalog."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dyadwatch.errors import NotAStoreError, StoreError
from dyadwatch.store import catalog
from dyadwatch.store.catalog import CATALOG, connect_catalog, read_generation

pytestmark = pytest.mark.unit


def test_a_file_that_is_not_duckdb_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / CATALOG
    path.write_text("not a database")
    with pytest.raises(NotAStoreError, match="not a"), connect_catalog(path, read_only=True):
        pass


def test_a_lock_held_for_a_commit_is_waited_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = duckdb.connect
    calls: list[str] = []

    def busy_once(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        calls.append(path)
        if len(calls) == 1:
            raise duckdb.IOException("Could not set lock on file: Conflicting lock is held")
        return real(path, read_only=read_only)

    monkeypatch.setattr(catalog.duckdb, "connect", busy_once)
    with connect_catalog(tmp_path / CATALOG, read_only=False) as con:
        assert con.sql("SELECT 1").fetchall() == [(1,)]
    assert len(calls) == 2


def test_a_lock_held_too_long_or_another_io_error_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        raise duckdb.IOException("Could not set lock on file: Conflicting lock is held")

    monkeypatch.setattr(catalog, "LOCK_RETRY_SECONDS", 0.0)
    monkeypatch.setattr(catalog.duckdb, "connect", locked)
    with (
        pytest.raises(StoreError, match="cannot open catalog"),
        connect_catalog(tmp_path / CATALOG, read_only=True),
    ):
        pass

    def disk_full(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        raise duckdb.IOException("No space left on device")

    monkeypatch.setattr(catalog.duckdb, "connect", disk_full)
    with (
        pytest.raises(StoreError, match="No space left"),
        connect_catalog(tmp_path / CATALOG, read_only=True),
    ):
        pass


def test_an_unreadable_generation_counter_reads_as_zero(tmp_path: Path) -> None:
    (tmp_path / catalog.GENERATION).write_text("garbled")
    assert read_generation(tmp_path) == 0
    (tmp_path / catalog.GENERATION).write_text("7\n")
    assert read_generation(tmp_path) == 7
