"""Named series: scope, relational effect, episodes, minimum evidence, windows, fusion."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dyadwatch.analyse.index import (
    MIN_N,
    run_series,
    series,
    series_evidence,
    series_lowest_since,
)
from dyadwatch.analyse.index.named import make_query
from dyadwatch.errors import AnalysisError, UsageError
from dyadwatch.model import Actor, Event
from dyadwatch.pipeline import ingest
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store

pytestmark = pytest.mark.unit

US_DOJ = Actor(code="USA:DOJ", country="USA", agent_type="JUD")
MX_SRE = Actor(code="MEX:SRE", country="MEX", agent_type="GOV")
MX_CRM = Actor(code="MEX:CARTEL", country="MEX", agent_type="CRM")


def ev(
    key: str,
    day: date,
    effect: float | None,
    *,
    source: str = "curated",
    a1: Actor = US_DOJ,
    a2: Actor = MX_SRE,
    episode: str | None = None,
    known: datetime | None = None,
    code: str = "036",
) -> Event:
    return Event(
        source=source,
        source_key=key,
        event_date=day,
        known_at=known or datetime(day.year, day.month, day.day, 18, tzinfo=UTC),
        actor1=a1,
        actor2=a2,
        cameo_code=code,
        relation_effect=effect,
        effect_basis="editor" if effect is not None else None,
        episode=episode,
        summary=f"event {key}",
        source_urls=(f"https://example.org/{key}",),
        source_published=(day,),
    )


def store_of(tmp_path: Path, events: list[Event], name: str = "store") -> Store:
    store = Store.init(tmp_path / name)
    src = MemorySource(default_confidence=0.9)
    src.add("batch", events)
    assert ingest(src, src.discover(), store, strictness="raise").ok
    return store


def rows(table: object) -> dict[str, dict[str, object]]:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return {r["period"]: r for r in frame.iter_rows(named=True)}


def month_of(effects: list[float], month: int = 3, **kw: object) -> list[Event]:
    return [
        ev(f"m{month}-{i}", date(2021, month, 1 + i), e, **kw)  # type: ignore[arg-type]
        for i, e in enumerate(effects)
    ]


def test_state_scope_keeps_only_organs_of_the_two_states(tmp_path: Path) -> None:
    events = month_of([-6, -6, -6, -6, -6]) + [
        ev(f"crm{i}", date(2021, 3, 10 + i), 0.0, a2=MX_CRM) for i in range(5)
    ]
    store = store_of(tmp_path, events)
    state = rows(series(store, window=1))["2021-03"]
    env = rows(series(store, "environment", window=1))["2021-03"]
    assert (state["n"], state["value"]) == (5, -6.0)
    assert env["n"] == 5  # the five US→trafficker events, by their CAMEO Goldstein (036: +4)
    assert env["value"] == pytest.approx(4.0)


def test_too_few_events_give_a_null_with_the_reason(tmp_path: Path) -> None:
    store = store_of(tmp_path, month_of([-3, -3, -3, -3]))
    row = rows(series(store, window=1))["2021-03"]
    assert row["value"] is None and row["status"] == "insufficient"
    assert "insufficient evidence" in row["reason"] and str(MIN_N) in row["reason"]
    assert row["n"] == 4


def test_an_episode_counts_once_by_its_strongest_step(tmp_path: Path) -> None:
    law = [
        ev(f"law{i}", date(2021, 3, 1 + i), e, episode="law", code="172")
        for i, e in enumerate([-2, -7, -4])
    ]
    other = month_of([1, 1, 1, 1, 1], month=3)
    store = store_of(tmp_path, law + other)
    once = rows(series(store, window=1))["2021-03"]
    every = rows(series(store, window=1, episodes="all"))["2021-03"]
    assert once["n"] == 6 and once["value"] == pytest.approx((5 * 1 - 7) / 6)
    assert every["n"] == 8
    ev_rows = series_evidence(store, "2021-03", window=1).to_pylist()
    law_row = next(r for r in ev_rows if r["episode"] == "law")
    assert law_row["value"] == -7.0 and len(law_row["steps"]) == 2


def test_the_window_is_chosen_from_the_source_density(tmp_path: Path) -> None:
    # one event a month for two years: a month never reaches MIN_N, a half-year always does
    events = [ev(f"e{m}", date(2019 + m // 12, m % 12 + 1, 5), 2.0) for m in range(24)]
    store = store_of(tmp_path, events)
    run = run_series(store, make_query("relationship", {}))
    assert run.windows["curated"] == 6
    last = rows(run.source_rows())["2020-12"]
    assert last["window"] == 6 and last["n"] == 6 and last["window_start"] == date(2020, 7, 1)


def test_as_of_hides_events_not_yet_public(tmp_path: Path) -> None:
    late = ev("late", date(2021, 3, 20), -9.0, known=datetime(2021, 4, 2, tzinfo=UTC))
    store = store_of(tmp_path, [*month_of([1, 1, 1, 1, 1]), late])
    before = rows(series(store, window=1, as_of=date(2021, 3, 31)))["2021-03"]
    after = rows(series(store, window=1, as_of=date(2021, 4, 2)))["2021-03"]
    assert before["n"] == 5 and after["n"] == 6


def test_the_interval_contains_the_value_and_narrows_with_n(tmp_path: Path) -> None:
    events = month_of([-5, 0, 5, -5, 0, 5], month=3) + month_of([-5, 0, 5] * 6, month=4)
    store = store_of(tmp_path, events)
    r = rows(series(store, window=1))
    for period in ("2021-03", "2021-04"):
        assert r[period]["lo"] < r[period]["value"] < r[period]["hi"]
    width = {p: r[p]["hi"] - r[p]["lo"] for p in ("2021-03", "2021-04")}
    assert width["2021-04"] < width["2021-03"]


def test_fusion_weighs_by_evidence_reliability_and_coverage(tmp_path: Path) -> None:
    curated = [ev(f"c{m}", date(2021, m, 10), -6.0) for m in range(1, 9)]
    other = [ev(f"o{i}", date(2021, 3, 10 + i), 8.0, source="other") for i in range(5)]
    store = store_of(tmp_path, curated + other)
    run = run_series(store, make_query("relationship", {"window": 1, "freq": "year"}))
    table = pl.from_arrow(run.table)
    assert isinstance(table, pl.DataFrame)
    year = {r["source"]: r for r in table.filter(pl.col("period") == "2021").iter_rows(named=True)}
    # "other" holds one month of data: its coverage of 2021 is 1/12, so it barely counts
    assert year["other"]["coverage"] == pytest.approx(31 / 365)
    assert year["other"]["status"] == "insufficient" and "31%" not in year["other"]["reason"]
    assert year["fused"]["value"] == pytest.approx(-6.0)
    assert year["curated"]["weight_share"] == 1.0


def test_a_window_the_source_does_not_cover_has_no_value(tmp_path: Path) -> None:
    events = month_of([2, 3, 2, 3, 2], month=1) + month_of([2, 3, 2, 3, 2], month=2)
    store = store_of(tmp_path, events)
    rows_ = rows(series(store, window=3, as_of=date(2021, 12, 31)))
    assert rows_["2021-03"]["status"] == "ok"  # January-March: two of three months covered
    year = rows(series(store, window=12, as_of=date(2021, 12, 31), source="curated"))["2021-12"]
    # ten events, but the record stopped in February: two months of a twelve-month window
    assert year["n"] == 10 and year["value"] is None
    assert "holds data for 16% of the window" in year["reason"]


def test_lowest_since_reads_only_values_with_evidence(tmp_path: Path) -> None:
    events = (
        month_of([-4] * 5, month=1)
        + month_of([2] * 5, month=2)
        + month_of([-1], month=3)  # too few: skipped
        + month_of([-3] * 5, month=4)
    )
    store = store_of(tmp_path, events)
    answer = series_lowest_since(store, "2021-04", window=1)
    assert answer.since == "2021-01" and answer.since_value == -4.0
    with pytest.raises(AnalysisError, match="insufficient evidence"):
        series_lowest_since(store, "2021-03", window=1)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"window": 0}, "window"),
        ({"episodes": "some"}, "episodes"),
        ({"min_n": 1}, "min_n"),
        ({"level": 1.5}, "level"),
        ({"scope": "galaxy"}, "scope"),
        ({"as_of": date(2999, 1, 1)}, "future"),
    ],
)
def test_bad_parameters_are_one_clear_error(tmp_path: Path, params: dict, message: str) -> None:
    store = store_of(tmp_path, month_of([1] * 5))
    with pytest.raises(UsageError, match=message):
        series(store, **params)
    with pytest.raises(UsageError, match=r"unknown series 'relationshp'.*relationship"):
        series(store, "relationshp")


def test_loaded_once_then_read_as_of_many_dates_equals_reading_each_date(tmp_path: Path) -> None:
    from dyadwatch.analyse.index.named import load_series

    late = ev("late", date(2021, 3, 20), -9.0, known=datetime(2021, 5, 2, tzinfo=UTC))
    events = month_of([1, 2, 1, 2, 1]) + month_of([-2, -3, -2, -3, -2], month=4) + [late]
    store = store_of(tmp_path, events)
    data = load_series(store, make_query("relationship", {"window": 1}))
    for as_of in (date(2021, 3, 31), date(2021, 4, 30), date(2021, 5, 2), date(2021, 6, 1)):
        direct = run_series(store, make_query("relationship", {"window": 1, "as_of": as_of}))
        assert data.at(as_of).table.to_pylist() == direct.table.to_pylist()
