"""Alerts: unusual recent periods with their events — on the KB and on a generated store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dyadwatch.analyse.index import alerts
from dyadwatch.errors import UsageError
from dyadwatch.model import Actor, Event
from dyadwatch.pipeline import ingest
from dyadwatch.present.cli.main import main
from dyadwatch.sources import get_source
from dyadwatch.store import Store
from tests.index_compare import store_of

pytestmark = pytest.mark.sample


@pytest.fixture(scope="module")
def kb_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.init(tmp_path_factory.mktemp("kb") / "store")
    src = get_source("curated")
    assert ingest(src, src.discover(), store).ok
    return store


def test_the_week_of_the_cienfuegos_arrest_is_unusual(kb_store: Store) -> None:
    """Week 42 of 2020 (12–18 October): the arrest in Los Angeles on the 15th."""
    found = alerts(kb_store, freq="week", as_of=date(2020, 10, 18)).to_pylist()
    assert [(a["period"], a["measure"], a["reading"]) for a in found] == [
        ("2020-W42", "n", "more events than usual")
    ]
    (alert,) = found
    assert alert["z"] >= 2 and alert["value"] >= 2
    assert alert["baseline_periods"] > 0  # earlier weeks with a net_coop value
    days = {e["event_date"] for e in alert["events"]}
    assert days and all(date(2020, 10, 12) <= d <= date(2020, 10, 18) for d in days)
    assert any("Cienfuegos" in (e["summary"] or "") for e in alert["events"])
    assert all(e["source_urls"] for e in alert["events"])  # every event cites its sources


def test_an_alert_never_shows_what_was_not_yet_public(kb_store: Store) -> None:
    before = alerts(kb_store, freq="week", as_of=date(2020, 10, 14), recent=4).to_pylist()
    shown = [e for a in before for e in a["events"]]
    assert not any("Cienfuegos" in (e["summary"] or "") for e in shown)


def _month_events(start: date, months: int, conflict_month: int) -> list[Event]:
    """Four events a month, meetings but for a criticism every third month (so the baseline
    varies); in ``conflict_month`` four arrests instead."""
    out = []
    for m in range(months):
        first = date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
        for k in range(4):
            day = first + timedelta(days=3 + 5 * k)
            conflict = m == conflict_month
            out.append(
                Event(
                    source="desk",
                    source_key=f"{m}-{k}",
                    event_date=day,
                    known_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
                    actor1=Actor(code="USAGOV", country="USA"),
                    actor2=Actor(code="MEXGOV", country="MEX"),
                    cameo_code="173" if conflict else ("111" if k == 0 and m % 3 == 0 else "036"),
                    summary=("arrest" if conflict else "meeting") + f" {m}-{k}",
                )
            )
    return out


def test_a_conflict_spike_after_calm_months_is_an_alert_with_its_events(tmp_path: Path) -> None:
    store = store_of(tmp_path / "s", [_month_events(date(2019, 1, 1), 30, conflict_month=29)])
    found = alerts(store, freq="month", source="desk").to_pylist()
    by_measure = {a["measure"]: a for a in found}
    assert set(by_measure) == {"net_coop", "goldstein_net"}  # same count: n is not unusual
    net = by_measure["net_coop"]
    assert net["period"] == "2021-06" and net["value"] == -1.0 and net["z"] < -2
    assert net["reading"] == "more conflictual than usual"
    assert sorted(e["summary"] for e in net["events"]) == [f"arrest 29-{k}" for k in range(4)]
    # Looking at the three latest months finds the same single spike; a higher bar, none.
    recent = alerts(store, freq="month", recent=3).to_pylist()
    assert [a["period"] for a in recent] == ["2021-06"] * 2
    assert alerts(store, freq="month", threshold=1e6).num_rows == 0
    # As of the month before the spike nothing is unusual.
    assert alerts(store, freq="month", as_of=date(2021, 5, 31), recent=6).num_rows == 0


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"threshold": 0}, "threshold must be a positive number"),
        ({"threshold": -1.5}, "threshold must be a positive number"),
        ({"threshold": float("nan")}, "threshold must be a positive number"),
        ({"threshold": "high"}, "threshold must be a positive number"),
        ({"threshold": True}, "threshold must be a positive number"),
        ({"recent": 0}, "recent must be a whole number"),
        ({"recent": 1.5}, "recent must be a whole number"),
        ({"events": 0}, "events must be a whole number"),
        ({"source": "gdlet"}, "no series 'gdlet'"),
        ({"freq": "fortnight"}, "freq"),
    ],
)
def test_bad_alert_requests_are_clear_errors(
    kb_store: Store, kwargs: dict[str, object], needle: str
) -> None:
    with pytest.raises(UsageError, match=needle):
        alerts(kb_store, as_of=date(2021, 1, 31), **kwargs)  # type: ignore[arg-type]


def test_the_cli_lists_alerts(kb_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["index", "alerts", "--freq", "week", "--as-of", "2020-10-18", "--measure", "net_coop"]
    assert main([*args, "--store", str(kb_store.root)]) == 0
    out = capsys.readouterr().out
    assert "2020-W42" in out and "more events than usual" in out and "Cienfuegos" in out
    assert main([*args, "--json", "--store", str(kb_store.root)]) == 0
    (alert,) = json.loads(capsys.readouterr().out)
    assert alert["period"] == "2020-W42" and alert["events"]
    assert main([*args, "--threshold", "0", "--store", str(kb_store.root)]) == 2  # usage error
    assert "threshold must be a positive number" in capsys.readouterr().err
