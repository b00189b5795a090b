"""Read a delimited event file with a header row into string columns, row problems set aside.

ICEWS, POLECAT, Phoenix and ACLED all publish tables with a header: tab-separated (ICEWS,
POLECAT, Phoenix's daily files) or comma-separated and quoted (ACLED, the Phoenix sample).
This module does the part they share, so each source only maps columns:

1. :func:`read_bytes` — the file's bytes, from a zip holding one data file or the file itself.
   An empty file, an HTML/XML page in place of data, and a zip that is truncated, corrupt or
   fails its CRC fail the whole artifact (:class:`~dyadwatch.errors.ArtifactError`).
2. :func:`to_utf8` — the bytes as UTF-8. A UTF-8 source's line that is not UTF-8 is set aside
   with its line number and the offending byte; an ISO-8859-1 source (POLECAT) is transcoded,
   unless the file turns out to be valid UTF-8 with non-ASCII text, which is then read as
   UTF-8 (reading UTF-8 as Latin-1 would turn every ``é`` into ``Ã©``).
3. :func:`parse` — Arrow's CSV reader, every column a string, empty cells and the literal
   ``NA`` as nulls. A row with the wrong number of fields is set aside with its count and its
   text; with ``trailing_empty_ok``, a row whose extra fields are all empty (stray tabs, a
   known POLECAT fault) is repaired instead, and counted in :attr:`Parsed.repaired`.

``_line`` is the row's line in the file (its record number when a quoted field holds a
line break; the header is line 1).

Examples
--------
>>> parsed = parse(b"a\\tb\\n1\\t2\\n3\\n4\\t5\\t\\n", delimiter="\\t", trailing_empty_ok=True)
>>> parsed.table.column("a").to_pylist(), parsed.table.column(LINE_COLUMN).to_pylist()
(['1', '4'], [2, 4])
>>> [(r.line, r.reason) for r in parsed.rejects]
[(3, '1 field(s), expected 2: a ragged or truncated row')]
>>> parsed.repaired
[4]
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from dyadwatch.errors import ArtifactError
from dyadwatch.sources.base import LINE_COLUMN, Reject

RAW_LIMIT = 2000
"""Characters of a rejected line kept in the quarantine table."""

NULL_VALUES = ("", "NA", "None")
"""Cell values read as missing: empty, and the literals the R- and Python-made exports use."""

DATA_SUFFIXES = (".tab", ".tsv", ".txt", ".csv")


def read_bytes(path: Path) -> bytes:
    """The file's content: the single data member of a zip, a gunzipped file, or the file.

    Raises
    ------
    ArtifactError
        An empty file, a truncated or corrupt archive, a zip with no data file or several,
        or an HTML/XML page.

    Examples
    --------
    >>> read_bytes(Path("events.2018.20200427084805.tab.zip"))[:8]  # doctest: +SKIP
    b'Event ID'
    """
    raw = path.read_bytes()
    if not raw:
        raise ArtifactError("empty file (0 bytes); download it again.")
    try:
        if raw[:4] == b"PK\x03\x04" or raw[:4] == b"PK\x05\x06":
            data = _unzip(raw)
        elif raw[:2] == b"\x1f\x8b":
            data = gzip.decompress(raw)
        else:
            data = raw
    except (zipfile.BadZipFile, zlib.error, EOFError, gzip.BadGzipFile, OSError) as exc:
        raise ArtifactError(
            f"truncated or corrupt archive ({exc}); delete it and download it again."
        ) from None
    if data.isspace():
        raise ArtifactError("empty file (nothing but whitespace); download it again.")
    start = data.lstrip()[:200].lower()
    if start.startswith(b"<") or b"<html" in start or b"<!doctype" in start:
        raise ArtifactError(
            "an HTML/XML page, not a data file (the server sent an error page); download it again."
        )
    return data


def _unzip(raw: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        members = [
            i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
        ]
        data_members = [i for i in members if i.filename.lower().endswith(DATA_SUFFIXES)]
        chosen = data_members or members
        if len(chosen) != 1:
            names = ", ".join(i.filename for i in members) or "nothing"
            raise ArtifactError(f"a zip of one data file was expected; this one holds {names}.")
        return zf.read(chosen[0])


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8 (Arrow's vectorised validation: no copy, no str)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    array = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def to_utf8(data: bytes, encoding: str = "utf-8") -> tuple[bytes, list[Reject], str]:
    """``data`` as UTF-8 text (a BOM removed), the lines set aside, and the encoding read.

    ``encoding`` is the source's documented encoding: ``utf-8`` (lines that are not are set
    aside) or ``iso-8859-1`` (transcoded; but a file that is valid UTF-8 and not plain ASCII
    is read as UTF-8, since that is what it is).

    Examples
    --------
    >>> to_utf8("a\\nb\\xe9\\n".encode("latin-1"), "iso-8859-1")
    (b'a\\nb\\xc3\\xa9\\n', [], 'iso-8859-1')
    >>> text, rejects, _ = to_utf8(b"a\\nb\\xe9\\nc\\n")
    >>> text, [(r.line, r.reason) for r in rejects]
    (b'a\\n\\nc\\n', [(2, 'not UTF-8 (byte 0xe9 at offset 1); is the file in another encoding?')])
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if encoding.lower().replace("_", "-") in ("iso-8859-1", "latin-1", "latin1"):
        if data.isascii() or not _is_utf8(data):
            return data.decode("iso-8859-1").encode("utf-8"), [], "iso-8859-1"
        return data, [], "utf-8"
    if _is_utf8(data):
        return data, [], "utf-8"
    # Keep every line (an empty one in place of a bad one), so line numbers stay true.
    lines = data.split(b"\n")
    rejects: list[Reject] = []
    for i, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            rejects.append(
                Reject(
                    reason=f"not UTF-8 (byte {line[exc.start]:#04x} at offset {exc.start}); "
                    "is the file in another encoding?",
                    line=i + 1,
                    raw=line.decode("utf-8", errors="replace")[:RAW_LIMIT],
                )
            )
            lines[i] = b""
    return b"\n".join(lines), rejects, "utf-8"


def split_header(data: bytes, delimiter: str, quoted: bool) -> tuple[list[str], memoryview]:
    """The header's column names and the rest of the data (a view: the body is not copied)."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    rest = memoryview(data)[len(data) :] if end < 0 else memoryview(data)[end + 1 :]
    text = first.rstrip(b"\r").decode("utf-8", errors="replace")
    names = next(csv.reader([text], delimiter=delimiter), []) if quoted else text.split(delimiter)
    return [n.strip() for n in names], rest


@dataclass(slots=True)
class Parsed:
    """A parsed table (string columns named by the header, plus ``_line``) and its problems."""

    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    repaired: list[int] = field(default_factory=list)
    """Lines of rows repaired by dropping empty trailing fields (stray delimiters)."""
    rows_read: int = 0
    one_line_per_row: bool = True
    """Whether every row is one line (no quoted field holds a line break), so that rows can
    be cut out of the file by line (:func:`pick_lines`)."""


BLOCK_BYTES = 1 << 20
"""Bytes Arrow's CSV reader parses at a time. Larger blocks cost more CPU per byte (a file
in one block: about twice as much); a record longer than a block makes Arrow refuse the
file, which is then read again as one block, so that the long field is set aside by its
row (the ``ranges`` step) and the rest of the file kept."""

THREADS_FROM_BYTES = 8 << 20
"""An unquoted file of this size or more is parsed on Arrow's threads: the same CPU, less
waiting. A quoted one (``newlines_in_values``) is not: there, threads cost about 40 % more
CPU, as Arrow must find the record boundaries serially first (measured by
``bench/sources.py``'s ACLED case)."""

Invalid = tuple[int | None, int, str]
"""A row Arrow refused: its record number in the data (None when parsed on threads), its
field count and its text."""


def _read(
    data: Any,
    names: Sequence[str],
    delimiter: str,
    quoted: bool,
    include: Sequence[str] | None = None,
) -> tuple[Any, list[Invalid]]:
    """Parse ``data`` into string columns; return the table and the rows of the wrong width.

    The refused rows carry their record numbers: when a threaded parse (which does not know
    them) refused any, the data are parsed again serially.
    """
    buffer = pa.py_buffer(data)
    threads = not quoted and len(buffer) >= THREADS_FROM_BYTES
    try:
        table, invalid = _read_once(buffer, names, delimiter, quoted, include, threads, False)
        if threads and invalid:
            table, invalid = _read_once(buffer, names, delimiter, quoted, include, False, False)
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):
            raise
        table, invalid = _read_once(buffer, names, delimiter, quoted, include, False, True)
    return table, invalid


def _read_once(
    buffer: pa.Buffer,
    names: Sequence[str],
    delimiter: str,
    quoted: bool,
    include: Sequence[str] | None,
    threads: bool,
    one_block: bool,
) -> tuple[Any, list[Invalid]]:
    wanted = list(include) if include is not None else list(names)
    invalid: list[Invalid] = []

    def handler(row: Any) -> str:
        number = None if row.number is None or row.number < 0 else int(row.number)
        invalid.append((number, int(row.actual_columns), str(row.text)))
        return "skip"

    table = pv.read_csv(
        pa.BufferReader(buffer),
        read_options=pv.ReadOptions(
            column_names=list(names),
            use_threads=threads,
            block_size=max(BLOCK_BYTES, len(buffer) + 1) if one_block else BLOCK_BYTES,
        ),
        parse_options=pv.ParseOptions(
            delimiter=delimiter,
            quote_char='"' if quoted else False,
            double_quote=quoted,
            newlines_in_values=quoted,
            ignore_empty_lines=True,
            invalid_row_handler=handler,
        ),
        convert_options=pv.ConvertOptions(
            include_columns=wanted,
            column_types={n: pa.string() for n in wanted},
            null_values=list(NULL_VALUES),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            check_utf8=False,  # to_utf8 made it UTF-8
        ),
    )
    return table, invalid


def parse(
    data: bytes,
    *,
    delimiter: str,
    quoted: bool = False,
    names: Sequence[str] | None = None,
    trailing_empty_ok: bool = False,
    header: bool = True,
    include: Sequence[str] | None = None,
) -> Parsed:
    """Parse UTF-8 ``data`` whose first line is a header into string columns plus ``_line``.

    ``names`` replaces the header's names (a header known to be wrong, such as POLECAT's
    with a ``Headline`` column its rows do not have); the first line is skipped either way,
    unless ``header`` is false (a headerless file: ``names`` are required, and the data
    start on line 1). ``include`` keeps only those columns (every row is still checked for
    its width; a first pass reads only what a filter needs, see :func:`pick_lines`). Empty
    lines are skipped and count as read.
    """
    if header:
        found, body = split_header(data, delimiter, quoted)
        first_line = 2
    else:
        if names is None:
            raise ValueError("a headerless file needs its column names")
        found, body, first_line = [], memoryview(data), 1
    columns = list(names) if names is not None else found
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        raise ArtifactError(f"the header names {', '.join(dupes)} more than once.")
    if include is not None:
        include = [c for c in include if c in columns]
    try:
        table, invalid = _read(body, columns, delimiter, quoted, include)
    except pa.ArrowInvalid as exc:
        raise ArtifactError(f"cannot parse this file as a table ({exc}).") from None
    count = table.num_rows + len(invalid)
    if _line_count(data, header) == count:
        # Every line is one record (no blank line, no line break inside a quoted field).
        records = np.arange(2, count + 2, dtype=np.int64)
        one_line = True
    else:
        records = record_lines(body, False)
        one_line = len(records) == count
        if quoted and not one_line:
            records = record_lines(body, True)
    records = records + (first_line - 2)
    rejects: list[Reject] = []
    repaired_rows: list[tuple[int, str]] = []
    for number, width, text in invalid:
        line = int(records[number - 1]) if number and 0 < number <= len(records) else None
        extra = text.split(delimiter)[len(columns) :]
        if trailing_empty_ok and width > len(columns) and not "".join(extra).strip():
            repaired_rows.append((line or 0, delimiter.join(text.split(delimiter)[: len(columns)])))
            continue
        rejects.append(
            Reject(
                reason=f"{width} field(s), expected {len(columns)}: a ragged or truncated row",
                line=line,
                raw=text[:RAW_LIMIT],
            )
        )
    valid = records
    if invalid:
        valid = np.delete(records, [n - 1 for n, _, _ in invalid if n and 0 < n <= len(records)])
    if len(valid) != table.num_rows:
        raise ArtifactError(
            f"cannot match {table.num_rows} parsed rows to line numbers ({len(valid)} lines)."
        )
    table = table.append_column(LINE_COLUMN, pa.array(valid, pa.int64()))
    repaired: list[int] = []
    if repaired_rows:
        fixed = "\n".join(t for _, t in repaired_rows).encode("utf-8") + b"\n"
        extra_table, _ = _read(fixed, columns, delimiter, quoted, include)
        if extra_table.num_rows == len(repaired_rows):
            repaired = [n for n, _ in repaired_rows]
            extra_table = extra_table.append_column(LINE_COLUMN, pa.array(repaired, pa.int64()))
            table = pa.concat_tables([table, extra_table]).sort_by(LINE_COLUMN)
    return Parsed(table, rejects, repaired, rows_read=len(records), one_line_per_row=one_line)


def _line_count(data: bytes, header: bool) -> int:
    """Lines in ``data`` after the header (if any), counting a last line without a newline."""
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return lines - 1 if header and lines else lines


def line_bounds(data: Any) -> tuple[Any, Any]:
    """Start and end offsets of every line of ``data`` (numpy arrays; ends exclude the
    newline)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(arr)]))
    return starts, stops


def record_lines(body: Any, quoted: bool) -> Any:
    """The file line of each non-blank record of ``body`` (which starts at line 2), as a
    numpy array."""
    arr = np.frombuffer(body, dtype=np.uint8)
    if not quoted or not (arr == 34).any():
        if not len(arr):
            return np.zeros(0, dtype=np.int64)
        starts, stops = line_bounds(body)
        length = stops - starts
        # A line holding only "\r" is empty too (a CRLF file).
        crlf_only = (length == 1) & (arr[np.minimum(starts, len(arr) - 1)] == 13)
        keep = (length > 0) & ~crlf_only
        return np.flatnonzero(keep).astype(np.int64) + 2
    out: list[int] = []
    line = 2
    text = bytes(body).decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        if row:
            out.append(line)
        line = reader.line_num + 2
    return np.asarray(out, dtype=np.int64)


def pick_lines(data: bytes, lines: Any) -> bytes:
    r"""The lines of ``data`` numbered ``lines`` (1-based, sorted), joined: the rows a filter
    kept, to be parsed in full after a first pass read only the columns it needed.

    The lines are viewed as one Arrow binary array over ``data`` (no copy) and taken by
    index, so no Python loop runs over them.

    >>> pick_lines(b"h\na\nb\nc", [2, 4])
    b'a\nc\n'
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    offsets = np.concatenate(([0], ends + 1)).astype(np.int64)
    if offsets[-1] != len(data):
        offsets = np.append(offsets, len(data))
    n = len(offsets) - 1
    whole = pa.Array.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)]
    )
    taken = pc.take(whole, pa.array(np.asarray(lines, dtype=np.int64) - 1))
    if len(taken) == 0:
        return b""
    spans = np.frombuffer(taken.buffers()[1], dtype=np.int64)[
        taken.offset : taken.offset + len(taken) + 1
    ]
    out = taken.buffers()[2].to_pybytes()[int(spans[0]) : int(spans[-1])]
    return out if out.endswith(b"\n") else out + b"\n"


def lookup(column: Any, mapping: Mapping[str, str | None]) -> pa.Array:
    """Map each value of a string column through ``mapping`` (missing keys → null).

    Vectorised: the mapping is applied once per distinct value.

    >>> lookup(pa.array(["Mexico", "Atlantis", None, "Mexico"]), {"Mexico": "MEX"}).to_pylist()
    ['MEX', None, None, 'MEX']
    """
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    values = [mapping.get(v) if v is not None else None for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(values, pa.string()), encoded.indices)


def apply(column: Any, func: Any) -> pa.Array:
    """Apply a Python function once per distinct value of a column (None stays None).

    >>> apply(pa.array(["a,b", None, "a,b"]), lambda v: v.upper()).to_pylist()
    ['A,B', None, 'A,B']
    """
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    values = [func(v) if v is not None else None for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(values, pa.string()), encoded.indices)


def strptime_strict(values: Any, format: str, unit: str = "s") -> Any:
    """``pc.strptime`` that refuses dates the calendar does not have (null where none fits).

    Arrow rolls an impossible day over into the next month (``2020-02-30`` reads as
    2020-03-01), which would turn a typo into a real date. A value counts only if the parsed
    time, printed in the same format, gives the text back (ignoring case, and a day of the
    month written without its leading zero).

    >>> days = pa.array(["2020-02-30", "2020-02-28", "2019-02-29", "2021-13-01", None])
    >>> strptime_strict(days, "%Y-%m-%d").to_pylist()[:2]
    [None, datetime.datetime(2020, 2, 28, 0, 0)]
    >>> [v is None for v in strptime_strict(days, "%Y-%m-%d").to_pylist()]
    [True, False, True, True, True]
    >>> strptime_strict(pa.array(["2 January 2021", "30 February 2021"]), "%d %B %Y").to_pylist()
    [datetime.datetime(2021, 1, 2, 0, 0), None]
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    parsed = pc.strptime(values, format=format, unit=unit, error_is_null=True)
    # Checking means printing times back, which is slow, so it is kept to the values that
    # can be rolled over: such a day always lands on the 1st to 3rd of the next month (Arrow
    # refuses day 0 and days over 31). And dates repeat: each distinct text is checked once.
    suspect = pc.fill_null(pc.less_equal(pc.day(parsed), 3), False)
    if not pc.any(suspect).as_py():
        return parsed
    encoded = pc.dictionary_encode(values.filter(suspect))
    distinct = encoded.dictionary
    first = pc.strptime(distinct, format=format, unit=unit, error_is_null=True)
    back = pc.utf8_lower(pc.strftime(pc.cast(first, pa.timestamp("s")), format=format))
    text = pc.utf8_lower(distinct)
    if format.startswith("%d"):
        text = pc.replace_substring_regex(text, r"^(\d)(\D)", r"0\1\2")
    same = pc.take(pc.fill_null(pc.equal(back, text), False), encoded.indices)
    wrong = pc.replace_with_mask(pa.array(np.zeros(len(values), bool)), suspect, pc.invert(same))
    return pc.if_else(wrong, pa.scalar(None, parsed.type), parsed)


__all__ = [
    "NULL_VALUES",
    "Parsed",
    "apply",
    "line_bounds",
    "lookup",
    "parse",
    "pick_lines",
    "read_bytes",
    "record_lines",
    "split_header",
    "strptime_strict",
    "to_utf8",
]
