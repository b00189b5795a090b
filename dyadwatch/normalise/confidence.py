"""Steps ``confidence`` (ingest) and ``min_confidence`` (read time): rate events, then filter.

``confidence``, in ``DEFAULT_STEPS``: every event has a confidence in [0, 1]. A source that
does not rate its events gets its declared default (``Source.default_confidence``; curated
events are rated by their editors). A value outside [0, 1] or NaN sets the row aside.

``min_confidence``, applied when events are read (the index's ``min_confidence``, the rules'
``min_confidence`` argument), never at ingest: it keeps the events rated at least a threshold,
a missing rating counting as 0, and drops nothing from the store — raise or lower the
threshold and the same stored events answer again. :func:`min_confidence` applies it to an
Arrow table; :func:`min_confidence_sql` is the same predicate for SQL readers that filter
inside the Parquet scan. Both are switched off by a threshold of 0.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside


def confidence(table: pa.Table, ctx: StepContext) -> StepResult:
    """Default missing confidence; reject values outside [0, 1]."""
    col = table.column("confidence")
    bad = pc.or_(pc.or_(pc.less(col, 0.0), pc.greater(col, 1.0)), pc.is_nan(pc.fill_null(col, 0.0)))
    values = col.filter(pc.fill_null(bad, False)).to_pylist()
    result = set_aside(
        table, bad, [f"confidence {v!r} is outside [0, 1]" for v in values], "confidence"
    )
    table = result.table
    filled = pc.fill_null(
        table.column("confidence"), pa.scalar(ctx.default_confidence, pa.float32())
    )
    return StepResult(replace_column(table, "confidence", filled), result.rejects)


def min_confidence(table: pa.Table, threshold: float) -> StepResult:
    """Keep the events whose confidence is at least ``threshold`` (missing counts as 0).

    A read-time filter: the rows it leaves out are not rejects (nothing is wrong with them),
    so ``rejects`` is empty. ``threshold`` 0 keeps every row.

    >>> t = pa.table({"confidence": pa.array([0.2, None, 0.9], pa.float32())})
    >>> min_confidence(t, 0.5).table.num_rows
    1
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"a minimum confidence is in [0, 1], not {threshold!r}")
    if threshold == 0:
        return StepResult(table)
    # Ratings are stored as float32: compare in float32, so that an event rated 0.7 passes a
    # threshold of 0.7 (as float64, the stored 0.699999988 would fall just short).
    rated = pc.fill_null(pc.cast(table.column("confidence"), pa.float32()), 0.0)
    return StepResult(table.filter(pc.greater_equal(rated, pa.scalar(threshold, pa.float32()))))


def min_confidence_sql(parameter: str = "$min_conf", column: str = "confidence") -> str:
    """:func:`min_confidence` as a SQL predicate over ``column``, the threshold a parameter.

    >>> min_confidence_sql()
    'coalesce(CAST(confidence AS FLOAT), 0) >= CAST($min_conf AS FLOAT)'
    """
    return f"coalesce(CAST({column} AS FLOAT), 0) >= CAST({parameter} AS FLOAT)"
