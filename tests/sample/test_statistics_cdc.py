"""CDC VSRR provisional overdose counts: the real 2019 snapshot and malformed files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dyadwatch.errors import ArtifactError
from dyadwatch.sources.base import Chunk
from dyadwatch.sources.statistics.cdc import CdcVsrrSource

pytestmark = pytest.mark.sample

HEADER = (
    "State,Year,Month,Period,Indicator,Data Value,Percent Complete,"
    "Percent Pending Investigation,State Name,Footnote,Footnote Symbol,Predicted Value\n"
)


def read_all(src: CdcVsrrSource, path: Path) -> Chunk:
    (chunk,) = src.read(next(iter(src.artifacts_for_paths([path]))))
    return chunk


def value(chunk: Chunk, indicator: str, end: date) -> float:
    rows = chunk.table.to_pylist()
    return next(r["value"] for r in rows if r["indicator"] == indicator and r["period_end"] == end)


@pytest.fixture(scope="module")
def snapshot(shared_data: Path) -> Chunk:
    path = (
        shared_data
        / "statistics"
        / "us_cdc"
        / "VSRR_Provisional_Drug_Overdose_Death_Counts_2019snapshot.csv"
    )
    return read_all(CdcVsrrSource(), path)


def test_national_12_month_ending_counts(snapshot: Chunk) -> None:
    assert snapshot.rows_read == 13912 and snapshot.rejects == []
    dec17 = date(2017, 12, 31)
    assert value(snapshot, "cdc_vsrr_number_of_drug_overdose_deaths_us", dec17) == 70699
    assert value(snapshot, "cdc_vsrr_number_of_drug_overdose_deaths_predicted_us", dec17) == 72224
    t404 = "cdc_vsrr_synthetic_opioids_excl_methadone_t40_4"
    assert value(snapshot, f"{t404}_us", dec17) == 28659
    assert value(snapshot, f"{t404}_predicted_us", dec17) == 29461
    row = next(
        r
        for r in snapshot.table.to_pylist()
        if r["indicator"] == f"{t404}_us" and r["period_end"] == dec17
    )
    assert row["period_start"] == date(2017, 1, 1) and row["unit"] == "deaths"
    assert "United States" in row["scope"] and "reported" in row["scope"]


def test_twelve_months_end_in_the_named_month(snapshot: Chunk) -> None:
    rows = [
        r
        for r in snapshot.table.to_pylist()
        if r["indicator"] == "cdc_vsrr_number_of_drug_overdose_deaths_us"
    ]
    for r in rows:
        assert (r["period_end"] - r["period_start"]).days in range(364, 366)
    assert max(r["period_end"] for r in rows) == date(2018, 11, 30)


def test_one_vintage_named_after_the_last_month(snapshot: Chunk) -> None:
    rows = snapshot.table.to_pylist()
    assert {r["vintage"] for r in rows} == {"cdc-vsrr-through-2018-11"}
    (known,) = {r["known_at"] for r in rows}
    assert known.date() > date(2018, 11, 30)
    units = {r["unit"] for r in rows if "percent_with_drugs_specified" in r["indicator"]}
    assert units == {"percent"}


def test_malformed_rows_suppressed_values_and_thousands_separators(tmp_path: Path) -> None:
    path = tmp_path / "vsrr.csv"
    foot = "United States,Note,*"
    deaths = "Number of Drug Overdose Deaths"
    path.write_text(
        HEADER
        + f'US,2020,December,12 month-ending,{deaths},"93,331",100,0,{foot},"93,655"\n'
        + f"US,2020,Smarch,12 month-ending,{deaths},1,100,0,{foot},\n"
        + f"US,2020,November,12 month-ending,{deaths},many,100,0,{foot},\n"
        + f"US,2020,October,monthly,{deaths},5,100,0,{foot},\n"
        + "US,2020,October\n"
        + "AK,2020,December,12 month-ending,Heroin (T40.1),,100,0,Alaska,Suppressed,*,\n"
    )
    chunk = read_all(CdcVsrrSource(), path)
    assert [r.line for r in chunk.rejects] == [3, 4, 5, 6]
    assert "not a month name" in chunk.rejects[0].reason
    assert "12 month-ending" in chunk.rejects[2].reason
    dec20 = date(2020, 12, 31)
    assert value(chunk, "cdc_vsrr_number_of_drug_overdose_deaths_us", dec20) == 93331
    assert value(chunk, "cdc_vsrr_number_of_drug_overdose_deaths_predicted_us", dec20) == 93655
    assert not any("heroin" in n for n in chunk.table.column("indicator").to_pylist())


def test_wrong_file(shared_data: Path) -> None:
    fa = shared_data / "statistics" / "us_foreign_assistance" / "us_foreign_aid_country.csv"
    with pytest.raises(ArtifactError, match="not a CDC VSRR"):
        read_all(CdcVsrrSource(), fa)
