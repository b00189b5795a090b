"""The text source: news, statements and filings in English or Spanish, coded into events.

``dyadwatch ingest text FILE…`` reads plain text, JSON Lines or CSV documents (the formats of
``dyadwatch code``; see docs/coder.md) and stores the events the coder finds in them like
any other source's. Coding is the next stage's work (``dyadwatch.coding``), so this module
does not import it: the coder is handed in (``TextSource(coding=…)``), and by default it is
looked up by name, :data:`DEFAULT_CODING`, the way the source registry names sources.

Each document is one unit of rejection: a document that cannot be coded or stored (empty,
binary, no publication time, neither English nor Spanish …) becomes one quarantined row with
its line and reason, and the rest of the file is stored.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pyarrow as pa

from dyadwatch.errors import ArtifactError
from dyadwatch.model import EVENT_SCHEMA
from dyadwatch.sources.base import LINE_COLUMN, Artifact, Chunk, Reject, Source

DEFAULT_CODING = "dyadwatch.coding.ingest:TextCoding"
"""``module:class`` of the coder used when none is given."""


class DocumentCoding(Protocol):
    """What the text source needs from a coder."""

    @property
    def version(self) -> str: ...

    def file_rows(
        self, path: Path
    ) -> Iterator[tuple[int | None, list[dict[str, Any]], str | None]]: ...


class TextSource(Source):
    """Documents of text coded into canonical events."""

    name: ClassVar[str] = "text"
    schema_versions: ClassVar[tuple[str, ...]] = ("text-1",)

    def __init__(self, paths: list[Path] | None = None, coding: DocumentCoding | None = None):
        self.paths = [Path(p) for p in paths or []]
        self._coding = coding

    @property
    def coding(self) -> DocumentCoding:
        if self._coding is None:
            module, attr = DEFAULT_CODING.split(":")
            self._coding = getattr(importlib.import_module(module), attr)()
        return self._coding

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """The files given at construction (text has no index of its own)."""
        return self.artifacts_for_paths(self.paths)

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        if artifact.path is None:
            raise ArtifactError(f"{artifact.key}: the text source reads local files only.")
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        rejects: list[Reject] = []
        documents = 0
        for line, doc_rows, reason in self.coding.file_rows(artifact.path):
            documents += 1
            if reason is not None:
                rejects.append(Reject(reason, line=line))
                continue
            rows.extend(doc_rows)
            lines.extend([line or 1] * len(doc_rows))
        columns = {}
        for f in EVENT_SCHEMA:
            if f.name == "event_id":
                continue
            if rows and f.name in rows[0]:
                columns[f.name] = pa.array([r.get(f.name) for r in rows], type=f.type)
        if not rows:
            columns = {
                "source": pa.array([], pa.string()),
                "source_key": pa.array([], pa.string()),
                "event_date": pa.array([], pa.date32()),
                "known_at": pa.array([], EVENT_SCHEMA.field("known_at").type),
            }
        columns[LINE_COLUMN] = pa.array(lines, type=pa.int64())
        yield Chunk("events", pa.table(columns), rejects, rows_read=documents)


__all__ = ["DEFAULT_CODING", "DocumentCoding", "TextSource"]
