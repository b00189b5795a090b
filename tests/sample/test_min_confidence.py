"""The read-time step ``min_confidence``: one definition for Arrow and SQL, on the real KB."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from dyadwatch.analyse.index import dyad_index
from dyadwatch.model import Actor
from dyadwatch.normalise import min_confidence, min_confidence_sql
from dyadwatch.pipeline import ingest
from dyadwatch.sources import get_source
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import EventFilter, Store, events
from tests.conftest import make_event
from tests.index_compare import assert_same_index

pytestmark = pytest.mark.sample

THRESHOLDS = [0.0, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, pa.Table]:
    store = Store.init(tmp_path_factory.mktemp("kb") / "store")
    src = get_source("curated")
    assert ingest(src, src.discover(), store).ok
    return store, events(store, EventFilter(dyad="USA-MEX"))


def test_the_arrow_step_and_the_sql_predicate_keep_the_same_events(
    kb: tuple[Store, pa.Table],
) -> None:
    _, table = kb
    ratings = set(table.column("confidence").to_pylist())
    assert len(ratings) >= 2  # the editors rate events differently (0.6 and 0.9)
    con = duckdb.connect()
    try:
        con.register("ev", table)
        for t in THRESHOLDS:
            arrow = sorted(min_confidence(table, t).table.column("event_id").to_pylist())
            sql = sorted(
                r[0]
                for r in con.sql(
                    f"SELECT event_id FROM ev WHERE {min_confidence_sql('$t')}", params={"t": t}
                ).fetchall()
            )
            assert arrow == sql, t
            expected = sorted(
                e
                for e, c in zip(
                    table["event_id"].to_pylist(), table["confidence"].to_pylist(), strict=True
                )
                if t == 0 or (c is not None and round(c, 6) >= t)
            )
            assert arrow == expected, t
    finally:
        con.close()


def test_a_rating_equal_to_the_threshold_passes_and_a_missing_one_counts_as_zero() -> None:
    table = pa.table({"confidence": pa.array([0.7, 0.69, None, 1.0], pa.float32())})
    kept = min_confidence(table, 0.7).table.column("confidence").to_pylist()
    assert [round(x, 2) for x in kept] == [0.7, 1.0]
    assert min_confidence(table, 0.0).table is table  # switched off
    assert min_confidence(table, 0.0).rejects == []  # a filter, not a reject
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"in \[0, 1\]"):
            min_confidence(table, bad)


def test_the_index_with_a_minimum_equals_the_index_of_only_the_kept_events(
    tmp_path: Path,
) -> None:
    rated = [
        make_event(
            f"e{i}",
            event_date=date(2020, 1 + i % 12, 1 + i % 27),
            actor1=Actor(code="USAGOV", country="USA"),
            actor2=Actor(code="MEXGOV", country="MEX"),
            cameo_code=["036", "111", "173", "057"][i % 4],
            confidence=[0.3, 0.7, 0.9, None][i % 4],
        )
        for i in range(80)
    ]
    whole = Store.init(tmp_path / "whole")
    src = MemorySource()
    src.add("all", rated)
    assert ingest(src, src.discover(), whole).ok
    stored = events(whole)
    kept = min_confidence(stored, 0.7).table
    assert 0 < kept.num_rows < stored.num_rows
    only = Store.init(tmp_path / "only")
    src2 = MemorySource()
    src2.add("kept", [e for e in rated if e.source_key in set(kept["source_key"].to_pylist())])
    assert ingest(src2, src2.discover(), only).ok
    assert_same_index(
        dyad_index(whole, freq="quarter", min_confidence=0.7),
        dyad_index(only, freq="quarter"),
    )


def test_the_rules_apply_the_same_step(kb: tuple[Store, pa.Table]) -> None:
    """Rule metrics (``events(min_confidence=…)``) keep exactly the step's events."""
    from dyadwatch.policy.rules.data import EventQuery, RuleData

    store, _ = kb
    data = RuleData.load(store)
    every = EventQuery()
    loaded = pa.table({"confidence": pa.array([float(c) for c in data.confidence], pa.float32())})
    for t in THRESHOLDS:
        want = min_confidence(loaded, t).table.num_rows
        assert int(data.mask(EventQuery(min_confidence=t)).sum()) == want, t
    # The editors' 0.9 ratings pass a 0.9 threshold (as float64 they fell just short).
    nines = int((data.confidence == np.float32(0.9)).sum())
    assert nines > 0
    assert int(data.mask(EventQuery(min_confidence=0.9)).sum()) == nines
    assert int(data.mask(every).sum()) == len(data.confidence)
