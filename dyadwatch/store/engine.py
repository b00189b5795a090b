"""One in-process DuckDB database for reading the store; every reader gets its own cursor.

Opening a DuckDB connection is not free: ``duckdb.connect(":memory:")`` and its ``close()``
cost about 20 ms on the 2-core development machine, more than answering a monthly index from
a cached dyad aggregate. A cursor on an open database costs about 10 µs. So readers share
one in-memory database per process and each takes a cursor (:func:`cursor`), which is a
connection of its own: temporary tables, temporary views and registered Arrow tables are
private to it and vanish when it closes, and cursors may be used from different threads at
once (one cursor per thread).

The database holds nothing persistent — readers create only ``TEMP`` objects — and its
settings are the store's reading settings (:data:`SETTINGS`). After ``fork`` the child gets a
database of its own: a DuckDB instance must not be shared across processes.
"""

from __future__ import annotations

import os
import threading

import duckdb

SETTINGS: tuple[str, ...] = (
    # Store parts are immutable, uniquely named files, so a cached footer cannot go stale;
    # DuckDB also checks each file's modification time before using its cached metadata.
    "SET GLOBAL parquet_metadata_cache = true",
)

_lock = threading.Lock()
_database: tuple[int, duckdb.DuckDBPyConnection] | None = None


def database() -> duckdb.DuckDBPyConnection:
    """This process's shared in-memory database (created on first use, again after fork)."""
    global _database
    pid = os.getpid()
    current = _database
    if current is not None and current[0] == pid:
        return current[1]
    with _lock:
        if _database is None or _database[0] != pid:
            con = duckdb.connect(":memory:")
            for statement in SETTINGS:
                con.execute(statement).fetchall()
            _database = (pid, con)
        return _database[1]


def cursor() -> duckdb.DuckDBPyConnection:
    """A new connection to the shared database; the caller closes it.

    >>> con = cursor()
    >>> con.sql("SELECT 1 + 1").fetchall()
    [(2,)]
    >>> con.close()
    """
    return database().cursor()
