"""Step ``identity``: the stable ``event_id``, handling and date precision.

``event_id`` is a hash of the source name and the source's own key
(:func:`dyadwatch.model.event_id_for`), so re-ingesting a record gives the same id and the
store can drop the repeat. ``handling`` defaults to ``public``; ``date_precision`` to ``day``.

The ids are computed over the whole column: each distinct source's ``source + "\x1f"`` is
hashed once and that state copied for each key (BLAKE2b of the concatenation, as
:func:`~dyadwatch.model.event_id_for`); the per-row work left is one copy, one update and
one hex digest, which is the floor for a per-row hash in Python.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside

HANDLING = ("public", "sensitive")
PRECISION = ("day", "month", "year")


def event_ids(sources: pa.Array | pa.ChunkedArray, keys: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`~dyadwatch.model.event_id_for` of each (source, key) pair, as a string column.

    Neither column may hold nulls (the ``identity`` step sets aside rows without a key and
    fills the source first).

    >>> from dyadwatch.model import event_id_for
    >>> event_ids(pa.array(["gdelt2", "icews"]), pa.array(["498761245", "1"])).to_pylist() == [
    ...     event_id_for("gdelt2", "498761245"), event_id_for("icews", "1")]
    True
    """
    if len(keys) == 0:
        return pa.array([], pa.string())
    encoded = pc.dictionary_encode(sources)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    # BLAKE2b over ``source \x1f key`` (event_id_for): the state after the source's part is
    # computed once per source and copied for each key.
    starts = [
        hashlib.blake2b(f"{name}\x1f".encode(), digest_size=16)
        for name in encoded.dictionary.to_pylist()
    ]
    raw_keys: list[bytes] = pc.cast(keys, pa.binary()).to_pylist()
    which = encoded.indices.to_pylist() if len(starts) > 1 else [0] * len(raw_keys)
    ids: list[str] = []
    for i, key in zip(which, raw_keys, strict=True):
        h = starts[i].copy()
        h.update(key)
        ids.append(h.hexdigest())
    return pa.array(ids, pa.string())


def identity(table: pa.Table, ctx: StepContext) -> StepResult:
    """Assign ``event_id``; check ``source_key``, ``handling`` and ``date_precision``."""
    result = set_aside(
        table, pc.is_null(table.column("source_key")), "source_key is missing", "source_key"
    )
    table, rejects = result.table, result.rejects
    table = replace_column(table, "source", pc.fill_null(table.column("source"), ctx.source))
    ids = event_ids(table.column("source"), table.column("source_key"))
    table = replace_column(table, "event_id", ids)
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
