"""Read one GDELT file — zipped or not, any of the four formats — into canonical Arrow chunks.

A plain file is memory-mapped and a zip member streamed, in blocks of about
:data:`BLOCK_BYTES` cut at line ends; each block is checked for UTF-8 as a whole and parsed by
Arrow's CSV reader (typed columns, no Python loop over rows). With a dyad filter, the first
pass reads only the columns the filter and the volume counts need (SQLDATE and the two actor
countries); the few rows kept are then cut out of the block and parsed in full. Memory is
bounded by the block size plus the rows kept.

What the reader sets aside, with its line number and a reason (the rest of the file is read):

- a line with the wrong number of fields (ragged or truncated), an empty line, a line that is
  not UTF-8 (GDELT 1.0 extracts that mix 57- and 58-column rows are read as both);
- a row whose SQLDATE is not a date (every row: the volume counts need its day);
- a kept row whose GLOBALEVENTID, DATEADDED or numeric field does not parse. (Rows the
  filter drops are not stored, so only their width and SQLDATE are checked.)

What fails the whole file (:class:`~dyadwatch.errors.ArtifactError`; the pipeline quarantines
it and goes on): an empty file, an HTML/XML page served in place of a file, a zip that is
truncated, corrupt or fails its CRC, a semicolon-separated spreadsheet export, the old
"reduced" format, and lines whose width matches no GDELT format.

Before filtering, every row with the right width and a valid SQLDATE is counted per day
(SQLDATE) and actor country into the ``volume`` dataset — the denominators the index uses to
correct for media volume; an event naming two countries counts once for each, and once under
``*`` (the total).

Dates: ``known_at`` is DATEADDED (a GDELT 2.0 15-minute stamp, or a GDELT 1.0 day, taken as
its end), never earlier than the start of the event's own day (GDELT dates events by the
local calendar of the story).
"""

from __future__ import annotations

import contextlib
import io
import logging
import mmap
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from dyadwatch.errors import ArtifactError
from dyadwatch.model import EVENT_SCHEMA, MENTION_SCHEMA, TS, VOLUME_SCHEMA, event_id_for
from dyadwatch.sources.base import LINE_COLUMN, Chunk, Reject
from dyadwatch.sources.gdelt.formats import Format, by_header, by_width, formats

log = logging.getLogger(__name__)

BLOCK_BYTES = 16 << 20
"""Bytes parsed at a time (cut at a line end): the reader's memory bound, with the kept rows."""

FLUSH_ROWS = 200_000
"""Kept rows accumulated before a chunk is yielded (matters only without a dyad filter)."""

RAW_LIMIT = 2000
"""Characters of a rejected line kept in the quarantine table."""

EVENT_FIELDS = (
    "GLOBALEVENTID",
    "SQLDATE",
    "Actor1Code",
    "Actor1Name",
    "Actor1CountryCode",
    "Actor1Type1Code",
    "Actor2Code",
    "Actor2Name",
    "Actor2CountryCode",
    "Actor2Type1Code",
    "EventCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    "ActionGeo_FullName",
    "ActionGeo_CountryCode",
    "ActionGeo_ADM1Code",
    "ActionGeo_Lat",
    "ActionGeo_Long",
    "DATEADDED",
    "SOURCEURL",
)
"""The GDELT event fields the canonical event uses (the rest are not read into memory)."""

MENTION_FIELDS = (
    "GLOBALEVENTID",
    "MentionTimeDate",
    "MentionType",
    "MentionSourceName",
    "MentionIdentifier",
    "SentenceID",
    "Actor1CharOffset",
    "Actor2CharOffset",
    "ActionCharOffset",
    "InRawText",
    "Confidence",
    "MentionDocLen",
    "MentionDocTone",
    "MentionDocTranslationInfo",
)

_EVENT_RENAME = {
    "GLOBALEVENTID": "source_key",
    "Actor1Code": "actor1_code",
    "Actor1Name": "actor1_name",
    "Actor1CountryCode": "actor1_country",
    "Actor1Type1Code": "actor1_agent",
    "Actor2Code": "actor2_code",
    "Actor2Name": "actor2_name",
    "Actor2CountryCode": "actor2_country",
    "Actor2Type1Code": "actor2_agent",
    "EventCode": "cameo_code",
    "EventRootCode": "cameo_root",
    "QuadClass": "quad_class",
    "GoldsteinScale": "goldstein",
    "NumMentions": "num_mentions",
    "NumSources": "num_sources",
    "NumArticles": "num_articles",
    "AvgTone": "avg_tone",
    "ActionGeo_FullName": "action_name",
    "ActionGeo_ADM1Code": "action_adm1",
    "ActionGeo_Lat": "action_lat",
    "ActionGeo_Long": "action_lon",
}

_MENTION_NUMERIC = {
    "MentionType": "mention_type",
    "SentenceID": "sentence_id",
    "Actor1CharOffset": "actor1_offset",
    "Actor2CharOffset": "actor2_offset",
    "ActionCharOffset": "action_offset",
    "MentionDocLen": "doc_length",
    "MentionDocTone": "doc_tone",
}

_INTEGER = r"^-?[0-9]+$"
_DECIMAL = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"


@dataclass(frozen=True, slots=True)
class Dyads:
    """The country pairs kept on ingest (either direction); empty keeps every event."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, dyads: Sequence[str]) -> Dyads:
        """``["USA-MEX"]`` → pairs.

        >>> Dyads.parse(["USA-MEX"]).pairs
        (('USA', 'MEX'),)
        """
        pairs = []
        for d in dyads:
            a, b = d.upper().split("-")
            pairs.append((a, b))
        return cls(tuple(pairs))

    def mask(self, a1: pa.ChunkedArray | pa.Array, a2: pa.ChunkedArray | pa.Array) -> Any:
        """True where the event's two actor countries form one of the dyads."""
        if not self.pairs:
            return pa.array(np.ones(len(a1), dtype=bool))
        a1 = pc.fill_null(a1, "")
        a2 = pc.fill_null(a2, "")
        out = None
        for a, b in self.pairs:
            m = pc.or_(
                pc.and_(pc.equal(a1, a), pc.equal(a2, b)),
                pc.and_(pc.equal(a1, b), pc.equal(a2, a)),
            )
            out = m if out is None else pc.or_(out, m)
        return out


@dataclass(slots=True)
class ReadReport:
    """What reading one file found (for logs, tests and the benchmark)."""

    format: str | None = None
    lines: int = 0
    rows_valid: int = 0
    rows_kept: int = 0
    rejects: int = 0
    checksum: str | None = None


# --- opening ---------------------------------------------------------------------------------


def is_zip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


@contextlib.contextmanager
def open_member(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes: the single member of a zip, or the file itself.

    Raises :class:`ArtifactError` for a truncated or corrupt zip (reading a member to its end
    also checks its CRC-32, which :func:`iter_blocks` does).
    """
    if not is_zip(path):
        with path.open("rb") as fh:
            yield fh
        return
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArtifactError(
            f"truncated or corrupt zip ({exc}); delete it and download it again."
        ) from None
    with zf:
        members = [i for i in zf.infolist() if not i.is_dir()]
        if len(members) != 1:
            raise ArtifactError(f"a GDELT zip holds one file, this one holds {len(members)}.")
        try:
            with zf.open(members[0]) as fh:
                yield fh
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArtifactError(f"corrupt zip ({exc}); delete it and download it again.") from None


def content_checksum(path: Path) -> str:
    """A fingerprint of the *uncompressed* content: the same data zipped or not gives the same.

    For a zip it is the member's CRC-32 and size from the zip directory (no decompression);
    otherwise the CRC-32 and size of the file. A file that cannot be read as a zip falls back
    to the CRC-32 of its raw bytes, which is never equal to a good copy's.

    >>> content_checksum(Path("20151027220000.export.CSV"))  # doctest: +SKIP
    'crc32:1a2b3c4d:843446'
    """
    if is_zip(path):
        try:
            with zipfile.ZipFile(path) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
                if len(infos) == 1:
                    return f"crc32:{infos[0].CRC:08x}:{infos[0].file_size}"
        except (zipfile.BadZipFile, OSError):
            pass
        return f"raw-crc32:{_crc_file(path)[0]:08x}:{path.stat().st_size}"
    crc, size = _crc_file(path)
    return f"crc32:{crc:08x}:{size}"


def _crc_file(path: Path) -> tuple[int, int]:
    size = path.stat().st_size
    if size == 0:
        return 0, 0
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        return zlib.crc32(view), size


def iter_blocks(fh: IO[bytes], size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """Blocks of about ``size`` bytes, each ending at a line end (the last one perhaps not).

    A block is read, then completed with the rest of its last line, so no block is copied
    to join a carried-over tail.
    """
    while True:
        try:
            data = fh.read(size)
            if data and not data.endswith(b"\n"):
                tail = fh.readline()
                if tail:
                    data += tail
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArtifactError(
                f"corrupt or truncated compressed data ({exc}); download the file again."
            ) from None
        if not data:
            return
        yield data


def iter_mapped_blocks(path: Path, size: int = BLOCK_BYTES) -> Iterator[memoryview]:
    """Blocks of an uncompressed file as views of a memory map (no copies), cut at line ends.

    The map is released when the last view is garbage-collected.
    """
    with path.open("rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(mm)
    total = len(mm)
    start = 0
    while start < total:
        end = min(start + size, total)
        if end < total:
            newline = mm.find(b"\n", end - 1)
            end = total if newline < 0 else newline + 1
        yield view[start:end]
        # Done with these pages: drop them from this process (they stay in the page cache),
        # so memory does not grow with the file.
        lo = start - start % mmap.PAGESIZE
        hi = end - end % mmap.PAGESIZE
        if hi > lo and hasattr(mm, "madvise"):
            mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
        start = end


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
    >>> sniff(b"<!DOCTYPE html><html>", "x")  # doctest: +SKIP
    Traceback (most recent call last):
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


@dataclass(slots=True)
class _Invalid:
    line: int
    width: int
    text: str


def _raw(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text[:RAW_LIMIT]


BytesLike = bytes | memoryview


def _parse(
    data: BytesLike, fmt: Format, fields: Sequence[str], invalid: list[tuple[int | None, int, str]]
) -> pa.Table:
    """Parse tab-separated ``data`` as ``fmt`` into string columns ``fields``."""
    include = [f for f in fields if f in fmt.columns]

    def handler(row: Any) -> str:
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    table = pv.read_csv(
        pa.BufferReader(data),
        read_options=pv.ReadOptions(
            column_names=list(fmt.columns), use_threads=False, block_size=len(data) + 1
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
                column_names=list(fmt.columns), skip_rows=1, use_threads=False
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


# --- typing ----------------------------------------------------------------------------------


def _check(
    table: pa.Table,
    bad: Any,
    reason: Callable[[Any], str],
    column: str,
    source_column: str,
    rejects: list[Reject],
) -> pa.Table:
    bad = pc.fill_null(bad, False)
    if not pc.any(bad).as_py():
        return table
    rows = table.filter(bad)
    values = rows.column(source_column).to_pylist()
    lines = rows.column(LINE_COLUMN).to_pylist()
    for v, line in zip(values, lines, strict=True):
        rejects.append(Reject(reason=reason(v), line=line, column=column, raw=None))
    return table.filter(pc.invert(bad))


def _timestamp_14_or_8(col: Any) -> Any:
    """GDELT 2.0 stamps (YYYYMMDDHHMMSS) as they are; 1.0 dates (YYYYMMDD) → end of that day."""
    full = pc.strptime(col, format="%Y%m%d%H%M%S", unit="us", error_is_null=True)
    day = pc.strptime(col, format="%Y%m%d", unit="us", error_is_null=True)
    end_of_day = pc.cast(
        pc.add(pc.cast(day, pa.int64()), pa.scalar(86_400_000_000 - 1, pa.int64())),
        pa.timestamp("us"),
    )
    ts = pc.if_else(pc.equal(pc.utf8_length(col), 14), full, end_of_day)
    return pc.cast(ts, TS)


def validate_day(table: pa.Table, rejects: list[Reject]) -> pa.Table:
    """Reject rows whose SQLDATE is not a date; add the typed ``_day`` column."""
    day = pc.cast(
        pc.strptime(table.column("SQLDATE"), format="%Y%m%d", unit="s", error_is_null=True),
        pa.date32(),
    )
    table = table.append_column("_day", day)
    return _check(
        table,
        pc.is_null(table.column("_day")),
        lambda v: f"SQLDATE {v!r} is not a date YYYYMMDD",
        "event_date",
        "SQLDATE",
        rejects,
    )


def validate_keys(table: pa.Table, kind: str, rejects: list[Reject]) -> pa.Table:
    """Reject rows whose id or dates are not GDELT's; add typed ``_day`` / ``_known`` columns."""
    key = table.column("GLOBALEVENTID")
    table = _check(
        table,
        pc.invert(pc.fill_null(pc.match_substring_regex(key, r"^[0-9]+$"), False)),
        lambda v: (
            "GLOBALEVENTID is missing" if v is None else f"GLOBALEVENTID {v!r} is not a number"
        ),
        "source_key",
        "GLOBALEVENTID",
        rejects,
    )
    stamp_field = "DATEADDED" if kind == "events" else "MentionTimeDate"
    known = _timestamp_14_or_8(table.column(stamp_field))
    table = table.append_column("_known", known)
    table = _check(
        table,
        pc.is_null(table.column("_known")),
        lambda v: f"{stamp_field} {v!r} is not YYYYMMDDHHMMSS or YYYYMMDD",
        "known_at",
        stamp_field,
        rejects,
    )
    if kind == "events":
        table = validate_day(table, rejects)
        # GDELT dates an event by the local calendar of its story, so an event can be dated
        # the day after its DATEADDED (UTC). It was not public before its own day began:
        # known_at is never earlier than that, which keeps point-in-time queries honest.
        day_start = pc.cast(pc.cast(table.column("_day"), pa.timestamp("us")), pa.int64())
        known_us = pc.cast(table.column("_known"), pa.int64())
        known = pc.cast(pc.cast(pc.max_element_wise(known_us, day_start), pa.timestamp("us")), TS)
        table = table.set_column(table.column_names.index("_known"), "_known", known)
    return table


def _numbers(table: pa.Table, fields: dict[str, bool], rejects: list[Reject]) -> pa.Table:
    """Reject rows whose numeric ``fields`` (name → is integer) do not parse."""
    for name, integer in fields.items():
        col = table.column(name)
        ok = pc.match_substring_regex(col, _INTEGER if integer else _DECIMAL)
        bad = pc.and_(pc.is_valid(col), pc.invert(pc.fill_null(ok, False)))
        table = _check(
            table,
            bad,
            lambda v, name=name: f"{name} {v!r} is not a number",  # type: ignore[misc]
            name,
            name,
            rejects,
        )
    return table


def _cast(col: Any, target: pa.DataType, integer: bool) -> Any:
    return pc.cast(col, target) if integer else pc.cast(pc.cast(col, pa.float64()), target)


_EVENT_NUMERIC = {
    "QuadClass": (pa.int8(), True),
    "GoldsteinScale": (pa.float32(), False),
    "NumMentions": (pa.int32(), True),
    "NumSources": (pa.int32(), True),
    "NumArticles": (pa.int32(), True),
    "AvgTone": (pa.float32(), False),
    "ActionGeo_Lat": (pa.float64(), False),
    "ActionGeo_Long": (pa.float64(), False),
}


def events_to_canonical(
    table: pa.Table, source: str, fips: pa.Table, rejects: list[Reject]
) -> pa.Table:
    """Kept GDELT event rows (string columns + ``_day``/``_known``) → canonical event columns."""
    table = _numbers(table, {k: v[1] for k, v in _EVENT_NUMERIC.items()}, rejects)
    n = table.num_rows
    cols: dict[str, Any] = {
        "source": pa.array([source] * n, pa.string()),
        "event_date": table.column("_day"),
        "known_at": table.column("_known"),
    }
    for gdelt, canonical in _EVENT_RENAME.items():
        if gdelt in _EVENT_NUMERIC:
            target, integer = _EVENT_NUMERIC[gdelt]
            cols[canonical] = _cast(table.column(gdelt), target, integer)
        else:
            cols[canonical] = table.column(gdelt)
    # ActionGeo_CountryCode is a FIPS 10-4 code (MX, US); the canonical column is CAMEO's.
    idx = pc.index_in(table.column("ActionGeo_CountryCode"), value_set=fips.column("fips"))
    cols["action_country"] = pc.take(fips.column("cameo"), idx)
    url = table.column("SOURCEURL").combine_chunks() if n else pa.array([], pa.string())
    offsets = pa.array(np.arange(0, n + 1, dtype=np.int32))
    urls = pa.ListArray.from_arrays(offsets, pc.fill_null(url, ""))
    cols["source_urls"] = pc.if_else(pc.is_valid(url), urls, pa.scalar(None, urls.type))
    cols[LINE_COLUMN] = table.column(LINE_COLUMN)
    out = pa.table(cols)
    for f in EVENT_SCHEMA:
        if f.name not in out.column_names:
            out = out.append_column(f.name, pa.nulls(n, f.type))
    return out


def mentions_to_canonical(table: pa.Table, source: str, rejects: list[Reject]) -> pa.Table:
    """Kept mention rows → :data:`dyadwatch.model.MENTION_SCHEMA` columns (+ ``_line``)."""
    checks = {
        name: not pa.types.is_floating(MENTION_SCHEMA.field(c).type)
        for name, c in _MENTION_NUMERIC.items()
    }
    table = _numbers(table, {**checks, "Confidence": True, "InRawText": True}, rejects)
    n = table.num_rows
    keys = table.column("GLOBALEVENTID").to_pylist()
    cols: dict[str, Any] = {
        "event_id": pa.array([event_id_for(source, k) for k in keys], pa.string()),
        "source": pa.array([source] * n, pa.string()),
        "source_key": table.column("GLOBALEVENTID"),
        "mention_time": table.column("_known"),
        "known_at": table.column("_known"),
        "mention_source_name": table.column("MentionSourceName"),
        "mention_url": table.column("MentionIdentifier"),
        # GDELT's Confidence is a percentage (10–100); the canonical column is 0–1.
        "confidence": pc.divide(
            _cast(table.column("Confidence"), pa.float32(), False), pa.scalar(100.0, pa.float32())
        ),
        "in_raw_text": pc.not_equal(_cast(table.column("InRawText"), pa.int8(), True), 0),
        "translation_info": table.column("MentionDocTranslationInfo"),
    }
    for name, canonical in _MENTION_NUMERIC.items():
        target = MENTION_SCHEMA.field(canonical).type
        cols[canonical] = _cast(table.column(name), target, checks[name])
    cols[LINE_COLUMN] = table.column(LINE_COLUMN)
    return pa.table(cols).select([*MENTION_SCHEMA.names, LINE_COLUMN])


# --- volume ----------------------------------------------------------------------------------


def volume_counts(table: pa.Table) -> pa.Table:
    """Events per (day, country) of ``table``: an event counts once for each actor country
    it names, and once under ``*`` (the total)."""
    day = table.column("_day")
    a1 = table.column("Actor1CountryCode")
    a2 = table.column("Actor2CountryCode")
    second = pc.and_(pc.is_valid(a2), pc.invert(pc.fill_null(pc.equal(a1, a2), False)))
    parts = []
    for country, mask in ((a1, pc.is_valid(a1)), (a2, second)):
        counted = pa.table({"day": day, "country": country}).filter(mask)
        parts.append(counted.group_by(["day", "country"]).aggregate([([], "count_all")]))
    totals = pa.table({"day": day}).group_by("day").aggregate([([], "count_all")])
    star = pa.array(["*"] * totals.num_rows, pa.string())
    parts.append(pa.table({"day": totals.column("day"), "country": star, "count_all": totals[1]}))
    return pa.concat_tables(
        [p.select(["day", "country", "count_all"]) for p in parts]
    ).rename_columns(["day", "country", "events"])


def finish_volume(partials: list[pa.Table], source: str, artifact: str, known: Any) -> pa.Table:
    """Sum per-block counts into the ``volume`` dataset's rows for one artifact.

    Examples
    --------
    >>> finish_volume([volume_counts(t) for t in blocks], "gdelt2", key, known)  # doctest: +SKIP
    """
    if not partials:
        return VOLUME_SCHEMA.empty_table()
    total = pa.concat_tables(partials).group_by(["day", "country"]).aggregate([("events", "sum")])
    total = total.sort_by([("day", "ascending"), ("country", "ascending")])
    n = total.num_rows
    return pa.table(
        {
            "source": pa.array([source] * n, pa.string()),
            "artifact": pa.array([artifact] * n, pa.string()),
            "day": total.column("day"),
            "country": total.column("country"),
            "events": pc.cast(total.column("events_sum"), pa.int64()),
            "known_at": pa.array([known] * n, TS),
        },
        schema=VOLUME_SCHEMA,
    )


# --- the whole file --------------------------------------------------------------------------


NARROW_EVENT_FIELDS = ("SQLDATE", "Actor1CountryCode", "Actor2CountryCode")
"""What the volume counts and the dyad filter need from every row; the rest is parsed only
for the rows kept."""

NARROW_MENTION_FIELDS = ("GLOBALEVENTID", "MentionTimeDate")


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


@dataclass(slots=True)
class FileReader:
    """Reads one GDELT file into chunks. Construct per file; iterate :meth:`chunks`.

    Parameters
    ----------
    path
        The file (zipped or not).
    artifact
        Its artifact key (the ``artifact`` column of the volume rows).
    dyads
        Events kept (empty: all).
    fips
        FIPS 10-4 → CAMEO country table (:func:`fips_table`).
    keep_mentions
        For mention files: a mask of the GLOBALEVENTIDs whose mentions are kept (None: all).
    on_event_keys
        Called with the GLOBALEVENTIDs of kept events (so a later mentions file keeps theirs).

    Examples
    --------
    >>> usa_mex = Dyads.parse(["USA-MEX"])
    >>> reader = FileReader(path, path.name, usa_mex, fips_table())  # doctest: +SKIP
    >>> [(c.dataset, c.table.num_rows) for c in reader.chunks()]  # doctest: +SKIP
    [('events', 2), ('volume', 127)]
    """

    path: Path
    artifact: str
    dyads: Dyads
    fips: pa.Table
    keep_mentions: Callable[[pa.Array], Any] | None = None
    on_event_keys: Callable[[list[str]], None] | None = None
    report: ReadReport = field(default_factory=ReadReport)
    _volume_parts: list[pa.Table] = field(default_factory=list)
    _known: list[Any] = field(default_factory=list)
    _mapped: Path | None = None

    def chunks(self) -> Iterator[Chunk]:
        path = self.path
        if path.stat().st_size == 0:
            raise ArtifactError("empty file (0 bytes); download it again.")
        with open_member(path) as fh:
            head = fh.read(1 << 16)
            layout = sniff(head, path.name)
            self.report.format = layout.format.name
            fh.seek(0)
            self._mapped = None if is_zip(path) or layout.header else path
            yield from self._read(fh, layout)

    def _read(self, stream: IO[bytes], layout: Layout) -> Iterator[Chunk]:
        fmt = layout.format
        kind = fmt.dataset
        filtered = bool(self.dyads.pairs) if kind == "events" else self.keep_mentions is not None
        rejects: list[Reject] = []
        kept: list[pa.Table] = []
        kept_rows = 0
        rows_read = 0
        for table, block_rejects, n_lines in self._tables(stream, layout, filtered):
            rows_read += n_lines
            self.report.lines += n_lines
            rejects.extend(block_rejects)
            if table.num_rows:
                kept.append(table)
                kept_rows += table.num_rows
            if kept_rows >= FLUSH_ROWS:
                yield self._chunk(kind, fmt, kept, rejects, rows_read)
                kept, kept_rows, rejects, rows_read = [], 0, [], 0
        self.report.rejects += len(rejects)
        yield self._chunk(kind, fmt, kept, rejects, rows_read)
        if kind == "events":
            yield Chunk("volume", self._volume(fmt), rows_read=0)

    def _tables(
        self, stream: IO[bytes], layout: Layout, filtered: bool
    ) -> Iterator[tuple[pa.Table, list[Reject], int]]:
        """(kept rows with every field, typed keys; rejects; lines read) per block."""
        kind = layout.format.dataset
        wide = EVENT_FIELDS if kind == "events" else MENTION_FIELDS
        if layout.header or not filtered:
            for table, block_rejects, n in self._wide_blocks(stream, layout, wide):
                table = validate_keys(table, kind, block_rejects)
                self.report.rows_valid += table.num_rows
                if kind == "events":
                    self._count(table)
                    table = table.filter(
                        self.dyads.mask(
                            table.column("Actor1CountryCode"), table.column("Actor2CountryCode")
                        )
                    )
                elif self.keep_mentions is not None:
                    table = table.filter(self.keep_mentions(table.column("GLOBALEVENTID")))
                yield table, block_rejects, n
            return
        narrow = NARROW_EVENT_FIELDS if kind == "events" else NARROW_MENTION_FIELDS
        line = 1
        for data in self._raw_blocks(stream):
            block = read_block(data, line, layout, narrow)
            line += block.n_lines
            table = block.table
            if kind == "events":
                table = validate_day(table, block.rejects)
                self.report.rows_valid += table.num_rows
                self._count(table)
                self._known.extend(edge_stamps(data, layout.format))
                mask = self.dyads.mask(
                    table.column("Actor1CountryCode"), table.column("Actor2CountryCode")
                )
            else:
                self.report.rows_valid += table.num_rows
                assert self.keep_mentions is not None
                mask = self.keep_mentions(table.column("GLOBALEVENTID"))
            wanted = table.filter(mask).column(LINE_COLUMN)
            if len(wanted) == 0:
                yield pa.table({}), block.rejects, block.n_lines
                continue
            picked, numbers = pick_lines(block, wanted.to_numpy())
            full = read_block(picked, 0, layout, wide, numbers=numbers).table
            full = validate_keys(full, kind, block.rejects)
            if kind == "events" and full.num_rows:
                self._known.append(pc.max(full.column("DATEADDED")).as_py())
            yield full, block.rejects, block.n_lines

    def _wide_blocks(
        self, stream: IO[bytes], layout: Layout, fields: Sequence[str]
    ) -> Iterator[tuple[pa.Table, list[Reject], int]]:
        if layout.header:
            for table in parse_headered(stream, layout, fields):
                yield table, [], table.num_rows
            return
        line = 1
        for data in self._raw_blocks(stream):
            block = read_block(data, line, layout, fields)
            line += block.n_lines
            yield block.table, block.rejects, block.n_lines

    def _raw_blocks(self, stream: IO[bytes]) -> Iterator[BytesLike]:
        """Blocks of whole lines: mapped from disk for a plain file, read from a zip member."""
        if self._mapped is not None:
            yield from iter_mapped_blocks(self._mapped)
        else:
            yield from iter_blocks(stream)

    def _count(self, table: pa.Table) -> None:
        """Add a block's rows (valid day) to the volume counts (and the latest DATEADDED,
        when the block was read in full)."""
        if table.num_rows == 0:
            return
        self._volume_parts.append(volume_counts(table))
        if "DATEADDED" in table.column_names:
            latest = pc.max(table.column("DATEADDED")).as_py()
            if latest is not None:
                self._known.append(latest)

    def _volume(self, fmt: Format) -> pa.Table:
        known = None
        if self._known:
            # DATEADDED strings of one file have one width, so the largest is the latest.
            stamp = max(self._known, key=lambda v: (len(v), v))
            known = _timestamp_14_or_8(pa.array([stamp], pa.string()))[0].as_py()
        volume = finish_volume(self._volume_parts, fmt.source, self.artifact, None)
        if known is None and volume.num_rows:
            # No readable DATEADDED near the blocks' edges: the end of the latest day counted.
            last = pc.max(volume.column("day")).as_py().strftime("%Y%m%d")
            known = _timestamp_14_or_8(pa.array([last], pa.string()))[0].as_py()
        return finish_volume(self._volume_parts, fmt.source, self.artifact, known)

    def _chunk(
        self, kind: str, fmt: Format, kept: list[pa.Table], rejects: list[Reject], rows_read: int
    ) -> Chunk:
        schema = EVENT_SCHEMA if kind == "events" else MENTION_SCHEMA
        kept = [t for t in kept if t.num_rows]
        if kept:
            table = pa.concat_tables(kept)
            if kind == "events":
                out = events_to_canonical(table, fmt.source, self.fips, rejects)
                if self.on_event_keys is not None:
                    self.on_event_keys(out.column("source_key").to_pylist())
            else:
                out = mentions_to_canonical(table, fmt.source, rejects)
        else:
            out = schema.empty_table().append_column(LINE_COLUMN, pa.array([], pa.int64()))
        self.report.rows_kept += out.num_rows
        return Chunk(kind, out, rejects=list(rejects), rows_read=rows_read)


def fips_table() -> pa.Table:
    """FIPS 10-4 country → CAMEO country, from the codebook's ``fips_countries.csv``."""
    import importlib.resources

    text = (
        importlib.resources.files("dyadwatch.codebooks")
        .joinpath("data/fips_countries.csv")
        .read_bytes()
    )
    table = pv.read_csv(
        io.BytesIO(text),
        convert_options=pv.ConvertOptions(
            column_types={"fips": pa.string(), "cameo": pa.string()},
            include_columns=["fips", "cameo"],
        ),
    )
    return table


def first_day(table: pa.Table) -> date | None:
    """The earliest event day in a volume table (None when empty)."""
    if table.num_rows == 0:
        return None
    value = pc.min(table.column("day")).as_py()
    return value if isinstance(value, date) else None
