"""Statistics ingests count rows read and kept in rows, and the figures stored apart (issue 17).

A CDC row holds a reported and a predicted count, so its file stores more figures than it has
rows; a CBP file is summed into monthly totals, so it stores fewer. "rows read 13912, kept
24440" compared the two; the summary now says "kept N (stored as M records)".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dyadwatch import pipeline
from dyadwatch.sources import get_source
from dyadwatch.sources.base import Chunk
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

CDC_HEADER = (
    "State,Year,Month,Period,Indicator,Data Value,Percent Complete,"
    "Percent Pending Investigation,State Name,Footnote,Footnote Symbol,Predicted Value\n"
)
FOOT = "United States,Note,*"
DEATHS = "Number of Drug Overdose Deaths"


def read_one(name: str, path: Path) -> Chunk:
    src = get_source(name)
    (chunk,) = src.read(next(iter(src.artifacts_for_paths([path]))))
    # Every statistics chunk says how many rows its figures came from (Chunk.rows_used).
    assert chunk.dataset == "indicators" and chunk.rows_used is not None
    return chunk


def test_cdc_rows_kept_never_exceed_rows_read(tmp_path: Path) -> None:
    path = tmp_path / "vsrr.csv"
    path.write_text(
        CDC_HEADER
        + f'US,2020,December,12 month-ending,{DEATHS},"93,331",100,0,{FOOT},"93,655"\n'
        + f"US,2020,November,12 month-ending,{DEATHS},92000,100,0,{FOOT},\n"
        + f"US,2020,Smarch,12 month-ending,{DEATHS},1,100,0,{FOOT},\n"
        + "AK,2020,December,12 month-ending,Heroin (T40.1),,100,0,Alaska,Suppressed,*,\n"
    )
    store = Store.open(tmp_path / "s", create=True)
    src = get_source("cdc_vsrr")
    summary = pipeline.ingest(src, src.artifacts_for_paths([path]), store)
    (art,) = summary.artifacts
    # 4 rows: two kept (three figures), one set aside, one suppressed (no figure, no error).
    assert (art.rows_read, art.rows_kept, art.rows_quarantined) == (4, 2, 1)
    assert summary.stored(art) == summary.rows_stored == 3
    assert "rows read 4, kept 2 (stored as 3 records), quarantined 1" in summary.describe()


def test_the_real_cdc_snapshot(shared_data: Path) -> None:
    path = shared_data / "statistics" / "us_cdc"
    chunk = read_one(
        "cdc_vsrr", path / "VSRR_Provisional_Drug_Overdose_Death_Counts_2019snapshot.csv"
    )
    assert chunk.rows_read == 13912
    assert chunk.rows_used <= chunk.rows_read - len(chunk.rejects)
    assert chunk.table.num_rows > chunk.rows_read  # reported and predicted figures


def test_cbp_sums_rows_into_fewer_figures(shared_data: Path) -> None:
    chunk = read_one(
        "cbp_seizures", shared_data / "statistics" / "us_cbp" / "amo-drug-seizures-fy19-fy22.csv"
    )
    assert chunk.rows_used == chunk.rows_read - len(chunk.rejects) > 0


def test_the_pipeline_keeps_one_record_per_row_for_events(tmp_path: Path) -> None:
    path = tmp_path / "ev.csv"
    path.write_text(
        "source_key,event_date,actor1_country,actor2_country,cameo_code\n"
        "a,2020-10-15,USA,MEX,173\nb,2020-10-16,USA,MEX,9999\n"
    )
    store = Store.open(tmp_path / "s", create=True)
    src = get_source("file")
    summary = pipeline.ingest(src, src.artifacts_for_paths([path]), store)
    assert summary.records == {} and summary.rows_stored == summary.rows_kept == 1
    assert "(stored as" not in summary.describe()
