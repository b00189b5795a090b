"""CBP drug seizure statistics: the real nationwide and AMO downloads, revisions between two
releases as of a date, and malformed files."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from dyadwatch import pipeline
from dyadwatch.errors import ArtifactError
from dyadwatch.policy.indicators import indicator_series
from dyadwatch.sources import get_source
from dyadwatch.sources.base import Chunk
from dyadwatch.sources.statistics.cbp import CbpSeizuresSource
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

HEADER = (
    "FY,Month (abbv),Component,Region,Land Filter,Area of Responsibility,Drug Type,"
    "Count of Event,Sum Qty (lbs)\n"
)


def read_all(src: CbpSeizuresSource, path: Path) -> Chunk:
    (chunk,) = src.read(next(iter(src.artifacts_for_paths([path]))))
    return chunk


def values(chunk: Chunk, indicator: str) -> dict[date, float]:
    rows = chunk.table.to_pylist()
    return {r["period_start"]: r["value"] for r in rows if r["indicator"] == indicator}


@pytest.fixture(scope="module")
def cbp(shared_data: Path) -> Path:
    return shared_data / "statistics" / "us_cbp"


def test_nationwide_file_sums_by_month_region_and_component(cbp: Path) -> None:
    path = cbp / "nationwide-drugs-fy20-fy23.csv"
    chunk = read_all(CbpSeizuresSource(), path)
    assert chunk.rows_read == 9924 and chunk.rejects == []
    expected: dict[tuple[str, date], float] = defaultdict(float)
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Drug Type"] != "Fentanyl":
                continue
            m = months.index(row["Month (abbv)"]) + 1
            y = int(row["FY"]) - (1 if m >= 10 else 0)
            expected[("nationwide", date(y, m, 1))] += float(row["Sum Qty (lbs)"])
            if row["Region"] == "Southwest Border":
                expected[("southwest_border", date(y, m, 1))] += float(row["Sum Qty (lbs)"])
            if row["Component"] == "Office of Field Operations":
                expected[("ofo", date(y, m, 1))] += float(row["Sum Qty (lbs)"])
    for scope in ("nationwide", "southwest_border", "ofo"):
        got = values(chunk, f"cbp_fentanyl_seized_lbs_{scope}")
        assert len(got) == 48
        for month, value in got.items():
            assert value == pytest.approx(expected[(scope, month)], rel=1e-9)
    # FY2020 starts in October 2019
    assert min(values(chunk, "cbp_fentanyl_seized_lbs_nationwide")) == date(2019, 10, 1)
    rows = chunk.table.to_pylist()
    assert {r["vintage"] for r in rows} == {"cbp-nationwide-through-2023-09"}
    assert all(r["unit"] in ("pounds", "seizure events") for r in rows)
    assert all(r["note"] and "known_at assumed" in r["note"] for r in rows)


def test_amo_file_is_its_own_series(cbp: Path) -> None:
    chunk = read_all(CbpSeizuresSource(), cbp / "amo-drug-seizures-fy19-fy22.csv")
    names = set(chunk.table.column("indicator").to_pylist())
    assert "amo_cocaine_seized_lbs_nationwide" in names
    assert not any(n.startswith("cbp_") for n in names)
    assert set(chunk.table.column("vintage").to_pylist()) == {"cbp-amo-through-2022-09"}


def test_a_revised_month_is_a_new_vintage_and_as_of_gives_the_old_one(
    cbp: Path, tmp_path: Path
) -> None:
    old, new = cbp / "nationwide-drugs-fy19-fy22.csv", cbp / "nationwide-drugs-fy20-fy23.csv"
    a = values(read_all(CbpSeizuresSource(), old), "cbp_fentanyl_seized_lbs_nationwide")
    b = values(read_all(CbpSeizuresSource(), new), "cbp_fentanyl_seized_lbs_nationwide")
    # The two real releases agree on every overlapping month (checked); the vintage still
    # switches on the second file's known_at. A revised value is tested on generated files.
    assert all(a[m] == pytest.approx(b[m]) for m in set(a) & set(b))
    store = Store.init(tmp_path / "store")
    src = get_source("cbp_seizures")
    assert pipeline.ingest(src, src.artifacts_for_paths([old, new]), store).ok
    name = "cbp_fentanyl_seized_lbs_nationwide"
    before = {
        r["period_start"]: r for r in indicator_series(store, name, date(2023, 1, 1)).to_pylist()
    }
    after = {
        r["period_start"]: r for r in indicator_series(store, name, date(2024, 1, 1)).to_pylist()
    }
    assert max(before) == date(2022, 9, 1) and max(after) == date(2023, 9, 1)
    assert indicator_series(store, name, date(2022, 10, 31)).num_rows == 0
    overlap = date(2021, 6, 1)
    assert before[overlap]["vintage"] == "cbp-nationwide-through-2022-09"
    assert after[overlap]["vintage"] == "cbp-nationwide-through-2023-09"
    first = indicator_series(store, name, None, "first-known").to_pylist()
    assert {r["vintage"] for r in first if r["period_start"] == overlap} == {
        "cbp-nationwide-through-2022-09"
    }


def test_a_revised_figure_keeps_the_old_vintage_visible_before_the_revision(
    tmp_path: Path,
) -> None:
    row = "{fy},{m},U.S. Border Patrol,Southwest Border,Land Only,TUCSON,Fentanyl,1,{lbs}\n"
    first = tmp_path / "release-1.csv"
    first.write_text(HEADER + row.format(fy=2021, m="JAN", lbs=100))
    second = tmp_path / "release-2.csv"
    second.write_text(
        HEADER + row.format(fy=2021, m="JAN", lbs=120) + row.format(fy=2021, m="FEB", lbs=7)
    )
    store = Store.init(tmp_path / "store")
    src = CbpSeizuresSource()
    assert pipeline.ingest(src, src.artifacts_for_paths([first, second]), store).ok
    name = "cbp_fentanyl_seized_lbs_southwest_border"

    def jan(as_of: date | None) -> float | None:
        rows = indicator_series(store, name, as_of).to_pylist()
        return next((r["value"] for r in rows if r["period_start"] == date(2021, 1, 1)), None)

    # release 1 covers January (known 45 days after 31 Jan), release 2 February (after 28 Feb)
    assert jan(date(2021, 3, 16)) is None
    assert jan(date(2021, 3, 17)) == 100
    assert jan(date(2021, 4, 13)) == 100
    assert jan(date(2021, 4, 14)) == 120
    assert indicator_series(store, name).num_rows == 2


def test_known_at_given_by_the_user(cbp: Path) -> None:
    src = CbpSeizuresSource(known_at=date(2022, 10, 20))
    chunk = read_all(src, cbp / "amo-drug-seizures-fy19-fy22.csv")
    assert {r["known_at"].date() for r in chunk.table.to_pylist()} == {date(2022, 10, 20)}
    assert set(chunk.table.column("note").to_pylist()) == {None}


def test_bad_rows_are_set_aside_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "cbp.csv"
    ofo = "Office of Field Operations,Southwest Border,Land Only,SAN DIEGO,Fentanyl"
    path.write_text(
        HEADER
        + f"2021,JAN,{ofo},3,10.5\n"
        + f"2021,JUNE?,{ofo},1,1\n"
        + f"2021,FEB,{ofo},1,lots\n"
        + "2021,MAR,Office of Field Operations,Southwest Border\n"
        + "twenty,MAR,U.S. Border Patrol,Southwest Border,Land Only,TUCSON,Fentanyl,1,2\n"
        + "2021,OCT,U.S. Border Patrol,Southwest Border,Land Only,TUCSON,Fentanyl,2,4.5\n"
    )
    chunk = read_all(CbpSeizuresSource(), path)
    assert chunk.rows_read == 6
    assert [r.line for r in chunk.rejects] == [3, 4, 5, 6]
    assert "JAN..DEC" in chunk.rejects[0].reason and "expected 9 fields" in chunk.rejects[2].reason
    got = values(chunk, "cbp_fentanyl_seized_lbs_nationwide")
    assert got == {date(2021, 1, 1): 10.5, date(2020, 10, 1): 4.5}
    assert values(chunk, "cbp_fentanyl_seized_lbs_usbp") == {date(2020, 10, 1): 4.5}
    store = Store.init(tmp_path / "store")
    src = CbpSeizuresSource()
    summary = pipeline.ingest(src, src.artifacts_for_paths([path]), store)
    assert summary.ok and summary.rows_quarantined == 4
    lines = store.catalog_query("SELECT line FROM quarantine ORDER BY line").column(0)
    assert lines.to_pylist() == [3, 4, 5, 6]


def test_wrong_file_and_empty_file(shared_data: Path, tmp_path: Path) -> None:
    cdc = (
        shared_data
        / "statistics"
        / "us_cdc"
        / "VSRR_Provisional_Drug_Overdose_Death_Counts_2019snapshot.csv"
    )
    with pytest.raises(ArtifactError, match="not a CBP drug seizure statistics file"):
        read_all(CbpSeizuresSource(), cdc)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ArtifactError, match="empty"):
        read_all(CbpSeizuresSource(), empty)
    store = Store.init(tmp_path / "store")
    src = CbpSeizuresSource()
    summary = pipeline.ingest(src, src.artifacts_for_paths([cdc]), store)
    assert summary.count("failed") == 1


def test_reingesting_the_same_file_is_skipped_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cbp.csv"
    path.write_text(
        HEADER + "2021,JAN,U.S. Border Patrol,Southwest Border,Land Only,TUCSON,Fentanyl,1,2\n"
    )
    store = Store.init(tmp_path / "store")
    src = CbpSeizuresSource()
    assert pipeline.ingest(src, src.artifacts_for_paths([path]), store).count("done") == 1
    rows = store.table("indicators").num_rows
    again = pipeline.ingest(src, src.artifacts_for_paths([path]), store)
    assert again.count("skipped") == 1 and store.table("indicators").num_rows == rows
    dated = CbpSeizuresSource(known_at=date(2021, 2, 20))
    redo = pipeline.ingest(dated, dated.artifacts_for_paths([path]), store)
    assert redo.count("done") == 1 and store.table("indicators").num_rows == rows
    (known,) = set(store.table("indicators").column("known_at").to_pylist())
    assert known.date() == date(2021, 2, 20)
