"""The generic file source: CSV or Parquet event tables in the canonical columns.

For analysts' own event lists and for exchanging data between stores. A file must have a
header naming canonical columns (``dyadwatch.model.EVENT_COLUMNS``); ``source_key`` and
``event_date`` are required, the rest are optional (``source`` defaults to ``file``). List
columns (``instruments``, ``source_urls``) are written ``a;b;c`` in CSV. Unknown columns are
ignored with a warning in the log.

A ``source`` column may name the file's own sources, but not one dyadwatch writes itself:
``curated`` (events that passed ``kb validate``), ``gdelt…`` and every registered source
name other than ``file`` (:func:`reserved_source`). Such rows are set aside with the reason,
so a file cannot pass its rows off as curated or GDELT events.

CSV is read as UTF-8 in chunks of :data:`CHUNK_ROWS` rows (bounded memory). A row with the
wrong number of fields or bytes that are not UTF-8 is set aside with its line number and raw
text; an empty file, a file with no header or a header without the required columns fails as
a whole (quarantined with the reason), and the run goes on to the next file.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dyadwatch.errors import ArtifactError
from dyadwatch.model import EVENT_COLUMNS
from dyadwatch.sources import REGISTRY
from dyadwatch.sources.base import (
    LINE_COLUMN,
    Artifact,
    Chunk,
    Reject,
    Source,
    check_local_path,
)

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
REQUIRED = ("source_key", "event_date")
csv.field_size_limit(1 << 24)

RESERVED_PREFIXES = ("gdelt",)
"""Source names beginning so are written only by their own source (gdelt1, gdelt2, …)."""


def reserved_source(name: str) -> bool:
    """Whether events named as coming from ``name`` may only be written by that source.

    >>> reserved_source("curated"), reserved_source("GDELT2"), reserved_source("my-list")
    (True, True, False)
    """
    key = name.strip().lower()
    return key != FileSource.name and (key in REGISTRY or key.startswith(RESERVED_PREFIXES))


class FileSource(Source):
    """CSV/Parquet files whose columns are the canonical event columns."""

    name: ClassVar[str] = "file"
    about: ClassVar[str] = "Your own events: their terms are those of whoever made the file."
    schema_versions: ClassVar[tuple[str, ...]] = ("canonical-1",)

    def __init__(self, paths: list[Path] | None = None) -> None:
        self.paths = [Path(p) for p in paths or []]

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """The files given at construction (a file source has no index of its own)."""
        return self.artifacts_for_paths(self.paths)

    def artifacts_for_paths(self, paths: list[Path]) -> Iterator[Artifact]:
        """Artifacts for local files; a path no file system could hold is one clear error."""
        checked = [check_local_path(p) for p in paths]
        return super().artifacts_for_paths(checked)

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        if artifact.path is None:
            raise ArtifactError(f"{artifact.key}: the file source reads local files only.")
        path = artifact.path
        if path.stat().st_size == 0:
            raise ArtifactError(f"{path}: empty file.")
        if path.suffix.lower() == ".parquet":
            yield from self._read_parquet(path)
        else:
            yield from self._read_csv(path)

    def _check_header(self, path: Path, names: list[str]) -> list[str]:
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise ArtifactError(
                f"{path}: header lacks required column(s) {', '.join(missing)}; "
                f"a canonical event file needs at least {', '.join(REQUIRED)}."
            )
        unknown = [c for c in names if c not in EVENT_COLUMNS]
        if unknown:
            log.warning("%s: ignoring non-canonical column(s) %s", path, ", ".join(unknown))
        return [c for c in names if c in EVENT_COLUMNS]

    def _read_parquet(self, path: Path) -> Iterator[Chunk]:
        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ArtifactError(f"{path}: not a readable Parquet file ({exc}).") from None
        keep = self._check_header(path, pf.schema_arrow.names)
        line = 0
        for batch in pf.iter_batches(batch_size=CHUNK_ROWS, columns=keep):
            table = pa.Table.from_batches([batch])
            table = table.append_column(
                LINE_COLUMN, pa.array(range(line + 1, line + 1 + table.num_rows))
            )
            line += table.num_rows
            kept, rejects = _guard_sources(_with_source(table))
            yield Chunk("events", kept, rejects, rows_read=table.num_rows)

    def _read_csv(self, path: Path) -> Iterator[Chunk]:
        with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as fh:
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except StopIteration:
                raise ArtifactError(f"{path}: empty file.") from None
            except csv.Error as exc:
                raise ArtifactError(f"{path}: not CSV ({exc}).") from None
            header = [h.strip().lstrip("\ufeff") for h in header]
            if any(_has_surrogates(h) for h in header):
                raise ArtifactError(f"{path}: header is not UTF-8 text.")
            keep = self._check_header(path, header)
            index = [header.index(c) for c in keep]
            rows: list[list[str]] = []
            lines: list[int] = []
            rejects: list[Reject] = []
            read = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    rejects.append(Reject(f"malformed CSV: {exc}", line=reader.line_num))
                    read += 1
                    continue
                read += 1
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                raw = ",".join(row)
                if len(row) != len(header):
                    rejects.append(
                        Reject(
                            f"expected {len(header)} fields, found {len(row)}",
                            line=reader.line_num,
                            raw=_printable(raw),
                        )
                    )
                    continue
                if _has_surrogates(raw):
                    rejects.append(
                        Reject(
                            "bytes that are not UTF-8", line=reader.line_num, raw=_printable(raw)
                        )
                    )
                    continue
                rows.append([row[i] for i in index])
                lines.append(reader.line_num)
                if len(rows) >= CHUNK_ROWS:
                    yield self._chunk(keep, rows, lines, rejects, read)
                    rows, lines, rejects, read = [], [], [], 0
            if rows or rejects or read:
                yield self._chunk(keep, rows, lines, rejects, read)

    @staticmethod
    def _chunk(
        names: list[str], rows: list[list[str]], lines: list[int], rejects: list[Reject], read: int
    ) -> Chunk:
        columns = {
            name: pa.array([r[i] for r in rows], type=pa.string()) for i, name in enumerate(names)
        }
        columns[LINE_COLUMN] = pa.array(lines, type=pa.int64())
        kept, reserved = _guard_sources(_with_source(pa.table(columns)))
        return Chunk("events", kept, [*rejects, *reserved], rows_read=read)


def _with_source(table: pa.Table) -> pa.Table:
    """``source`` present, a blank value meaning this source (``file``)."""
    if "source" not in table.column_names:
        return table.append_column("source", pa.array(["file"] * table.num_rows, pa.string()))
    names = pc.cast(table.column("source"), pa.string())
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(names), ""), True)
    filled = pc.if_else(blank, pa.scalar("file"), names)
    return table.set_column(table.column_names.index("source"), "source", filled)


def _guard_sources(table: pa.Table) -> tuple[pa.Table, list[Reject]]:
    """Set aside rows naming a source dyadwatch writes itself (:func:`reserved_source`)."""
    names = table.column("source").to_pylist()
    bad = [isinstance(n, str) and reserved_source(n) for n in names]
    if not any(bad):
        return table, []
    lines = (
        table.column(LINE_COLUMN).to_pylist()
        if LINE_COLUMN in table.column_names
        else [None] * len(names)
    )
    rejects = [
        Reject(
            f"source {name!r} is reserved: only dyadwatch's own {name.strip().lower()} source "
            "writes it (name your file's source otherwise, or leave the column out for 'file')",
            line=line,
            column="source",
        )
        for name, line, b in zip(names, lines, bad, strict=True)
        if b
    ]
    return table.filter(pa.array([not b for b in bad])), rejects


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _printable(text: str) -> str:
    """Raw text safe to store: undecodable bytes shown as \\xNN escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


__all__ = ["CHUNK_ROWS", "FileSource", "check_local_path", "reserved_source"]
