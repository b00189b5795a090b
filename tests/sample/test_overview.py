"""The overview on the embedded knowledge base: headline from the index, point in time, sources."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest

from dyadwatch import pipeline
from dyadwatch.analyse.index import FUSED, IndexSpec, dyad_index, lowest_since
from dyadwatch.errors import UsageError
from dyadwatch.model import as_of_timestamp
from dyadwatch.present.overview import Overview, overview
from dyadwatch.sources.curated import CuratedSource
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

AS_OF = date(2021, 1, 31)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store.init(tmp_path_factory.mktemp("overview") / "store")
    src = CuratedSource()
    summary = pipeline.ingest(src, src.discover(), s)
    assert summary.ok, summary.describe()
    return s


@pytest.fixture(scope="module")
def jan2021(store: Store) -> Overview:
    return overview(store, AS_OF)


def _cited_urls(ov: Overview) -> set[str]:
    """Every URL any section of the overview shows."""
    urls: set[str] = set()
    for e in ov.changes.events:
        urls.update(e.urls)
    for c in ov.changes.state_changes:
        for e in c.evidence:
            urls.update(e.urls)
    for t in ov.turning_points:
        for e in t.events:
            urls.update(e.urls)
    for a in ov.alerts:
        for e in a.events:
            urls.update(e.urls)
    for f in ov.findings:
        for item in f.evidence:
            urls.update(item.urls)
    for i in ov.instruments:
        for e in i.evidence:
            urls.update(e.urls)
    for ind in ov.indicators:
        urls.update(ind.urls)
    return urls


def test_headline_is_what_the_index_computes(store: Store, jan2021: Overview) -> None:
    spec = IndexSpec(as_of=AS_OF)
    table = dyad_index(store, spec, source=FUSED)
    row = table.filter(pc.equal(table["period"], "2021-01")).to_pylist()[0]
    head = jan2021.headline
    assert jan2021.status == "ok"
    assert head.period == "2021-01"
    assert head.value == pytest.approx(row["net_coop"])
    assert head.events == row["n"]
    recent = lowest_since(store, "2021-01", spec)
    assert head.recent is not None
    assert (head.recent.since, head.recent.value, head.recent.periods_between) == (
        recent.since,
        recent.value,
        recent.periods_between,
    )
    year = lowest_since(store, "2020", spec.with_(freq="year"))
    assert head.year is not None and head.year.period == "2020"
    assert head.year.since == year.since and head.year.value == pytest.approx(year.value)
    assert f"lowest of any year since {year.since}" in head.text
    assert "31 January 2021" in head.text


def test_what_changed_holds_the_cienfuegos_and_foreign_agent_law_events(
    jan2021: Overview,
) -> None:
    keys = {e.source_key for e in jan2021.changes.events}
    assert {
        "2021-01-14-cienfuegos-exonerated",
        "2021-01-14-foreign-agent-law-guidelines",
        "2021-01-15-cienfuegos-file-released",
    } <= keys
    lo, hi = as_of_timestamp(jan2021.changes.since), as_of_timestamp(AS_OF)
    assert all(lo < e.known_at <= hi for e in jan2021.changes.events)
    changed = {c.instrument: c for c in jan2021.changes.state_changes}
    assert changed["foreign_agent_law"].state == "in_force_with_guidelines"
    assert changed["foreign_agent_law"].previous_state == "in_force"
    move = jan2021.changes.index_move
    assert move is not None and move.period == "2021-01" and move.previous_period == "2020-12"


def test_nothing_from_after_the_as_of_date(jan2021: Overview) -> None:
    cutoff = as_of_timestamp(AS_OF)
    for e in jan2021.changes.events:
        assert e.known_at <= cutoff
    for i in jan2021.instruments:
        assert i.known_at is None or i.known_at <= cutoff
        for e in i.evidence:
            assert e.known_at <= cutoff
    for ind in jan2021.indicators:
        assert ind.latest.period_start <= AS_OF
    assert jan2021.index[-1].period == "2021-01"


def test_sources_are_numbered_once_and_match_what_is_cited(jan2021: Overview) -> None:
    numbers = [s.number for s in jan2021.sources]
    assert numbers == list(range(1, len(numbers) + 1))
    urls = jan2021.source_urls()
    assert len(urls) == len(set(urls))
    assert set(urls) == _cited_urls(jan2021)
    by_number = {s.number: s.url for s in jan2021.sources}
    for e in jan2021.changes.events:
        assert [by_number[n] for n in e.sources] == list(dict.fromkeys(e.urls))


def test_findings_met_carry_evidence(jan2021: Overview) -> None:
    if jan2021.rules_note and not jan2021.findings:
        pytest.skip(f"no rule findings in this build: {jan2021.rules_note}")
    met = jan2021.met_findings
    assert met, "the essay's conditions held in January 2021; some default rule must be met"
    assert all(f.evidence for f in met)
    assert all(not f.evidence for f in jan2021.findings if f.status != "met")


def test_as_dict_is_json(jan2021: Overview) -> None:
    data = json.loads(json.dumps(jan2021.as_dict()))
    assert data["as_of"] == "2021-01-31"
    assert data["headline"]["period"] == "2021-01"
    assert [s["url"] for s in data["sources"]] == jan2021.source_urls()
    assert len(data["index"]) == len(jan2021.index)


def test_before_the_first_event_is_insufficient_data_not_an_error(store: Store) -> None:
    ov = overview(store, date(1980, 1, 1))
    assert ov.status == "insufficient_data"
    assert ov.headline.text.startswith("Insufficient data")
    assert ov.events_known == 0 and ov.index == () and ov.sources == ()
    assert ov.notes and "later --as-of" in ov.notes[0]
    json.dumps(ov.as_dict())


def test_an_empty_store_is_insufficient_data(tmp_path: Path) -> None:
    ov = overview(Store.init(tmp_path / "empty"), AS_OF)
    assert ov.status == "insufficient_data"
    assert ov.instruments == () and ov.indicators == ()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"as_of": datetime.now(UTC).date() + timedelta(days=2)}, "in the future"),
        ({"as_of": "2021-01-31"}, "must be a date"),
        ({"as_of": AS_OF, "dyad": "USA"}, "not a dyad"),
        ({"as_of": AS_OF, "freq": "fortnight"}, "freq 'fortnight'"),
    ],
)
def test_bad_arguments_are_usage_errors(store: Store, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        overview(store, **kwargs)


def test_the_week_of_the_arrest_is_flagged_with_its_cited_events(store: Store) -> None:
    ov = overview(store, date(2020, 10, 18))
    assert [(a.period, a.measure, a.reading) for a in ov.alerts] == [
        ("2020-W42", "n", "more events than usual")
    ]
    (alert,) = ov.alerts
    assert alert.z >= 2
    assert "Cienfuegos" in alert.events[0].summary
    numbers = {s.number for s in ov.sources}
    assert alert.events[0].sources and set(alert.events[0].sources) <= numbers
    assert set(alert.events[0].urls) <= {s.url for s in ov.sources}


def test_a_quiet_week_has_no_alerts(jan2021: Overview) -> None:
    assert jan2021.alerts == ()
