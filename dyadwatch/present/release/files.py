"""Reading a file that may be a released copy, however it was re-saved on the way.

A partner may open ``events.csv`` in a spreadsheet and save it with semicolons, in Windows-1252,
with rows dropped or columns moved, or pass on ``events.parquet``; :func:`read_file` reads any
of these into a header and rows of text, noting what it had to guess, for
:func:`~dyadwatch.present.release.identify.identify`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dyadwatch.errors import UsageError
from dyadwatch.model import DATASETS
from dyadwatch.present.release.marks import MARK_COLUMN


@dataclass(slots=True)
class ReleasedFile:
    """A table read back: its header (lower case), rows of text, the copy its Parquet metadata
    names, and notes on what had to be guessed."""

    header: list[str]
    rows: list[dict[str, str]]
    metadata_copy: str | None = None
    notes: list[str] = field(default_factory=list)


def decode_text(raw: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in (UTF-8, else Windows-1252, else Latin-1).

    >>> decode_text("Peña".encode("cp1252"))
    ('Peña', 'cp1252')
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


KNOWN_HEADERS = frozenset(
    {*DATASETS["events"].names, MARK_COLUMN, "period", "rule_id", "status", "title"}
)


def guess_delimiter(first_line: str) -> str:
    """The delimiter that splits the header into the most known column names.

    (Not csv.Sniffer: the events' list fields hold `` | `` and mislead it.)
    """

    def known(delimiter: str) -> tuple[int, int]:
        names = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(n.strip().lower() in KNOWN_HEADERS for n in names), len(names)

    return max(",;\t|", key=known)


def read_delimited(path: Path) -> ReleasedFile:
    """A CSV-like file, whatever its delimiter and encoding."""
    text, encoding = decode_text(path.read_bytes())
    first = text.split("\n", 1)[0]
    delimiter = guess_delimiter(first)
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UsageError(f"cannot read {path} as a table: it is empty.") from None
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        rows.append({h: v for h, v in zip(header, values, strict=False)})
    notes = []
    if delimiter != ",":
        notes.append(f"read as text delimited by {delimiter!r} (released files use ',')")
    if encoding != "utf-8-sig":
        notes.append(f"read as {encoding} (released files are UTF-8)")
    return ReleasedFile(header, rows, notes=notes)


def as_text(value: Any) -> str:
    """A Parquet value as the CSV shows it (lists joined by `` | ``).

    >>> as_text(["a", None, 3])
    'a |  | 3'
    """
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(as_text(v) for v in value)
    return str(value)


def read_parquet(path: Path) -> ReleasedFile:
    """A Parquet file, with the copy its metadata names."""
    table = pq.read_table(path)
    header = [n.strip().lower() for n in table.column_names]
    rows = [
        {h: as_text(v) for h, v in zip(header, row.values(), strict=True)}
        for row in table.to_pylist()
    ]
    copy = None
    raw = (table.schema.metadata or {}).get(b"dyadwatch.release")
    if raw:
        try:
            copy = str(json.loads(raw)["copy_id"])
        except (ValueError, KeyError, TypeError):
            copy = None
    return ReleasedFile(header, rows, copy)


def read_file(path: Path) -> ReleasedFile:
    """A Parquet or CSV-like file; a :class:`UsageError` when it is neither."""
    try:
        if path.suffix.lower() == ".parquet":
            return read_parquet(path)
        return read_delimited(path)
    except (OSError, pa.ArrowInvalid, csv.Error, ValueError) as exc:
        raise UsageError(f"cannot read {path} as a CSV or Parquet table: {exc}") from None


def norm(name: str, value: str) -> str:
    """A field's value as content matching compares it (a spreadsheet may drop a CAMEO
    code's leading zeros or rewrite a date).

    >>> norm("cameo_code", "036"), norm("event_date", "20210115")
    ('36', '2021-01-15')
    """
    value = " ".join(value.split()).lower()
    if name == "cameo_code":
        return value.lstrip("0")
    if name == "event_date" and len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


__all__ = ["ReleasedFile", "as_text", "norm", "read_file"]
