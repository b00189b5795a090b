"""The named series on real files: one GDELT file cannot flip a fused year (issue 12)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from dyadwatch import pipeline
from dyadwatch.analyse.index import run_series
from dyadwatch.analyse.index.named import make_query
from dyadwatch.sources.gdelt import GdeltSource
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store
from tests.unit.test_named_series import ev

pytestmark = pytest.mark.sample


def test_one_gdelt_file_cannot_flip_the_sign_of_a_fused_year(
    shared_data: Path, tmp_path: Path
) -> None:
    store = Store.init(tmp_path / "store")
    curated = MemorySource(default_confidence=0.9)
    # A year the curated record reads as mildly conflictual (six state-to-state events).
    curated.add(
        "kb",
        [ev(f"k{i}", date(2018, 2 * i + 1, 10), -2.0, code="111") for i in range(6)],
    )
    assert pipeline.ingest(curated, curated.discover(), store).ok
    query = make_query("relationship", {"freq": "year", "window": 1})
    alone = pl.from_arrow(run_series(store, query).source_rows())
    assert isinstance(alone, pl.DataFrame)
    before = alone.filter(pl.col("period") == "2018").row(0, named=True)

    gdelt = GdeltSource(dyads=("USA-MEX",))
    path = shared_data / "gdelt/v2_events/20180101000000.export.CSV"  # one 15-minute file
    assert pipeline.ingest(gdelt, list(gdelt.artifacts_for_paths([path])), store).ok
    run = run_series(store, query)
    rows = pl.from_arrow(run.table)
    assert isinstance(rows, pl.DataFrame)
    year = {r["source"]: r for r in rows.filter(pl.col("period") == "2018").iter_rows(named=True)}
    assert year["gdelt2"]["n"] >= 1
    # the file reads the other way, on its own (its state-to-state events cooperate) …
    if year["gdelt2"]["value"] is not None:
        assert year["gdelt2"]["value"] > 0
    # … but it holds one day of the year: its weight is negligible and the sign holds.
    assert year["gdelt2"]["coverage"] < 0.01
    assert year["gdelt2"]["weight_share"] < 0.01
    assert year["fused"]["value"] < 0
    assert year["fused"]["value"] == pytest.approx(before["value"], abs=0.05)
