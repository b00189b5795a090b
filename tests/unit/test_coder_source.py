"""The ``text`` source with a coder handed in: rows become a chunk, failures rejects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from dyadwatch.sources import get_source, source_class
from dyadwatch.sources.base import file_artifact
from dyadwatch.sources.text import TextSource

pytestmark = pytest.mark.unit


class FakeCoding:
    version = "fake 0 sha256:0"

    def file_rows(
        self, path: Path
    ) -> Iterator[tuple[int | None, list[dict[str, Any]], str | None]]:
        when = datetime(2021, 1, 15, 12, tzinfo=UTC)
        row = {
            "source": "text",
            "source_key": "d1#0:abc",
            "event_date": date(2021, 1, 15),
            "known_at": when,
            "cameo_code": "036",
            "confidence": 0.7,
            "coder": self.version,
        }
        yield 1, [row, {**row, "source_key": "d1#1:def"}], None
        yield 2, [], "d2: empty document: no text"


def test_registered_and_chunked(tmp_path: Path) -> None:
    assert source_class("text") is TextSource
    path = tmp_path / "a.jsonl"
    path.write_text("{}\n{}\n")
    src = TextSource(coding=FakeCoding())
    (chunk,) = list(src.read(file_artifact("text", path)))
    assert chunk.dataset == "events" and chunk.rows_read == 2
    assert chunk.table.column("source_key").to_pylist() == ["d1#0:abc", "d1#1:def"]
    assert chunk.table.column("_line").to_pylist() == [1, 1]
    assert [(r.line, r.reason) for r in chunk.rejects] == [(2, "d2: empty document: no text")]


def test_default_coding_is_looked_up_by_name() -> None:
    src = get_source("text")
    assert isinstance(src, TextSource)
    assert type(src.coding).__name__ == "TextCoding"
