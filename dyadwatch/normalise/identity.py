"""Step ``identity``: the stable ``event_id``, handling and date precision.

``event_id`` is a hash of the source name and the source's own key
(:func:`dyadwatch.model.event_id_for`), so re-ingesting a record gives the same id and the
store can drop the repeat. ``handling`` defaults to ``public``; ``date_precision`` to ``day``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.model import event_id_for
from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside

HANDLING = ("public", "sensitive")
PRECISION = ("day", "month", "year")


def identity(table: pa.Table, ctx: StepContext) -> StepResult:
    """Assign ``event_id``; check ``source_key``, ``handling`` and ``date_precision``."""
    result = set_aside(
        table, pc.is_null(table.column("source_key")), "source_key is missing", "source_key"
    )
    table, rejects = result.table, result.rejects
    table = replace_column(table, "source", pc.fill_null(table.column("source"), ctx.source))
    ids = [
        event_id_for(s, k)
        for s, k in zip(
            table.column("source").to_pylist(), table.column("source_key").to_pylist(), strict=True
        )
    ]
    table = replace_column(table, "event_id", pa.array(ids, type=pa.string()))
    for column, allowed, default in (
        ("handling", HANDLING, "public"),
        ("date_precision", PRECISION, "day"),
    ):
        col = pc.fill_null(pc.utf8_lower(table.column(column)), default)
        table = replace_column(table, column, col)
        bad = pc.invert(pc.is_in(col, value_set=pa.array(allowed)))
        values = col.filter(bad).to_pylist()
        result = set_aside(
            table,
            bad,
            [f"{column} {v!r} is not one of {', '.join(allowed)}" for v in values],
            column,
        )
        table = result.table
        rejects += result.rejects
    return StepResult(table, rejects)
