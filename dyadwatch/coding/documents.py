"""Documents in: plain text, JSON Lines or CSV, checked before any coding.

Formats (by file suffix):

- ``.jsonl`` / ``.ndjson``: one JSON object per line with ``text`` and optional ``published``
  (ISO date or datetime), ``url``, ``id``, ``lang``;
- ``.csv``: a header with a ``text`` column and the same optional columns;
- anything else is plain text: the whole file is one document, or each non-blank line one
  document with ``lines=True``. A text document may begin with a line
  ``published: 2021-01-15`` (or a datetime with offset), which gives its publication time.

Bad input never crashes and is never dropped in silence: each problem becomes a
:class:`Rejected` item in the stream, in input order, with the file, line and reason — an empty
or blank document, a binary file, a document over :data:`MAX_DOC_CHARS`, a line that is not
JSON, a row without text, a date that is not a date, text in neither English nor Spanish.
Bytes that are not UTF-8 are read as Windows-1252 (the usual culprit) and the document says so.

Examples
--------
>>> from pathlib import Path
>>> p = Path(getfixture("tmp_path")) / "a.txt"
>>> _ = p.write_text("published: 2021-01-15\\nThe DEA met Mexican officials.")
>>> [d.published.isoformat() for d in read_documents([p]) if isinstance(d, Document)]
['2021-01-15T23:59:59.999999+00:00']
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from dyadwatch.coding.features import fold
from dyadwatch.model import end_of_day

log = logging.getLogger(__name__)

MAX_DOC_CHARS = 1_000_000
"""A longer document is rejected: split it (a book is not a news item)."""
MAX_FILE_BYTES = 2_000_000_000
LANGS = ("en", "es")

_EN = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "is",
        "that",
        "for",
        "on",
        "was",
        "with",
        "by",
        "as",
        "at",
        "from",
        "said",
        "has",
        "have",
        "it",
        "are",
        "were",
        "be",
        "this",
        "an",
        "which",
        "his",
        "their",
        "will",
        "after",
        "its",
        "not",
        "but",
        "who",
        "they",
        "been",
        "also",
        "had",
        "over",
        "than",
    ]
)
_ES = frozenset(
    [
        "el",
        "la",
        "de",
        "que",
        "y",
        "en",
        "los",
        "las",
        "del",
        "se",
        "por",
        "un",
        "una",
        "con",
        "para",
        "al",
        "es",
        "su",
        "lo",
        "como",
        "mas",
        "pero",
        "sus",
        "le",
        "ya",
        "fue",
        "este",
        "entre",
        "cuando",
        "muy",
        "sin",
        "sobre",
        "tambien",
        "hasta",
        "hay",
        "donde",
        "han",
        "desde",
        "esta",
        "dijo",
    ]
)
_OTHER = frozenset(
    [
        "les",
        "des",
        "du",
        "une",
        "et",
        "est",
        "dans",
        "sur",
        "qui",
        "avec",
        "sont",
        "pas",
        "nous",
        "vous",
        "ils",
        "elle",
        "der",
        "die",
        "und",
        "das",
        "ist",
        "nicht",
        "mit",
        "sich",
        "auf",
        "dem",
        "den",
        "ein",
        "eine",
        "nao",
        "uma",
        "com",
        "os",
        "ao",
        "das",
        "dos",
        "em",
        "foi",
        "sao",
        "pelo",
        "pela",
        "il",
        "che",
        "di",
        "non",
        "sono",
        "della",
        "degli",
        "nel",
        "alla",
    ]  # Italian
)
_WORDS = re.compile(r"[a-z]+")
_SENT_END = re.compile(r"(?<=[.!?»\"”])\s+(?=[\"“«¿¡(]?[A-ZÁÉÍÓÚÑ0-9])|\n\s*\n")
_ABBREV = re.compile(
    r"(?:\b(?:U\.S|U\.N|EE\.UU|Mr|Mrs|Ms|Dr|Gen|Sr|Sra|Lic|Gral|Sen|Rep|Gov|Lt|Col|Capt|St|Jr|"
    r"No|Nos|Inc|Co|Corp|Dept|vs|etc|p\.ej)\.|\b[A-Z]\.)$"
)
_PUBLISHED_LINE = re.compile(r"\A\s*(?:published|date|fecha)\s*:\s*(\S[^\n]*)\n", re.I)


@dataclass(slots=True)
class Document:
    """One document to code."""

    doc_id: str
    text: str
    file: str
    line: int | None = None
    published: datetime | None = None
    url: str | None = None
    lang: str | None = None
    """Given by the input or ``--lang``; otherwise detected per sentence."""
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Rejected:
    """An input that could not become a document, and why."""

    doc_id: str
    file: str
    line: int | None
    reason: str


def detect_language(text: str) -> str | None:
    """``en``, ``es`` or None (too few function words of either).

    >>> detect_language("La policía detuvo a los sospechosos en la ciudad.")
    'es'
    >>> detect_language("The police arrested the suspects in the city.")
    'en'
    >>> detect_language("12345 !!!") is None
    True
    >>> detect_language("Le gouvernement français a annoncé des mesures et des sanctions.") is None
    True
    """
    words = _WORDS.findall(fold(text[:4000]))
    en = sum(w in _EN for w in words)
    es = sum(w in _ES for w in words)
    other = sum(w in _OTHER for w in words)
    if en + es == 0 or other > en + es:
        return None
    if max(en, es) < 2 and len(words) > 12:
        return None
    return "en" if en >= es else "es"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace trimmed).

    >>> t = "The U.S. Embassy spoke. Mexico replied! ¿Y ahora?"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['The U.S. Embassy spoke.', 'Mexico replied!', '¿Y ahora?']
    """
    spans = []
    start = 0
    for m in _SENT_END.finditer(text):
        if m.group().strip() == "" and "\n\n" not in m.group().replace(" ", ""):
            before = text[max(start, m.start() - 12) : m.start()]
            if _ABBREV.search(before):
                continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def parse_published(value: object) -> datetime | None:
    """A publication time from ISO text: a date means the end of that day (UTC).

    >>> parse_published("2021-01-15T10:00:00-06:00").isoformat()
    '2021-01-15T16:00:00+00:00'
    >>> parse_published("") is None
    True
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError(f"published must be text, not {type(value).__name__}")
    text = value.strip()
    if len(text) == 10:
        return end_of_day(date.fromisoformat(text))
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _decode(raw: bytes) -> tuple[str | None, str | None]:
    """Text and a note on the encoding used, or (None, reason) for a binary file."""
    head = raw[:8192]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "read as UTF-16 (byte-order mark)"
        except UnicodeDecodeError:
            return None, "a UTF-16 byte-order mark followed by bytes that are not UTF-16"
    if b"\x00" in head:
        return None, "binary file (NUL bytes), not text"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.05:
        return None, "binary file (control bytes), not text"
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            return None, f"bytes that are neither UTF-8 nor Windows-1252 (at byte {exc.start})"
        return text, f"not UTF-8 (byte {exc.start}); read as Windows-1252"


def _check(doc: Document) -> Rejected | None:
    text = doc.text
    if not text.strip():
        return Rejected(doc.doc_id, doc.file, doc.line, "empty document: no text")
    if len(text) > MAX_DOC_CHARS:
        return Rejected(
            doc.doc_id,
            doc.file,
            doc.line,
            f"document of {len(text):,} characters is over the limit of {MAX_DOC_CHARS:,}; "
            "split it into articles",
        )
    if not any(c.isalpha() for c in text):
        return Rejected(doc.doc_id, doc.file, doc.line, "no words: the text has no letters")
    if doc.lang is None and detect_language(text) is None:
        return Rejected(
            doc.doc_id,
            doc.file,
            doc.line,
            "language not recognised as English or Spanish (give --lang en or es to code it "
            "anyway)",
        )
    return None


def _document(
    doc_id: str,
    text: object,
    file: str,
    line: int | None,
    published: object = None,
    url: object = None,
    lang: str | None = None,
    notes: Sequence[str] = (),
) -> Document | Rejected:
    if not isinstance(text, str):
        what = "missing" if text is None else f"a {type(text).__name__}, not text"
        return Rejected(doc_id, file, line, f"'text' is {what}")
    try:
        when = parse_published(published)
    except ValueError as exc:
        return Rejected(doc_id, file, line, f"'published' is not an ISO date or datetime ({exc})")
    if lang is not None and lang not in LANGS:
        return Rejected(doc_id, file, line, f"lang {lang!r} is not one of {', '.join(LANGS)}")
    doc = Document(
        doc_id,
        text,
        file,
        line,
        when,
        url if isinstance(url, str) and url.strip() else None,
        lang,
        list(notes),
    )
    return _check(doc) or doc


def read_documents(
    paths: Sequence[Path], lang: str | None = None, lines: bool = False
) -> Iterator[Document | Rejected]:
    """Documents and rejections from ``paths``, in input order.

    Parameters
    ----------
    paths
        Text, JSONL or CSV files.
    lang
        ``en`` or ``es`` to force the language; None detects it per sentence.
    lines
        Treat each non-blank line of a plain-text file as one document.
    """
    for path in paths:
        name = str(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                yield Rejected(name, name, None, f"file of {size:,} bytes is too large to read")
                continue
            raw = path.read_bytes()
        except OSError as exc:
            yield Rejected(name, name, None, f"cannot be read ({exc.strerror or exc})")
            continue
        text, note = _decode(raw)
        if text is None:
            yield Rejected(name, name, None, note or "not text")
            continue
        notes = [note] if note else []
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            yield from _jsonl(text, name, lang, notes)
        elif suffix == ".csv":
            yield from _csv(text, name, lang, notes)
        elif lines:
            any_line = False
            for n, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                any_line = True
                yield _document(f"{path.name}:{n}", line, name, n, lang=lang, notes=notes)
            if not any_line:
                yield Rejected(name, name, None, "empty file: no lines with text")
        else:
            published = None
            match = _PUBLISHED_LINE.match(text)
            if match:
                published, text = match.group(1).strip(), text[match.end() :]
            yield _document(path.name, text, name, None, published, lang=lang, notes=notes)


def _jsonl(
    text: str, name: str, lang: str | None, notes: list[str]
) -> Iterator[Document | Rejected]:
    seen = False
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        seen = True
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejected(f"{Path(name).name}:{n}", name, n, f"not JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield Rejected(f"{Path(name).name}:{n}", name, n, "not a JSON object")
            continue
        doc_id = str(obj.get("id") or f"{Path(name).name}:{n}")
        yield _document(
            doc_id,
            obj.get("text"),
            name,
            n,
            obj.get("published"),
            obj.get("url"),
            lang or _lang_field(obj.get("lang")),
            notes,
        )
    if not seen:
        yield Rejected(name, name, None, "empty file: no JSON lines")


def _lang_field(value: object) -> str | None:
    return value.strip().lower()[:2] if isinstance(value, str) and value.strip() else None


def _csv(text: str, name: str, lang: str | None, notes: list[str]) -> Iterator[Document | Rejected]:
    csv.field_size_limit(MAX_DOC_CHARS * 4)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        yield Rejected(name, name, None, "empty file: no CSV header")
        return
    except csv.Error as exc:
        yield Rejected(name, name, None, f"not CSV ({exc})")
        return
    if "text" not in header:
        yield Rejected(
            name, name, 1, f"CSV header has no 'text' column (found: {', '.join(header)})"
        )
        return
    col = {h: i for i, h in enumerate(header)}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Rejected(
                f"{Path(name).name}:{reader.line_num}",
                name,
                reader.line_num,
                f"malformed CSV: {exc}",
            )
            continue
        n = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            yield Rejected(
                f"{Path(name).name}:{n}",
                name,
                n,
                f"expected {len(header)} fields, found {len(row)}",
            )
            continue

        def get(key: str, row: list[str] = row) -> str | None:
            return row[col[key]] if key in col else None

        yield _document(
            get("id") or f"{Path(name).name}:{n}",
            get("text"),
            name,
            n,
            get("published"),
            get("url"),
            lang or _lang_field(get("lang")),
            notes,
        )
