"""Step ``codes``: CAMEO codes checked against the codebook; root, quad class, Goldstein and
PLOVER type filled from it.

A code a spreadsheet has stripped of its leading zero (``12`` for ``012``) is repaired when
the repair is unambiguous (see ``Cameo.normalise_event_code``); any other code not in the
codebook sets its row aside. A row without a code keeps nulls. Values the source supplied
(GDELT's own Goldstein and QuadClass) are kept; the codebook fills only what is missing.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.codebooks import cameo, plover
from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside


def codes(table: pa.Table, ctx: StepContext) -> StepResult:
    """Validate ``cameo_code``; fill ``cameo_root``, ``quad_class``, ``goldstein``, PLOVER."""
    book = cameo()
    raw = table.column("cameo_code")
    # Each distinct code is looked up once; the rows take their answer by index.
    encoded = pc.dictionary_encode(raw)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    known = [book.normalise_event_code(code) for code in encoded.dictionary.to_pylist()]
    fixed = pc.take(pa.array(known, pa.string()), encoded.indices)
    bad = pc.and_(pc.is_valid(raw), pc.is_null(fixed))
    reasons = [
        f"cameo_code {code!r} is not a CAMEO event code" for code in raw.filter(bad).to_pylist()
    ]
    table = replace_column(table, "cameo_code", fixed)
    result = set_aside(table, bad, reasons, "cameo_code")
    table = result.table

    lookup = book.event_table()
    codes_col = table.column("cameo_code")
    idx = pc.index_in(codes_col, value_set=lookup.column("code"))
    for column, target in (
        ("root", "cameo_root"),
        ("quad_class", "quad_class"),
        ("goldstein", "goldstein"),
    ):
        values = pc.take(lookup.column(column), idx)
        values = pc.cast(values, table.schema.field(target).type)
        table = replace_column(table, target, pc.coalesce(table.column(target), values))

    cross = plover().crosswalk_table()
    pidx = pc.index_in(table.column("cameo_code"), value_set=cross.column("cameo_code"))
    for column in ("plover_type", "plover_mode", "plover_context"):
        values = pc.take(cross.column(column), pidx)
        table = replace_column(table, column, pc.coalesce(table.column(column), values))
    return StepResult(table, result.rejects)
