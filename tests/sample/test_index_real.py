"""The dyad index on real data: a GDELT 2.0 export and the curated knowledge base.

GDELT golden values were computed by hand from ``v2_events/20180101000000.export.CSV``
(PROVENANCE: 10 USA–MEX dyad rows, all with SQLDATE 20180101). The rows, as
``Actor1Code Actor2Code EventCode QuadClass Goldstein``::

    719026366 MEX USA    046 1  +7.0     719027155 USA MEX 046 1  +7.0
    719026367 MEX USA    046 1  +7.0     719027156 USA MEX 046 1  +7.0
    719026368 MEX USA    192 4  -9.5     719027157 USA MEX 051 1  +3.4
    719026369 MEX USACVL 193 4 -10.0     719027158 USA MEX 173 4  -5.0
    719026370 MEX USACVL 193 4 -10.0     719027159 USA MEX 173 4  -5.0

Both directions, no dedupe: 5 VC, 5 MK → net (5 − 5) / 10 = 0; Goldstein +31.4 and −39.5,
mean −8.1 / 10 = −0.81. Phoenix dedupe (actor codes, code, day) leaves 6 groups
(MEX-USA-046, MEX-USA-192, MEX-USACVL-193, USA-MEX-046, USA-MEX-051, USA-MEX-173): 3 VC, 3 MK,
net 0; Goldstein +17.4 and −24.5, mean −7.1 / 6. USA→MEX alone: 3 VC + 2 MK, net 1/5,
Goldstein 7.4 / 5 = 1.48; deduped 2 VC + 1 MK, net 1/3, Goldstein 5.4 / 3 = 1.8.
The file's volume on 2018-01-01 (``awk`` over columns 8 and 18): 641 events with a USA actor,
20 with a MEX actor.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.compute as pc
import pytest

from dyadwatch.analyse.index import dyad_index, evidence, lowest_since, turning_points
from dyadwatch.pipeline import ingest
from dyadwatch.sources import get_source
from dyadwatch.store import EventFilter, Store, events

pytestmark = pytest.mark.sample

GDELT_FILE = "gdelt/v2_events/20180101000000.export.CSV"


@pytest.fixture(scope="module")
def gdelt_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.init(tmp_path_factory.mktemp("gdelt") / "store")
    src = get_source("gdelt")
    summary = ingest(src, src.artifacts_for_paths([shared_data / GDELT_FILE]), store)
    assert summary.ok
    return store


def _month(table: object, source: str = "gdelt2") -> dict[str, object]:
    rows = [r for r in table.to_pylist() if r["source"] == source]  # type: ignore[attr-defined]
    assert [r["period"] for r in rows] == ["2018-01"]
    return rows[0]


def test_the_sample_has_the_ten_dyad_rows(gdelt_store: Store) -> None:
    stored = events(gdelt_store, EventFilter(dyad="USA-MEX"))
    assert stored.num_rows == 10
    assert Counter(stored["cameo_code"].to_pylist()) == {
        "046": 4,
        "193": 2,
        "173": 2,
        "192": 1,
        "051": 1,
    }


def test_gdelt_golden_without_dedupe(gdelt_store: Store) -> None:
    r = _month(dyad_index(gdelt_store, dedupe="none"))
    assert (r["n"], r["vc"], r["mc"], r["vk"], r["mk"]) == (10, 5, 0, 0, 5)
    assert r["net_coop"] == 0.0
    assert r["goldstein_net"] == pytest.approx(-0.81)
    assert (r["goldstein_pos"], r["goldstein_neg"]) == (pytest.approx(31.4), -39.5)


def test_gdelt_golden_with_phoenix_dedupe(gdelt_store: Store) -> None:
    r = _month(dyad_index(gdelt_store))
    assert (r["n"], r["n_raw"], r["vc"], r["mk"]) == (6, 10, 3, 3)
    assert r["net_coop"] == 0.0
    assert r["goldstein_net"] == pytest.approx(-7.1 / 6)
    assert (r["goldstein_pos"], r["goldstein_neg"]) == (pytest.approx(17.4), -24.5)


def test_gdelt_golden_by_direction(gdelt_store: Store) -> None:
    raw = _month(dyad_index(gdelt_store, direction="ab", dedupe="none"))
    assert (raw["n"], raw["vc"], raw["mk"]) == (5, 3, 2)
    assert raw["net_coop"] == pytest.approx(0.2)
    assert raw["goldstein_net"] == pytest.approx(1.48)
    dd = _month(dyad_index(gdelt_store, direction="ab"))
    assert (dd["n"], dd["net_coop"], dd["goldstein_net"]) == (3, pytest.approx(1 / 3), 1.8)
    ba = _month(dyad_index(gdelt_store, direction="ba", dedupe="none"))
    assert (ba["n"], ba["net_coop"], ba["goldstein_net"]) == (5, pytest.approx(-0.2), -3.1)


def test_gdelt_story_dedupe_matches_phoenix_here(gdelt_store: Store) -> None:
    # The only same-day, same-root, same-URL pairs (046 ×2 each way, 173 ×2) are already
    # Phoenix groups; 192 and 193 share a root but not a URL. So story grouping adds nothing.
    assert _month(dyad_index(gdelt_store, dedupe="story"))["n"] == 6


def test_gdelt_volume_shares(gdelt_store: Store) -> None:
    r = _month(dyad_index(gdelt_store))
    assert (r["vol_a"], r["vol_b"]) == (641, 20)
    assert r["share_a"] == pytest.approx(6 / 641)
    assert r["share_b"] == pytest.approx(6 / 20)
    raw = _month(dyad_index(gdelt_store, dedupe="none"))
    assert raw["share_b"] == pytest.approx(10 / 20)


def test_gdelt_as_of_before_the_file_sees_nothing(gdelt_store: Store) -> None:
    # DATEADDED is 2018-01-01 00:00:00, so as of the end of 2017-12-31 nothing is public.
    t = dyad_index(gdelt_store, as_of=date(2017, 12, 31), since=date(2018, 1, 1))
    assert t.num_rows == 0 or max(t["n"].to_pylist()) == 0


def test_gdelt_evidence_lists_urls_largest_first(gdelt_store: Store) -> None:
    e = evidence(gdelt_store, "2018-01", source="gdelt2", measure="goldstein_net")
    assert e.num_rows == 6
    contributions = e["contribution"].to_pylist()
    assert contributions == sorted(contributions, key=abs, reverse=True)
    assert contributions[0] == pytest.approx(-10.0 / 6)
    assert sum(contributions) == pytest.approx(-7.1 / 6)
    top = e.to_pylist()[0]
    assert top["cameo_code"] == "193" and top["duplicates"] == 2
    assert top["source_urls"] == [
        "https://www.upi.com/Top_News/World-News/2017/12/31/"
        "US-tourist-killed-while-on-Christmas-vacation-in-Mexico/2481514762536/"
    ]


# --- the curated knowledge base ----------------------------------------------------------------


@pytest.fixture(scope="module")
def kb_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.init(tmp_path_factory.mktemp("kb") / "store")
    src = get_source("curated")
    ingest(src, src.discover(), store)
    return store


def test_kb_counts_match_a_plain_count_of_the_stored_events(kb_store: Store) -> None:
    """The SQL index against an independent Python count over the same stored events."""
    stored = events(kb_store, EventFilter(dyad="USA-MEX", sources=["curated"])).to_pylist()
    groups: dict[tuple[int, str], dict[str, object]] = {}
    for e in sorted(stored, key=lambda e: (e["known_at"], e["event_id"])):
        groups.setdefault((e["event_date"].year, e["dedupe_group"] or e["event_id"]), e)
    expected: dict[str, Counter[int]] = {}
    for (year, _), e in groups.items():
        expected.setdefault(str(year), Counter())[e["quad_class"]] += 1
    t = dyad_index(kb_store, freq="year", source="curated")
    got = {
        r["period"]: Counter({1: r["vc"], 2: r["mc"], 3: r["vk"], 4: r["mk"]})
        for r in t.to_pylist()
        if r["n"]
    }
    assert {k: +v for k, v in got.items()} == {k: +v for k, v in expected.items()}


def test_kb_cienfuegos_arrest_is_evidence_only_once_public(kb_store: Store) -> None:
    # 2020-10-15-cienfuegos-arrest: dated 15 Oct 2020, public (indictment unsealed) 16 Oct.
    def ids(as_of: date) -> list[str]:
        e = evidence(kb_store, "2020-10", source="curated", as_of=as_of, limit=None)
        return e["event_id"].to_pylist()

    from dyadwatch.model import event_id_for

    arrest = event_id_for("curated", "2020-10-15-cienfuegos-arrest")
    assert arrest not in ids(date(2020, 10, 15))
    assert arrest in ids(date(2020, 10, 16))
    e = evidence(kb_store, "2020-10", source="curated", as_of=date(2020, 10, 16))
    row = next(r for r in e.to_pylist() if r["event_id"] == arrest)
    assert row["cameo_code"] == "173" and row["quad_class"] == 4
    assert any("telesurenglish.net" in u for u in row["source_urls"])


def test_kb_lowest_since_and_turning_points_run_on_the_record(kb_store: Store) -> None:
    answer = lowest_since(kb_store, "2020", freq="year", source="curated")
    t = dyad_index(kb_store, freq="year", source="curated")
    values = dict(zip(t["period"].to_pylist(), t["net_coop"].to_pylist(), strict=True))
    v = values["2020"]
    assert answer.value == v
    earlier = [p for p, x in values.items() if p < "2020" and x is not None and x <= v]
    assert answer.since == (earlier[-1] if earlier else None)
    tp = turning_points(kb_store, freq="year", source="curated")
    assert set(tp["direction"].to_pylist()) <= {"up", "down"}
    assert pc.all(pc.is_in(tp["period"], t["period"])).as_py() in (True, None)
