"""The dyad-day aggregate against the rows, on real data: GDELT 2.0 exports and the KB."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dyadwatch.analyse.index import daily, dyad_index, scan
from dyadwatch.analyse.index.daily import rows_only
from dyadwatch.pipeline import ingest
from dyadwatch.sources import get_source
from dyadwatch.store import Store
from tests.index_compare import assert_same_index

pytestmark = pytest.mark.sample

SPECS: list[dict[str, object]] = [
    {"freq": "month"},
    {"freq": "week", "direction": "ab"},
    {"freq": "year", "direction": "ba", "dedupe": "none"},
    {"freq": "quarter", "as_of": date(2018, 1, 1)},
    {"freq": "month", "since": date(2015, 10, 1), "until": date(2018, 1, 31)},
]


@pytest.fixture(scope="module")
def gdelt_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.init(tmp_path_factory.mktemp("gdelt") / "store")
    src = get_source("gdelt")
    files = sorted((shared_data / "gdelt" / "v2_events").glob("*.export.CSV"))
    assert files
    assert ingest(src, src.artifacts_for_paths(files), store).ok
    return store


@pytest.mark.parametrize("params", SPECS)
def test_gdelt_index_from_the_aggregate_equals_the_rows(
    gdelt_store: Store, params: dict[str, object]
) -> None:
    with rows_only():
        want = dyad_index(gdelt_store, **params)
    got = dyad_index(gdelt_store, **params)
    assert_same_index(got, want)
    assert sum(r["n"] for r in got.to_pylist()) > 0
    # The volume denominators come through the aggregate too.
    assert any(r["vol_a"] for r in got.to_pylist() if r["source"] != "fused")


def test_gdelt_aggregates_are_written_to_the_cache(
    gdelt_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "SLICE_MIN_FILES", 1)  # the sample has too few parts otherwise
    daily._memory.clear()
    dyad_index(gdelt_store, freq="month")
    cache = gdelt_store.root / "cache" / "index"
    assert len(list(cache.glob("daily-*.parquet"))) == 1
    assert len(list(cache.glob("volume-*.parquet"))) == 1
    daily._memory.clear()  # the next process reads the files
    with rows_only():
        want = dyad_index(gdelt_store, freq="month")
    assert_same_index(dyad_index(gdelt_store, freq="month"), want)


@pytest.fixture(scope="module")
def kb_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.init(tmp_path_factory.mktemp("kb") / "store")
    src = get_source("curated")
    assert ingest(src, src.discover(), store).ok
    return store


@pytest.mark.parametrize(
    "params",
    [
        {"freq": "year"},
        {"freq": "month", "as_of": date(2021, 1, 19)},
        {"freq": "quarter", "direction": "ab", "since": date(2018, 1, 1)},
        {"freq": "year", "dedupe": "none", "as_of": date(2020, 12, 31)},
    ],
)
def test_kb_index_from_the_aggregate_equals_the_rows(
    kb_store: Store, params: dict[str, object]
) -> None:
    with rows_only():
        want = dyad_index(kb_store, **params)
    got = dyad_index(kb_store, **params)
    assert_same_index(got, want)
    assert sum(r["n"] for r in got.to_pylist()) > 0


def test_a_cli_ingest_rebuilds_the_watched_dyads_cache(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dyadwatch.present.cli.main import main

    path = str(shared_data / "gdelt" / "v2_events" / "20180101000000.export.CSV")
    store = str(tmp_path / "s")
    assert main(["ingest", "gdelt", path, "--store", store]) == 0
    assert "index cache for USA-MEX rebuilt" in capsys.readouterr().err
    assert main(["ingest", "gdelt", path, "--store", store]) == 0  # unchanged: nothing to do
    assert "index cache" not in capsys.readouterr().err
