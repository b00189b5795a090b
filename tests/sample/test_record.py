"""The embedded record read as the essay's readers read it (issue 12, "Done when").

As of 19 January 2021 — the essay's date, nothing later visible — the default reading of the
knowledge base must put the twelve months to January 2021 lowest since at least 1990, with
enough evidence, and the steps the essay names must pull it down. These are properties of the
record and the measure together: a knowledge-base edit that breaks them is a finding.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dyadwatch.analyse.index import (
    make_query,
    run_series,
    series_alerts,
    series_evidence,
    series_lowest_since,
    series_turning_points,
)
from dyadwatch.pipeline import ingest
from dyadwatch.sources import get_source
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

ESSAY = date(2021, 1, 19)


@pytest.fixture(scope="module")
def kb_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.init(tmp_path_factory.mktemp("record") / "store")
    src = get_source("curated")
    assert ingest(src, src.discover(), store).ok
    return store


def test_the_twelve_months_to_january_2021_are_the_lowest_since_at_least_1990(
    kb_store: Store,
) -> None:
    answer = series_lowest_since(kb_store, "2021-01", as_of=ESSAY, window=12)
    assert answer.n >= 5 and answer.hi < 0  # enough evidence, and clearly below zero
    assert answer.since is None or answer.since < "1990-01"


def test_january_2021_is_in_the_bottom_tenth_of_2007_2021(kb_store: Store) -> None:
    run = run_series(kb_store, make_query("relationship", {"as_of": ESSAY}))
    frame = pl.from_arrow(run.source_rows())
    assert isinstance(frame, pl.DataFrame)
    span = frame.filter((pl.col("period") >= "2007-01") & (pl.col("period") <= "2021-01")).filter(
        pl.col("value").is_not_null()
    )
    jan = span.filter(pl.col("period") == "2021-01").row(0, named=True)
    assert jan["status"] == "ok" and jan["n"] >= 5
    rank = (span["value"] < jan["value"]).sum() / span.height
    assert rank <= 0.10


def test_the_exoneration_and_the_file_releases_push_the_value_down(kb_store: Store) -> None:
    rows = series_evidence(kb_store, "2021-01", as_of=ESSAY, limit=None).to_pylist()
    affair = [r for r in rows if r["episode"] == "cienfuegos-affair"]
    assert affair and all(r["contribution"] < 0 for r in affair)  # each month it moved, down
    (counted,) = [r for r in affair if r["event_date"] >= date(2021, 1, 1)]  # once in January
    keys = {counted["source_key"]} | {s["source_key"] for s in counted["steps"]}
    # the exoneration (14 Jan) and both releases of the file (the US file on the 15th, Mexico's
    # redacted FGR file on the 16th) are steps of the affair, each scored as damage
    assert {
        "2021-01-14-cienfuegos-exonerated",
        "2021-01-15-cienfuegos-file-released",
        "2021-01-16-mexico-releases-redacted-fgr-file",
    } <= keys
    values = [counted["value"], *(s["value"] for s in counted["steps"])]
    assert all(v < 0 for v in values)


def test_the_essays_crisis_reads_more_conflictual_than_usual(kb_store: Store) -> None:
    found = series_alerts(kb_store, as_of=ESSAY, recent=3).to_pylist()
    assert any(
        a["measure"] == "value" and a["reading"] == "more conflictual than usual" for a in found
    )


def test_turning_points_in_history_do_not_move_when_the_as_of_date_does(kb_store: Store) -> None:
    # Read a month apart and years apart, the turning points found before the earlier date
    # are the same periods: the grid of non-overlapping windows is the calendar's, not the
    # last period's.
    def before(as_of: date, cut: str) -> list[tuple[str, str]]:
        table = series_turning_points(kb_store, as_of=as_of)
        return [
            (p, d)
            for p, d in zip(
                table.column("period").to_pylist(),
                table.column("direction").to_pylist(),
                strict=True,
            )
            if p < cut
        ]

    essay = before(ESSAY, "2019-01")
    assert essay, "no turning point in the record before 2019"
    for later in (date(2021, 2, 19), date(2022, 6, 30), date(2026, 2, 28)):
        assert before(later, "2019-01") == essay, later
