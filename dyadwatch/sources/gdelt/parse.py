"""Parse and validate GDELT bytes: sniff the layout, parse blocks, check ids, dates, numbers.

:func:`sniff` decides a file's layout from its first lines (or refuses the file with a reason
that says what it is instead). :func:`read_block` parses a block of whole lines with Arrow's
CSV reader into string columns, setting aside — with their line numbers and a reason — lines
of the wrong width, empty lines and lines that are not UTF-8. The ``validate_*`` functions
then check the fields the canonical event needs, row by row but vectorised: an id that is not
a number, a date that is not a date, a number that does not parse or does not fit its column's
type, a field longer than any GDELT field (:data:`MAX_FIELD_BYTES`). Each bad row becomes a
:class:`~dyadwatch.sources.base.Reject`; the rest of the block is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from dyadwatch.errors import ArtifactError
from dyadwatch.model import TS
from dyadwatch.sources.base import LINE_COLUMN, PUBLISHED_COLUMN, Reject
from dyadwatch.sources.gdelt.fileio import BLOCK_BYTES, BytesLike
from dyadwatch.sources.gdelt.formats import Format, by_header, by_width, formats
from dyadwatch.sources.tabular import strptime_strict

RAW_LIMIT = 2000
"""Characters of a rejected line kept in the quarantine table."""

SHOWN = 80
"""Characters of a rejected value quoted in its reason."""

MAX_FIELD_BYTES = 1 << 16
"""The longest field a GDELT row may have (64 KiB). The longest real fields, SOURCEURL and
the geographic full names, are a few hundred bytes; a longer one is a damaged or hostile row,
set aside on its own so that the rest of its file is kept."""

ARROW_BLOCK_BYTES = 1 << 20
"""Bytes Arrow's CSV reader parses at a time within a block (its default; a whole 16 MiB
block at once costs about 10 % more CPU)."""

_INTEGER = r"^-?[0-9]+$"
_DECIMAL = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"

# --- sniffing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """How a file is laid out: its format, and whether it is a headered re-export."""

    format: Format
    header: bool = False
    delimiter: str = "\t"


def sniff(head: bytes, name: str) -> Layout:
    """Decide a file's layout from its first bytes; raise :class:`ArtifactError` if none fits.

    Examples
    --------
    >>> sniff(b"<!DOCTYPE html><html>", "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dyadwatch.errors.ArtifactError: an HTML/XML page, not a GDELT file ...
    """
    if not head.strip():
        raise ArtifactError("empty file (nothing but whitespace); download it again.")
    start = head.lstrip()[:200].lower()
    if start.startswith(b"<") or b"<html" in start or b"<!doctype" in start:
        raise ArtifactError(
            "an HTML/XML page, not a GDELT file (the server sent an error page); download it again."
        )
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut mid-line
    first = lines[0].rstrip(b"\r").decode("utf-8", errors="replace")
    for delim in ("\t", ","):
        fmt = by_header(first.split(delim))
        if fmt is not None:
            return Layout(fmt, header=True, delimiter=delim)
    if first.count(";") > 20 and "\t" not in first:
        raise ArtifactError(
            f"semicolon-separated with {first.count(';') + 1} fields — a spreadsheet "
            "export of GDELT (dates such as 2.02E+13 and codes without their leading zeros "
            "cannot be trusted); use the original file from GDELT."
        )
    if first.lower().startswith("date\tsource\ttarget\tcameocode"):
        raise ArtifactError(
            "the GDELT 1.0 'reduced' format (MASTERREDUCEDV2) has no event ids and is "
            "not supported; use the full GDELT 1.0 event files."
        )
    widths: dict[int, int] = {}
    for line in lines[:200]:
        w = line.count(b"\t") + 1
        widths[w] = widths.get(w, 0) + 1
    for w, _ in sorted(widths.items(), key=lambda kv: -kv[1]):
        fmt = by_width(w)
        if fmt is not None:
            return Layout(fmt)
    known = ", ".join(f"{f.width} ({f.name})" for f in formats().values())
    raise ArtifactError(
        f"lines have {sorted(widths)} tab-separated fields; GDELT files have {known}. "
        "Is this a GDELT export?"
    )


# --- parsing one block -----------------------------------------------------------------------


def _raw(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text[:RAW_LIMIT]


def shown(value: Any) -> str:
    """``repr`` of a rejected value for its reason, cut to :data:`SHOWN` characters.

    >>> shown("x" * 100)[-12:]
    '…(100 chars)'
    >>> shown("20180101")
    "'20180101'"
    """
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}…({len(str(value))} chars)"


def _parse(
    data: BytesLike, fmt: Format, fields: Sequence[str], invalid: list[tuple[int | None, int, str]]
) -> pa.Table:
    """Parse tab-separated ``data`` as ``fmt`` into string columns ``fields``."""
    include = [f for f in fields if f in fmt.columns]

    def handler(row: Any) -> str:
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    def read(block_size: int) -> pa.Table:
        return pv.read_csv(
            pa.BufferReader(data),
            read_options=pv.ReadOptions(
                column_names=list(fmt.columns), use_threads=False, block_size=block_size
            ),
            parse_options=pv.ParseOptions(
                delimiter="\t",
                quote_char=False,
                double_quote=False,
                ignore_empty_lines=False,
                invalid_row_handler=handler,
            ),
            convert_options=pv.ConvertOptions(
                include_columns=include,
                column_types={c: pa.string() for c in include},
                null_values=[""],
                strings_can_be_null=True,
                check_utf8=False,  # the block was validated as a whole (parse_block)
            ),
        )

    # Arrow parses in sub-blocks (less CPU than the whole block at once); a line longer than
    # one makes it refuse the data, which are then parsed as one block, as a line of any
    # length must be read (and set aside by validate_sizes if too long).
    try:
        table = read(ARROW_BLOCK_BYTES)
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):
            raise
        invalid.clear()
        table = read(len(data) + 1)
    for f in fields:
        if f not in table.column_names:
            table = table.append_column(f, pa.nulls(table.num_rows, pa.string()))
    return table.select(list(fields))


def _is_utf8(data: BytesLike) -> bool:
    """Whether ``data`` is valid UTF-8 (Arrow's vectorised validation, no copy)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    array = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _split_utf8(data: bytes, numbers: Any) -> tuple[bytes, list[int], list[Reject]]:
    """Drop lines that are not UTF-8; return the rest, the dropped line numbers, the rejects."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    kept: list[bytes] = []
    dropped: list[int] = []
    rejects: list[Reject] = []
    for i, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            number = int(numbers[i])
            dropped.append(number)
            rejects.append(
                Reject(
                    reason=f"not UTF-8 (byte {line[exc.start]:#04x} at offset {exc.start})",
                    line=number,
                    raw=_raw(line),
                )
            )
            continue
        kept.append(line)
    return b"\n".join(kept) + (b"\n" if kept else b""), dropped, rejects


@dataclass(slots=True)
class Block:
    """A parsed block: the table, its rejects, and the lines the parser saw."""

    table: pa.Table
    rejects: list[Reject]
    n_lines: int
    data: BytesLike
    """The bytes parsed (lines that are not UTF-8 removed)."""
    numbers: Any
    """Line number of each line of ``data`` (numpy int64)."""


def read_block(
    data: BytesLike,
    first_line: int,
    layout: Layout,
    fields: Sequence[str],
    numbers: Any = None,
) -> Block:
    """Parse a block of whole lines into a string table of ``fields`` + ``_line``.

    Line numbers are ``first_line``, ``first_line + 1``, … unless ``numbers`` gives each
    line's number (for lines picked out of a larger block). Rows of the format's alternate
    width (GDELT 1.0 files mixing 57 and 58 columns) are parsed with that format; rows of any
    other width, empty lines and lines that are not UTF-8 are rejected.
    """
    fmt = layout.format
    rejects: list[Reject] = []
    invalid: list[tuple[int | None, int, str]] = []
    n_dropped = 0
    if not _is_utf8(data):
        # Find and set aside the lines that are not UTF-8, then parse the rest.
        data = bytes(data)
        n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if numbers is None:
            numbers = np.arange(first_line, first_line + n_lines, dtype=np.int64)
        data, dropped, rejects = _split_utf8(data, numbers)
        numbers = numbers[~np.isin(numbers, np.asarray(dropped, dtype=np.int64))]
        n_dropped = len(dropped)
    try:
        table = _parse(data, fmt, fields, invalid)
    except pa.ArrowInvalid as exc:
        raise ArtifactError(f"cannot parse the block from line {first_line}: {exc}") from None
    # Every line the parser saw is a row or an invalid row (an empty line is a row of nulls).
    n_lines = table.num_rows + len(invalid) + n_dropped
    if numbers is None:
        numbers = np.arange(first_line, first_line + n_lines, dtype=np.int64)
    bad_pos = [int(n) - 1 for n, _, _ in invalid if n is not None]
    valid_numbers = np.delete(numbers, bad_pos) if bad_pos else numbers
    if len(valid_numbers) != table.num_rows:  # the parser did not number some rows
        raise ArtifactError(
            f"lines {int(numbers[0])}–{int(numbers[-1])}: cannot match rows to line numbers."
        )
    table = table.append_column(LINE_COLUMN, pa.array(valid_numbers))
    # Arrow reads an empty line as a row of nulls (a GDELT row always has its id and dates):
    # set those aside as what they are.
    empty_rows = None
    for name in fields:
        col = pc.is_null(table.column(name))
        empty_rows = col if empty_rows is None else pc.and_(empty_rows, col)
    if empty_rows is not None and pc.any(empty_rows).as_py():
        empty = table.filter(empty_rows).column(LINE_COLUMN).to_pylist()
        table = table.filter(pc.invert(empty_rows))
        rejects.extend(Reject(reason="empty line", line=n, raw="") for n in empty)
    alt = formats()[fmt.alternate] if fmt.alternate else None
    alt_lines: list[str] = []
    alt_numbers: list[int] = []
    for pos, width, text in invalid:
        number = int(numbers[pos - 1]) if pos is not None else None
        if alt is not None and width == alt.width and number is not None:
            alt_lines.append(text)
            alt_numbers.append(number)
            continue
        expected = f"{fmt.width}" + (f" or {alt.width}" if alt else "")
        reason = (
            "empty line"
            if width <= 1 and not text.strip()
            else f"{width} field(s), expected {expected} ({fmt.name}): ragged or truncated row"
        )
        rejects.append(Reject(reason=reason, line=number, raw=_raw(text)))
    if alt is not None and alt_lines:
        alt_invalid: list[tuple[int | None, int, str]] = []
        extra = _parse(("\n".join(alt_lines) + "\n").encode("utf-8"), alt, fields, alt_invalid)
        extra = extra.append_column(LINE_COLUMN, pa.array(alt_numbers, pa.int64()))
        table = pa.concat_tables([table, extra]).sort_by(LINE_COLUMN)
    return Block(table, rejects, n_lines, data, numbers)


def parse_block(
    data: BytesLike, first_line: int, layout: Layout, fields: Sequence[str]
) -> tuple[pa.Table, list[Reject], int]:
    """:func:`read_block` as (table, rejects, number of lines)."""
    block = read_block(data, first_line, layout, fields)
    return block.table, block.rejects, block.n_lines


def pick_lines(block: Block, wanted: Any) -> tuple[bytes, Any]:
    """The lines of ``block`` whose numbers are in ``wanted`` (sorted), and their numbers.

    Used to parse every column of the few rows the dyad filter keeps, after the whole block
    was parsed for only the columns the filter and the volume counts need.
    """
    wanted = np.asarray(wanted, dtype=np.int64)
    positions = np.searchsorted(block.numbers, wanted)
    ends = np.flatnonzero(np.frombuffer(block.data, dtype=np.uint8) == 10)
    if len(ends) < len(block.numbers):
        ends = np.append(ends, len(block.data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    data = block.data
    picked = b"\n".join(data[starts[p] : ends[p]] for p in positions.tolist()) + b"\n"
    return picked, wanted


def parse_headered(fh: IO[bytes], layout: Layout, fields: Sequence[str]) -> Iterator[pa.Table]:
    """A re-export with a header row (quoted CSV): stream it in record batches."""
    fmt = layout.format
    include = [f for f in fields if f in fmt.columns]
    invalid: list[tuple[int | None, int, str]] = []

    def handler(row: Any) -> str:
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    try:
        reader = pv.open_csv(
            fh,
            read_options=pv.ReadOptions(
                column_names=list(fmt.columns),
                skip_rows=1,
                use_threads=False,
                # A record must fit in one block: as large a block as a plain file's, so a
                # long field is checked by size (validate_sizes) rather than failing here.
                block_size=BLOCK_BYTES,
            ),
            parse_options=pv.ParseOptions(
                delimiter=layout.delimiter,
                newlines_in_values=True,
                invalid_row_handler=handler,
            ),
            convert_options=pv.ConvertOptions(
                include_columns=include,
                column_types={c: pa.string() for c in include},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
        record = 2
        for batch in reader:
            table = pa.Table.from_batches([batch])
            for f in fields:
                if f not in table.column_names:
                    table = table.append_column(f, pa.nulls(table.num_rows, pa.string()))
            table = table.select(list(fields))
            numbers = pa.array(np.arange(record, record + table.num_rows, dtype=np.int64))
            record += table.num_rows
            yield table.append_column(LINE_COLUMN, numbers)
    except pa.ArrowInvalid as exc:
        raise ArtifactError(f"cannot parse this re-export ({exc}).") from None
    if invalid:
        raise ArtifactError(
            f"{len(invalid)} record(s) of this re-export have the wrong number of fields "
            f"(first: record {invalid[0][0]}, {invalid[0][1]} fields)."
        )


# --- validating ------------------------------------------------------------------------------


def _check(
    table: pa.Table,
    bad: Any,
    reason: Callable[[Any], str],
    column: str,
    source_column: str,
    rejects: list[Reject],
) -> pa.Table:
    """Set aside the rows where ``bad`` holds, each with ``reason(value of source_column)``."""
    bad = pc.fill_null(bad, False)
    if not pc.any(bad).as_py():
        return table
    rows = table.filter(bad)
    values = rows.column(source_column).to_pylist()
    lines = rows.column(LINE_COLUMN).to_pylist()
    for v, line in zip(values, lines, strict=True):
        rejects.append(Reject(reason=reason(v), line=line, column=column, raw=None))
    return table.filter(pc.invert(bad))


def timestamp_14_or_8(col: Any) -> Any:
    """GDELT 2.0 stamps (YYYYMMDDHHMMSS) as they are; 1.0 dates (YYYYMMDD) → end of that day.

    >>> timestamp_14_or_8(pa.array(["20180101001500", "20130401", "x"])).to_pylist()[2] is None
    True
    """
    full = strptime_strict(col, "%Y%m%d%H%M%S", "us")
    day = strptime_strict(col, "%Y%m%d", "us")
    end_of_day = pc.cast(
        pc.add(pc.cast(day, pa.int64()), pa.scalar(86_400_000_000 - 1, pa.int64())),
        pa.timestamp("us"),
    )
    ts = pc.if_else(pc.equal(pc.utf8_length(col), 14), full, end_of_day)
    return pc.cast(ts, TS)


def validate_day(table: pa.Table, rejects: list[Reject]) -> pa.Table:
    """Reject rows whose SQLDATE is not a date; add the typed ``_day`` column."""
    day = pc.cast(
        strptime_strict(table.column("SQLDATE"), "%Y%m%d"),
        pa.date32(),
    )
    table = table.append_column("_day", day)
    return _check(
        table,
        pc.is_null(table.column("_day")),
        lambda v: f"SQLDATE {shown(v)} is not a date YYYYMMDD",
        "event_date",
        "SQLDATE",
        rejects,
    )


def validate_keys(table: pa.Table, kind: str, rejects: list[Reject]) -> pa.Table:
    """Reject rows whose id or dates are not GDELT's; add typed ``_day`` / ``_known`` columns
    (and, for events, ``_published``: DATEADDED before ``_known`` is raised to the day)."""
    key = table.column("GLOBALEVENTID")
    table = _check(
        table,
        pc.invert(pc.fill_null(pc.match_substring_regex(key, r"^[0-9]+$"), False)),
        lambda v: (
            "GLOBALEVENTID is missing" if v is None else f"GLOBALEVENTID {shown(v)} is not a number"
        ),
        "source_key",
        "GLOBALEVENTID",
        rejects,
    )
    stamp_field = "DATEADDED" if kind == "events" else "MentionTimeDate"
    known = timestamp_14_or_8(table.column(stamp_field))
    table = table.append_column("_known", known)
    table = _check(
        table,
        pc.is_null(table.column("_known")),
        lambda v: f"{stamp_field} {shown(v)} is not YYYYMMDDHHMMSS or YYYYMMDD",
        "known_at",
        stamp_field,
        rejects,
    )
    if kind == "events":
        table = validate_day(table, rejects)
        # DATEADDED as it is, the row's publication time: the ranges step sets aside an event
        # dated more than a day after it (an event cannot be reported before it happens).
        table = table.append_column(PUBLISHED_COLUMN, table.column("_known"))
        # GDELT dates an event by the local calendar of its story, so an event can be dated
        # the day after its DATEADDED (UTC). It was not public before its own day began:
        # known_at is never earlier than that, which keeps point-in-time queries honest.
        day_start = pc.cast(pc.cast(table.column("_day"), pa.timestamp("us")), pa.int64())
        known_us = pc.cast(table.column("_known"), pa.int64())
        known = pc.cast(pc.cast(pc.max_element_wise(known_us, day_start), pa.timestamp("us")), TS)
        table = table.set_column(table.column_names.index("_known"), "_known", known)
    return table


def integer_bounds(target: pa.DataType) -> tuple[int, int]:
    """The smallest and largest value of an Arrow integer type.

    >>> integer_bounds(pa.int32())
    (-2147483648, 2147483647)
    """
    bits = target.bit_width
    if pa.types.is_signed_integer(target):
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def validate_numbers(
    table: pa.Table, fields: Mapping[str, pa.DataType], rejects: list[Reject]
) -> pa.Table:
    """Reject rows whose numeric ``fields`` (name → the canonical type) do not parse or fit.

    An integer field must be a whole number within its type (NumMentions 99999999999999 does
    not fit the canonical int32, and casting it would fail the whole block); a decimal field
    must be a decimal number. Range checks on the *values* (a Goldstein score within ±10) are
    the normalise steps' business, not the reader's.

    Examples
    --------
    >>> t = pa.table({"NumMentions": ["4", "99999999999999", "x"], LINE_COLUMN: [1, 2, 3]})
    >>> rejects: list[Reject] = []
    >>> validate_numbers(t, {"NumMentions": pa.int32()}, rejects).num_rows
    1
    >>> [r.reason for r in rejects]  # doctest: +NORMALIZE_WHITESPACE
    ["NumMentions 'x' is not a number",
     "NumMentions '99999999999999' is out of range for int32 (-2147483648…2147483647)"]
    """
    for name, target in fields.items():
        col = table.column(name)
        integer = pa.types.is_integer(target)
        ok = pc.match_substring_regex(col, _INTEGER if integer else _DECIMAL)
        bad = pc.and_(pc.is_valid(col), pc.invert(pc.fill_null(ok, False)))
        table = _check(
            table,
            bad,
            lambda v, name=name: f"{name} {shown(v)} is not a number",  # type: ignore[misc]
            name,
            name,
            rejects,
        )
        if not integer:
            continue
        lo, hi = integer_bounds(target)
        # Exact for every type up to 32 bits (float64 holds their bounds exactly), and a
        # digit string of any length becomes a float (1e30) rather than an overflow.
        value = pc.cast(table.column(name), pa.float64())
        outside = pc.or_(pc.less(value, float(lo)), pc.greater(value, float(hi)))
        table = _check(
            table,
            outside,
            lambda v, name=name, t=target, lo=lo, hi=hi: (  # type: ignore[misc]
                f"{name} {shown(v)} is out of range for {t} ({lo}…{hi})"
            ),
            name,
            name,
            rejects,
        )
    return table


def validate_sizes(table: pa.Table, fields: Sequence[str], rejects: list[Reject]) -> pa.Table:
    """Reject rows with a field longer than :data:`MAX_FIELD_BYTES`, one reason per row.

    Examples
    --------
    >>> t = pa.table({"SOURCEURL": ["http://a", "x" * (MAX_FIELD_BYTES + 1)], LINE_COLUMN: [1, 2]})
    >>> rejects: list[Reject] = []
    >>> validate_sizes(t, ["SOURCEURL"], rejects).num_rows, rejects[0].line
    (1, 2)
    """
    for name in fields:
        length = pc.binary_length(table.column(name))
        table = _check(
            table,
            pc.greater(length, MAX_FIELD_BYTES),
            lambda v, name=name: (  # type: ignore[misc]
                f"{name} is {len(v.encode('utf-8'))} bytes, longer than any GDELT field "
                f"(limit {MAX_FIELD_BYTES}): a damaged row"
            ),
            name,
            name,
            rejects,
        )
    return table


def edge_stamps(data: BytesLike, fmt: Format) -> list[str]:
    """DATEADDED of the first and last well-formed lines of a block.

    GDELT writes one DATEADDED per file (the 15-minute stamp of a 2.0 export, the day of a
    1.0 file), so the volume's ``known_at`` needs no more than these and the kept rows' —
    and the first pass need not read the column for every row.
    """
    index = fmt.columns.index("DATEADDED")
    widths = {fmt.width, *([formats()[fmt.alternate].width] if fmt.alternate else [])}
    head = bytes(data[: 1 << 16]).split(b"\n")[:-1]
    tail = bytes(data[-(1 << 16) :]).split(b"\n")[1:]
    out = []
    for lines in (head, reversed(tail)):
        for line in lines:
            fields = line.split(b"\t")
            value = fields[index] if len(fields) in widths else b""
            if value.isdigit() and len(value) in (8, 14):
                out.append(value.decode("ascii"))
                break
    return out
