"""Partner release packages: share the picture without sources and methods, and mark each copy.

A release is a directory (and a zip of it) for one recipient, as of one day, for one dyad:

``events.csv`` / ``events.parquet``
    The dyad's events public by that day whose ``handling`` is ``public``. Sensitive-handling
    events are withheld entirely (the README says how many), and the columns in
    :data:`DROPPED_FIELDS` — pipeline internals and the analyst's own confidence, i.e.
    methods — are removed from every row.
``index-<freq>.csv``
    The cooperation–conflict index, per source and fused.
``findings.csv``
    The rules as of that day: status and explanation.
``README.txt``, ``manifest.json``
    What is inside and what was left out; the SHA-256 of every file.

Nothing in a package is computed from withheld data: the index and the findings are computed
from a private temporary store that holds only the released events (plus the indicator and
instrument-state datasets and the volume denominators, which carry no handling marks), so a
count or a rule cannot betray a withheld event.

Each copy is marked twice. Visibly: every table row carries the copy's id in the column
``release_copy``, Parquet files carry the copy in their metadata, and the README opens with a
marking line naming the recipient. Invisibly: event rows are ordered by a keyed hash of the
copy id and the event id, so even a copy stripped of its marking column can be traced by
its row order (:func:`identify`; ten rows leave one chance in 3.6 million of a wrong match).
Every copy is entered in the store's release register (:func:`register`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dyadwatch.analyse.index import dyad_index
from dyadwatch.errors import UsageError
from dyadwatch.model import DATASETS
from dyadwatch.policy.rules import evaluate, load_rules
from dyadwatch.sources.base import Artifact
from dyadwatch.store import EventFilter, Store, events
from dyadwatch.store.query import parse_dyad

log = logging.getLogger(__name__)

DROPPED_FIELDS: tuple[str, ...] = (
    "source_key",
    "ingested_at",
    "confidence",
    "handling",
    "dedupe_group",
)
"""Columns no release carries: the source's internal keys and the pipeline's timings and
grouping (how the data was collected and processed), and the analyst's confidence (an
assessment, i.e. method). Everything else in an event is the public record it cites."""

MARK_COLUMN = "release_copy"
"""The column, first in every released table, holding the copy's id."""

MIN_ORDER_ROWS = 8
"""Rows needed to name a copy by its row order alone: one chance in 8! = 40,320 per copy of
a wrong match (ten rows: one in 3.6 million)."""

COPY_ID_BYTES = 8
"""A copy id is 16 hex characters: unguessable, short enough to read out on a call."""


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
        """A summary for a person."""
        return (
            f"release {self.copy_id} for {self.recipient}: {self.events} events of {self.dyad} "
            f"as of {self.as_of} ({self.withheld} sensitive-handling events withheld)\n"
            f"  {self.directory}\n  {self.archive}"
        )


def _order_key(copy_id: str, event_id: str) -> bytes:
    return hashlib.blake2b(event_id.encode(), key=copy_id.encode(), digest_size=8).digest()


def fingerprint_order(copy_id: str, event_ids: Iterable[str]) -> list[str]:
    """``event_ids`` in the order a copy lists them (its invisible mark).

    >>> fingerprint_order("00", ["a", "b"]) == fingerprint_order("00", ["b", "a"])
    True
    """
    return sorted(event_ids, key=lambda e: _order_key(copy_id, e))


def _marking(copy_id: str, recipient: str, created: datetime) -> str:
    return (
        f"RELEASED TO {recipient} - COPY {copy_id} - {created:%Y-%m-%d %H:%M} UTC - "
        "dyadwatch partner release: public-handling events only; sources' internal keys, "
        "processing details and analyst confidence removed. Do not pass on without the "
        "releasing office's consent."
    )


def _stamp(table: pa.Table, copy_id: str) -> pa.Table:
    return table.add_column(0, MARK_COLUMN, pa.array([copy_id] * table.num_rows, pa.string()))


def _write_csv(table: pa.Table, path: Path) -> None:
    """CSV with list columns joined by `` | `` (CSV has no lists)."""
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_list(col.type):
            col = pc.binary_join(col, " | ")
        columns.append(col)
    pacsv.write_csv(pa.table(columns, names=table.column_names), path)


def _private_store(root: Path, source: Store, released: pa.Table, dyad: str) -> Store:
    """A store holding only what may be released (see the module docstring)."""
    store = Store.init(root)
    a, b = parse_dyad(dyad)
    with store.writer() as writer:
        for dataset, table in (
            ("events", released),
            ("indicators", source.table("indicators")),
            ("instrument_states", source.table("instrument_states")),
            ("volume", _volume(source, (a, b))),
        ):
            if table.num_rows == 0:
                continue
            run = writer.begin(Artifact("release", dataset, secrets.token_hex(8)))
            run.rows_read = table.num_rows
            run.write(dataset, table)
            run.commit("partner release: the releasable part of the store")
    return store


def _volume(store: Store, countries: Sequence[str]) -> pa.Table:
    table = store.table("volume")
    return table.filter(pc.is_in(table.column("country"), pa.array(list(countries))))


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
) -> Release:
    """Write a marked release package for ``recipient`` and enter it in the register.

    Parameters
    ----------
    store
        The store to release from (read; its release register is written).
    recipient
        Who receives this copy (printed on it and kept in the register).
    as_of
        Only what was public by the end of this day (UTC) is released.
    out_dir
        Directory in which ``release-<as_of>-<copy>/`` and its ``.zip`` are written.
    dyad, freq
        The dyad whose events and index are released, and the index's frequency.
    drop_fields
        Event columns to remove (default :data:`DROPPED_FIELDS`; ``event_id`` cannot be
        dropped: it is how a recipient refers back to an event).

    Examples
    --------
    >>> build_release(store, "Partner desk", as_of=date(2021, 1, 31), out_dir=Path("out"))
    ... # doctest: +SKIP
    """
    recipient = " ".join(recipient.split())
    if not recipient:
        raise UsageError("a release needs a recipient: who receives this copy?")
    unknown = [f for f in drop_fields if f not in DATASETS["events"].names]
    if unknown:
        raise UsageError(
            f"cannot drop {unknown[0]!r}: not an event field. "
            f"Fields: {', '.join(DATASETS['events'].names)}."
        )
    if "event_id" in drop_fields:
        raise UsageError("event_id cannot be dropped: recipients refer to events by it.")
    parse_dyad(dyad)
    copy_id = secrets.token_hex(COPY_ID_BYTES)
    created = datetime.now(UTC)

    known = events(store, EventFilter(dyad=dyad, as_of=as_of))
    public = pc.equal(pc.fill_null(known.column("handling"), "public"), "public")
    released = known.filter(public)
    withheld = known.num_rows - released.num_rows
    if released.num_rows == 0:
        raise UsageError(
            f"nothing to release: the store holds no public-handling {dyad} events known by "
            f"{as_of} ({withheld} sensitive-handling events are never released)."
        )

    files: dict[str, pa.Table] = {}
    ids = released.column("event_id").to_pylist()
    order = sorted(range(len(ids)), key=lambda i: _order_key(copy_id, ids[i]))
    shared = released.take(order).drop_columns(list(drop_fields))
    files["events"] = _stamp(shared, copy_id)

    with tempfile.TemporaryDirectory(prefix="dyadwatch-release-") as tmp:
        private = _private_store(Path(tmp) / "store", store, released, dyad)
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
            marking, recipient, copy_id, as_of, dyad, freq, released.num_rows, withheld, drop_fields
        ),
        encoding="utf-8",
    )
    listing.append(readme)
    manifest = {
        "copy_id": copy_id,
        "recipient": recipient,
        "created_at": created.isoformat(),
        "as_of": as_of.isoformat(),
        "dyad": dyad,
        "freq": freq,
        "events": released.num_rows,
        "withheld_sensitive_events": withheld,
        "dropped_fields": list(drop_fields),
        "dyadwatch_version": metadata.version("dyadwatch"),
        "marking": marking,
        "files": [
            {"name": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in listing
        ],
    }
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
    withheld: int,
    dropped: Sequence[str],
) -> str:
    return f"""{marking}

What this is
  A dyadwatch partner release for {recipient}: the {dyad} security relationship as of
  {as_of} (only what was public by the end of that day, UTC).

Files
  events.csv, events.parquet  {n} events (public handling only), one row each; list fields
                              (URLs, titles, instruments) are joined by " | " in the CSV.
  {f"index-{freq}.csv":<28}the cooperation-conflict index per source and fused.
  findings.csv                the policy rules as of {as_of}: met, not met or insufficient data.
  manifest.json               what was released and the SHA-256 of every file.

Left out
  {withheld} sensitive-handling events, and these fields of every event: {", ".join(dropped)}.
  The index and the findings were computed from the released events only.

Marking
  Every row carries this copy's id ({copy_id}) in the column {MARK_COLUMN}.
"""


def register(store: Store) -> pa.Table:
    """The release register: every copy made from this store, newest first."""
    try:
        return store.catalog_query("SELECT * FROM releases ORDER BY created_at DESC")
    except duckdb.CatalogException:  # a store made before the register, not yet migrated
        return pa.table({"copy_id": pa.array([], pa.string())})


@dataclass(frozen=True, slots=True)
class Match:
    """Which registered copy a file came from, and how that was established."""

    copy_id: str
    recipient: str
    created_at: datetime
    how: str


def _read_table(path: Path) -> pa.Table:
    if path.suffix == ".parquet":
        return pq.read_table(path)
    text = path.read_text(encoding="utf-8-sig")
    return pacsv.read_csv(io.BytesIO(text.encode()))


def identify(store: Store, path: Path) -> list[Match]:
    """Which registered copies ``path`` (a released CSV or Parquet file) came from.

    By its marking column when it has one (every value must name the same copy); otherwise
    by the order of its ``event_id`` column, which is each copy's own (at least
    :data:`MIN_ORDER_ROWS` rows; n rows leave one chance in n! of a wrong match per copy).
    """
    path = Path(path)
    try:
        table = _read_table(path)
    except (OSError, pa.ArrowInvalid, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"cannot read {path} as a CSV or Parquet table: {exc}") from None
    copies = {r["copy_id"]: r for r in register(store).to_pylist()}
    found: list[Match] = []
    if MARK_COLUMN in table.column_names:
        marks = {str(v) for v in table.column(MARK_COLUMN).to_pylist() if v is not None}
        for mark in sorted(marks):
            if mark in copies:
                r = copies[mark]
                found.append(Match(mark, r["recipient"], r["created_at"], "marking column"))
        return found
    if "event_id" not in table.column_names:
        raise UsageError(
            f"{path} has neither a {MARK_COLUMN} column nor an event_id column: "
            "nothing to identify a copy by."
        )
    ids = [str(v) for v in table.column("event_id").to_pylist() if v is not None]
    if len(ids) < MIN_ORDER_ROWS:
        raise UsageError(
            f"{path} has {len(ids)} event row(s) and no {MARK_COLUMN} column: at least "
            f"{MIN_ORDER_ROWS} rows in their released order are needed to name a copy."
        )
    for copy_id, r in copies.items():
        if fingerprint_order(copy_id, ids) == ids:
            how = f"row order of {len(ids)} events"
            found.append(Match(copy_id, r["recipient"], r["created_at"], how))
    return found


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
