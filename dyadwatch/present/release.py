"""Partner release packages: share the picture without sources and methods, and mark each copy.

A release is a directory (and a zip of it) for one recipient, as of one day, for one dyad:

``events.csv`` / ``events.parquet``
    The dyad's events public by that day whose ``handling`` is ``public``. Sensitive-handling
    events are withheld entirely, and the columns in :data:`DROPPED_FIELDS` — the sources'
    own keys, pipeline internals and the analyst's assessments, i.e. sources and methods —
    are removed from every row. ``event_id`` is the copy's own pseudonym of each event
    (below), never the stored id, so the withheld source keys cannot be recovered from it.
``index-<freq>.csv``
    The cooperation–conflict index, per source and fused.
``findings.csv``
    The rules as of that day: status and explanation.
``README.txt``, ``manifest.json``
    What is inside and which fields were left out; the SHA-256 of every file. Neither says
    whether any event was withheld (``disclose_withheld=True`` says how many).

Nothing in a package is computed from withheld data: the index and the findings are computed
from a private temporary store that holds only the released events (plus the indicator and
instrument-state datasets and the volume denominators, which carry no handling marks), so a
count or a rule cannot betray a withheld event.

Each copy is marked in five ways, from the store's secret release key (``<store>/release.key``,
created with the first release, readable by its owner only) and the copy's id:

1. visibly: the column ``release_copy`` on every row of every table, the copy in the Parquet
   metadata, a marking line naming the recipient at the top of the README;
2. keyed ids: each event's ``event_id`` is an HMAC of the stored id under the copy's key,
   different in every copy and meaningless without the key;
3. row order: events are listed in the order of another HMAC of the copy's key;
4. column order: after ``release_copy`` and ``event_id``, the events' columns come in an
   order of the copy's own (a harmless per-copy variation: readers use the header);
5. the register: every copy is entered in the store's release register (:func:`register`).

:func:`identify` weighs every one of these against the register, reports where they disagree
(a rewritten marking column is a conflict, not a verdict) and says how sure it is. See
``docs/release.md`` for the threat model: a partner who edits a file before passing it on.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import math
import os
import secrets
import shutil
import tempfile
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dyadwatch.analyse.index import dyad_index
from dyadwatch.errors import StoreError, UsageError
from dyadwatch.model import DATASETS
from dyadwatch.policy.disclosure import (
    releasable_events,
    release_register,
    store_of,
)
from dyadwatch.policy.rules import evaluate, load_rules
from dyadwatch.store import Store
from dyadwatch.store.query import parse_dyad

log = logging.getLogger(__name__)

DROPPED_FIELDS: tuple[str, ...] = (
    "source_key",
    "ingested_at",
    "confidence",
    "handling",
    "dedupe_group",
    "coder",
    "attributes",
)
"""Columns no release carries unless the office says otherwise: the source's internal keys
(``source_key``, and ``attributes``, the source-native fields, which may hold them), the
pipeline's timings, grouping and coder (how the data was collected and processed), and the
analyst's confidence (an assessment, i.e. method). Everything else in an event is the public
record it cites."""

MARK_COLUMN = "release_copy"
"""The column, first in every released table, holding the copy's id."""

KEY_FILE = "release.key"
"""The store's release key: 32 random bytes (hex), mode 0600, made by the first release."""

FIXED_COLUMNS = (MARK_COLUMN, "event_id")
"""The events table's leading columns; the rest come in the copy's own order."""

COPY_ID_BYTES = 8
"""A copy id is 16 hex characters: unguessable, short enough to read out on a call."""

CERTAIN, STRONG, WEAK = -9.0, -4.0, -2.0
"""log10 of the chance that an unrelated copy shows the hidden marks found: at or below
CERTAIN the copy is named as certain (one chance in a billion of a wrong name), STRONG as
strong, WEAK as weak; above WEAK a hidden mark is no evidence."""

_LOG10_ID_SPACE = 128 * math.log10(2)
_CONTENT_FIELDS = (
    "event_date",
    "actor1_code",
    "actor2_code",
    "cameo_code",
    "summary",
    "source_urls",
    "actor1_name",
    "actor2_name",
    "action_name",
)
"""Public fields that find a row's event when its ``event_id`` was removed or rewritten."""


@dataclass(frozen=True, slots=True)
class Release:
    """One package written for one recipient."""

    copy_id: str
    recipient: str
    as_of: date
    dyad: str
    directory: Path
    archive: Path
    events: int
    withheld: int
    manifest: dict[str, Any] = field(repr=False)

    def text(self) -> str:
        """A summary for the releasing office (the package itself does not say this)."""
        return (
            f"release {self.copy_id} for {self.recipient}: {self.events} events of {self.dyad} "
            f"as of {self.as_of} ({self.withheld} sensitive-handling events withheld)\n"
            f"  {self.directory}\n  {self.archive}"
        )


# --- keys --------------------------------------------------------------------------------------


def release_key(store: Store, *, create: bool = False) -> bytes | None:
    """The store's secret release key (None if no keyed release was ever made).

    It lives in ``<store>/release.key`` (mode 0600), next to the catalog, and never leaves
    the store: every copy's ids, row order and column order derive from it, and without it
    they cannot be computed, checked or reversed.

    >>> key = release_key(store, create=True)  # doctest: +SKIP
    >>> len(key)  # doctest: +SKIP
    32
    """
    path = Path(store.root) / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            return None
        tmp = path.with_name(f".{KEY_FILE}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # atomic, and refuses to replace a key another process made
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return release_key(store)
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(
            f"{path} cannot be read ({exc}); releases cannot be made or traced."
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise StoreError(
            f"{path} is not a release key (64 hex digits); restore it from a backup — "
            "without it no earlier copy can be traced."
        )
    return key


def copy_key(key: bytes, copy_id: str) -> bytes:
    """The key of one copy, derived from the store's release key and the copy's id."""
    return hmac.new(key, b"copy\x1f" + copy_id.encode(), hashlib.sha256).digest()


def keyed_id(key: bytes, event_id: str, scope: str = "") -> str:
    """A stored ``event_id`` as it leaves the system: 32 hex digits that reveal nothing.

    An HMAC-SHA256 under ``key`` (a copy's key, or the store's release key with a ``scope``
    such as ``"api"``), truncated to the stored ids' length. Without the key, hashing
    candidate source keys finds nothing: the stored id is never shown.

    >>> stored = "a5b8f1b7d0b9f6bf7b4c5d4b04a1f4c3"
    >>> len(keyed_id(bytes(32), stored)), keyed_id(bytes(32), stored) == stored
    (32, False)
    """
    message = f"id\x1f{scope}\x1f{event_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _order_key(copy: bytes, event_id: str) -> bytes:
    return hmac.new(copy, b"order\x1f" + event_id.encode(), hashlib.sha256).digest()[:8]


def _column_key(copy: bytes, name: str) -> bytes:
    return hmac.new(copy, b"column\x1f" + name.encode(), hashlib.sha256).digest()[:8]


def column_order(copy: bytes, names: Sequence[str]) -> list[str]:
    """The events table's columns in one copy's order: :data:`FIXED_COLUMNS` first."""
    fixed = [n for n in FIXED_COLUMNS if n in names]
    rest = sorted((n for n in names if n not in FIXED_COLUMNS), key=lambda n: _column_key(copy, n))
    return fixed + rest


def drop_list(extra: Iterable[str] = (), *, replace: bool = False) -> tuple[str, ...]:
    """The fields a release drops: the defaults plus ``extra`` (or ``extra`` alone).

    >>> drop_list(["summary"])[-1]
    'summary'
    >>> drop_list(["summary"], replace=True)
    ('summary',)
    """
    extra = tuple(dict.fromkeys(extra))
    if replace:
        return extra
    return DROPPED_FIELDS + tuple(f for f in extra if f not in DROPPED_FIELDS)


def shipped_defaults(drop_fields: Sequence[str]) -> list[str]:
    """Default-dropped fields that ``drop_fields`` would ship (the warning's content)."""
    return [f for f in DROPPED_FIELDS if f not in drop_fields]


# --- building ----------------------------------------------------------------------------------


def _marking(copy_id: str, recipient: str, created: datetime) -> str:
    return (
        f"RELEASED TO {recipient} - COPY {copy_id} - {created:%Y-%m-%d %H:%M} UTC - "
        "dyadwatch partner release: sources' internal keys, processing details and analyst "
        "assessments removed. Do not pass on without the releasing office's consent."
    )


def _stamp(table: pa.Table, copy_id: str) -> pa.Table:
    return table.add_column(0, MARK_COLUMN, pa.array([copy_id] * table.num_rows, pa.string()))


def _write_csv(table: pa.Table, path: Path) -> None:
    """CSV with list columns joined by `` | `` (CSV has no lists)."""
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_list(col.type):
            # list<date32> (source_published) joins as ISO dates.
            col = pc.binary_join(pc.cast(col, pa.list_(pa.string())), " | ")
        columns.append(col)
    pacsv.write_csv(pa.table(columns, names=table.column_names), path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_release(
    store: Store,
    recipient: str,
    *,
    as_of: date,
    out_dir: Path,
    dyad: str = "USA-MEX",
    freq: str = "month",
    drop_fields: Sequence[str] = DROPPED_FIELDS,
    disclose_withheld: bool = False,
) -> Release:
    """Write a marked release package for ``recipient`` and enter it in the register.

    Parameters
    ----------
    store
        The store to release from (read; its release register and key are written).
    recipient
        Who receives this copy (printed on it and kept in the register).
    as_of
        Only what was public by the end of this day (UTC) is released.
    out_dir
        Directory in which ``release-<as_of>-<copy>/`` and its ``.zip`` are written.
    dyad, freq
        The dyad whose events and index are released, and the index's frequency.
    drop_fields
        Event columns to remove (default :data:`DROPPED_FIELDS`; :func:`drop_list` adds to
        it). A list that ships a default-dropped field is logged as a warning. ``event_id``
        cannot be dropped: it is how a recipient refers back to an event.
    disclose_withheld
        Say in the README and the manifest how many sensitive-handling events were withheld
        (default: the package says nothing about them; the register always records it).

    Examples
    --------
    >>> build_release(store, "Partner desk", as_of=date(2021, 1, 31), out_dir=Path("out"))
    ... # doctest: +SKIP
    """
    recipient = " ".join(recipient.split())
    if not recipient:
        raise UsageError("a release needs a recipient: who receives this copy?")
    drop_fields = tuple(dict.fromkeys(drop_fields))
    unknown = [f for f in drop_fields if f not in DATASETS["events"].names]
    if unknown:
        raise UsageError(
            f"cannot drop {unknown[0]!r}: not an event field. "
            f"Fields: {', '.join(DATASETS['events'].names)}."
        )
    if "event_id" in drop_fields:
        raise UsageError("event_id cannot be dropped: recipients refer to events by it.")
    shipped = shipped_defaults(drop_fields)
    if shipped:
        log.warning(
            "this copy ships field(s) every release drops by default: %s (sources and "
            "methods); it is marked and registered as usual",
            ", ".join(shipped),
        )
    parse_dyad(dyad)

    released, withheld = releasable_events(store, dyad, as_of)
    if released.num_rows == 0:
        raise UsageError(
            f"nothing to release: the store holds no public-handling {dyad} events known by "
            f"{as_of}."
        )
    copy_id = secrets.token_hex(COPY_ID_BYTES)
    created = datetime.now(UTC)
    key = release_key(store, create=True)
    assert key is not None
    copy = copy_key(key, copy_id)

    files: dict[str, pa.Table] = {}
    ids = released.column("event_id").to_pylist()
    order = sorted(range(len(ids)), key=lambda i: _order_key(copy, ids[i]))
    shared = released.take(order).drop_columns(list(drop_fields))
    pseudonyms = pa.array([keyed_id(copy, ids[i]) for i in order], pa.string())
    shared = shared.set_column(shared.column_names.index("event_id"), "event_id", pseudonyms)
    stamped = _stamp(shared, copy_id)
    files["events"] = stamped.select(column_order(copy, stamped.column_names))

    with tempfile.TemporaryDirectory(prefix="dyadwatch-release-") as tmp:
        private = store_of(Path(tmp) / "store", store, released, dyad)
        index = dyad_index(private, dyad=dyad, freq=freq, as_of=as_of)
        index = index.drop_columns(["contributions"])
        findings = evaluate(private, load_rules(), as_of)
    files[f"index-{freq}"] = _stamp(index, copy_id)
    files["findings"] = _stamp(
        pa.table(
            {
                "rule_id": [f.rule_id for f in findings],
                "title": [f.title for f in findings],
                "status": [f.status for f in findings],
                "explanation": [f.explanation for f in findings],
            }
        ),
        copy_id,
    )

    # Only now, with everything computed, does the package appear on disk.
    directory = Path(out_dir) / f"release-{as_of.isoformat()}-{copy_id}"
    directory.mkdir(parents=True, exist_ok=False)
    marking = _marking(copy_id, recipient, created)
    meta = {
        b"dyadwatch.release": json.dumps(
            {"copy_id": copy_id, "recipient": recipient, "as_of": as_of.isoformat()}
        ).encode()
    }
    listing = []
    for name, table in files.items():
        csv_path = directory / f"{name}.csv"
        _write_csv(table, csv_path)
        listing.append(csv_path)
        if name == "events":
            parquet_path = directory / "events.parquet"
            marked = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
            pq.write_table(marked, parquet_path)
            listing.append(parquet_path)
    readme = directory / "README.txt"
    readme.write_text(
        _readme(
            marking,
            recipient,
            copy_id,
            as_of,
            dyad,
            freq,
            released.num_rows,
            withheld if disclose_withheld else None,
            drop_fields,
        ),
        encoding="utf-8",
    )
    listing.append(readme)
    manifest: dict[str, Any] = {
        "copy_id": copy_id,
        "recipient": recipient,
        "created_at": created.isoformat(),
        "as_of": as_of.isoformat(),
        "dyad": dyad,
        "freq": freq,
        "events": released.num_rows,
    }
    if disclose_withheld:
        manifest["withheld_sensitive_events"] = withheld
    manifest.update(
        {
            "dropped_fields": list(drop_fields),
            "dyadwatch_version": metadata.version("dyadwatch"),
            "marking": marking,
            "files": [
                {"name": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in listing
            ],
        }
    )
    manifest_path = directory / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    archive = Path(shutil.make_archive(str(directory), "zip", directory.parent, directory.name))
    with store.writer() as writer:
        writer.record_release(
            [
                copy_id,
                recipient,
                created,
                as_of,
                dyad,
                released.num_rows,
                withheld,
                ",".join(drop_fields),
                _sha256(manifest_path),
                str(directory.resolve()),
            ]
        )
    log.info("release %s for %s written to %s", copy_id, recipient, directory)
    return Release(
        copy_id, recipient, as_of, dyad, directory, archive, released.num_rows, withheld, manifest
    )


def _readme(
    marking: str,
    recipient: str,
    copy_id: str,
    as_of: date,
    dyad: str,
    freq: str,
    n: int,
    withheld: int | None,
    dropped: Sequence[str],
) -> str:
    events_left_out = (
        f"  {withheld} sensitive-handling events. The index and the findings were computed\n"
        "  from the released events only.\n"
        if withheld is not None
        else ""
    )
    return f"""{marking}

What this is
  A dyadwatch partner release for {recipient}: the {dyad} security relationship as of
  {as_of} (only what was public by the end of that day, UTC).

Files
  events.csv, events.parquet  {n} events, one row each; list fields (URLs, titles,
                              instruments) are joined by " | " in the CSV. Refer to an
                              event by its event_id, which is this copy's own.
  {f"index-{freq}.csv":<28}the cooperation-conflict index per source and fused.
  findings.csv                the policy rules as of {as_of}: met, not met or unknown.
  manifest.json               what was released and the SHA-256 of every file.

Left out
{events_left_out}  These fields of every event: {", ".join(dropped) or "none"}.

Marking
  Every row carries this copy's id ({copy_id}) in the column {MARK_COLUMN}.
"""


def register(store: Store) -> pa.Table:
    """The release register: every copy made from this store, newest first."""
    return release_register(store)


# --- identifying -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signal:
    """One mark found in a file, for one registered copy.

    ``found`` of ``of`` rows (or columns) carry it. ``log10_chance`` is log10 of the chance
    that a file from *another* copy would show as much (0: no such bound; the visible marks
    can be written by anyone, so they carry none).
    """

    mark: str
    copy_id: str
    found: int
    of: int
    log10_chance: float
    hidden: bool

    def describe(self) -> str:
        text = f"{self.mark}: {self.found} of {self.of}"
        if self.hidden:
            text += f" (chance of a wrong match {_chance(self.log10_chance)})"
        return text


@dataclass(frozen=True, slots=True)
class Match:
    """A registered copy a file came from, how that was established and how sure it is."""

    copy_id: str
    recipient: str
    created_at: datetime
    how: str
    confidence: str
    """``certain``, ``strong``, ``weak``, or ``claimed`` (visible marks only: forgeable)."""
    log10_chance: float
    signals: tuple[Signal, ...] = ()

    @property
    def chance_of_error(self) -> str:
        return _chance(self.log10_chance) if self.confidence != "claimed" else "unknown"


@dataclass(frozen=True, slots=True)
class Identification:
    """What :func:`identify` established about a file: matches, conflicts, notes."""

    path: Path
    rows: int
    matches: tuple[Match, ...]
    conflicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.matches)

    def rows_out(self) -> list[dict[str, Any]]:
        """One row per match (for ``--json`` / ``--csv`` output)."""
        return [
            {
                "copy_id": m.copy_id,
                "recipient": m.recipient,
                "created_at": m.created_at,
                "confidence": m.confidence,
                "chance_of_error": m.chance_of_error,
                "how": m.how,
                "conflicts": "; ".join(self.conflicts),
            }
            for m in self.matches
        ]


def _chance(log10: float) -> str:
    if log10 <= -30:
        return "< 1e-30"
    if log10 >= 0:
        return "1"
    exponent = math.floor(log10)
    mantissa = 10 ** (log10 - exponent)
    return f"{mantissa:.1f}e{exponent}"


def _log10_increasing_chance(n: int, k: int) -> float:
    """log10 of a bound on P(a random order of n items has an increasing run of k of them).

    The expected number of increasing subsequences of length k is C(n, k) / k!.
    """
    if k < 2 or n < 2:
        return 0.0
    log_c = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return min(0.0, (log_c - math.lgamma(k + 1)) / math.log(10))


def _longest_increasing(values: Sequence[bytes]) -> int:
    tails: list[bytes] = []
    for v in values:
        i = bisect_left(tails, v)
        if i == len(tails):
            tails.append(v)
        else:
            tails[i] = v
    return len(tails)


@dataclass(slots=True)
class _File:
    header: list[str]
    rows: list[dict[str, str]]
    metadata_copy: str | None = None
    notes: list[str] = field(default_factory=list)


def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


_KNOWN_HEADERS = frozenset(
    {*DATASETS["events"].names, MARK_COLUMN, "period", "rule_id", "status", "title"}
)


def _delimiter(first_line: str) -> str:
    """The delimiter that splits the header into the most known column names.

    (Not csv.Sniffer: the events' list fields hold `` | `` and mislead it.)
    """

    def known(delimiter: str) -> tuple[int, int]:
        names = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(n.strip().lower() in _KNOWN_HEADERS for n in names), len(names)

    return max(",;\t|", key=known)


def _read_delimited(path: Path) -> _File:
    text, encoding = _decode(path.read_bytes())
    first = text.split("\n", 1)[0]
    delimiter = _delimiter(first)
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
    return _File(header, rows, notes=notes)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(_text(v) for v in value)
    return str(value)


def _read_parquet(path: Path) -> _File:
    table = pq.read_table(path)
    header = [n.strip().lower() for n in table.column_names]
    rows = [
        {h: _text(v) for h, v in zip(header, row.values(), strict=True)}
        for row in table.to_pylist()
    ]
    copy = None
    raw = (table.schema.metadata or {}).get(b"dyadwatch.release")
    if raw:
        try:
            copy = str(json.loads(raw)["copy_id"])
        except (ValueError, KeyError, TypeError):
            copy = None
    return _File(header, rows, copy)


def _read_file(path: Path) -> _File:
    try:
        if path.suffix.lower() == ".parquet":
            return _read_parquet(path)
        return _read_delimited(path)
    except (OSError, pa.ArrowInvalid, csv.Error, ValueError) as exc:
        raise UsageError(f"cannot read {path} as a CSV or Parquet table: {exc}") from None


def _norm(name: str, value: str) -> str:
    value = " ".join(value.split()).lower()
    if name == "cameo_code":
        return value.lstrip("0")
    if name == "event_date" and len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


@dataclass(slots=True)
class _Candidates:
    """The events a copy of one (dyad, as_of) was made from, and ways to find them."""

    ids: list[str]
    content: dict[tuple[str, ...], dict[tuple[str, ...], list[str]]] = field(default_factory=dict)
    table: pa.Table | None = None

    def by_content(self, fields: tuple[str, ...]) -> dict[tuple[str, ...], list[str]]:
        if fields not in self.content:
            assert self.table is not None
            columns = {f: self.table.column(f).to_pylist() for f in fields}
            index: dict[tuple[str, ...], list[str]] = {}
            for i, eid in enumerate(self.ids):
                sig = tuple(_norm(f, _text(columns[f][i])) for f in fields)
                index.setdefault(sig, []).append(eid)
            self.content[fields] = index
        return self.content[fields]


def _content_match(
    rows: list[dict[str, str]], todo: list[int], cand: _Candidates, header: list[str]
) -> dict[int, str]:
    """Rows found by their public content, trying field sets from the most specific."""
    present = [f for f in _CONTENT_FIELDS if f in header]
    if not present or not todo:
        return {}
    variants = [tuple(present)]
    for dropped in ("event_date", "cameo_code", "summary"):
        if dropped in present and len(present) > 1:
            variants.append(tuple(f for f in present if f != dropped))
    best: dict[int, str] = {}
    for fields in variants:
        index = cand.by_content(fields)
        found = {}
        for i in todo:
            sig = tuple(_norm(f, rows[i].get(f, "")) for f in fields)
            hits = index.get(sig, [])
            if len(hits) == 1 and any(sig):
                found[i] = hits[0]
        if len(found) > len(best):
            best = found
    return best


def identify(store: Store, path: Path) -> Identification:
    """Which registered copies ``path`` (a released CSV or Parquet file) came from.

    Every mark is weighed (module docstring): the marking column and the Parquet metadata
    (visible, forgeable), and the copy's keyed ids, row order and column order (hidden:
    computable only with the store's release key). Rows whose ``event_id`` was removed or
    rewritten are found by their public content. A file re-saved with another delimiter or
    encoding, with rows reordered, removed or added, or with the marking column blanked,
    forged or removed, is still named by what survives; where marks disagree, the
    disagreement is reported as a conflict, and each match says how sure it is.

    Examples
    --------
    >>> found = identify(store, Path("forwarded.csv"))  # doctest: +SKIP
    >>> found.matches[0].recipient, found.matches[0].confidence  # doctest: +SKIP
    ('Partner desk', 'certain')
    """
    path = Path(path)
    data = _read_file(path)
    header, rows = data.header, data.rows
    copies = {r["copy_id"]: r for r in register(store).to_pylist()}
    key = release_key(store)
    permuted = [h for h in header if h in DATASETS["events"].names and h not in FIXED_COLUMNS]
    content = [f for f in _CONTENT_FIELDS if f in header]
    if MARK_COLUMN not in header and "event_id" not in header and not content:
        raise UsageError(
            f"{path} has neither a {MARK_COLUMN} column, nor an event_id column, nor any event "
            "field: nothing to identify a copy by."
        )
    signals: dict[str, list[Signal]] = {c: [] for c in copies}
    conflicts: list[str] = []
    notes = list(data.notes)

    # Visible marks: anyone can write them, so they name a copy but prove nothing.
    if MARK_COLUMN in header:
        marks = Counter(r.get(MARK_COLUMN, "").strip().lower() for r in rows)
        blank = marks.pop("", 0)
        if blank:
            notes.append(f"{blank} of {len(rows)} rows have a blank {MARK_COLUMN}")
        for mark, n in sorted(marks.items()):
            if mark in copies:
                signals[mark].append(Signal("marking column", mark, n, len(rows), 0.0, False))
            else:
                shown = mark[:20]
                conflicts.append(
                    f"{n} row(s) are marked {shown!r}, which is no copy in the register "
                    "(a forged or altered marking column)"
                )
    else:
        notes.append(f"the file has no {MARK_COLUMN} column")
    if data.metadata_copy:
        if data.metadata_copy in copies:
            signals[data.metadata_copy].append(
                Signal("Parquet metadata", data.metadata_copy, 1, 1, 0.0, False)
            )
        else:
            conflicts.append(f"the Parquet metadata names {data.metadata_copy!r}, no copy")

    # Hidden marks need the key.
    pools: dict[tuple[str, date], _Candidates] = {}

    def pool(copy: dict[str, Any]) -> _Candidates:
        where = (copy["dyad"], copy["as_of"])
        if where not in pools:
            table, _ = releasable_events(store, copy["dyad"], copy["as_of"])
            pools[where] = _Candidates(table.column("event_id").to_pylist(), table=table)
        return pools[where]

    row_event: dict[int, str] = {}
    file_ids = [r.get("event_id", "").strip().lower() for r in rows] if "event_id" in header else []
    with_ids = sum(1 for v in file_ids if v)
    copy_keys = {c: copy_key(key, c) for c in copies} if key else {}
    for copy_id, copy in copies.items():
        if key is None or not file_ids:
            break
        cand = pool(copy)
        pseudonyms = {keyed_id(copy_keys[copy_id], e): e for e in cand.ids}
        hits = [i for i, v in enumerate(file_ids) if v in pseudonyms]
        if hits:
            chance = len(hits) * (math.log10(max(len(pseudonyms), 1)) - _LOG10_ID_SPACE)
            signals[copy_id].append(
                Signal("keyed event ids", copy_id, len(hits), with_ids, chance, True)
            )
            for i in hits:
                row_event.setdefault(i, pseudonyms[file_ids[i]])
    if file_ids and copies:
        stored = {e for copy in copies.values() for e in pool(copy).ids}
        plain = [i for i, v in enumerate(file_ids) if v in stored]
        if plain:
            notes.append(
                f"{len(plain)} row(s) carry stored event ids (a copy made before ids were "
                "keyed, or data from inside the office)"
            )
            for i in plain:
                row_event.setdefault(i, file_ids[i])
    unmatched_ids = [i for i, v in enumerate(file_ids) if v and i not in row_event]
    if unmatched_ids:
        notes.append(
            f"{len(unmatched_ids)} row(s) have an event_id no copy issued (rewritten, or added)"
        )
    for copy in copies.values():
        todo = [i for i in range(len(rows)) if i not in row_event]
        row_event.update(_content_match(rows, todo, pool(copy), header))
    if len(row_event) < len(rows):
        notes.append(f"{len(rows) - len(row_event)} row(s) match no stored event")

    for copy_id, copy in copies.items():
        if key is None:
            break
        members = set(pool(copy).ids)
        seen: set[str] = set()
        sequence = []
        for i in sorted(row_event):
            event = row_event[i]
            if event in members and event not in seen:
                seen.add(event)
                sequence.append(_order_key(copy_keys[copy_id], event))
        longest = _longest_increasing(sequence)
        chance = _log10_increasing_chance(len(sequence), longest)
        if chance <= WEAK:
            signals[copy_id].append(
                Signal("row order", copy_id, longest, len(sequence), chance, True)
            )
        if len(permuted) >= 3:
            ranks = [_column_key(copy_keys[copy_id], h) for h in permuted]
            longest = _longest_increasing(ranks)
            chance = _log10_increasing_chance(len(ranks), longest)
            if chance <= WEAK:
                signals[copy_id].append(
                    Signal("column order", copy_id, longest, len(ranks), chance, True)
                )
    if key is None and copies:
        notes.append(f"the store has no {KEY_FILE}: only visible marks can be checked")

    return _verdict(path, len(rows), copies, signals, conflicts, notes)


def _verdict(
    path: Path,
    n_rows: int,
    copies: dict[str, dict[str, Any]],
    signals: dict[str, list[Signal]],
    conflicts: list[str],
    notes: list[str],
) -> Identification:
    # With many copies in the register one of them may show a weak mark by chance: the
    # chance of a wrong match is counted over every copy that could have matched.
    tries = math.log10(max(len(copies), 1))
    hidden_score = {
        c: min(0.0, sum(s.log10_chance for s in found if s.hidden) + tries)
        for c, found in signals.items()
    }
    named = sorted((c for c, v in hidden_score.items() if v <= WEAK), key=hidden_score.__getitem__)
    claimed = [c for c, found in signals.items() if found and c not in named]
    matches = []
    for c in named:
        score = hidden_score[c]
        confidence = "certain" if score <= CERTAIN else "strong" if score <= STRONG else "weak"
        matches.append(_match(copies[c], signals[c], confidence, score))
    strong = [c for c in named if hidden_score[c] <= STRONG]
    if len(strong) > 1:
        conflicts.append(
            "hidden marks of more than one copy: "
            + ", ".join(f"{c} ({copies[c]['recipient']})" for c in strong)
            + " — the file combines copies, or was assembled from more than one"
        )
    if named:
        top = named[0]
        for c in claimed:
            visible = ", ".join(s.mark for s in signals[c])
            conflicts.append(
                f"the {visible} names copy {c} ({copies[c]['recipient']}), but the hidden "
                f"marks name {top} ({copies[top]['recipient']}): the visible marking was "
                "rewritten"
            )
        for c in named:
            if not any(not s.hidden for s in signals[c]) and c == top:
                notes.append(f"no visible mark names {c}: it was blanked, removed or rewritten")
    else:
        for c in claimed:
            matches.append(_match(copies[c], signals[c], "claimed", 0.0))
        if claimed:
            notes.append(
                "only visible marks name a copy, and anyone can write those: no hidden mark "
                "confirms them"
            )
    return Identification(path, n_rows, tuple(matches), tuple(conflicts), tuple(notes))


def _match(copy: dict[str, Any], found: list[Signal], confidence: str, score: float) -> Match:
    how = "; ".join(s.describe() for s in found)
    return Match(
        copy["copy_id"],
        copy["recipient"],
        copy["created_at"],
        how,
        confidence,
        score,
        tuple(found),
    )


def verify(directory: Path) -> list[str]:
    """Problems with a package on disk (empty: every file is as the manifest lists it)."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"manifest.json cannot be read: {exc}"]
    problems = []
    listed = set()
    for item in manifest.get("files", []):
        name = str(item.get("name"))
        listed.add(name)
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif _sha256(path) != item.get("sha256"):
            problems.append(f"{name}: changed since release (SHA-256 differs)")
    extra = sorted(p.name for p in directory.iterdir() if p.name not in listed | {"manifest.json"})
    problems.extend(f"{name}: not in the manifest" for name in extra)
    return problems
