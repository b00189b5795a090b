"""The Indicators pages at scale: grouped, searchable and paginated, names not ids, charts with
axes, units and releases.

A store of the shipped knowledge base plus a generated CDC VSRR file (the format of
``ingest cdc_vsrr``: 26 jurisdictions × 4 drugs, reported and predicted, 208 series) stands in
for the 520 state series of the real file. Speed is measured in bench/serve.py, not here.
"""

from __future__ import annotations

import csv
import math
import re
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dyadwatch import pipeline
from dyadwatch.present.api.app import create_app
from dyadwatch.present.api.figures import effects_scene, releases_scene, strip_with_years
from dyadwatch.present.api.pages import SERIES_PAGE
from dyadwatch.present.charts import to_svg
from dyadwatch.settings import Settings
from dyadwatch.sources import get_source
from dyadwatch.store import Store
from tests.unit.api_support import assert_error, curated_store, make_client

pytestmark = pytest.mark.unit

DAY = "2021-01-19"
STATES = [
    ("AK", "Alaska"), ("AL", "Alabama"), ("AZ", "Arizona"), ("CA", "California"),
    ("CO", "Colorado"), ("CT", "Connecticut"), ("DC", "District of Columbia"),
    ("DE", "Delaware"), ("FL", "Florida"), ("GA", "Georgia"), ("IL", "Illinois"),
    ("MA", "Massachusetts"), ("MD", "Maryland"), ("ME", "Maine"), ("NC", "North Carolina"),
    ("NM", "New Mexico"), ("NV", "Nevada"), ("NY", "New York"), ("OH", "Ohio"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("TX", "Texas"), ("UT", "Utah"),
    ("VA", "Virginia"), ("WA", "Washington"), ("US", "United States"),
]  # fmt: skip
DRUGS = (
    "Heroin (T40.1)",
    "Synthetic opioids, excl. methadone (T40.4)",
    "Cocaine (T40.5)",
    "Number of Drug Overdose Deaths",
)
MONTHS = ("January", "February", "March", "April", "May", "June")


def cdc_file(path: Path) -> Path:
    """A CDC VSRR file in the download's format: 26 jurisdictions × 4 drugs × 6 months."""
    header = [
        "State", "Year", "Month", "Period", "Indicator", "Data Value", "Percent Complete",
        "Percent Pending Investigation", "State Name", "Footnote", "Footnote Symbol",
        "Predicted Value",
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for i, (code, name) in enumerate(STATES):
            for j, drug in enumerate(DRUGS):
                for k, month in enumerate(MONTHS):
                    value = 100 + 10 * i + 5 * j + k
                    out.writerow(
                        [code, 2018, month, "12 month-ending", drug, f"{value:,}", "100", "0",
                         name, "", "", f"{value + 3:,}"]
                    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("many-indicators")
    shutil.copytree(curated_store(tmp_path_factory), base / "store")
    store = Store.open(base / "store")
    source = get_source("cdc_vsrr", known_at=date(2019, 5, 1))
    path = cdc_file(base / "VSRR_Provisional_Drug_Overdose_Death_Counts.csv")
    assert pipeline.ingest(source, list(source.artifacts_for_paths([path])), store).ok
    return base / "store"


@pytest.fixture(scope="module")
def client(many: Path) -> Any:
    return make_client(create_app(Settings(store=many)), raise_server_exceptions=False)


def _rows(html: str) -> list[str]:
    return re.findall(r'<td class="series-name"><a href="([^"]+)">([^<]+)</a>', html)


def test_the_list_is_grouped_and_paged(client: Any) -> None:
    everything = client.get("/api/indicators", params={"as_of": DAY}).json()["rows"]
    assert len(everything) > 200
    html = client.get("/indicators", params={"as_of": DAY}).text
    rows = _rows(html)
    assert len(rows) == SERIES_PAGE
    pages = math.ceil(len(everything) / SERIES_PAGE)
    assert f"page 1 of {pages}" in html and 'rel="next"' in html
    # The knowledge base's own groups come first, each a heading, then the CDC's.
    headings = re.findall(r'<section class="series-group" id="group-([^"]+)">', html)
    assert headings[0] == "extraditions" and len(headings) == len(set(headings))
    assert "VSRR Provisional Drug Overdose Death Counts (CDC/NCHS)" in html
    last = client.get("/indicators", params={"as_of": DAY, "page": pages}).text
    assert 0 < len(_rows(last)) <= SERIES_PAGE and 'rel="next"' not in last
    beyond = client.get("/indicators", params={"as_of": DAY, "page": pages + 5}).text
    assert _rows(beyond) == _rows(last)  # a page past the end shows the last one
    seen = {href for n in range(1, pages + 1) for href, _ in _rows(
        client.get("/indicators", params={"as_of": DAY, "page": n}).text
    )}  # fmt: skip
    assert len(seen) == len(everything)  # every series on exactly one page


def test_names_not_ids(client: Any) -> None:
    html = client.get(
        "/indicators", params={"as_of": DAY, "group": "cdc_vsrr", "q": "alabama"}
    ).text
    names = [name for _, name in _rows(html)]
    assert names and not any("_" in n for n in names)
    assert "Heroin (T40.1), Alabama" in names
    assert "Heroin (T40.1), Alabama, predicted" in names
    api = client.get("/api/indicators", params={"q": "heroin alabama predicted"}).json()["rows"]
    assert [r["indicator"] for r in api] == ["cdc_vsrr_heroin_t40_1_predicted_al"]


def test_search_and_group_filters(client: Any) -> None:
    html = client.get("/indicators", params={"as_of": DAY, "q": "synthetic texas"}).text
    names = [name for _, name in _rows(html)]
    assert names == [
        "Synthetic opioids excl methadone (T40.4), Texas",
        "Synthetic opioids excl methadone (T40.4), Texas, predicted",
    ]
    assert "2 series matching “synthetic texas”" in html
    group = client.get("/indicators", params={"as_of": DAY, "group": "merida"}).text
    assert _rows(group) and "Mérida" in group and "page 1 of" not in group
    none = client.get("/indicators", params={"as_of": DAY, "q": "no such series"}).text
    assert "No series matching “no such series”" in none
    assert_error(client.get("/api/indicators", params={"q": "x" * 201}), 422, "invalid_parameter")


def test_every_listed_chart_has_axes(client: Any) -> None:
    html = client.get("/indicators", params={"as_of": DAY, "page": 2}).text
    sparks = re.findall(r'<svg class="spark".*?</svg>', html, re.S)
    assert len(sparks) == SERIES_PAGE
    for svg in sparks:
        labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
        years = [t for t in labels if re.fullmatch(r"\d{4}", t)]
        values = [t for t in labels if t not in years]
        assert len(years) == 2 and len(values) == 2 and "<line" in svg


def test_the_indicator_page_draws_axes_unit_and_releases(client: Any) -> None:
    html = client.get("/indicators/cdc_vsrr_heroin_t40_1_al", params={"as_of": DAY}).text
    assert "<h1>Heroin (T40.1), Alabama</h1>" in html
    chart = html.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", chart)
    assert "deaths" in labels and "2017" in labels  # the unit over the value axis, a year
    assert sum(bool(re.fullmatch(r"[\d,]+", t)) for t in labels) >= 3  # value ticks
    assert "latest release of each period" in labels
    assert chart.count('<circle class="pt"') == len(MONTHS)
    assert "July 2017 – June 2018" in html  # periods in words in the table
    early = client.get("/indicators/cdc_vsrr_heroin_t40_1_al", params={"as_of": "2019-01-01"})
    assert early.status_code == 404 and "choose a later date" in early.text
    unknown = client.get("/indicators/cdc_vsrr_heroin_t40_1_ak_typo", params={"as_of": DAY})
    assert unknown.status_code == 404 and "Did you mean" in unknown.text


def test_revised_figures_are_drawn_as_earlier_releases() -> None:
    def row(value: float, vintage: str, known: int) -> dict[str, Any]:
        return {"period_start": date(2019, 1, 1), "period_end": date(2019, 12, 31),
                "value": value, "vintage": vintage, "known_at": datetime(known, 6, 1)}  # fmt: skip

    rows = [row(10, "preliminary", 2020), row(12, "final", 2021),
            {**row(20, "final", 2021), "period_start": date(2020, 1, 1),
             "period_end": date(2020, 12, 31)}]  # fmt: skip
    svg = to_svg(releases_scene(rows[1:], rows, unit="homicides"))
    assert svg.count('class="earlier"') == 0  # one earlier figure: a dot, no line
    assert svg.count('class="pt old"') == 1 and "since revised" in svg
    assert "earlier releases, since revised" in svg and ">2019<" in svg and ">2020<" in svg
    assert "no figure" in to_svg(releases_scene([], unit="x"))


def test_small_charts_have_their_scales() -> None:
    effects = [
        {"horizon_months": 3, "effect": -1.2, "lo": -2.0, "hi": -0.4, "status": "ok"},
        {"horizon_months": 6, "effect": 0.0, "lo": 0.0, "hi": 0.0, "status": "insufficient"},
        {"horizon_months": 12, "effect": 9.0, "lo": 5.0, "hi": 12.0, "status": "ok"},
    ]
    svg = to_svg(effects_scene(effects))
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert {"0", "−4", "4", "3", "6", "12"} <= set(labels)
    assert svg.count("<circle") == 2  # no dot where the study had too little data
    months = [{"as_of": f"{y}-{m:02d}-28", "status": "met"} for y in (2019, 2020)
              for m in range(1, 13)]  # fmt: skip
    strip = to_svg(strip_with_years(months))
    assert re.findall(r">(\d{4})<", strip) == ["2019", "2020"]
