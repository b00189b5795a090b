"""The single writer: new Parquet parts first, then one catalog commit per artifact.

A writer holds ``<store>/writer.lock`` (:class:`~dyadwatch.store.lock.WriterLock`), applies
pending migrations, marks runs a killed writer left ``running`` as ``interrupted`` and deletes
files no manifest lists (:meth:`Writer.prepare`). Each artifact is one :class:`ArtifactRun`:
its rows are written as new parts (an ``event_id`` stored by another artifact, or seen
earlier in this one, is a duplicate and not written again), then :meth:`ArtifactRun.commit`
swaps the artifact's old parts for the new ones, records its quarantined rows and closes its
log entry in one transaction. Killed at any point, the store is as it was before that
artifact.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dyadwatch.errors import MigrationError
from dyadwatch.model import DATASETS
from dyadwatch.sources.base import Artifact, Reject
from dyadwatch.store.catalog import (
    CATALOG,
    FORMAT_MARKER,
    GENERATION,
    PART_COLUMNS,
    Part,
    attach_catalog,
    now,
    read_generation,
)
from dyadwatch.store.engine import cursor
from dyadwatch.store.migrations import LATEST, MIGRATIONS
from dyadwatch.store.parts import SORT_EVENTS, parquet, part_slug, partitions, upgrade_parts

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ArtifactSummary:
    """What one artifact's ingest did: rows read, kept, quarantined, duplicate; its status."""

    source: str
    artifact: str
    status: str
    rows_read: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    seconds: float = 0.0
    message: str | None = None


class Writer:
    """The single writer of the store at ``root``. Obtain with ``Store.writer()``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # The writer is the only process that changes the catalog while it holds the lock,
        # so it keeps the manifest and the committed checksums in memory after prepare().
        self.parts: dict[str, Part] = {}
        self.checksums: dict[tuple[str, str], str] = {}
        # Every stored event_id of a source, with the artifact that wrote it: read once per
        # writer on the first write of that source, then kept current at each commit.
        self.stored_ids: dict[str, pa.Table] = {}

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG

    def prepare(self) -> None:
        """Apply pending migrations, mark interrupted runs, delete files no manifest lists."""
        with attach_catalog(self.catalog_path) as con:
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
                        [FORMAT_MARKER, now().isoformat()],
                    )
                con.execute("INSERT INTO migrations VALUES (?, ?, ?)", [m.version, m.name, now()])
                con.execute("COMMIT")
                log.info("store %s: applied migration %d (%s)", self.root, m.version, m.name)
            upgrade_parts(self.root, con)
            con.execute(
                "UPDATE ingest_log SET status = 'interrupted', "
                "message = 'the writing process ended before this artifact was committed' "
                "WHERE status = 'running'"
            )
            rows = con.execute(f"SELECT {PART_COLUMNS} FROM parts").fetchall()
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
        with attach_catalog(self.catalog_path) as con:
            con.execute(
                "INSERT INTO ingest_log (run_id, source, artifact, checksum, status, started_at) "
                "VALUES (?, ?, ?, ?, 'running', ?)",
                [run.run_id, artifact.source, artifact.key, artifact.checksum, run.started_at],
            )
        return run

    def record_release(self, row: Sequence[Any]) -> None:
        """Add one row to the release register (columns in the ``releases`` table's order)."""
        with attach_catalog(self.catalog_path) as con:
            con.execute(f"INSERT INTO releases VALUES ({', '.join('?' for _ in row)})", list(row))

    def bump_generation(self) -> None:
        path = self.root / GENERATION
        tmp = path.with_suffix(".tmp")
        tmp.write_text(str(read_generation(self.root) + 1))
        os.replace(tmp, path)


@dataclass(slots=True)
class ArtifactRun:
    """One artifact being ingested: files written so far, rejects, counts."""

    writer: Writer
    artifact: Artifact
    run_id: str
    started_at: datetime = field(default_factory=now)
    parts: list[Part] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    rows_duplicate: int = 0
    _seen_ids: list[pa.Array] = field(default_factory=list)
    _written: list[pa.Table] = field(default_factory=list)
    _n: int = 0

    def _new_ids(self, table: pa.Table) -> Any:
        """Which rows to write (numpy booleans): the first row of each event_id that neither
        this run nor another artifact has stored."""
        ids = table.column("event_id").combine_chunks()
        codes = pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False)
        keep = np.zeros(len(ids), dtype=bool)
        keep[np.unique(codes, return_index=True)[1]] = True
        for known in (*self._seen_ids, *self._existing_ids(table)):
            keep &= ~pc.fill_null(pc.is_in(ids, value_set=known), False).to_numpy(
                zero_copy_only=False
            )
        self._seen_ids.append(ids.filter(pa.array(keep)))
        return keep

    def _existing_ids(self, table: pa.Table) -> list[pa.Array]:
        """event_ids of ``table`` already stored by *other* artifacts, anywhere in the store.

        One id is one row across the whole store: the same record moved to another month
        (or year) by a corrected date is a repeat, not a new event. The check is against
        every stored part of the rows' sources (an event_id hashes its source, so no other
        source can hold it), read once per writer (:meth:`_stored_ids`).
        """
        incoming = table.column("event_id")
        found: list[pa.Array] = []
        for source in pc.unique(table.column("source")).to_pylist():
            stored = self._stored_ids(source)
            if stored.num_rows == 0:
                continue
            hit = pc.is_in(stored.column("event_id"), value_set=pc.unique(incoming))
            hit = pc.and_(hit, pc.not_equal(stored.column("artifact"), self.artifact.key))
            found.append(stored.column("event_id").filter(hit).combine_chunks())
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
            keep = self._new_ids(table)
            self.rows_duplicate += table.num_rows - int(np.count_nonzero(keep))
            if not keep.all():
                table = table.filter(pa.array(keep))
            self._written.append(table.select(["event_id", "source"]))
        if table.num_rows == 0:
            return 0
        order = SORT_EVENTS if dataset == "events" else ()
        for (source, year, month), part in partitions(dataset, table, order):
            rel = Path(dataset) / f"source={source}"
            if year is not None:
                rel = rel / f"year={year:04d}" / f"month={month:02d}"
            self._n += 1
            name = f"part-{part_slug(self.artifact.key)}-{self.run_id}-{self._n:05d}.parquet"
            path = self.writer.root / rel / name
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(part, path, compression="zstd")
            self.parts.append(
                Part(
                    str(rel / name), dataset, source, self.artifact.key, part.num_rows, year, month
                )
            )
        return int(table.num_rows)

    def reject(self, rejects: Iterable[Reject]) -> None:
        self.rejects.extend(rejects)

    def rows_kept(self, dataset: str | None = None) -> int:
        """Rows kept of ``dataset``; by default the events, or every row if the artifact
        holds no events (indicators, instrument states)."""
        if dataset is not None:
            return sum(p.rows for p in self.parts if p.dataset == dataset)
        return self.rows_kept("events") or sum(p.rows for p in self.parts)

    def _finish(self, status: str, message: str | None) -> ArtifactSummary:
        """Record the run in one catalog transaction, then tidy the files it made obsolete.

        ``done``: the artifact's new parts replace its old ones in the manifest, what earlier
        runs quarantined from it is resolved, its rejects and log entry are recorded. Any
        other status keeps none of the new parts. Either way the generation is bumped.
        """
        finished = now()
        summary = ArtifactSummary(
            source=self.artifact.source,
            artifact=self.artifact.key,
            status=status,
            rows_read=self.rows_read,
            rows_kept=self.rows_kept() if status == "done" else 0,
            rows_quarantined=len(self.rejects),
            rows_duplicate=self.rows_duplicate,
            seconds=(finished - self.started_at).total_seconds(),
            message=message,
        )
        replaced: list[str] = []
        with attach_catalog(self.writer.catalog_path) as con:
            con.execute("BEGIN TRANSACTION")
            if status == "done":
                replaced = self._swap_parts(con)
                # This version of the artifact is now the stored one: what earlier runs set
                # aside from it is resolved (its own rejects, if any, are new open entries).
                con.execute(
                    "UPDATE quarantine SET resolved_at = ?, resolved_by = ? WHERE source = ? "
                    "AND artifact = ? AND resolved_at IS NULL",
                    [finished, self.run_id, self.artifact.source, self.artifact.key],
                )
            self._record_rejects(con, finished)
            self._record_log(con, summary, finished)
            con.execute("COMMIT")
        if status == "done":
            self._remember_commit(replaced)
        self.writer.bump_generation()
        if status != "done":
            replaced = [p.path for p in self.parts]
        for rel in replaced:
            with contextlib.suppress(FileNotFoundError):
                (self.writer.root / rel).unlink()
        return summary

    def _swap_parts(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """Replace the artifact's parts in the manifest by this run's; return the old paths."""
        key = [self.artifact.source, self.artifact.key]
        replaced = [
            r[0]
            for r in con.execute(
                "SELECT path FROM parts WHERE artifact_source = ? AND artifact = ?", key
            ).fetchall()
        ]
        con.execute("DELETE FROM parts WHERE artifact_source = ? AND artifact = ?", key)
        if self.parts:
            con.executemany(
                "INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (p.path, p.dataset, p.source, *key, self.run_id, p.year, p.month, p.rows)
                    for p in self.parts
                ],
            )
        return replaced

    def _record_rejects(self, con: duckdb.DuckDBPyConnection, finished: datetime) -> None:
        """Add this run's rejected rows (or the rejected file) to the quarantine table."""
        if not self.rejects:
            return
        key = (self.artifact.source, self.artifact.key)
        con.executemany(
            'INSERT INTO quarantine (run_id, source, artifact, line, "column", reason, '
            "raw, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (self.run_id, *key, r.line, r.column, r.reason, r.raw, finished)
                for r in self.rejects
            ],
        )

    def _record_log(
        self, con: duckdb.DuckDBPyConnection, summary: ArtifactSummary, finished: datetime
    ) -> None:
        """Close this run's ``ingest_log`` entry with its outcome and counts."""
        con.execute(
            "UPDATE ingest_log SET status = ?, rows_read = ?, rows_kept = ?, "
            "rows_quarantined = ?, rows_duplicate = ?, finished_at = ?, seconds = ?, "
            "message = ? WHERE run_id = ?",
            [
                summary.status,
                summary.rows_read,
                summary.rows_kept,
                summary.rows_quarantined,
                summary.rows_duplicate,
                finished,
                summary.seconds,
                summary.message,
                self.run_id,
            ],
        )

    def _remember_commit(self, replaced: list[str]) -> None:
        """Bring the writer's in-memory manifest, ids and checksums up to this commit."""
        written = pa.concat_tables(self._written) if self._written else _NO_IDS
        self._remember_ids(written)
        for rel in replaced:
            self.writer.parts.pop(rel, None)
        self.writer.parts.update({p.path: p for p in self.parts})
        self.writer.checksums[(self.artifact.source, self.artifact.key)] = self.artifact.checksum

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
