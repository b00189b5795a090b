"""What every source is: discover artifacts for a period, read one artifact into Arrow.

A source is narrow. It does not dedupe, code, validate against the codebook or write to the
store: the normalise steps and the store do that. It declares its behaviour in a few class
attributes (``name``, ``codebook``, ``schema_versions``) and two methods:

- :meth:`Source.discover` — the artifacts (files, downloads, in-memory tables) for a period;
- :meth:`Source.read` — one artifact as a stream of :class:`Chunk`\\ s: Arrow tables whose
  columns are named as the canonical dataset's columns (``model.DATASETS``), plus the rows the
  reader could not parse, as :class:`Reject`\\ s with line and reason.

Event chunks carry a ``_line`` column (the row's line or record number in the artifact) so a
later step can quarantine a row with its location, and may carry ``_published`` (when the
source published the row: :data:`PUBLISHED_COLUMN`). Anything else not in the schema is
ignored.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from dyadwatch.errors import ArtifactError

LINE_COLUMN = "_line"
PUBLISHED_COLUMN = "_published"
"""Optional private event column: when the source itself published the row (a UTC
timestamp, such as GDELT's DATEADDED), before a reader raises ``known_at`` to the event's
own day. The ``ranges`` normalise step sets aside an event dated more than its tolerance
after it; like every ``_`` column, it is dropped before the store."""

NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4096
"""Longest file name and path a local file may have (Linux NAME_MAX and PATH_MAX)."""


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
    rows_used: int | None = None
    """Input rows the chunk's records came from, when a row is not one record (a statistics
    row may hold two figures, or be summed with others); None: one record per row kept."""


class Source(ABC):
    """Base class of every source. Subclasses set the class attributes and the two methods."""

    name: ClassVar[str]
    codebook: ClassVar[str] = "cameo"
    schema_versions: ClassVar[tuple[str, ...]] = ()
    default_confidence: float = 0.5
    """Confidence given to an event that does not carry its own (0–1)."""
    about: ClassVar[str] = ""
    """Who publishes the data and under which licence or terms (``dyadwatch sources NAME``)."""

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


def check_local_path(path: Path | str) -> Path:
    """``path`` as a :class:`Path`, or ArtifactError if no file system could hold it.

    A NUL byte, a name over 255 bytes or a path over 4096 bytes is refused here with one
    line, before the operating system answers with an exception of its own (``Path.exists``
    raises ``OSError: File name too long`` rather than answering False).

    >>> check_local_path("events.csv")
    PosixPath('events.csv')
    >>> check_local_path("x" * 256 + ".csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dyadwatch.errors.ArtifactError: xxx...: a file or folder name is over 255 bytes; no such file.
    """
    text = os.fspath(path)
    shown = text[:80].replace("\x00", "\\0") + ("…" if len(text) > 80 else "")
    if "\x00" in text:
        raise ArtifactError(f"{shown}: a file path cannot hold a NUL byte.")
    raw = os.fsencode(text)
    if len(raw) > PATH_MAX_BYTES:
        raise ArtifactError(f"{shown}: path is {len(raw)} bytes, over {PATH_MAX_BYTES}.")
    for part in Path(text).parts:
        if len(os.fsencode(part)) > NAME_MAX_BYTES:
            raise ArtifactError(
                f"{shown}: a file or folder name is over {NAME_MAX_BYTES} bytes; no such file."
            )
    return Path(text)


def file_artifact(source: str, path: Path | str, key: str | None = None) -> Artifact:
    """An artifact for a local file; its key defaults to the resolved path.

    A path no file system could hold, a missing file and a directory are each one
    :class:`~dyadwatch.errors.ArtifactError` line (:func:`check_local_path`).

    Examples
    --------
    >>> file_artifact("file", "no-such.csv")
    Traceback (most recent call last):
    ...
    dyadwatch.errors.ArtifactError: no-such.csv: no such file.
    """
    path = check_local_path(path)
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
