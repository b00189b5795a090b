"""Step ``conform``: every canonical column present, each cast to its canonical type.

Missing columns become nulls. A value that cannot be cast (``"2021-13-40"`` as a date, ``"x"``
as a number) sets its row aside with the column and value named; the rest of the column is
kept. Empty strings count as missing.

A column Arrow casts as a whole costs no Python. When one value fails, the failing values of a
number or date column are found by halving (:func:`_cast_finding_bad`: Arrow's cast on ever
smaller slices, then one value at a time), so a file with one bad value in 200,000 is not read
row by row; a date that Arrow's strict ``YYYY-MM-DD`` cast refuses is then read by the Python
rules (``YYYYMMDD``, ISO forms, surrounding space). Timestamps and lists are read by the
Python rules row by row whenever their column does not cast (their rules differ from Arrow's
casts: a bare date is the end of its day, not its midnight).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.model import EVENT_SCHEMA
from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside


def _parse_timestamp(text: str) -> datetime:
    text = text.strip()
    if len(text) == 14 and text.isdigit():  # GDELT DATEADDED, YYYYMMDDHHMMSS
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if len(text) == 8 and text.isdigit():
        return datetime.combine(datetime.strptime(text, "%Y%m%d").date(), time.max, tzinfo=UTC)
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_date(text: str) -> date:
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        return datetime.strptime(text, "%Y%m%d").date()
    return date.fromisoformat(text)


def _cast_rowwise(values: pa.ChunkedArray, target: pa.DataType) -> tuple[pa.Array, list[bool]]:
    out: list[object] = []
    bad: list[bool] = []
    for v in values.to_pylist():
        if v is None or (isinstance(v, str) and not v.strip()):
            out.append(None)
            bad.append(False)
            continue
        try:
            if pa.types.is_timestamp(target) and isinstance(v, str):
                out.append(_parse_timestamp(v))
            elif pa.types.is_date(target) and isinstance(v, str):
                out.append(_parse_date(v))
            elif pa.types.is_list(target) and isinstance(v, str):
                out.append([s.strip() for s in v.split(";") if s.strip()])
            else:
                out.append(pa.scalar(v).cast(target).as_py())
            bad.append(False)
        except (ValueError, TypeError, OverflowError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out.append(None)
            bad.append(True)
    return pa.array(out, type=target), bad


_SLICE_ROWS = 16
"""Below this many rows a failing slice is cast value by value."""


def _castable_in_slices(source: pa.DataType, target: pa.DataType) -> bool:
    """Whether casting a slice is the row-wise rule for each of its values (numbers from
    text or numbers, dates from text)."""
    text = pa.types.is_string(source) or pa.types.is_large_string(source)
    numeric = pa.types.is_integer(source) or pa.types.is_floating(source)
    if pa.types.is_date32(target):
        return bool(text)
    number = pa.types.is_integer(target) or pa.types.is_floating(target)
    return bool((number or pa.types.is_boolean(target)) and (text or numeric))


def _cast_finding_bad(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, list[bool]]:
    """:func:`_cast_rowwise` of a number or date column, without a Python step per row.

    Arrow's cast of a slice either succeeds — each value as ``pa.scalar(v).cast(target)``,
    and for a date the strict ``YYYY-MM-DD``, which reads as ``_parse_date`` does — or fails;
    a failing slice is halved until it is short, then cast value by value, a refused date
    text going through ``_parse_date``.
    """
    pieces: list[pa.Array] = []
    bad = [False] * len(values)
    pending = [(0, len(values))]
    while pending:
        lo, hi = pending.pop()
        part = values.slice(lo, hi - lo)
        try:
            pieces.append(pc.cast(part, target, safe=True))
            continue
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass
        if hi - lo > _SLICE_ROWS:
            mid = (lo + hi) // 2
            pending += [(mid, hi), (lo, mid)]  # popped low half first: pieces stay in order
            continue
        one, flags = _cast_rowwise(part, target)
        pieces.append(one)
        bad[lo:hi] = flags
    return pa.concat_arrays(pieces) if pieces else pa.array([], target), bad


def conform(table: pa.Table, ctx: StepContext) -> StepResult:
    """Add missing canonical columns and cast every column to its canonical type."""
    rejects = []
    for f in EVENT_SCHEMA:
        if f.name not in table.column_names:
            table = table.append_column(f.name, pa.nulls(table.num_rows, f.type))
            continue
        col = table.column(f.name)
        if col.type == f.type:
            continue
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = pc.if_else(pc.equal(pc.utf8_trim_whitespace(col), ""), None, col)
        try:
            cast = pc.cast(col, f.type, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            if _castable_in_slices(col.type, f.type):
                whole = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
                cast, bad = _cast_finding_bad(whole, f.type)
            else:
                cast, bad = _cast_rowwise(col, f.type)
            if any(bad):
                mask = pa.array(bad)
                values = col.filter(mask).to_pylist()
                reasons = [f"{f.name}: cannot read {v!r} as {f.type}" for v in values]
                table = replace_column(table, f.name, cast)
                result = set_aside(table, mask, reasons, f.name)
                table = result.table
                rejects.extend(result.rejects)
                continue
        table = replace_column(table, f.name, cast)
    return StepResult(table, rejects)
