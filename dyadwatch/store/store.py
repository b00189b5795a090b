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
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dyadwatch.errors import MigrationError, NotAStoreError, StoreError, StoreLockedError
from dyadwatch.model import DATASETS, PARTITIONED_BY_MONTH
from dyadwatch.normalise.base import StepContext
from dyadwatch.normalise.relation import relation
from dyadwatch.sources.base import Artifact, Reject
from dyadwatch.store.engine import cursor
from dyadwatch.store.lock import WriterLock
from dyadwatch.store.migrations import LATEST, MIGRATIONS

log = logging.getLogger(__name__)

CATALOG = "catalog.duckdb"
GENERATION = "generation"
LOCK = "writer.lock"
FORMAT_MARKER = "dyadwatch-store"
PARTITION_DATE = {"events": "event_date", "mentions": "known_at"}
"""The column whose year/month names a row's partition, for month-partitioned datasets."""

_LOCK_RETRY_SECONDS = 30.0
SORT_EVENTS = [
    ("actor1_country", "ascending"),
    ("actor2_country", "ascending"),
    ("event_date", "ascending"),
]
SMALL_DATASET_ROWS = 500_000
"""Datasets up to this size are served from memory after their first read (see connect)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the catalog, retrying briefly while another process holds it for a commit."""
    deadline = time.monotonic() + _LOCK_RETRY_SECONDS
    delay = 0.005
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "not a valid duckdb database" in str(exc).lower():
                raise NotAStoreError(
                    f"{path} is not a DuckDB catalog: not a dyadwatch store."
                ) from None
            if not _is_lock_conflict(exc) or time.monotonic() > deadline:
                raise StoreError(f"cannot open catalog {path}: {exc}") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        except duckdb.Error as exc:
            raise NotAStoreError(f"{path} is not a readable DuckDB catalog ({exc}).") from None
    try:
        yield con
    finally:
        con.close()


@dataclass(frozen=True, slots=True)
class Part:
    path: str
    dataset: str
    source: str
    artifact: str
    rows: int
    year: int | None = None
    month: int | None = None


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


@dataclass(slots=True)
class ArtifactSummary:
    source: str
    artifact: str
    status: str
    rows_read: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    seconds: float = 0.0
    message: str | None = None


class Store:
    """A dyadwatch store directory. Open with :meth:`open` or create with :meth:`init`.

    Examples
    --------
    >>> store = Store.init("/tmp/example-store")  # doctest: +SKIP
    >>> store.events(dyad="USA-MEX", as_of=date(2021, 1, 31)).num_rows  # doctest: +SKIP
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
        with _connect(self.catalog_path, read_only=True) as con:
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
        try:
            return int((self.root / GENERATION).read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

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
        with _connect(self.catalog_path, read_only=True) as con:
            rows = con.execute(
                "SELECT path, dataset, source, artifact, rows, year, month FROM parts ORDER BY path"
            ).fetchall()
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
        with _connect(self.catalog_path, read_only=True) as con:
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
            writer = Writer(self)
            writer.prepare()
            yield writer


def sql_str(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def parquet(files: Sequence[str], *, filename: bool = False) -> str:
    """A ``read_parquet`` call over exactly these files.

    The store's paths look like Hive partitions (``year=…/month=…``); they are not read as
    columns, so every file yields exactly the dataset's schema (plus, with ``filename``, the
    column ``filename``: the path each row was read from). Files are matched by column name,
    so a part written before a schema version added columns reads them as nulls.
    """
    names = ", ".join(sql_str(f) for f in files)
    extra = ", filename = true" if filename else ""
    return f"read_parquet([{names}], hive_partitioning = false, union_by_name = true{extra})"


def schema_version(schema: pa.Schema) -> str:
    """The ``dyadwatch.schema_version`` a dataset schema declares (model.DATASETS)."""
    return (schema.metadata or {}).get(b"dyadwatch.schema_version", b"1").decode()


def conform_to(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with every column of ``schema``, in order: missing ones become nulls.

    Reads of parts written before a schema version added columns, and of empty results, go
    through this so every reader sees the current schema.
    """
    columns = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema) if columns else table


def _pending_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Datasets whose recorded schema version is not the current one: name → current version."""
    recorded = dict(con.execute("SELECT dataset, version FROM dataset_versions").fetchall())
    return {
        name: schema_version(schema)
        for name, schema in DATASETS.items()
        if recorded.get(name, "1") != schema_version(schema)
    }


def upgrade_parts(root: Path, con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite parts written at an older dataset schema version; return how many were rewritten.

    Each file is rewritten to a temporary name and renamed over the old one, so a kill leaves
    every part readable (old or new) and the next writer finishes the job. The manifest does
    not change: same paths, same rows. Runs under the writer lock (``Writer.prepare``).
    """
    pending = _pending_versions(con)
    if not pending:
        return 0
    rewritten = 0
    for dataset, version in pending.items():
        schema = DATASETS[dataset]
        paths = [
            r[0]
            for r in con.execute("SELECT path FROM parts WHERE dataset = ?", [dataset]).fetchall()
        ]
        for rel in paths:
            path = root / rel
            if not path.is_file() or pq.read_schema(path).names == schema.names:
                continue
            table = conform_to(pq.read_table(path), schema)
            if dataset == "events":
                # Events stored before the relational effect existed get it now, by the
                # same rules an ingest applies (normalise.relation).
                table = relation(table, StepContext(source="upgrade")).table
            tmp = path.with_name(path.name + ".upgrade")
            pq.write_table(table, tmp)
            os.replace(tmp, path)
            rewritten += 1
        con.execute("INSERT OR REPLACE INTO dataset_versions VALUES (?, ?)", [dataset, version])
    if rewritten:
        log.info("store %s: upgraded %d part(s) to the current schema", root, rewritten)
    return rewritten


class Writer:
    """The single writer of a store. Obtain with ``Store.writer()``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # The writer is the only process that changes the catalog while it holds the lock,
        # so it keeps the manifest and the committed checksums in memory after prepare().
        self.parts: dict[str, Part] = {}
        self.checksums: dict[tuple[str, str], str] = {}
        # Every stored event_id of a source, with the artifact that wrote it: read once per
        # writer on the first write of that source, then kept current at each commit.
        self.stored_ids: dict[str, pa.Table] = {}

    @property
    def root(self) -> Path:
        return self.store.root

    def prepare(self) -> None:
        """Apply pending migrations, mark interrupted runs, delete files no manifest lists."""
        with _connect(self.store.catalog_path, read_only=False) as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS migrations "
                "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)"
            )
            done = {r[0] for r in con.execute("SELECT version FROM migrations").fetchall()}
            if done and max(done) > LATEST:
                raise MigrationError(
                    f"store {self.root} has schema version {max(done)}, newer than this "
                    f"dyadwatch understands ({LATEST}); upgrade dyadwatch."
                )
            for m in MIGRATIONS:
                if m.version in done:
                    continue
                con.execute("BEGIN TRANSACTION")
                con.execute(m.sql)
                if m.version == 1:
                    con.execute(
                        "INSERT INTO meta VALUES ('format', ?), ('created_at', ?)",
                        [FORMAT_MARKER, _now().isoformat()],
                    )
                con.execute("INSERT INTO migrations VALUES (?, ?, ?)", [m.version, m.name, _now()])
                con.execute("COMMIT")
                log.info("store %s: applied migration %d (%s)", self.root, m.version, m.name)
            upgrade_parts(self.root, con)
            con.execute(
                "UPDATE ingest_log SET status = 'interrupted', "
                "message = 'the writing process ended before this artifact was committed' "
                "WHERE status = 'running'"
            )
            rows = con.execute(
                "SELECT path, dataset, source, artifact, rows, year, month FROM parts"
            ).fetchall()
            self.parts = {r[0]: Part(*r) for r in rows}
            self.checksums = {
                (r[0], r[1]): r[2]
                for r in con.execute(
                    "SELECT source, artifact, arg_max(checksum, finished_at) FROM ingest_log "
                    "WHERE status = 'done' GROUP BY source, artifact"
                ).fetchall()
            }
        self._sweep(set(self.parts))

    def _sweep(self, listed: set[str]) -> None:
        for dataset in DATASETS:
            base = self.root / dataset
            if not base.is_dir():
                continue
            for path in base.rglob("*"):
                if path.is_file() and str(path.relative_to(self.root)) not in listed:
                    log.info("removing uncommitted file %s", path)
                    path.unlink()
        staging = self.root / "staging"
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)

    def current_checksum(self, source: str, key: str) -> str | None:
        """Checksum of the committed version of an artifact, or None if never committed."""
        return self.checksums.get((source, key))

    def begin(self, artifact: Artifact) -> ArtifactRun:
        """Start ingesting one artifact; commit or fail the returned run."""
        run = ArtifactRun(self, artifact, run_id=uuid.uuid4().hex[:16])
        with _connect(self.store.catalog_path, read_only=False) as con:
            con.execute(
                "INSERT INTO ingest_log (run_id, source, artifact, checksum, status, started_at) "
                "VALUES (?, ?, ?, ?, 'running', ?)",
                [run.run_id, artifact.source, artifact.key, artifact.checksum, run.started_at],
            )
        return run

    def record_release(self, row: Sequence[Any]) -> None:
        """Add one row to the release register (columns in the ``releases`` table's order)."""
        with _connect(self.store.catalog_path, read_only=False) as con:
            con.execute(f"INSERT INTO releases VALUES ({', '.join('?' for _ in row)})", list(row))

    def bump_generation(self) -> None:
        path = self.root / GENERATION
        tmp = path.with_suffix(".tmp")
        tmp.write_text(str(self.store.generation() + 1))
        os.replace(tmp, path)


@dataclass(slots=True)
class ArtifactRun:
    """One artifact being ingested: files written so far, rejects, counts."""

    writer: Writer
    artifact: Artifact
    run_id: str
    started_at: datetime = field(default_factory=_now)
    parts: list[Part] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    rows_duplicate: int = 0
    _seen_ids: set[str] = field(default_factory=set)
    _written: list[pa.Table] = field(default_factory=list)
    _n: int = 0

    def _existing_ids(self, table: pa.Table) -> set[str]:
        """event_ids of ``table`` already stored by *other* artifacts, anywhere in the store.

        One id is one row across the whole store: the same record moved to another month
        (or year) by a corrected date is a repeat, not a new event. The check is against
        every stored part of the rows' sources (an event_id hashes its source, so no other
        source can hold it), read once per writer (:meth:`_stored_ids`).
        """
        incoming = table.column("event_id")
        found: set[str] = set()
        for source in pc.unique(table.column("source")).to_pylist():
            stored = self._stored_ids(source)
            if stored.num_rows == 0:
                continue
            hit = pc.is_in(stored.column("event_id"), value_set=pc.unique(incoming))
            hit = pc.and_(hit, pc.not_equal(stored.column("artifact"), self.artifact.key))
            found.update(stored.column("event_id").filter(hit).to_pylist())
        return found

    def _stored_ids(self, source: str) -> pa.Table:
        """Every event_id stored for ``source`` and the artifact key that wrote it."""
        cache = self.writer.stored_ids
        if source not in cache:
            root = self.writer.root
            parts = {
                str(root / p.path): p.artifact
                for p in self.writer.parts.values()
                if p.dataset == "events" and p.source == source
            }
            if parts:
                con = cursor()
                try:
                    read = con.sql(
                        f"SELECT event_id, filename FROM {parquet(list(parts), filename=True)}"
                    ).to_arrow_table()
                finally:
                    con.close()
                artifacts = [parts[f] for f in read.column("filename").to_pylist()]
                cache[source] = _id_table(read.column("event_id"), artifacts)
            else:
                cache[source] = _id_table(pa.array([], pa.string()), [])
        return cache[source]

    def _remember_ids(self, written: pa.Table) -> None:
        """After a commit: the artifact's ids replace its earlier ones in the writer's cache."""
        cache = self.writer.stored_ids
        for source in list(cache):
            stored = cache[source]
            stored = stored.filter(pc.not_equal(stored.column("artifact"), self.artifact.key))
            mine = written.filter(pc.equal(written.column("source"), source))
            added = _id_table(mine.column("event_id"), [self.artifact.key] * mine.num_rows)
            cache[source] = pa.concat_tables([stored, added])

    def write(self, dataset: str, table: pa.Table) -> int:
        """Write rows of ``dataset`` (already normalised) as new Parquet parts; return rows kept."""
        schema = DATASETS[dataset]
        table = table.select(schema.names).cast(schema)
        if dataset == "events" and table.num_rows:
            ids = table.column("event_id").to_pylist()
            existing = self._existing_ids(table)
            keep = []
            for eid in ids:
                if eid in self._seen_ids or eid in existing:
                    self.rows_duplicate += 1
                    keep.append(False)
                else:
                    self._seen_ids.add(eid)
                    keep.append(True)
            if not all(keep):
                table = table.filter(pa.array(keep))
            self._written.append(table.select(["event_id", "source"]))
        if table.num_rows == 0:
            return 0
        for (source, year, month), part in _partitions(dataset, table):
            if dataset == "events":
                # Rows of one country pair sit together, so min/max statistics let a dyad
                # query skip most row groups of a large file (see bench/index.py).
                part = part.sort_by(SORT_EVENTS)
            rel = Path(dataset) / f"source={source}"
            if year is not None:
                rel = rel / f"year={year:04d}" / f"month={month:02d}"
            self._n += 1
            name = f"part-{_slug(self.artifact.key)}-{self.run_id}-{self._n:05d}.parquet"
            path = self.writer.root / rel / name
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(part, path, compression="zstd")
            self.parts.append(
                Part(
                    str(rel / name), dataset, source, self.artifact.key, part.num_rows, year, month
                )
            )
        return table.num_rows

    def reject(self, rejects: Iterable[Reject]) -> None:
        self.rejects.extend(rejects)

    def rows_kept(self, dataset: str | None = None) -> int:
        """Rows kept of ``dataset``; by default the events, or every row if the artifact
        holds no events (indicators, instrument states)."""
        if dataset is not None:
            return sum(p.rows for p in self.parts if p.dataset == dataset)
        return self.rows_kept("events") or sum(p.rows for p in self.parts)

    def _finish(self, status: str, message: str | None) -> ArtifactSummary:
        finished = _now()
        seconds = (finished - self.started_at).total_seconds()
        summary = ArtifactSummary(
            source=self.artifact.source,
            artifact=self.artifact.key,
            status=status,
            rows_read=self.rows_read,
            rows_kept=self.rows_kept() if status == "done" else 0,
            rows_quarantined=len(self.rejects),
            rows_duplicate=self.rows_duplicate,
            seconds=seconds,
            message=message,
        )
        store = self.writer.store
        replaced: list[str] = []
        with _connect(store.catalog_path, read_only=False) as con:
            con.execute("BEGIN TRANSACTION")
            if status == "done":
                replaced = [
                    r[0]
                    for r in con.execute(
                        "SELECT path FROM parts WHERE artifact_source = ? AND artifact = ?",
                        [self.artifact.source, self.artifact.key],
                    ).fetchall()
                ]
                con.execute(
                    "DELETE FROM parts WHERE artifact_source = ? AND artifact = ?",
                    [self.artifact.source, self.artifact.key],
                )
                if self.parts:
                    con.executemany(
                        "INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            [
                                p.path,
                                p.dataset,
                                p.source,
                                self.artifact.source,
                                p.artifact,
                                self.run_id,
                                p.year,
                                p.month,
                                p.rows,
                            ]
                            for p in self.parts
                        ],
                    )
            if status == "done":
                # This version of the artifact is now the stored one: what earlier runs set
                # aside from it is resolved (its own rejects, if any, are new open entries).
                con.execute(
                    "UPDATE quarantine SET resolved_at = ?, resolved_by = ? WHERE source = ? "
                    "AND artifact = ? AND resolved_at IS NULL",
                    [finished, self.run_id, self.artifact.source, self.artifact.key],
                )
            if self.rejects:
                con.executemany(
                    'INSERT INTO quarantine (run_id, source, artifact, line, "column", reason, '
                    "raw, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        [
                            self.run_id,
                            self.artifact.source,
                            self.artifact.key,
                            r.line,
                            r.column,
                            r.reason,
                            r.raw,
                            finished,
                        ]
                        for r in self.rejects
                    ],
                )
            con.execute(
                "UPDATE ingest_log SET status = ?, rows_read = ?, rows_kept = ?, "
                "rows_quarantined = ?, rows_duplicate = ?, finished_at = ?, seconds = ?, "
                "message = ? WHERE run_id = ?",
                [
                    status,
                    summary.rows_read,
                    summary.rows_kept,
                    summary.rows_quarantined,
                    summary.rows_duplicate,
                    finished,
                    seconds,
                    message,
                    self.run_id,
                ],
            )
            con.execute("COMMIT")
        if status == "done":
            written = pa.concat_tables(self._written) if self._written else _NO_IDS
            self._remember_ids(written)
            for rel in replaced:
                self.writer.parts.pop(rel, None)
            self.writer.parts.update({p.path: p for p in self.parts})
            self.writer.checksums[(self.artifact.source, self.artifact.key)] = (
                self.artifact.checksum
            )
        self.writer.bump_generation()
        if status != "done":
            replaced = [p.path for p in self.parts]
        for rel in replaced:
            with contextlib.suppress(FileNotFoundError):
                (self.writer.root / rel).unlink()
        return summary

    def commit(self, message: str | None = None) -> ArtifactSummary:
        """Make everything written for this artifact visible, atomically."""
        return self._finish("done", message)

    def fail(self, reason: str) -> ArtifactSummary:
        """Record the artifact as failed: quarantine the file itself; keep nothing from it."""
        self.rejects.append(Reject(reason=reason, line=None, raw=None))
        return self._finish("failed", reason)


_NO_IDS = pa.table({"event_id": pa.array([], pa.string()), "source": pa.array([], pa.string())})


def _id_table(ids: pa.Array | pa.ChunkedArray, artifacts: list[str]) -> pa.Table:
    return pa.table(
        {
            "event_id": pc.cast(ids, pa.string()),
            "artifact": pa.array(artifacts, pa.string()).dictionary_encode(),
        }
    )


def _slug(key: str) -> str:
    name = Path(key).name or key
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return cleaned[-60:]


def _partitions(
    dataset: str, table: pa.Table
) -> Iterator[tuple[tuple[str, int | None, int | None], pa.Table]]:
    sources = table.column("source")
    if dataset not in PARTITIONED_BY_MONTH:
        for source in pc.unique(sources).to_pylist():
            yield (source, None, None), table.filter(pc.equal(sources, source))
        return
    when = table.column(PARTITION_DATE[dataset])
    years = pc.year(when)
    months = pc.month(when)
    keys = pa.table({"s": sources, "y": years, "m": months})
    for s, y, m in sorted(set(zip(*(keys.column(c).to_pylist() for c in "sym"), strict=True))):
        mask = pc.and_(pc.and_(pc.equal(sources, s), pc.equal(years, y)), pc.equal(months, m))
        yield (s, int(y), int(m)), table.filter(mask)
