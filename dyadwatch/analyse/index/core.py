"""The dyad index: :func:`dyad_index` and the helpers the other index functions share."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.analyse.index import daily as day_agg
from dyadwatch.analyse.index.measures import compute_series
from dyadwatch.analyse.index.scan import (
    MEASURE_COLUMNS,
    STORY_COLUMNS,
    Scope,
    dyad_events,
    resolve,
)
from dyadwatch.analyse.index.spec import FUSED, IndexSpec, make_spec, period_end, period_start
from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.normalise.story import story_dedupe
from dyadwatch.store.engine import cursor
from dyadwatch.store.store import Snapshot, Store

log = logging.getLogger(__name__)

Output = Literal["arrow", "polars", "pandas"]
OUTPUTS = ("arrow", "polars", "pandas")


def to_frame(table: pa.Table, output: str = "arrow") -> Any:
    """``table`` as Arrow (default), a polars DataFrame, or a pandas DataFrame.

    The pandas frame is Arrow-backed (``pd.ArrowDtype`` columns), so nulls stay nulls and
    dates stay dates. pandas is optional: it is imported only here.

    >>> to_frame(pa.table({"x": [1]}), "polars").shape
    (1, 1)
    """
    if output == "arrow":
        return table
    if output == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if output == "pandas":
        try:
            import pandas as pd
        except ImportError:
            raise UsageError(
                "output='pandas' needs pandas: pip install 'dyadwatch[pandas]'."
            ) from None
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    raise UsageError(f"output {output!r} is not one of {', '.join(OUTPUTS)}.")


class IndexSession:
    """Reuse one DuckDB connection across index calls, keeping the dyad's rows in it.

    Each index function takes a cursor on the process's shared DuckDB database and closes
    it; the store keeps its manifest between calls (:meth:`Store.snapshot`) and the database
    keeps Parquet footers. A session keeps its connection too, and with it the dyad's rows
    of the current parts as a temporary table, for questions the dyad-day aggregate cannot
    answer (a minimum confidence, story deduplication, evidence). A session serves one call
    at a time.

    Examples
    --------
    >>> with IndexSession(store) as session:
    ...     monthly = dyad_index(store, session=session, as_of=date(2021, 1, 19))
    ...     quarterly = dyad_index(store, freq="quarter", session=session, as_of=date(2021, 1, 19))
    >>> monthly["period"].to_pylist()[-1], quarterly["period"].to_pylist()[-1]
    ('2021-01', '2021Q1')
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._con: duckdb.DuckDBPyConnection | None = None

    def snapshot(self) -> Snapshot:
        """The manifest as of the latest commit (the store re-reads it only after a change)."""
        return self.store.snapshot()

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = cursor()
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> IndexSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def session_connection(session: IndexSession | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    if session is not None:
        yield session.connection()
        return
    # A cursor on the process's shared database: its Parquet footer cache outlives the call.
    con = cursor()
    try:
        yield con
    finally:
        con.close()


def snapshot_of(store: Store, session: IndexSession | None) -> Snapshot | None:
    if session is None:
        return None
    if session.store.root != store.root:
        raise UsageError(f"the session is for the store at {session.store.root}, not {store.root}.")
    return session.snapshot()


def prepare_events(con: duckdb.DuckDBPyConnection, scope: Scope, **kw: Any) -> None:
    r"""Load the dyad events in scope into the temporary table ``dy`` of ``con``.

    With ``dedupe='story'`` the rows make one trip through :func:`story_dedupe` (a
    normalise step over Arrow) and come back with merged ``dedupe_group``\ s.
    """
    columns: tuple[str, ...] = MEASURE_COLUMNS + tuple(kw.pop("extra", ()))
    if scope.spec.dedupe == "story":
        columns = tuple(dict.fromkeys(columns + STORY_COLUMNS))
    dyad_events(con, scope, columns, **kw)
    if scope.spec.dedupe == "story":
        merged = story_dedupe(con.sql("SELECT * FROM dy").to_arrow_table()).table
        con.register("_dy_story", merged)
        con.execute("CREATE OR REPLACE TEMP TABLE dy AS SELECT * FROM _dy_story").fetchall()
        con.unregister("_dy_story")


def _bounds(
    con: duckdb.DuckDBPyConnection, scope: Scope, daily: day_agg.Daily | None = None
) -> tuple[date, date] | None:
    spec = scope.spec
    first = scope.since
    last = scope.until
    if daily is None:
        lo, hi = con.sql("SELECT min(event_date), max(event_date) FROM dy").fetchall()[0]
    else:
        sql, params = day_agg.bounds_sql(daily, scope)
        lo, hi = con.sql(sql, params=params).fetchall()[0]
    if first is None:
        if lo is None:
            return None
        first = lo
    if last is None:
        if spec.as_of is not None:
            as_of = spec.as_of.date() if isinstance(spec.as_of, datetime) else spec.as_of
            last = as_of
        else:
            if hi is None:
                return None
            last = hi
    start = period_start(first, spec.freq)
    end = period_start(last, spec.freq)
    if end < start:
        return None
    return start, end


@dataclass(frozen=True, slots=True)
class IndexRun:
    """An index frame with the resolved scope it was computed from."""

    scope: Scope
    table: pa.Table

    def series(self, source: str = FUSED) -> pa.Table:
        """The rows of one series (``fused`` or a source label), in period order."""
        labels = [*self.scope.series, FUSED]
        if source not in labels:
            raise UsageError(
                f"no series {source!r} in this index.{did_you_mean(source, labels)} "
                f"Series: {', '.join(labels)}."
            )
        return self.table.filter(pc.equal(self.table.column("source"), source))


def run_index(
    store: Store,
    spec: IndexSpec,
    snapshot: Snapshot | None = None,
    session: IndexSession | None = None,
) -> IndexRun:
    """Compute the full index frame (every series and the fused one) for a checked spec."""
    scope = resolve(store, spec, snapshot or snapshot_of(store, session))
    with session_connection(session) as con:
        # The dyad-day aggregate answers most specs from a few thousand rows; the rest read
        # the dyad's rows, which a session's connection keeps for its next call.
        daily = day_agg.register(con, scope)
        if daily is None:
            prepare_events(con, scope, cache=session is not None)
        bounds = _bounds(con, scope, daily)
        if bounds is None:
            log.info("index %s: no events in scope and no period bounds given", spec.dyad)
            start = end = date(1970, 1, 1)
            table = compute_series(con, scope, start, end, daily)
            return IndexRun(scope, table.slice(0, 0))
        table = compute_series(con, scope, *bounds, daily)
    return IndexRun(scope, table)


def dyad_index(
    store: Store,
    spec: IndexSpec | None = None,
    *,
    source: str | None = None,
    output: str = "arrow",
    session: IndexSession | None = None,
    **params: Any,
) -> Any:
    """The cooperation–conflict index of a dyad, per source and fused, one row per period.

    Parameters
    ----------
    store
        The store to read.
    spec
        An :class:`IndexSpec`; keyword ``params`` override its fields (``dyad``,
        ``direction``, ``freq``, ``as_of``, ``since``, ``until``, ``sources``, ``dedupe``,
        ``min_confidence``, ``baseline``, ``weights``).
    source
        Only this series (a source label or ``"fused"``); default every series.
    output
        ``arrow`` (default), ``polars`` or ``pandas``.
    session
        An :class:`IndexSession` to reuse across calls (default: open and close per call).

    Returns
    -------
    A frame with the columns of :data:`dyadwatch.analyse.index.measures.COLUMNS`.

    Examples
    --------
    >>> t = dyad_index(store, freq="quarter", as_of=date(2021, 1, 19))
    >>> t.filter(pc.equal(t["source"], "fused"))["period"].to_pylist()[-2:]
    ['2020Q4', '2021Q1']
    """
    checked = make_spec(spec, params)
    run = run_index(store, checked, session=session)
    table = run.series(source) if source is not None else run.table
    return to_frame(table, output)


def period_bounds(start: date, freq: str) -> tuple[date, date]:
    return start, period_end(start, freq)
