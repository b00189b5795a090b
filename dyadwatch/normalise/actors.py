"""Step ``actors``: actor countries and agent types are upper-case three-letter codes.

Blank values become null. A country or agent value that is not three letters (a name, a
number, a spreadsheet artefact) sets the row aside: a wrong country silently moves an event
out of (or into) a dyad, which would bias the index.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside

_CODE_COLUMNS = (
    "actor1_country",
    "actor2_country",
    "actor1_agent",
    "actor2_agent",
    "action_country",
)


def actors(table: pa.Table, ctx: StepContext) -> StepResult:
    """Upper-case and check actor country and agent codes."""
    rejects = []
    for column in _CODE_COLUMNS:
        col = pc.utf8_upper(pc.utf8_trim_whitespace(table.column(column)))
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        table = replace_column(table, column, col)
        # Three bytes, all ASCII letters (upper case by now): ``^[A-Z]{3}$`` without a regex.
        ok = pc.and_(pc.equal(pc.binary_length(col), 3), pc.ascii_is_alpha(col))
        bad = pc.and_(pc.is_valid(col), pc.invert(pc.fill_null(ok, False)))
        values = table.column(column).filter(pc.fill_null(bad, False)).to_pylist()
        result = set_aside(
            table, bad, [f"{column} {v!r} is not a three-letter code" for v in values], column
        )
        table = result.table
        rejects += result.rejects
    return StepResult(table, rejects)
