"""Parquet parts: how rows are split into files, named, read back and upgraded.

A dataset's rows live in immutable Parquet files under ``<store>/<dataset>/source=<name>/``,
by year and month for dated datasets (``events/source=gdelt2/year=2021/month=01/…``). The
paths look like Hive partitions but are never read as such: :func:`parquet` reads exactly
the files the manifest lists, matched by column name, so a part written at an older schema
version reads its missing columns as nulls (and :func:`upgrade_parts` rewrites it).
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dyadwatch.model import DATASETS, PARTITIONED_BY_MONTH
from dyadwatch.normalise.base import StepContext
from dyadwatch.normalise.relation import relation

log = logging.getLogger(__name__)

PARTITION_DATE = {"events": "event_date", "mentions": "known_at"}
"""The column whose year/month names a row's partition, for month-partitioned datasets."""

SORT_EVENTS = [
    ("actor1_country", "ascending"),
    ("actor2_country", "ascending"),
    ("event_date", "ascending"),
]
"""Rows of one country pair sit together, so min/max statistics let a dyad query skip most
row groups of a large file (see bench/index.py)."""


def sql_str(value: str) -> str:
    """``value`` as a SQL string literal.

    >>> sql_str("O'Brien")
    "'O''Brien'"
    """
    return "'" + value.replace("'", "''") + "'"


def parquet(files: Sequence[str], *, filename: bool = False) -> str:
    """A ``read_parquet`` call over exactly these files.

    The store's paths look like Hive partitions (``year=…/month=…``); they are not read as
    columns, so every file yields exactly the dataset's schema (plus, with ``filename``, the
    column ``filename``: the path each row was read from). Files are matched by column name,
    so a part written before a schema version added columns reads them as nulls.

    >>> parquet(["events/a.parquet"])
    "read_parquet(['events/a.parquet'], hive_partitioning = false, union_by_name = true)"
    """
    names = ", ".join(sql_str(f) for f in files)
    extra = ", filename = true" if filename else ""
    return f"read_parquet([{names}], hive_partitioning = false, union_by_name = true{extra})"


def schema_version(schema: pa.Schema) -> str:
    """The ``dyadwatch.schema_version`` a dataset schema declares (model.DATASETS).

    >>> schema_version(DATASETS["mentions"])
    '1'
    """
    version: bytes = (schema.metadata or {}).get(b"dyadwatch.schema_version", b"1")
    return version.decode()


def conform_to(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with every column of ``schema``, in order: missing ones become nulls.

    Reads of parts written before a schema version added columns, and of empty results, go
    through this so every reader sees the current schema.

    >>> conform_to(pa.table({"b": [1]}), pa.schema([("a", pa.string()), ("b", pa.int64())]))
    pyarrow.Table
    a: string
    b: int64
    ----
    a: [[null]]
    b: [[1]]
    """
    columns = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema) if columns else table


def pending_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
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
    pending = pending_versions(con)
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


def part_slug(key: str) -> str:
    """A file-name-safe tail of an artifact key, for part names.

    >>> part_slug("https://example.org/v2/20210115.export.CSV.zip")
    '20210115.export.CSV.zip'
    """
    name = Path(key).name or key
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return cleaned[-60:]


def partitions(
    dataset: str, table: pa.Table, order: Sequence[tuple[str, str]] = ()
) -> Iterator[tuple[tuple[str, int | None, int | None], pa.Table]]:
    """``table`` split into the parts one write produces: by source, and by month if dated.

    Parts come in order of their key; within a part, rows keep their order, or are sorted by
    ``order`` (ascending column names, nulls last, ties in their order: ``Table.sort_by``).
    One stable sort of the whole table by integer codes, then slices: no filter per part.

    >>> from datetime import date
    >>> t = pa.table({"source": ["a", "a", "b"], "event_date": [date(2021, 1, 5)] * 3})
    >>> [(key, part.num_rows) for key, part in partitions("events", t)]
    [(('a', 2021, 1), 2), (('b', 2021, 1), 1)]
    """
    if table.num_rows == 0:
        return
    columns = [table.column("source")]
    if dataset in PARTITIONED_BY_MONTH:
        when = table.column(PARTITION_DATE[dataset])
        columns += [pc.year(when), pc.month(when)]
    for name, direction in order:
        if direction != "ascending":
            raise ValueError(f"parts are sorted ascending, not {direction!r}")
        columns.append(table.column(name))
    codes = [_sort_codes(c) for c in columns]
    # np.lexsort sorts by its last key first, and is stable.
    rows = np.lexsort(codes[::-1])
    ordered = table.take(pa.array(rows))
    keys = np.stack([c[rows] for c in codes[: 3 if dataset in PARTITIONED_BY_MONTH else 1]])
    starts = np.flatnonzero(np.any(keys[:, 1:] != keys[:, :-1], axis=0)) + 1
    bounds = [0, *starts.tolist(), table.num_rows]
    sources = ordered.column("source")
    dated = ordered.column(PARTITION_DATE[dataset]) if dataset in PARTITIONED_BY_MONTH else None
    for lo, hi in itertools.pairwise(bounds):
        part = ordered.slice(lo, hi - lo)
        source = sources[lo].as_py()
        if dated is None:
            yield (source, None, None), part
            continue
        first = dated[lo]
        yield (source, int(pc.year(first).as_py()), int(pc.month(first).as_py())), part


def _sort_codes(column: pa.ChunkedArray | pa.Array) -> Any:
    """Integers (numpy) that order like ``column`` ascending, nulls last (after every value)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
        values = pc.unique(column).drop_null()
        values = values.take(pc.sort_indices(values))
        codes = pc.fill_null(pc.index_in(column, value_set=values), len(values))
        return codes.to_numpy(zero_copy_only=False).astype(np.int64)
    if pa.types.is_date32(kind):
        column = column.view(pa.int32())
    elif pa.types.is_timestamp(kind) or pa.types.is_date64(kind):
        column = column.view(pa.int64())
    if not pa.types.is_integer(column.type):
        raise TypeError(f"cannot order parts by a {kind} column")
    top = np.iinfo(np.int64).max
    return pc.fill_null(pc.cast(column, pa.int64()), top).to_numpy(zero_copy_only=False)
