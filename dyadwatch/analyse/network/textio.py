"""Text handling shared by the network readers: decoding, delimiters, rows with line numbers.

A UTF-8 (or UTF-16) byte-order mark is dropped, CR and CRLF line endings are read as LF
(Montagna's sightings file uses old-Mac CR), and a file that is not UTF-8 is read as
Windows-1252/Latin-1. Every error names the file and line
(:class:`~dyadwatch.errors.NetworkFormatError`).
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from dyadwatch.errors import NetworkFormatError, did_you_mean

log = logging.getLogger(__name__)


def read_text(path: str | Path) -> str:
    """Return a file's text with BOM dropped, line endings normalised to ``\\n``.

    UTF-8 first; a file that is not valid UTF-8 is read as Windows-1252 (a superset of the
    printable Latin-1 range), falling back to Latin-1 itself.

    Raises
    ------
    NetworkFormatError
        If the file does not exist, is a folder, or holds nothing but whitespace.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfa,b\\rc,d\\r")
    >>> read_text(p)
    'a,b\\nc,d\\n'
    """
    p = Path(path)
    if not p.exists():
        raise NetworkFormatError(f"{p}: no such file. Check the path (and the current folder).")
    if p.is_dir():
        raise NetworkFormatError(f"{p}: is a folder; pass a file, or use a dataset --format.")
    raw = p.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
        encoding = "utf-8"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
            encoding = "latin-1"
        log.info("%s is not UTF-8; read as %s", p, encoding)
    if encoding == "utf-16" and text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise NetworkFormatError(f"{p}: the file is empty. Export the network again.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True, slots=True)
class Rows:
    """Parsed CSV rows with the physical line each starts on."""

    path: Path
    rows: list[list[str]]
    lines: list[int]


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best]:
        return best
    return " " if len(first_line.split()) > 1 else ","


def read_rows(path: str | Path, *, delimiter: str | None = None) -> Rows:
    """Read a delimited file into rows (blank lines skipped), remembering line numbers.

    The delimiter is the most frequent of ``,`` ``;`` tab ``|`` on the first line (else a
    space when the line has several words).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("a;b\\n\\nc;d\\n")
    >>> read_rows(p).lines
    [1, 3]
    """
    p = Path(path)
    text = read_text(p)
    first = next(line for line in text.split("\n") if line.strip())
    delim = delimiter or _sniff_delimiter(first)
    reader = csv.reader(
        io.StringIO(text), delimiter=delim, skipinitialspace=delim == " ", strict=True
    )
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append([cell.strip() for cell in row])
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise NetworkFormatError(f"{p}, line {reader.line_num}: {exc}.") from None
    return Rows(p, rows, lines)


def parse_number(text: str, rows: Rows, k: int, column: str) -> float:
    """A numeric cell of row ``k`` (empty → 0; one decimal comma is read as a point).

    Raises
    ------
    NetworkFormatError
        The cell is not a finite number (naming file, line and column).

    Examples
    --------
    >>> parse_number("2,5", Rows(Path("m.csv"), [["2,5"]], [1]), 0, "w")
    2.5
    """
    if text == "":
        return 0.0
    try:
        value = float(text.replace(",", ".") if text.count(",") == 1 else text)
    except ValueError:
        value = math.nan
    if math.isnan(value) or math.isinf(value):
        raise NetworkFormatError(
            f"{rows.path}, line {rows.lines[k]}, column {column!r}: {text!r} is not a number."
            " Fix the cell or point --format at the right reader."
        )
    return value


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a number (NaN does not count).

    Examples
    --------
    >>> is_number("3"), is_number("nan"), is_number("x")
    (True, False, False)
    """
    try:
        return not math.isnan(float(text))
    except ValueError:
        return False


def find_column(
    header: list[str], names: set[str], given: str | None, what: str, rows: Rows
) -> int:
    """Index of the column named ``given``, else of the first header in ``names`` (-1: none).

    Raises
    ------
    NetworkFormatError
        ``given`` is not a header (with a did-you-mean).

    Examples
    --------
    >>> find_column(["From", "To"], {"to"}, None, "target", Rows(Path("e.csv"), [], []))
    1
    """
    lowered = [h.lower() for h in header]
    if given is not None:
        if given.lower() in lowered:
            return lowered.index(given.lower())
        raise NetworkFormatError(
            f"{rows.path}: no {what} column {given!r}.{did_you_mean(given, header)} "
            f"Columns: {', '.join(header)}."
        )
    for i, h in enumerate(lowered):
        if h in names:
            return i
    return -1
