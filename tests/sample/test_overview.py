"""The overview on the embedded knowledge base: the default reading, point in time, sources."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dyadwatch import pipeline
from dyadwatch.analyse.index import make_query, run_series
from dyadwatch.errors import UsageError
from dyadwatch.present.overview import Overview, overview
from dyadwatch.sources.curated import CuratedSource
from dyadwatch.store import EventFilter, Store, events

pytestmark = pytest.mark.sample

AS_OF = date(2021, 1, 19)
PREVIOUS = date(2020, 12, 19)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store.init(tmp_path_factory.mktemp("overview") / "store")
    src = CuratedSource()
    summary = pipeline.ingest(src, src.discover(), s)
    assert summary.ok, summary.describe()
    return s


@pytest.fixture(scope="module")
def essay(store: Store) -> Overview:
    return overview(store, AS_OF, previous=PREVIOUS)


def test_headline_is_the_default_reading_with_interval_n_and_window(
    store: Store, essay: Overview
) -> None:
    run = run_series(store, make_query("relationship", {"as_of": AS_OF}))
    row = run.source_rows("fused").to_pylist()[-1]
    assert row["period"] == "2021-01" and row["status"] == "ok"
    h = essay.headline
    assert (h.period, h.value, h.lo, h.hi, h.events, h.window) == (
        row["period"], row["value"], row["lo"], row["hi"], row["n"], row["window"],
    )  # fmt: skip
    assert [p.value for p in essay.index] == [
        r["value"] for r in run.source_rows("fused").to_pylist()
    ]
    stands = essay.bottom_line.stands
    assert f"over the {essay.window and 'twelve'} months to January 2021" in stands
    assert f"{h.events} events" in stands and "90 % interval" in stands
    assert essay.stale is None  # the newest event is a day old


def test_what_changed_holds_the_cienfuegos_file_and_the_law_guidelines(essay: Overview) -> None:
    ch = essay.changes
    assert (ch.since, ch.until) == (PREVIOUS, AS_OF)
    keys = {e.source_key for e in ch.events}
    assert "2021-01-15-cienfuegos-file-released" in keys
    assert "2021-01-14-foreign-agent-law-guidelines" in keys
    assert all(PREVIOUS < e.known_at.date() <= AS_OF for e in ch.events)
    assert ch.events[0].effect is not None and ch.events[0].effect <= -4  # largest first
    changed = {c.instrument: (c.previous_state, c.state) for c in ch.state_changes}
    assert changed["dialogue"][1] == "frozen"
    assert changed["foreign_agent_law"] == ("in_force", "in_force_with_guidelines")
    assert ch.index_move is not None and "December 2020" in ch.index_move.text


def test_nothing_from_after_the_as_of_date(essay: Overview) -> None:
    assert all(s.published is None or s.published <= AS_OF for s in essay.sources)
    dated = [*essay.changes.events, *essay.drivers]
    assert all(e.known_at.date() <= AS_OF and e.event_date <= AS_OF for e in dated)
    assert all(i.since is None or i.since <= AS_OF for i in essay.instruments)
    assert all(ind.latest.period_start <= AS_OF for ind in essay.indicators)
    urls = {s.url for s in essay.sources}
    assert not any("2022/04/20" in u for u in urls)  # the 2022 article on the 1997 unit


def test_sources_are_numbered_once_in_order_of_first_citation(essay: Overview) -> None:
    numbers = [s.number for s in essay.sources]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len({s.url for s in essay.sources}) == len(numbers)
    cited = {n for e in (*essay.changes.events, *essay.drivers) for n in e.sources}
    assert cited <= set(numbers)
    assert all(s.outlet for s in essay.sources)


def test_findings_say_why_in_words_and_what_changed_since_the_last_brief(
    essay: Overview,
) -> None:
    met = essay.met_findings
    assert met and all(f.reason and "_" not in f.reason for f in met)
    assert all(f.previous_status is not None for f in essay.findings)
    moved = [f for f in essay.findings if f.kind != "repair" and f.previous_status != f.status]
    assert len(moved) == len(
        [c for c in essay.changes.findings_changed if "→" in c and "Repair" not in c]
    )
    h = essay.headline
    assert h.lo is not None and h.hi is not None
    relative = any(
        f.status == "met" and f.metrics.get("sabotage") is True for f in essay.findings
    ) and (h.lo <= 0 <= h.hi or (h.value or 0) > 0)
    # The sabotage advice applies while the interval spans zero (or the value is positive):
    # the brief says why that is not a contradiction, and only then.
    assert relative == any("its own past ten years" in t for t in essay.contradictions)


def test_as_dict_is_json(essay: Overview) -> None:
    data = json.loads(json.dumps(essay.as_dict()))
    assert data["as_of"] == "2021-01-19" and data["headline"]["period"] == "2021-01"
    assert data["bottom_line"]["stands"] == essay.bottom_line.stands


def test_a_silent_record_is_read_at_its_newest_event_and_flagged_stale(store: Store) -> None:
    last = events(store, EventFilter(dyad="USA-MEX")).column("event_date").to_pylist()[-1]
    day = last + timedelta(days=200)
    ov = overview(store, day, findings=[], stale_after_days=60)
    assert ov.stale is not None and ov.stale.days == 200 and ov.stale.newest == last
    assert ov.headline.period == last.strftime("%Y-%m")
    assert "No event is recorded after" in ov.bottom_line.stands


def test_before_the_first_event_there_is_no_value_and_no_error(store: Store) -> None:
    ov = overview(store, date(1980, 1, 1), findings=[])
    assert ov.status == "insufficient_data" and ov.events_known == 0
    assert "No value yet" in ov.bottom_line.stands and ov.notes


def test_an_empty_store_is_insufficient_data(tmp_path: Path) -> None:
    ov = overview(Store.init(tmp_path / "empty"), AS_OF, findings=[])
    assert ov.status == "insufficient_data" and ov.index == () and ov.sources == ()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"as_of": datetime.now(UTC).date() + timedelta(days=2)}, "in the future"),
        ({"previous": AS_OF}, "must be before"),
        ({"dyad": "USA-XYZ"}, "unknown country code 'XYZ'"),
        ({"lang": "fr"}, "Languages: en, es"),
        ({"freq": "fortnight"}, "fortnight"),
    ],
)
def test_bad_arguments_are_usage_errors(store: Store, kwargs: dict, message: str) -> None:
    args = {"as_of": AS_OF, "findings": [], **kwargs}
    with pytest.raises(UsageError, match=message):
        overview(store, **args)
