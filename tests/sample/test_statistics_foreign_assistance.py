"""ForeignAssistance.gov country totals: the real file, the transition quarter, bad rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dyadwatch.errors import ArtifactError
from dyadwatch.settings import Settings
from dyadwatch.sources import get_source
from dyadwatch.sources.base import Chunk
from dyadwatch.sources.statistics.foreign_assistance import (
    ForeignAssistanceSource,
    fiscal_year_bounds,
)

pytestmark = pytest.mark.sample

HEADER = (
    "country_code,country_name,region_id,region_name,income_group_acronym,income_group_name,"
    "transaction_type_id,transaction_type_name,fiscal_year,current_amount,constant_amount\n"
)
MEX = "MEX,Mexico,6,Western Hemisphere,UMIC,Upper Middle Income Country"


def read_all(src: ForeignAssistanceSource, path: Path) -> Chunk:
    (chunk,) = src.read(next(iter(src.artifacts_for_paths([path]))))
    return chunk


@pytest.fixture(scope="module")
def real(shared_data: Path) -> Path:
    return shared_data / "statistics" / "us_foreign_assistance" / "us_foreign_aid_country.csv"


def test_mexico_obligations_and_disbursements(real: Path) -> None:
    chunk = read_all(ForeignAssistanceSource(), real)
    assert chunk.rows_read == 15294 and chunk.rejects == []
    rows = chunk.table.to_pylist()
    assert {r["indicator"].rsplit("_", 1)[1] for r in rows} == {"mex"}
    ob = {
        r["period_start"]: r["value"]
        for r in rows
        if r["indicator"] == "us_foreign_assistance_obligations_current_usd_mex"
    }
    assert ob[date(2018, 10, 1)] == 443964994
    assert ob[date(2020, 10, 1)] == -357201  # a de-obligation is kept
    assert ob[date(1945, 7, 1)] == 1200000  # FY1946 ran July 1945 - June 1946
    assert {r["vintage"] for r in rows} == {"foreignassistance-through-2021-09"}


def test_all_countries_and_the_dyads_from_settings(real: Path) -> None:
    everyone = read_all(ForeignAssistanceSource(countries=None), real)
    names = set(everyone.table.column("indicator").to_pylist())
    assert "us_foreign_assistance_disbursements_constant_usd_col" in names
    tq = [r for r in everyone.table.to_pylist() if r["period_start"] == date(1976, 7, 1)]
    assert tq and all(r["period_end"] == date(1976, 9, 30) for r in tq)
    src = get_source("foreign_assistance", Settings(dyads=("USA-MEX", "USA-COL")))
    assert isinstance(src, ForeignAssistanceSource) and src.countries == {"MEX", "COL"}


def test_fiscal_year_bounds() -> None:
    assert fiscal_year_bounds("2020") == (date(2019, 10, 1), date(2020, 9, 30))
    assert fiscal_year_bounds("1976") == (date(1975, 7, 1), date(1976, 6, 30))
    assert fiscal_year_bounds("1976tq") == (date(1976, 7, 1), date(1976, 9, 30))
    with pytest.raises(ValueError):
        fiscal_year_bounds("1980tq")


def test_bad_rows_and_wrong_file(tmp_path: Path, shared_data: Path) -> None:
    path = tmp_path / "fa.csv"
    path.write_text(
        HEADER
        + f"{MEX},2,Obligations,2019,100,90\n"
        + f"{MEX},2,Obligations,20X9,100,90\n"
        + f"{MEX},9,Loans,2019,100,90\n"
        + f"{MEX},2,Obligations,2019,a lot,90\n"
        + f"{MEX},2,Obligations\n"
        + f"{MEX},3,Disbursements,2019,,80\n"
    )
    chunk = read_all(ForeignAssistanceSource(), path)
    assert [r.line for r in chunk.rejects] == [3, 4, 5, 6]
    got = {(r["indicator"], r["value"]) for r in chunk.table.to_pylist()}
    assert got == {
        ("us_foreign_assistance_obligations_current_usd_mex", 100.0),
        ("us_foreign_assistance_obligations_constant_usd_mex", 90.0),
        ("us_foreign_assistance_disbursements_constant_usd_mex", 80.0),
    }
    cbp = shared_data / "statistics" / "us_cbp" / "amo-drug-seizures-fy19-fy22.csv"
    with pytest.raises(ArtifactError, match=r"not a ForeignAssistance\.gov"):
        read_all(ForeignAssistanceSource(), cbp)
