"""The writer's path: rows into parts, repeats dropped, the catalog attached for each commit.

``partitions`` sorts once and slices where it filtered once per part; the writer finds repeated
event_ids over whole columns where it looped over rows; the catalog is attached to the
process's DuckDB database instead of opened as a database of its own. Each keeps what the
slower way guaranteed: the same rows in the same parts and order, the same repeats counted,
the same lock held as briefly.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.errors import NotAStoreError
from dyadwatch.pipeline import ingest
from dyadwatch.sources.base import Artifact, Chunk
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store, events
from dyadwatch.store.catalog import CATALOG, attach_catalog
from dyadwatch.store.parts import SORT_EVENTS, partitions
from tests.conftest import make_event

pytestmark = pytest.mark.unit

countries = st.one_of(st.none(), st.sampled_from(["USA", "MEX", "CAN", "ÉTA"]))
days = st.sampled_from([date(2021, 1, 31), date(2021, 1, 1), date(2021, 2, 1), date(2020, 12, 5)])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["gdelt2", "icews"]), days, countries, countries),
        max_size=30,
    )
)
def test_parts_hold_what_a_filter_and_a_stable_sort_per_part_would(
    rows: list[tuple[str, date, str | None, str | None]],
) -> None:
    table = pa.table(
        {
            "source": [r[0] for r in rows],
            "event_date": pa.array([r[1] for r in rows], pa.date32()),
            "actor1_country": pa.array([r[2] for r in rows], pa.string()),
            "actor2_country": pa.array([r[3] for r in rows], pa.string()),
            "n": list(range(len(rows))),
        }
    )
    got = [(key, part.to_pylist()) for key, part in partitions("events", table, SORT_EVENTS)]
    keys = sorted({(s, d.year, d.month) for s, d, _, _ in rows})
    expected = []
    for s, y, m in keys:
        mask = pc.and_(
            pc.equal(table.column("source"), s),
            pc.and_(
                pc.equal(pc.year(table.column("event_date")), y),
                pc.equal(pc.month(table.column("event_date")), m),
            ),
        )
        expected.append(((s, y, m), table.filter(mask).sort_by(SORT_EVENTS).to_pylist()))
    assert got == expected


def test_parts_of_an_undated_dataset_keep_their_rows_order() -> None:
    table = pa.table({"source": ["b", "a", "b", "a"], "n": [0, 1, 2, 3]})
    got = [(key, part.column("n").to_pylist()) for key, part in partitions("volume", table)]
    assert got == [(("a", None, None), [1, 3]), (("b", None, None), [0, 2])]


class _Chunked(MemorySource):
    """A memory source whose one artifact arrives as several event chunks."""

    def read(self, artifact: Artifact):  # type: ignore[no-untyped-def]
        (chunk,) = list(super().read(artifact))
        half = chunk.table.num_rows // 2
        yield Chunk("events", chunk.table.slice(0, half), rows_read=chunk.table.num_rows)
        yield Chunk("events", chunk.table.slice(half), rows_read=0)


def test_a_repeated_event_id_is_stored_once_within_a_chunk_across_chunks_and_artifacts(
    store_dir: Path,
) -> None:
    store = Store.init(store_dir)
    first = MemorySource()
    first.add("a.csv", [make_event("1"), make_event("2")])
    ingest(first, first.discover(), store)
    # Keys 2 (stored by a.csv), 3 twice in the first chunk, 4 in both chunks.
    src = _Chunked()
    src.add("b.csv", [make_event(k) for k in ("2", "3", "3", "4", "5", "4", "6", "4")])
    summary = ingest(src, src.discover(), store)
    (run,) = summary.artifacts
    assert (run.rows_read, run.rows_kept, run.rows_duplicate) == (8, 4, 4)
    stored = events(store).column("source_key").to_pylist()
    assert sorted(stored) == ["1", "2", "3", "4", "5", "6"]
    # Re-ingesting b.csv changed replaces its own rows: they are not repeats of themselves.
    src.add("b.csv", [make_event(k) for k in ("3", "4", "7", "8")])
    (again,) = ingest(src, src.discover(), store).artifacts
    assert (again.rows_kept, again.rows_duplicate) == (4, 0)
    assert sorted(events(store).column("source_key").to_pylist()) == ["1", "2", "3", "4", "7", "8"]


def test_attaching_the_catalog_commits_rolls_back_and_lets_go_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / CATALOG
    with attach_catalog(path) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
        con.execute("INSERT INTO t VALUES (1)")
    with attach_catalog(path) as con:
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO t VALUES (2)")  # never committed
    # Another process opens the file for writing at once, and sees only what was committed.
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
        "print(c.sql('SELECT list(x) FROM t').fetchall()[0][0]); c.close()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[1]"
    with contextlib.closing(duckdb.connect(str(path), read_only=True)) as con:
        assert con.sql("SELECT count(*) FROM t").fetchall() == [(1,)]


def test_attaching_a_file_that_is_not_a_catalog_says_so(tmp_path: Path) -> None:
    path = tmp_path / CATALOG
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(NotAStoreError, match="not a dyadwatch store"), attach_catalog(path):
        pass
