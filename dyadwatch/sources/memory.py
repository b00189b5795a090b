"""The in-memory source: events you already hold, as if they came from a file.

For tests and notebooks: every later stage can run without files. Each named table is one
artifact; its checksum is a hash of its content, so adding the same table twice is a no-op.

Examples
--------
>>> src = MemorySource()
>>> src.add("batch-1", [Event(source="demo", source_key="1", ...)])  # doctest: +SKIP
>>> ingest(src, src.discover(), store)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import date
from typing import ClassVar

import pyarrow as pa

from dyadwatch.model import Event, events_to_table
from dyadwatch.sources.base import LINE_COLUMN, Artifact, Chunk, Source


def table_checksum(table: pa.Table) -> str:
    """A content hash of an Arrow table (schema and values)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


class MemorySource(Source):
    """Artifacts held in memory: named Arrow tables (or lists of :class:`Event`)."""

    name: ClassVar[str] = "memory"
    about: ClassVar[str] = "Tables handed over in Python (tests, notebooks): the caller's own."
    schema_versions: ClassVar[tuple[str, ...]] = ("canonical-1",)

    def __init__(self, default_confidence: float = 0.5) -> None:
        self._tables: dict[str, pa.Table] = {}
        self.default_confidence = default_confidence

    def add(self, key: str, events: Sequence[Event] | pa.Table) -> Artifact:
        """Hold ``events`` as the artifact ``key`` (replacing an earlier table of that key)."""
        table = events if isinstance(events, pa.Table) else events_to_table(list(events))
        self._tables[key] = table
        return self._artifact(key)

    def _artifact(self, key: str) -> Artifact:
        return Artifact(source=self.name, key=key, checksum=table_checksum(self._tables[key]))

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        for key in self._tables:
            yield self._artifact(key)

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        table = self._tables[artifact.key]
        if LINE_COLUMN not in table.column_names:
            table = table.append_column(LINE_COLUMN, pa.array(range(1, table.num_rows + 1)))
        yield Chunk("events", table, rows_read=table.num_rows)
