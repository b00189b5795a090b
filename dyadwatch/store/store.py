"""The store: a directory with a DuckDB catalog and Parquet partitions.

Layout::

    <store>/
      catalog.duckdb     meta, migrations, ingest_log, parts (the manifest), quarantine
      generation         a counter bumped after every commit (cheap change detection)
      writer.lock        one writer at a time (flock)
      events/source=gdelt2/year=2021/month=01/part-<artifact>-<run>-<n>.parquet
      indicators/source=curated/part-….parquet
      …

Readers see exactly the Parquet files listed in the ``parts`` manifest of the catalog. A
writer writes new files first, then commits one catalog transaction that swaps the
artifact's old parts for the new ones and records its quarantined rows and log entry. Killed
at any point, the store is as it was before that artifact: uncommitted files are not in the
manifest (and are swept up by the next writer), an uncommitted transaction is rolled back by
DuckDB's write-ahead log. Readers open the catalog read-only for milliseconds, copy the
manifest, and query the Parquet files from a cursor on the process's shared in-memory
DuckDB database (:mod:`dyadwatch.store.engine`); they never wait for an ingest, only (at most)
for a commit. A :class:`Store` keeps the manifest it last read and reads it again only when
the catalog or the generation counter has changed on disk (:meth:`Store.snapshot`).

The rooms: :mod:`~dyadwatch.store.catalog` opens the catalog and reads the manifest's rows,
:mod:`~dyadwatch.store.parts` splits, names, reads and upgrades Parquet parts,
:mod:`~dyadwatch.store.writer` is the one writer, and this module is what readers hold.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dyadwatch.errors import MigrationError, NotAStoreError, StoreError, StoreLockedError
from dyadwatch.model import DATASETS
from dyadwatch.store.catalog import (
    CATALOG,
    FORMAT_MARKER,
    LOCK,
    PART_COLUMNS,
    Part,
    connect_catalog,
    read_generation,
)
from dyadwatch.store.engine import cursor
from dyadwatch.store.lock import WriterLock
from dyadwatch.store.migrations import LATEST
from dyadwatch.store.parts import parquet
from dyadwatch.store.writer import Writer

SMALL_DATASET_ROWS = 500_000
"""Datasets up to this size are served from memory after their first read (see connect)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the store held at one commit: its manifest, read once."""

    root: Path
    generation: int
    parts: tuple[Part, ...]

    def path(self, part: Part) -> str:
        """The absolute path of one part (plain string joins: a manifest has thousands)."""
        return os.path.join(self.root, part.path)

    def files(self, dataset: str, sources: Iterable[str] | None = None) -> list[str]:
        wanted = set(sources) if sources is not None else None
        return [
            self.path(p)
            for p in self.parts
            if p.dataset == dataset and (wanted is None or p.source in wanted)
        ]

    def sources(self, dataset: str = "events") -> list[str]:
        return sorted({p.source for p in self.parts if p.dataset == dataset})


class Store:
    """A dyadwatch store directory. Open with :meth:`open` or create with :meth:`init`.

    Examples
    --------
    A new store holds nothing yet; every dataset reads as an empty table of its schema:

    >>> import tempfile
    >>> new = Store.init(Path(tempfile.mkdtemp()) / "new")
    >>> new.snapshot().parts, new.table("events").num_rows
    ((), 0)

    The store built from what ships (``dyadwatch run``) holds the curated knowledge base:

    >>> store.snapshot().sources()
    ['curated']
    >>> con = store.connect()
    >>> con.sql("SELECT count(*) > 0 FROM events WHERE source = 'curated'").fetchall()
    [(True,)]
    >>> con.close()
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # Small datasets read into memory, keyed by the exact part files they came from
        # (parts are immutable and uniquely named, so a new commit means a new key).
        self._memory: dict[str, tuple[tuple[str, ...], pa.Table]] = {}
        # The manifest last read, with the on-disk stamp it was read at (see snapshot()).
        self._snapshot: tuple[tuple[int, object, object], Snapshot] | None = None

    # --- opening -----------------------------------------------------------------------------

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG

    @classmethod
    def init(cls, root: Path | str) -> Store:
        """Create a store at ``root`` (or migrate an existing one); return it."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise NotAStoreError(f"{root} exists and is not a directory.")
        if root.is_dir() and any(root.iterdir()) and not (root / CATALOG).exists():
            raise NotAStoreError(
                f"{root} is a non-empty directory without a {CATALOG}: not a dyadwatch store. "
                "Choose another --store path."
            )
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root)
        with store.writer():
            pass
        return store

    @classmethod
    def open(cls, root: Path | str, *, create: bool = False) -> Store:
        """Open an existing store (``create=True``: make it if ``root`` does not exist)."""
        root = Path(root)
        if not (root / CATALOG).exists():
            if create and (not root.exists() or (root.is_dir() and not any(root.iterdir()))):
                return cls.init(root)
            if not root.exists():
                raise NotAStoreError(f"no store at {root}; create one with `dyadwatch init`.")
            raise NotAStoreError(
                f"{root} is not a dyadwatch store (no {CATALOG}); "
                "run `dyadwatch init` on an empty directory or choose another --store."
            )
        store = cls(root)
        store._check_version()
        return store

    def _check_version(self) -> None:
        with connect_catalog(self.catalog_path, read_only=True) as con:
            tables = {
                r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            recorded = con.execute(
                "SELECT count(*) FROM migrations" if "migrations" in tables else "SELECT 0"
            ).fetchone()
            unfinished = tables <= {"migrations"} and not (recorded and recorded[0])
            if not unfinished:
                try:
                    marker = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                    version = con.execute("SELECT max(version) FROM migrations").fetchone()
                except duckdb.Error:
                    raise NotAStoreError(
                        f"{self.catalog_path} is a DuckDB file but not a dyadwatch catalog."
                    ) from None
        if unfinished:
            # A store whose creation was interrupted before its first migration committed:
            # finish creating it.
            with self.writer():
                pass
            return
        if marker is None or marker[0] != FORMAT_MARKER:
            raise NotAStoreError(f"{self.catalog_path} is not a dyadwatch catalog.")
        if version is not None and version[0] is not None and version[0] > LATEST:
            raise MigrationError(
                f"store {self.root} has schema version {version[0]}, newer than this "
                f"dyadwatch understands ({LATEST}); upgrade dyadwatch."
            )
        if version is not None and version[0] is not None and version[0] < LATEST:
            # Written by an older dyadwatch: migrate it now (the catalog and any parts of an
            # older dataset schema), unless another writer holds the lock and will do it.
            with contextlib.suppress(StoreLockedError), self.writer():
                pass

    # --- reading -----------------------------------------------------------------------------

    def generation(self) -> int:
        """The commit counter: it changes whenever the manifest may have changed."""
        return read_generation(self.root)

    def _stamp(self) -> tuple[int, object, object]:
        """What changes on disk whenever the manifest can have changed.

        Every commit bumps the generation counter, and every write transaction changes the
        catalog file or its write-ahead log; a crash between a commit and the bump still
        leaves the catalog changed. The stamp reads three ``stat``s and one tiny file.
        """
        files: list[object] = []
        for path in (self.catalog_path, self.catalog_path.with_name(CATALOG + ".wal")):
            try:
                st = path.stat()
            except FileNotFoundError:
                files.append(None)
            else:
                files.append((st.st_ino, st.st_size, st.st_mtime_ns))
        return (self.generation(), files[0], files[1])

    def snapshot(self) -> Snapshot:
        """The manifest as of the latest commit.

        Opening the catalog costs about 30 ms, so the manifest is kept and read again only
        when the catalog, its write-ahead log or the generation counter changed on disk.
        """
        stamp = self._stamp()
        cached = self._snapshot
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with connect_catalog(self.catalog_path, read_only=True) as con:
            rows = con.execute(f"SELECT {PART_COLUMNS} FROM parts ORDER BY path").fetchall()
        snap = Snapshot(root=self.root, generation=stamp[0], parts=tuple(Part(*r) for r in rows))
        self._snapshot = (stamp, snap)
        return snap

    def connect(self, snapshot: Snapshot | None = None) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per dataset over the snapshot's files.

        The connection is a cursor on the process's shared in-memory database
        (:mod:`dyadwatch.store.engine`): its views, temporary tables and registered Arrow
        tables are its own; create tables there as ``TEMP``. The caller owns it (close it).
        Empty datasets are empty views with the dataset's schema, so queries work on a new
        store. A dataset of at most :data:`SMALL_DATASET_ROWS` rows (the curated knowledge
        base, indicators, instrument states) is read once per version and served from memory
        afterwards: many small Parquet files cost far more to open than to hold.
        """
        snap = snapshot or self.snapshot()
        con = cursor()
        for name, schema in DATASETS.items():
            parts = [p for p in snap.parts if p.dataset == name]
            files = [snap.path(p) for p in parts]
            if not files:
                con.register(f"_{name}_empty", schema.empty_table())
                con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM _{name}_empty")
            elif sum(p.rows for p in parts) <= SMALL_DATASET_ROWS:
                con.register(f"_{name}_memory", self._in_memory(name, files))
                con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM _{name}_memory")
            else:
                con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {parquet(files)}")
        return con

    def _in_memory(self, dataset: str, files: list[str]) -> pa.Table:
        key = tuple(files)
        cached = self._memory.get(dataset)
        if cached is not None and cached[0] == key:
            return cached[1]
        reader = cursor()
        try:
            table = reader.sql(f"SELECT * FROM {parquet(files)}").to_arrow_table()
        finally:
            reader.close()
        table = table.cast(DATASETS[dataset])
        self._memory[dataset] = (key, table)
        return table

    def table(self, dataset: str, snapshot: Snapshot | None = None) -> pa.Table:
        """A whole dataset as an Arrow table (small datasets: indicators, instrument states)."""
        if dataset not in DATASETS:
            raise StoreError(f"unknown dataset '{dataset}'; one of {', '.join(DATASETS)}.")
        con = self.connect(snapshot)
        try:
            return con.sql(f"SELECT * FROM {dataset}").to_arrow_table().cast(DATASETS[dataset])
        finally:
            con.close()

    def catalog_query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a read-only query against the catalog tables (ingest_log, quarantine, parts)."""
        with connect_catalog(self.catalog_path, read_only=True) as con:
            return con.sql(sql, params=list(params)).to_arrow_table()

    # --- writing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, wait: float = 0.0) -> Iterator[Writer]:
        """Hold the writer lock; migrate; sweep up after an interrupted writer.

        If another process holds the lock, raise :class:`StoreLockedError` at once, or after
        waiting up to ``wait`` seconds for it to finish.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with WriterLock(self.root / LOCK, wait):
            writer = Writer(self.root)
            writer.prepare()
            yield writer
