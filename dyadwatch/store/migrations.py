"""The catalog's schema, as an ordered list of migrations recorded in the catalog itself.

Each migration runs once, in order, inside the transaction that records it in
``migrations``. Add a migration; never edit an applied one.
"""

from __future__ import annotations

from typing import NamedTuple


class Migration(NamedTuple):
    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "catalog: meta, ingest log, parts manifest, quarantine",
        """
        CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
        CREATE TABLE ingest_log (
            run_id VARCHAR PRIMARY KEY,
            source VARCHAR NOT NULL,
            artifact VARCHAR NOT NULL,
            checksum VARCHAR NOT NULL,
            status VARCHAR NOT NULL,          -- running | done | failed | interrupted
            rows_read BIGINT,
            rows_kept BIGINT,
            rows_quarantined BIGINT,
            rows_duplicate BIGINT,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            seconds DOUBLE,
            message VARCHAR
        );
        CREATE TABLE parts (
            path VARCHAR PRIMARY KEY,         -- relative to the store root
            dataset VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            artifact_source VARCHAR NOT NULL,
            artifact VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            year INTEGER,
            month INTEGER,
            rows BIGINT NOT NULL
        );
        CREATE TABLE quarantine (
            run_id VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            artifact VARCHAR NOT NULL,
            line BIGINT,
            "column" VARCHAR,
            reason VARCHAR NOT NULL,
            raw VARCHAR,
            quarantined_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    Migration(
        2,
        "release register: one row per partner release copy",
        """
        CREATE TABLE releases (
            copy_id VARCHAR PRIMARY KEY,      -- 16 hex characters, printed on every row
            recipient VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            as_of DATE NOT NULL,
            dyad VARCHAR NOT NULL,
            events BIGINT NOT NULL,           -- events released
            withheld BIGINT NOT NULL,         -- sensitive-handling events left out
            dropped_fields VARCHAR NOT NULL,  -- comma-separated
            manifest_sha256 VARCHAR NOT NULL,
            path VARCHAR NOT NULL             -- where the package was written
        );
        """,
    ),
    Migration(
        3,
        "dataset schema versions: parts written at an older version are upgraded by the writer",
        """
        -- One row per dataset whose stored parts all carry its current schema version
        -- (model.DATASETS metadata). The writer rewrites older parts, adding the new columns
        -- as nulls, then records the version here (Writer.prepare, parts.upgrade_parts).
        CREATE TABLE dataset_versions (dataset VARCHAR PRIMARY KEY, version VARCHAR NOT NULL);
        """,
    ),
    Migration(
        4,
        "quarantine history: an entry is resolved when its artifact is later ingested",
        """
        -- A quarantine entry stays in the table as history; the commit of a later version of
        -- the same artifact marks every earlier unresolved entry of it resolved
        -- (store.writer: ArtifactRun.commit). Readers show open entries: resolved_at IS NULL.
        ALTER TABLE quarantine ADD COLUMN resolved_at TIMESTAMPTZ;
        ALTER TABLE quarantine ADD COLUMN resolved_by VARCHAR;  -- run_id of that ingest
        """,
    ),
)

LATEST = MIGRATIONS[-1].version
