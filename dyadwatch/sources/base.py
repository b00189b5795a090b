"""What every source is: discover artifacts for a period, read one artifact into Arrow.

A source is narrow. It does not dedupe, code, validate against the codebook or write to the
store: the normalise steps and the store do that. It declares its behaviour in a few class
attributes (``name``, ``codebook``, ``schema_versions``) and two methods:

- :meth:`Source.discover` — the artifacts (files, downloads, in-memory tables) for a period;
- :meth:`Source.read` — one artifact as a stream of :class:`Chunk`\\ s: Arrow tables whose
  columns are named as the canonical dataset's columns (``model.DATASETS``), plus the rows the
  reader could not parse, as :class:`Reject`\\ s with line and reason.

Event chunks carry a ``_line`` column (the row's line or record number in the artifact) so a
later step can quarantine a row with its location. Anything else not in the schema is ignored.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

LINE_COLUMN = "_line"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One unit of ingest: a file or an in-memory table, ingested atomically.

    ``key`` names the artifact within its source (a GDELT file name, a path); ``checksum`` is
    a content hash, so a changed file under the same key is re-ingested and an unchanged one
    is skipped.
    """

    source: str
    key: str
    checksum: str
    path: Path | None = None
    size: int | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Reject:
    """An input row or file that could not be used, and why."""

    reason: str
    line: int | None = None
    column: str | None = None
    raw: str | None = None


@dataclass(slots=True)
class Chunk:
    """Part of an artifact: a table for one dataset and the rows rejected while reading it."""

    dataset: str
    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int | None = None
    """Rows read from the input for this chunk, before any source-side filtering."""


class Source(ABC):
    """Base class of every source. Subclasses set the class attributes and the two methods."""

    name: ClassVar[str]
    codebook: ClassVar[str] = "cameo"
    schema_versions: ClassVar[tuple[str, ...]] = ()
    default_confidence: float = 0.5
    """Confidence given to an event that does not carry its own (0–1)."""

    @abstractmethod
    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """Artifacts covering ``since``..``until`` (inclusive); both None means everything."""

    @abstractmethod
    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        """The artifact as chunks of canonical columns; unreadable rows as rejects."""

    def artifacts_for_paths(self, paths: list[Path]) -> Iterator[Artifact]:
        """Artifacts for local files given by a user (``dyadwatch ingest SOURCE PATH…``)."""
        for path in paths:
            yield file_artifact(self.name, path)


def file_checksum(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.new(algorithm)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_artifact(source: str, path: Path, key: str | None = None) -> Artifact:
    """An artifact for a local file; its key defaults to the resolved path."""
    from dyadwatch.errors import ArtifactError

    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path}: no such file.")
    if not path.is_file():
        raise ArtifactError(f"{path}: not a file (give files, not directories).")
    try:
        checksum = file_checksum(path)
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot be read ({exc.strerror}).") from None
    return Artifact(
        source=source,
        key=key or str(path.resolve()),
        checksum=checksum,
        path=path,
        size=path.stat().st_size,
    )
