"""One event_id, one row, across the whole store (not only within a partition)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.compute as pc
import pytest

from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store, events
from tests.conftest import make_event

pytestmark = pytest.mark.unit


def _on(key: str, day: date) -> object:
    return make_event(key, event_date=day, known_at=datetime.combine(day, datetime.min.time(), UTC))


def _ids(store: Store) -> list[str]:
    return sorted(events(store).column("event_id").to_pylist())


def test_the_same_key_moved_to_another_month_is_stored_once(store_dir: Path) -> None:
    store = Store.open(store_dir, create=True)
    src = MemorySource()
    src.add("january", [_on("k1", date(2021, 1, 15)), _on("k2", date(2021, 1, 16))])
    assert ingest(src, src.discover(), store).rows_kept == 2
    later = MemorySource()
    later.add("corrected", [_on("k1", date(2021, 3, 2)), _on("k1-other", date(2022, 7, 1))])
    summary = ingest(later, later.discover(), store)
    assert (summary.rows_kept, summary.rows_duplicate) == (1, 1)
    stored = events(store)
    assert stored.num_rows == 3
    assert len(set(stored.column("event_id").to_pylist())) == 3
    # The first version stays where it was.
    k1 = stored.filter(pc.equal(stored.column("source_key"), "k1"))
    assert k1.column("event_date").to_pylist() == [date(2021, 1, 15)]


def test_within_one_writer_the_cache_follows_each_commit(store_dir: Path) -> None:
    """Three artifacts in one run: the second and third see what the first committed."""
    store = Store.open(store_dir, create=True)
    src = MemorySource()
    src.add("a", [_on("k1", date(2020, 5, 1))])
    src.add("b", [_on("k1", date(2021, 6, 1)), _on("k2", date(2021, 6, 1))])
    src.add("c", [_on("k2", date(2019, 1, 1)), _on("k3", date(2019, 1, 1))])
    summary = ingest(src, src.discover(), store)
    assert [a.rows_duplicate for a in summary.artifacts] == [0, 1, 1]
    assert events(store).num_rows == 3


def test_a_changed_artifact_may_move_its_own_events(store_dir: Path) -> None:
    """Re-ingesting an artifact replaces it: its own earlier rows are not duplicates."""
    store = Store.open(store_dir, create=True)
    src = MemorySource()
    src.add("batch", [_on("k1", date(2021, 1, 15))])
    ingest(src, src.discover(), store)
    before = _ids(store)
    src.add("batch", [_on("k1", date(2021, 2, 20))])
    summary = ingest(src, src.discover(), store)
    assert (summary.rows_kept, summary.rows_duplicate) == (1, 0)
    assert _ids(store) == before
    assert events(store).column("event_date").to_pylist() == [date(2021, 2, 20)]
    # A later writer (a new process) reads the ids from the parts and agrees.
    other = MemorySource()
    other.add("another", [_on("k1", date(2023, 1, 1))])
    assert ingest(other, other.discover(), store).rows_duplicate == 1
    assert events(store).num_rows == 1
