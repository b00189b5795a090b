"""Step ``confidence``: every event has a confidence in [0, 1].

A source that does not rate its events gets its declared default (``Source.default_confidence``;
curated events are rated by their editors). A value outside [0, 1] or NaN sets the row aside.
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
