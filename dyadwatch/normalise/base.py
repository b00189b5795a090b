"""What a normalise step is, and the helper every step uses to set rows aside.

A step is a pure function ``(table, ctx) -> StepResult``: it takes a table of canonical
columns (plus the ``_line`` column the source added) and returns the table it keeps and the
rows it rejected, each with its line, column and reason. Steps never touch the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.sources.base import LINE_COLUMN, Reject


@dataclass(frozen=True, slots=True)
class StepContext:
    """What a step may know besides the table: the source's defaults."""

    source: str
    default_confidence: float = 0.5


@dataclass(slots=True)
class StepResult:
    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)


Step = Callable[[pa.Table, StepContext], StepResult]


def _raw(row: dict[str, Any]) -> str:
    row = {k: v for k, v in row.items() if k != LINE_COLUMN and v is not None}
    return json.dumps(row, default=str, ensure_ascii=False)


def set_aside(
    table: pa.Table, bad: pa.ChunkedArray | pa.Array, reason: str | list[str], column: str | None
) -> StepResult:
    """Split ``table`` by the boolean mask ``bad``: keep the rest, reject those rows.

    ``reason`` is one reason for every bad row or a list aligned with the bad rows.
    """
    if table.num_rows == 0:
        return StepResult(table)
    bad = pc.fill_null(bad, False)
    n_bad = pc.sum(bad).as_py() or 0
    if n_bad == 0:
        return StepResult(table)
    rejected = table.filter(bad)
    reasons = reason if isinstance(reason, list) else [reason] * rejected.num_rows
    lines = (
        rejected.column(LINE_COLUMN).to_pylist()
        if LINE_COLUMN in rejected.column_names
        else [None] * rejected.num_rows
    )
    rejects = [
        Reject(reason=why, line=line, column=column, raw=_raw(row))
        for why, line, row in zip(reasons, lines, rejected.to_pylist(), strict=True)
    ]
    return StepResult(table.filter(pc.invert(bad)), rejects)


def replace_column(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``table`` with column ``name`` replaced (or appended)."""
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)
