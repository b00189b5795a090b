"""Index test helpers: stores from event batches; frames compared two ways (aggregate, rows)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa

from dyadwatch.model import Event
from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store


def store_of(root: Path, batches: list[list[Event]]) -> Store:
    """A new store at ``root`` holding ``batches``, each ingested as one artifact."""
    store = Store.init(root)
    src = MemorySource()
    for i, batch in enumerate(batches):
        if batch:
            src.add(f"part-{i}", batch)
    assert ingest(src, src.discover(), store, strictness="raise").ok
    return store


def same_value(a: Any, b: Any, where: str) -> None:
    """Equal, except that floats may differ in the order their sums were added."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {a} != {b}"
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {a} != {b}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_value(x, y, f"{where}[{i}]")
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{where}: {a} != {b}"
        for k in a:
            same_value(a[k], b[k], f"{where}.{k}")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_index(got: pa.Table, want: pa.Table) -> None:
    """Same schema, same rows, same values (floats to 1e-9)."""
    assert got.schema == want.schema
    g, w = got.to_pylist(), want.to_pylist()
    assert [(r["source"], r["period"]) for r in g] == [(r["source"], r["period"]) for r in w]
    for i, (x, y) in enumerate(zip(g, w, strict=True)):
        same_value(x, y, f"row {i} ({x['source']} {x['period']})")
