"""The dyad-day aggregate: the index's sums per series, event day and day made public.

Every measure of the index is built from sums over the events a period counts — events,
events before deduplication, counts by quad class, Goldstein sums — and from the volume
denominators, also sums. Those sums can be taken once per *day* and added up per period on
demand, as long as a day's row says which events an "as of" cut-off keeps. So the aggregate
is keyed by (series, ``event_date``, ``known_day``), where ``known_day`` is the UTC day of
``known_at``: an index as of day D adds the rows with ``known_day <= D``, which is exactly
``known_at <= end_of_day(D)``, the rule :func:`~dyadwatch.model.as_of_timestamp` applies.

Deduplication survives the summing. Within a Phoenix group the representative is the member
first made public (:data:`~dyadwatch.analyse.index.scan.REPRESENTATIVE`), so the members
an "as of" cut-off keeps are always the first ones in that order and include the
representative whenever they include anyone. Each row therefore carries two counts: ``n``
and the measures over representatives (counted on the representative's ``known_day``), and
``n_raw`` over every member (counted on its own ``known_day``). That holds while every
group lies on one ``event_date`` — true of Phoenix groups by construction (the day is part
of the key) but not of groups merged across days by story deduplication at ingest, so the
aggregate records whether it holds and answers deduplicated questions only when it does.

Which questions it answers (:func:`answers`): deduplication ``phoenix`` or ``none``, no
minimum confidence, and an "as of" that is a day (or the last microsecond of one). Anything
else — a minimum confidence, story deduplication, an instant in the middle of a day, the
evidence behind a value — goes to the rows (:func:`~dyadwatch.analyse.index.scan.dyad_events`).

The aggregate is computed from the dyad slice of the current parts (scan.py) once per store
version, written beside the slice in ``<store>/cache/index`` (content-addressed: a commit
makes a new name) and kept in memory by the process. On the benchmark store (20M events, a
dyad of 47k rows) it has a few thousand rows, and a monthly ten-year index reads only them.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dyadwatch.analyse.index import scan
from dyadwatch.analyse.index.scan import (
    MEASURE_COLUMNS,
    REPRESENTATIVE,
    Scope,
    digest,
    disk_slice,
    drop_older,
    event_sums,
    files_digest,
    label_case,
    pairs_of,
    resolve,
    slice_columns,
    slice_select,
    slice_shape,
    temporary_beside,
)
from dyadwatch.analyse.index.spec import IndexSpec, make_spec
from dyadwatch.errors import AnalysisError, UsageError
from dyadwatch.model import end_of_day
from dyadwatch.store.engine import cursor
from dyadwatch.store.parts import parquet, sql_str
from dyadwatch.store.store import Store

VERSION = 1
"""Bumped whenever the aggregate's definition changes, so older cache files are not read."""

EXACT_KEY = b"dyadwatch.groups_within_a_day"
"""Parquet metadata key: whether every dedupe group lies on one event date."""

MEMORY_ENTRIES = 16
"""How many aggregates a process keeps in memory (each is small: days × publication days)."""


@dataclass(frozen=True, slots=True)
class Daily:
    """The aggregates registered on a connection for one scope."""

    events: str
    """Relation of per-day event sums (see :func:`_events_sql` for its columns)."""
    volume: str | None
    """Relation of per-day volume sums for the two countries (None: no volume recorded)."""


def as_of_day(spec: IndexSpec) -> date | None:
    """The last ``known_day`` an index may count, or None for no cut-off."""
    as_of = spec.as_of
    if as_of is None:
        return None
    if isinstance(as_of, datetime):
        day = as_of.date()
        return day if as_of == end_of_day(day) else None
    return as_of


_from_rows: ContextVar[bool] = ContextVar("dyadwatch_index_from_rows", default=False)


@contextmanager
def rows_only() -> Iterator[None]:
    """Within this context, compute every index from the dyad's rows, not the aggregate.

    The aggregate must give the same frames as the rows it sums; this is how the tests check
    that, and how ``bench/index.py`` times the rows' path. It is scoped to the current
    context (thread or task), so it changes nothing for other callers.

    >>> spec = IndexSpec().checked()
    >>> with rows_only():
    ...     answers(spec)
    False
    >>> answers(spec)
    True
    """
    token = _from_rows.set(True)
    try:
        yield
    finally:
        _from_rows.reset(token)


def answers(spec: IndexSpec) -> bool:
    """Whether the aggregate answers ``spec`` exactly (else the index reads rows)."""
    if _from_rows.get() or spec.dedupe not in ("phoenix", "none") or spec.min_confidence > 0:
        return False
    return spec.as_of is None or as_of_day(spec) is not None


# --- building ---------------------------------------------------------------------------------


def _events_sql(scope: Scope, source: str) -> str:
    """Per (series, event day, publication day): representatives' sums and all members' count.

    ``rep`` marks the one event a Phoenix group counts; rows without a group count alone.
    """
    return f"""
WITH s AS (
  SELECT {label_case(scope.labels)} AS src, event_date, known_at,
    CAST(timezone('UTC', known_at) AS DATE) AS known_day, quad_class, goldstein, dedupe_group
  FROM {source}
),
r AS (
  SELECT *, dedupe_group IS NULL OR row_number() OVER (
    PARTITION BY src, dedupe_group ORDER BY {REPRESENTATIVE}
  ) = 1 AS rep
  FROM s
)
SELECT src, event_date, known_day,
  count(*) FILTER (WHERE rep) AS n_rep,
  count(*) AS n_all,
  {event_sums("rep", "_rep")},
  {event_sums(suffix="_all")}
FROM r
GROUP BY ALL
ORDER BY src, event_date, known_day
"""


def _within_a_day(con: duckdb.DuckDBPyConnection, scope: Scope, source: str) -> bool:
    """Whether every dedupe group of each series lies on a single event date."""
    spread = con.sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE dedupe_group IS NOT NULL "
        f"GROUP BY {label_case(scope.labels)}, dedupe_group "
        "HAVING min(event_date) <> max(event_date))"
    ).fetchall()
    return spread[0][0] == 0


def _volume_sql(scope: Scope) -> str:
    a, b = scope.spec.countries
    countries = ", ".join(sql_str(c) for c in dict.fromkeys((a, b)))
    return (
        f"SELECT {label_case(scope.labels)} AS src, country, day, "
        "CAST(timezone('UTC', known_at) AS DATE) AS known_day, sum(events)::BIGINT AS events "
        f"FROM {parquet(scope.volume_files)} WHERE country IN ({countries}) "
        "GROUP BY ALL ORDER BY src, country, day, known_day"
    )


_memory: OrderedDict[str, pa.Table] = OrderedDict()
_memory_lock = threading.Lock()


def _remember(key: str, table: pa.Table) -> pa.Table:
    with _memory_lock:
        _memory[key] = table
        _memory.move_to_end(key)
        while len(_memory) > MEMORY_ENTRIES:
            _memory.popitem(last=False)
    return table


def _recall(key: str) -> pa.Table | None:
    with _memory_lock:
        table = _memory.get(key)
        if table is not None:
            _memory.move_to_end(key)
        return table


def _cached(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    kind: str,
    shape: object,
    files: tuple[str, ...],
    build: Callable[[], pa.Table],
) -> pa.Table:
    """The aggregate ``kind`` of these exact files: from memory, the store's cache, or built.

    The name hashes the aggregate's definition and the exact part list, so a commit (new
    parts) gives a new name and no stale aggregate is ever read. A cache that cannot be
    written (a read-only store) only costs the next process a rebuild.
    """
    definition = digest((VERSION, shape))
    name = f"{kind}-{definition}-{files_digest(files)}.parquet"
    where = scope.cache_dir
    key = str((where or Path("<memory>")) / name)
    table = _recall(key)
    if table is not None:
        return table
    path = where / name if where is not None else None
    if path is not None and path.exists():
        with contextlib.suppress(OSError, pa.ArrowInvalid):
            return _remember(key, pq.read_table(path))
    table = build()
    if path is not None and len(scope.slice_files) >= scan.SLICE_MIN_FILES:
        tmp = temporary_beside(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        else:
            drop_older(path, f"{kind}-{definition}")
    return _remember(key, table)


def events_table(con: duckdb.DuckDBPyConnection, scope: Scope) -> pa.Table:
    """The per-day event aggregate of ``scope``'s dyad and series (built once per version)."""
    pairs = pairs_of(scope.spec)
    columns = slice_columns(MEASURE_COLUMNS)
    files = scope.slice_files or scope.event_files

    def build() -> pa.Table:
        on_disk = disk_slice(con, scope, pairs, columns)
        source = on_disk or f"({slice_select(files, pairs, columns)})"
        table = con.sql(_events_sql(scope, source)).to_arrow_table()
        exact = _within_a_day(con, scope, source)
        meta = {EXACT_KEY: b"true" if exact else b"false"}
        return table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})

    shape = ("events", pairs, sorted(scope.labels.items()), slice_shape(pairs, columns))
    return _cached(con, scope, "daily", shape, files, build)


def volume_table(con: duckdb.DuckDBPyConnection, scope: Scope) -> pa.Table:
    """The per-day volume of the dyad's two countries, per series (built once per version)."""
    shape = ("volume", scope.spec.countries, sorted(scope.labels.items()))

    def build() -> pa.Table:
        return con.sql(_volume_sql(scope)).to_arrow_table()

    return _cached(con, scope, "volume", shape, scope.volume_files, build)


def register(con: duckdb.DuckDBPyConnection, scope: Scope) -> Daily | None:
    """Register the aggregates for ``scope`` on ``con``; None when they cannot answer it."""
    if not answers(scope.spec) or not scope.event_files:
        return None
    events = events_table(con, scope)
    exact = (events.schema.metadata or {}).get(EXACT_KEY) == b"true"
    if scope.spec.dedupe == "phoenix" and not exact:
        return None
    con.register("dday", events)
    volume = None
    if scope.volume_files:
        con.register("vday", volume_table(con, scope))
        volume = "vday"
    return Daily("dday", volume)


# --- querying ---------------------------------------------------------------------------------


def _filters(scope: Scope, day: str) -> tuple[list[str], dict[str, object]]:
    where: list[str] = []
    params: dict[str, object] = {}
    if scope.since is not None:
        where.append(f"{day} >= $d_lo")
        params["d_lo"] = scope.since
    if scope.until is not None:
        where.append(f"{day} <= $d_hi")
        params["d_hi"] = scope.until
    cut = as_of_day(scope.spec)
    if cut is not None:
        where.append("known_day <= $d_cut")
        params["d_cut"] = cut
    return where, params


def agg_sql(daily: Daily, scope: Scope, unit: str) -> tuple[str, dict[str, object]]:
    """The index's ``agg`` relation (per series and period) from the per-day aggregate."""
    kind = "rep" if scope.spec.dedupe == "phoenix" else "all"
    where, params = _filters(scope, "event_date")
    sums = ", ".join(f"sum({c}_{kind})::BIGINT AS {c}" for c in ("n", "vc", "mc", "vk", "mk", "ng"))
    sql = (
        f"SELECT src, CAST(date_trunc('{unit}', event_date) AS DATE) AS ps, {sums}, "
        "sum(n_all)::BIGINT AS n_raw, "
        f"sum(gsum_{kind}) AS gsum, sum(gpos_{kind}) AS gpos, sum(gneg_{kind}) AS gneg "
        f"FROM {daily.events} {'WHERE ' + ' AND '.join(where) if where else ''} "
        f"GROUP BY ALL HAVING sum(n_{kind}) > 0"
    )
    return sql, params


def vol_sql(daily: Daily, scope: Scope, unit: str) -> tuple[str, dict[str, object]]:
    """The index's ``vol`` relation (denominators per series and period) from the aggregate."""
    a, b = scope.spec.countries
    where, params = _filters(scope, "day")
    params.update({"va": a, "vb": b})
    sql = (
        f"SELECT src, CAST(date_trunc('{unit}', day) AS DATE) AS ps, "
        "sum(events) FILTER (WHERE country = $va) AS vol_a, "
        "sum(events) FILTER (WHERE country = $vb) AS vol_b "
        f"FROM {daily.volume} {'WHERE ' + ' AND '.join(where) if where else ''} GROUP BY ALL"
    )
    return sql, params


def bounds_sql(daily: Daily, scope: Scope) -> tuple[str, dict[str, object]]:
    """First and last event date the spec counts (for an index without period bounds)."""
    where, params = _filters(scope, "event_date")
    only = f"WHERE {' AND '.join(where)}" if where else ""
    return f"SELECT min(event_date), max(event_date) FROM {daily.events} {only}", params


def warm(store: Store, dyads: Sequence[str]) -> dict[str, float]:
    """Build the aggregates of ``dyads`` (both directions, every source) for the current parts.

    Called after an ingest commits, so that the first index question after it does not pay
    for the build (about 0.3 s on the 20M-event benchmark store). Returns seconds per dyad
    built; a dyad the store holds no events for is skipped.
    """
    took: dict[str, float] = {}
    snapshot = store.snapshot()
    for dyad in dyads:
        t0 = time.perf_counter()
        try:
            scope = resolve(store, make_spec(None, {"dyad": dyad}), snapshot)
        except (AnalysisError, UsageError):
            continue
        con = cursor()
        try:
            if register(con, scope) is not None:
                took[dyad] = time.perf_counter() - t0
        finally:
            con.close()
    return took
