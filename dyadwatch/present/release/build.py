"""Writing a release package, checking one on disk, and the register of copies made.

:func:`build_release` computes everything a copy holds first — the released events under the
copy's marks, the index and the findings from a store of the released events only — and only
then writes the package, its zip and its register entry (see :mod:`dyadwatch.present.release`).
"""

from __future__ import annotations

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

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dyadwatch.analyse.index import dyad_index
from dyadwatch.errors import UsageError
from dyadwatch.model import DATASETS
from dyadwatch.policy.disclosure import releasable_events, release_register, store_of
from dyadwatch.policy.rules import evaluate, load_rules
from dyadwatch.present.release.marks import (
    COPY_ID_BYTES,
    MARK_COLUMN,
    column_order,
    copy_key,
    keyed_id,
    marking,
    order_key,
    release_key,
    sha256,
    stamp,
)
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


def write_csv(table: pa.Table, path: Path) -> None:
    """CSV with list columns joined by `` | `` (CSV has no lists)."""
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_list(col.type):
            # list<date32> (source_published) joins as ISO dates.
            col = pc.binary_join(pc.cast(col, pa.list_(pa.string())), " | ")
        columns.append(col)
    pacsv.write_csv(pa.table(columns, names=table.column_names), path)


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
    drop_fields = check_drop_fields(recipient, drop_fields)
    parse_dyad(dyad)
    released, withheld = releasable_events(store, dyad, as_of)
    if released.num_rows == 0:
        raise UsageError(
            f"nothing to release: the store holds no public-handling {dyad} events known by "
            f"{as_of}."
        )
    copy = Copy(secrets.token_hex(COPY_ID_BYTES), recipient, datetime.now(UTC), as_of, dyad)
    key = release_key(store, create=True)
    assert key is not None
    files = {"events": marked_events(released, drop_fields, copy.copy_id, key)}
    files.update(computed_tables(store, released, copy, freq))

    # Only now, with everything computed, does the package appear on disk.
    directory = Path(out_dir) / f"release-{as_of.isoformat()}-{copy.copy_id}"
    directory.mkdir(parents=True, exist_ok=False)
    listing = write_tables(directory, files, copy)
    readme = directory / "README.txt"
    shown = withheld if disclose_withheld else None
    readme.write_text(
        readme_text(copy, freq, released.num_rows, shown, drop_fields), encoding="utf-8"
    )
    listing.append(readme)
    manifest = manifest_of(copy, freq, released.num_rows, shown, drop_fields, listing)
    manifest_path = directory / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    archive = Path(shutil.make_archive(str(directory), "zip", directory.parent, directory.name))
    with store.writer() as writer:
        writer.record_release(
            [
                copy.copy_id,
                recipient,
                copy.created,
                as_of,
                dyad,
                released.num_rows,
                withheld,
                ",".join(drop_fields),
                sha256(manifest_path),
                str(directory.resolve()),
            ]
        )
    log.info("release %s for %s written to %s", copy.copy_id, recipient, directory)
    return Release(
        copy.copy_id,
        recipient,
        as_of,
        dyad,
        directory,
        archive,
        released.num_rows,
        withheld,
        manifest,
    )


@dataclass(frozen=True, slots=True)
class Copy:
    """The copy being made: its id, for whom, when, and of what."""

    copy_id: str
    recipient: str
    created: datetime
    as_of: date
    dyad: str

    @property
    def marking(self) -> str:
        return marking(self.copy_id, self.recipient, self.created)


def check_drop_fields(recipient: str, drop_fields: Sequence[str]) -> tuple[str, ...]:
    """The fields to drop, checked (and a recipient there is); warns when a default ships."""
    if not recipient:
        raise UsageError("a release needs a recipient: who receives this copy?")
    fields = tuple(dict.fromkeys(drop_fields))
    unknown = [f for f in fields if f not in DATASETS["events"].names]
    if unknown:
        raise UsageError(
            f"cannot drop {unknown[0]!r}: not an event field. "
            f"Fields: {', '.join(DATASETS['events'].names)}."
        )
    if "event_id" in fields:
        raise UsageError("event_id cannot be dropped: recipients refer to events by it.")
    shipped = shipped_defaults(fields)
    if shipped:
        log.warning(
            "this copy ships field(s) every release drops by default: %s (sources and "
            "methods); it is marked and registered as usual",
            ", ".join(shipped),
        )
    return fields


def marked_events(
    released: pa.Table, drop_fields: Sequence[str], copy_id: str, key: bytes
) -> pa.Table:
    """The released events as one copy shows them: fields dropped, ids keyed, rows and
    columns in the copy's order, the copy's id on every row."""
    copy = copy_key(key, copy_id)
    ids = released.column("event_id").to_pylist()
    order = sorted(range(len(ids)), key=lambda i: order_key(copy, ids[i]))
    shared = released.take(order).drop_columns(list(drop_fields))
    pseudonyms = pa.array([keyed_id(copy, ids[i]) for i in order], pa.string())
    shared = shared.set_column(shared.column_names.index("event_id"), "event_id", pseudonyms)
    stamped = stamp(shared, copy_id)
    return stamped.select(column_order(copy, stamped.column_names))


def computed_tables(store: Store, released: pa.Table, copy: Copy, freq: str) -> dict[str, pa.Table]:
    """The index and the findings, computed from a store holding the released events only."""
    with tempfile.TemporaryDirectory(prefix="dyadwatch-release-") as tmp:
        private = store_of(Path(tmp) / "store", store, released, copy.dyad)
        index = dyad_index(private, dyad=copy.dyad, freq=freq, as_of=copy.as_of)
        index = index.drop_columns(["contributions"])
        findings = evaluate(private, load_rules(), copy.as_of)
    table = pa.table(
        {
            "rule_id": [f.rule_id for f in findings],
            "title": [f.title for f in findings],
            "status": [f.status for f in findings],
            "explanation": [f.explanation for f in findings],
        }
    )
    return {f"index-{freq}": stamp(index, copy.copy_id), "findings": stamp(table, copy.copy_id)}


def write_tables(directory: Path, files: dict[str, pa.Table], copy: Copy) -> list[Path]:
    """Each table as CSV (the events also as Parquet, the copy in its metadata)."""
    meta = {
        b"dyadwatch.release": json.dumps(
            {"copy_id": copy.copy_id, "recipient": copy.recipient, "as_of": copy.as_of.isoformat()}
        ).encode()
    }
    listing = []
    for name, table in files.items():
        csv_path = directory / f"{name}.csv"
        write_csv(table, csv_path)
        listing.append(csv_path)
        if name == "events":
            parquet_path = directory / "events.parquet"
            marked = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
            pq.write_table(marked, parquet_path)
            listing.append(parquet_path)
    return listing


def manifest_of(
    copy: Copy,
    freq: str,
    n: int,
    withheld: int | None,
    drop_fields: Sequence[str],
    listing: Sequence[Path],
) -> dict[str, Any]:
    """What the package holds (``withheld`` only when disclosed) and every file's SHA-256."""
    manifest: dict[str, Any] = {
        "copy_id": copy.copy_id,
        "recipient": copy.recipient,
        "created_at": copy.created.isoformat(),
        "as_of": copy.as_of.isoformat(),
        "dyad": copy.dyad,
        "freq": freq,
        "events": n,
    }
    if withheld is not None:
        manifest["withheld_sensitive_events"] = withheld
    manifest.update(
        {
            "dropped_fields": list(drop_fields),
            "dyadwatch_version": metadata.version("dyadwatch"),
            "marking": copy.marking,
            "files": [
                {"name": p.name, "bytes": p.stat().st_size, "sha256": sha256(p)} for p in listing
            ],
        }
    )
    return manifest


def readme_text(copy: Copy, freq: str, n: int, withheld: int | None, dropped: Sequence[str]) -> str:
    """README.txt: the marking line first, then what the package is and what it leaves out."""
    marking, recipient, copy_id, as_of, dyad = (
        copy.marking,
        copy.recipient,
        copy.copy_id,
        copy.as_of,
        copy.dyad,
    )
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
        elif sha256(path) != item.get("sha256"):
            problems.append(f"{name}: changed since release (SHA-256 differs)")
    extra = sorted(p.name for p in directory.iterdir() if p.name not in listed | {"manifest.json"})
    problems.extend(f"{name}: not in the manifest" for name in extra)
    return problems


__all__ = [
    "DROPPED_FIELDS",
    "Release",
    "build_release",
    "drop_list",
    "register",
    "shipped_defaults",
    "verify",
]
