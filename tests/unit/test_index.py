"""The dyad index on hand-made events: golden values computed by hand, and the parameters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dyadwatch.analyse.index import (
    IndexSpec,
    dyad_index,
    evidence,
    lowest_since,
    parse_period,
    parse_weights,
    turning_points,
)
from dyadwatch.errors import AnalysisError, UsageError
from dyadwatch.model import VOLUME_SCHEMA, Actor, Event
from dyadwatch.pipeline import ingest
from dyadwatch.sources.base import Artifact, Chunk, Source
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store

pytestmark = pytest.mark.unit

USA = Actor(code="USAGOV", country="USA", agent_type="GOV")
MEX = Actor(code="MEXGOV", country="MEX", agent_type="GOV")
MEXCOP = Actor(code="MEXCOP", country="MEX", agent_type="COP")


def ev(
    key: str,
    day: date,
    code: str,
    *,
    source: str = "curated",
    a1: Actor = USA,
    a2: Actor = MEX,
    known: datetime | None = None,
    confidence: float | None = None,
    urls: tuple[str, ...] = (),
    summary: str | None = None,
) -> Event:
    return Event(
        source=source,
        source_key=key,
        event_date=day,
        known_at=known or datetime(day.year, day.month, day.day, 18, tzinfo=UTC),
        actor1=a1,
        actor2=a2,
        cameo_code=code,
        confidence=confidence,
        source_urls=urls,
        summary=summary or f"event {key}",
    )


# Quad class and Goldstein from the CAMEO codebook (GDELT 2.0 event codebook):
# 036 meet: VC, +4.0; 057 sign agreement: VC, +8.0; 0874 extradite: MC, +... (coded by the
# codebook step); 111 criticize: VK, -2.0; 173 arrest: MK, -5.0; 1246 "defy norms": VK.
HAND = [
    ev("1", date(2020, 11, 3), "036"),  # USA→MEX meet, VC +4.0
    ev("2", date(2020, 11, 20), "111", a1=MEX, a2=USA),  # MEX→USA criticize, VK -2.0
    ev("3", date(2020, 12, 15), "173", a1=MEX, a2=USA),  # MEX→USA arrest, MK -5.0
    ev("4", date(2020, 12, 15), "173", a1=MEX, a2=USA, known=datetime(2020, 12, 20, tzinfo=UTC)),
    ev("5", date(2020, 12, 18), "111"),  # USA→MEX criticize, VK -2.0
    ev("6", date(2021, 2, 2), "057", confidence=0.2),  # USA→MEX sign agreement, VC +8.0
]


def _store(tmp_path: Path, events: list[Event], name: str = "store") -> Store:
    store = Store.init(tmp_path / name)
    src = MemorySource(default_confidence=0.9)
    src.add("hand", events)
    summary = ingest(src, src.discover(), store, strictness="raise")
    assert summary.ok
    return store


@pytest.fixture()
def hand(tmp_path: Path) -> Store:
    return _store(tmp_path, HAND)


def _rows(table: pa.Table, source: str = "curated") -> dict[str, dict[str, object]]:
    t = table.filter(pc.equal(table["source"], source))
    return {r["period"]: r for r in t.to_pylist()}


def test_codebook_values_used_by_the_golden_values(hand: Store) -> None:
    from dyadwatch.store import events

    got = {r["cameo_code"]: (r["quad_class"], r["goldstein"]) for r in events(hand).to_pylist()}
    assert got == {"036": (1, 4.0), "111": (3, -2.0), "173": (4, -5.0), "057": (1, 8.0)}


def test_monthly_golden_values_with_phoenix_dedupe(hand: Store) -> None:
    rows = _rows(dyad_index(hand))
    assert list(rows) == ["2020-11", "2020-12", "2021-01", "2021-02"]
    nov, dec, jan, feb = rows.values()
    # November: one VC (+4) and one VK (-2): net (1 - 1) / 2 = 0; Goldstein (4 - 2) / 2 = 1.
    assert (nov["n"], nov["vc"], nov["vk"], nov["net_coop"]) == (2, 1, 1, 0.0)
    assert nov["goldstein_net"] == pytest.approx(1.0)
    assert (nov["goldstein_pos"], nov["goldstein_neg"]) == (4.0, -2.0)
    # December: events 3 and 4 are one Phoenix group (MEXGOV, USAGOV, 173, 2020-12-15), so
    # two events count: MK -5 and VK -2 → net (0 - 2) / 2 = -1; Goldstein -7 / 2 = -3.5.
    assert (dec["n"], dec["n_raw"], dec["mk"], dec["vk"]) == (2, 3, 1, 1)
    assert dec["net_coop"] == -1.0
    assert dec["goldstein_net"] == pytest.approx(-3.5)
    # January is empty: an explicit row with N = 0 and null values.
    assert (jan["n"], jan["net_coop"], jan["goldstein_net"], jan["goldstein_pos"]) == (
        0,
        None,
        None,
        None,
    )
    assert (feb["n"], feb["net_coop"], feb["goldstein_net"]) == (1, 1.0, 8.0)
    # No volume recorded for curated events: shares are null, not zero.
    assert all(r["share_a"] is None and r["vol_a"] is None for r in rows.values())


def test_without_dedupe_every_stored_event_counts(hand: Store) -> None:
    dec = _rows(dyad_index(hand, dedupe="none"))["2020-12"]
    assert (dec["n"], dec["n_raw"], dec["mk"]) == (3, 3, 2)
    assert dec["net_coop"] == -1.0
    assert dec["goldstein_net"] == pytest.approx(-12 / 3)


def test_direction(hand: Store) -> None:
    ab = _rows(dyad_index(hand, direction="ab"))
    ba = _rows(dyad_index(hand, direction="ba", until=date(2021, 2, 28)))
    assert (ab["2020-11"]["n"], ab["2020-11"]["net_coop"]) == (1, 1.0)
    assert (ba["2020-11"]["n"], ba["2020-11"]["net_coop"]) == (1, -1.0)
    assert (ab["2020-12"]["n"], ba["2020-12"]["n"]) == (1, 1)
    # A period with no event in one direction is still a row (the range is the events' range
    # unless since/until say otherwise).
    assert ba["2021-02"]["n"] == 0 and ba["2021-02"]["net_coop"] is None


def test_quarter_and_year(hand: Store) -> None:
    q = _rows(dyad_index(hand, freq="quarter"))
    assert list(q) == ["2020Q4", "2021Q1"]
    assert (q["2020Q4"]["n"], q["2020Q4"]["net_coop"]) == (4, -0.5)
    y = _rows(dyad_index(hand, freq="year"))
    assert list(y) == ["2020", "2021"]
    assert y["2020"]["period_end"] == date(2020, 12, 31)


def test_weeks_are_iso_weeks(hand: Store) -> None:
    w = _rows(dyad_index(hand, freq="week"))
    assert next(iter(w)) == "2020-W45"  # 2020-11-03 is a Tuesday of ISO week 45
    first = next(iter(w.values()))
    assert first["period_start"] == date(2020, 11, 2)
    assert len(w) == len(set(w))
    assert sum(r["n"] for r in w.values()) == 5


def test_min_confidence(hand: Store) -> None:
    rows = _rows(dyad_index(hand, min_confidence=0.5, until=date(2021, 2, 28)))
    assert rows["2021-02"]["n"] == 0  # event 6 has confidence 0.2; the rest 0.9
    assert rows["2020-12"]["n"] == 2


def test_as_of_hides_what_was_not_yet_public(hand: Store) -> None:
    rows = _rows(dyad_index(hand, as_of=date(2020, 12, 16)))
    # Event 4 became public on 2020-12-20, but its group's first member (3) was public on
    # the 15th; event 5 (18th) and 6 (2021) were not yet public. The index runs to the
    # as-of period.
    assert list(rows) == ["2020-11", "2020-12"]
    assert (rows["2020-12"]["n"], rows["2020-12"]["n_raw"]) == (1, 1)


def test_as_of_extends_to_its_period_with_empty_rows(hand: Store) -> None:
    rows = _rows(dyad_index(hand, as_of=date(2021, 4, 2)))
    assert list(rows)[-1] == "2021-04"
    assert rows["2021-04"]["n"] == 0


def test_since_until_are_widened_to_whole_periods(hand: Store) -> None:
    rows = _rows(dyad_index(hand, since=date(2020, 12, 20), until=date(2021, 1, 5)))
    assert list(rows) == ["2020-12", "2021-01"]
    assert rows["2020-12"]["n"] == 2


def test_fused_weights_and_contributions(tmp_path: Path) -> None:
    events = [
        *HAND[:3],
        ev("g1", date(2020, 11, 5), "173", source="gdelt2"),
        ev("g2", date(2020, 11, 6), "173", source="gdelt2", a1=MEX, a2=USA),
        ev("g3", date(2020, 11, 7), "036", source="gdelt2", a1=MEX, a2=USA),
        ev("g4", date(2020, 11, 8), "036", source="gdelt2", a1=USA, a2=MEXCOP),
    ]
    store = _store(tmp_path, events)
    # curated November: net 0. gdelt2 November: 2 VC, 2 MK → net 0 as well; make weights
    # matter with Goldstein: curated mean +1.0, gdelt2 mean (4 + 4 - 5 - 5) / 4 = -0.5.
    t = dyad_index(store, weights={"curated": 3, "gdelt": 1})
    fused = _rows(t, "fused")["2020-11"]
    assert fused["goldstein_net"] == pytest.approx((3 * 1.0 + 1 * -0.5) / 4)
    assert fused["n"] == 6  # counts add up across sources
    contrib = {c["source"]: c for c in fused["contributions"]}
    assert contrib["curated"]["weight"] == 3.0 and contrib["gdelt2"]["weight"] == 1.0
    assert contrib["curated"]["contribution_goldstein"] == pytest.approx(0.75)
    assert contrib["gdelt2"]["contribution_goldstein"] == pytest.approx(-0.125)
    assert sum(c["contribution_goldstein"] for c in contrib.values()) == pytest.approx(
        fused["goldstein_net"]
    )
    # Default weights are equal.
    eq = _rows(dyad_index(store), "fused")["2020-11"]
    assert eq["goldstein_net"] == pytest.approx((1.0 - 0.5) / 2)
    # A source with no events in a period does not pull the fused value toward anything.
    dec = _rows(dyad_index(store), "fused")["2020-12"]
    assert dec["net_coop"] == -1.0
    assert {c["source"]: c["weight_share"] for c in dec["contributions"]} == {
        "curated": 1.0,
        "gdelt2": None,
    }


def test_source_family_and_single_series(tmp_path: Path) -> None:
    store = _store(tmp_path, [ev("g1", date(2020, 11, 5), "173", source="gdelt2"), HAND[0]])
    t = dyad_index(store, sources=["gdelt"], source="gdelt")
    assert t["source"].to_pylist() == ["gdelt"]
    assert t["mk"].to_pylist() == [1]
    with pytest.raises(UsageError, match="Did you mean gdelt2"):
        dyad_index(store, sources=["gdlet2"])
    with pytest.raises(UsageError, match="no series 'nope'"):
        dyad_index(store, source="nope")


def test_evidence_largest_contributions_first(hand: Store) -> None:
    e = evidence(hand, "2020-12", measure="goldstein_net")
    assert e["event_date"].to_pylist() == [date(2020, 12, 15), date(2020, 12, 18)]
    assert e["cameo_code"].to_pylist() == ["173", "111"]
    assert e["duplicates"].to_pylist() == [2, 1]
    assert e["contribution"].to_pylist() == pytest.approx([-2.5, -1.0])
    # Contributions add up to the value.
    assert sum(e["contribution"].to_pylist()) == pytest.approx(-3.5)
    net = evidence(hand, "2020-12")
    assert sum(net["contribution"].to_pylist()) == pytest.approx(-1.0)
    assert evidence(hand, "2020-12", limit=1).num_rows == 1


def test_lowest_since(hand: Store) -> None:
    # net_coop by month: Nov 0, Dec -1, Feb +1.
    dec = lowest_since(hand, "2020-12")
    assert dec.record_low and dec.since is None and dec.first_period == "2020-11"
    assert dec.text().endswith("the lowest in the record since 2020-11.")
    feb = lowest_since(hand, "2021-02")
    assert (feb.since, feb.since_value, feb.periods_between) == ("2020-12", -1.0, 1)
    nov = lowest_since(hand, "2020-11")
    assert nov.record_low
    with pytest.raises(AnalysisError, match="no value in 2021-01"):
        lowest_since(hand, "2021-01")
    with pytest.raises(AnalysisError, match="outside"):
        lowest_since(hand, "2019-01")


def test_lowest_since_ties_count_as_low(tmp_path: Path) -> None:
    events = [
        ev("a", date(2020, 1, 5), "111"),
        ev("b", date(2020, 2, 5), "036"),
        ev("c", date(2020, 3, 5), "111"),
    ]
    answer = lowest_since(_store(tmp_path, events), "2020-03")
    assert answer.since == "2020-01" and answer.periods_between == 1


def test_turning_points_on_a_step(tmp_path: Path) -> None:
    events = []
    for m in range(1, 13):
        code = "036" if m <= 6 else "173"
        for k in range(3):
            events.append(ev(f"{m}-{k}", date(2019, m, 3 + k), code))
    store = _store(tmp_path, events)
    tp = turning_points(store, penalty=0.5)
    assert tp["period"].to_pylist() == ["2019-07"]
    assert tp["direction"].to_pylist() == ["down"]
    assert tp["before_mean"].to_pylist() == [1.0] and tp["after_mean"].to_pylist() == [-1.0]
    events_around = tp["events"].to_pylist()[0]
    assert {e["period"] for e in events_around} <= {"2019-06", "2019-07"}
    assert any(e["cameo_code"] == "173" for e in events_around)
    # The default penalty finds the same step; a huge penalty finds none.
    assert turning_points(store)["period"].to_pylist() == ["2019-07"]
    assert turning_points(store, penalty=1e9).num_rows == 0


class _VolumeSource(Source):
    name = "volsrc"

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def discover(self, since: date | None = None, until: date | None = None):  # type: ignore[no-untyped-def]
        yield Artifact("volsrc", "vol-1", "c1")

    def read(self, artifact: Artifact):  # type: ignore[no-untyped-def]
        yield Chunk("volume", self.table)


def test_volume_shares(tmp_path: Path) -> None:
    store = _store(tmp_path, [ev("v1", date(2020, 11, 5), "036", source="volsrc")])
    known = datetime(2020, 11, 30, tzinfo=UTC)
    vol = pa.table(
        {
            "source": ["volsrc"] * 4,
            "artifact": ["vol-1"] * 4,
            "day": [date(2020, 11, 5), date(2020, 11, 6), date(2020, 11, 5), date(2020, 11, 5)],
            "country": ["USA", "USA", "MEX", "CAN"],
            "events": [30, 10, 8, 99],
            "known_at": [known] * 4,
        },
        schema=VOLUME_SCHEMA,
    )
    src = _VolumeSource(vol)
    assert ingest(src, src.discover(), store).ok
    row = _rows(dyad_index(store), "volsrc")["2020-11"]
    assert (row["vol_a"], row["vol_b"]) == (40, 8)
    assert row["share_a"] == pytest.approx(1 / 40) and row["share_b"] == pytest.approx(1 / 8)
    assert row["net_share_b"] == pytest.approx(1 / 8)
    # Volume rows not yet public as of a date are not denominators either.
    early = _rows(dyad_index(store, as_of=date(2020, 11, 20)), "volsrc")["2020-11"]
    assert early["vol_a"] is None and early["share_a"] is None


def test_z_scores_against_the_rolling_baseline(tmp_path: Path) -> None:
    # Four months of +1 / 0 alternating net_coop, then a -1 month.
    plan = {1: ["036"], 2: ["036", "111"], 3: ["036"], 4: ["036", "111"], 5: ["111"]}
    events = [
        ev(f"{m}-{i}", date(2020, m, 2 + i), code)
        for m, codes in plan.items()
        for i, code in enumerate(codes)
    ]
    rows = _rows(dyad_index(_store(tmp_path, events), baseline=4))
    # baseline of May = Jan..Apr = [1, 0, 1, 0]: mean 0.5, sample sd 0.57735 → z = -2.598
    assert rows["2020-05"]["z_net_coop"] == pytest.approx((-1 - 0.5) / 0.5773502691896257)
    assert rows["2020-05"]["baseline_periods"] == 4
    # Too short a baseline (fewer than max(2, baseline // 2) values) gives no z-score.
    assert rows["2020-01"]["z_net_coop"] is None and rows["2020-02"]["z_net_coop"] is None


def test_frames(hand: Store) -> None:
    pl_frame = dyad_index(hand, output="polars")
    assert pl_frame.shape[0] == 8
    pd_frame = dyad_index(hand, output="pandas")
    assert str(pd_frame["net_coop"].dtype).startswith("double")
    with pytest.raises(UsageError, match="output 'excel'"):
        dyad_index(hand, output="excel")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dyad": "USA"}, "not a dyad like USA-MEX"),
        ({"direction": "up"}, "direction 'up' is not one of"),
        ({"freq": "monht"}, "Did you mean month"),
        ({"dedupe": "yes"}, "dedupe 'yes'"),
        ({"min_confidence": 1.5}, r"min_confidence must be in \[0, 1\]"),
        ({"min_confidence": "high"}, "min_confidence must be a number"),
        ({"baseline": 1}, "baseline must be a whole number of periods, at least 2"),
        ({"weights": {"curated": -1}}, "must be finite and >= 0"),
        ({"weights": {"nosuch": 1}}, "weight given for 'nosuch'"),
        ({"since": date(2021, 1, 1), "until": date(2020, 1, 1)}, "is after until"),
        ({"sources": "curated"}, "list of source names"),
        ({"sources": ["fused"]}, "'fused' is not a stored source"),
        ({"frequency": "month"}, "unknown index parameter 'frequency'"),
    ],
)
def test_bad_parameters(hand: Store, params: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        dyad_index(hand, **params)


def test_bad_analysis_parameters(hand: Store) -> None:
    with pytest.raises(UsageError, match="measure 'netcoop'"):
        evidence(hand, "2020-12", measure="netcoop")
    with pytest.raises(UsageError, match="penalty must be a positive number"):
        turning_points(hand, penalty=-1)
    with pytest.raises(UsageError, match="limit must be"):
        evidence(hand, "2020-12", limit=0)
    with pytest.raises(AnalysisError, match="change-point detection needs at least"):
        turning_points(hand, freq="year")


def test_empty_store_is_an_analysis_error(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="holds no events"):
        dyad_index(Store.init(tmp_path / "empty"))


def test_parse_period() -> None:
    assert parse_period("2021-W03", "week") == date(2021, 1, 18)
    assert parse_period("2021-W03", "month") == date(2021, 1, 1)
    assert parse_period("2021q2", "quarter") == date(2021, 4, 1)
    assert parse_period(date(2021, 5, 19), "year") == date(2021, 1, 1)
    with pytest.raises(UsageError, match="names a year, longer than one month"):
        parse_period("2021", "month")
    with pytest.raises(UsageError, match="not a real month"):
        parse_period("2021-13", "month")
    with pytest.raises(UsageError, match="is not a period"):
        parse_period("last year", "year")


def test_parse_weights() -> None:
    assert parse_weights("curated=2, gdelt=0.5") == {"curated": 2.0, "gdelt": 0.5}
    with pytest.raises(UsageError, match="SOURCE=NUMBER"):
        parse_weights("curated")
    with pytest.raises(UsageError, match="not a number"):
        parse_weights("curated=lots")


def test_spec_default_baselines() -> None:
    assert [IndexSpec(freq=f).baseline_periods for f in ("week", "month", "quarter", "year")] == [  # type: ignore[arg-type]
        52,
        24,
        12,
        10,
    ]


def test_a_session_gives_the_same_answers_and_sees_new_commits(tmp_path: Path) -> None:
    from dyadwatch.analyse.index import IndexSession

    store = _store(tmp_path, HAND)
    with IndexSession(store) as session:
        assert dyad_index(store, session=session).equals(dyad_index(store))
        assert evidence(store, "2020-12", session=session).equals(evidence(store, "2020-12"))
        assert lowest_since(store, "2020-12", session=session) == lowest_since(store, "2020-12")
        src = MemorySource()
        src.add("more", [ev("7", date(2021, 1, 9), "036")])
        assert ingest(src, src.discover(), store).ok
        jan = _rows(dyad_index(store, session=session))["2021-01"]
        assert jan["n"] == 1
    with pytest.raises(UsageError, match="the session is for the store"):
        dyad_index(_store(tmp_path, HAND[:1], "other"), session=IndexSession(store))
