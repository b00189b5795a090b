"""Each normalise step on golden inputs: what it keeps, fills and sets aside (and why)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from dyadwatch.model import EVENT_SCHEMA, event_id_for
from dyadwatch.normalise import (
    DEFAULT_STEPS,
    StepContext,
    actors,
    codes,
    confidence,
    conform,
    dates,
    identity,
    normalise,
    phoenix_dedupe,
)
from dyadwatch.sources.base import LINE_COLUMN

pytestmark = pytest.mark.unit
CTX = StepContext(source="golden", default_confidence=0.4)


def raw(**columns: list[object]) -> pa.Table:
    n = len(next(iter(columns.values())))
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    return table.append_column(LINE_COLUMN, pa.array(range(2, n + 2)))


def canonical(**columns: list[object]) -> pa.Table:
    return conform(raw(**columns), CTX).table


def test_conform_adds_columns_and_casts_row_by_row() -> None:
    result = conform(
        raw(
            source_key=["a", "b", "c"],
            event_date=["2021-01-14", "20210115", "not a date"],
            goldstein=["-2.5", "", "x"],
        ),
        CTX,
    )
    assert set(EVENT_SCHEMA.names) <= set(result.table.column_names)
    assert result.table.column("event_date").to_pylist() == [date(2021, 1, 14), date(2021, 1, 15)]
    assert result.table.column("goldstein").to_pylist() == [-2.5, None]
    assert [(r.line, r.column) for r in result.rejects] == [(4, "event_date")]
    assert "'not a date'" in result.rejects[0].reason


def test_dates_defaults_known_at_and_rejects_impossible_dates() -> None:
    t = canonical(
        source_key=["a", "b", "c", "d"],
        event_date=["2021-01-14", "1850-01-01", "2021-01-14", None],
        known_at=[None, None, "2021-01-13T10:00:00Z", None],
    )
    result = dates(t, CTX)
    assert result.table.column("known_at").to_pylist() == [
        datetime(2021, 1, 14, 23, 59, 59, 999999, tzinfo=UTC)
    ]
    reasons = sorted(r.reason for r in result.rejects)
    assert reasons == [
        "event_date is missing",
        "event_date outside 1900-2100",
        "known_at is before the event's date",
    ]


def test_codes_repairs_stripped_zeros_fills_from_codebook_and_rejects_unknown() -> None:
    t = canonical(
        source_key=["a", "b", "c", "d"],
        event_date=["2021-01-14"] * 4,
        cameo_code=["12", "173", "9999", None],
        goldstein=[None, "-1.5", None, None],
    )
    result = codes(t, CTX)
    rows = result.table.to_pylist()
    assert [r["cameo_code"] for r in rows] == ["012", "173", None]
    # 012 "Make pessimistic comment": root 01, verbal cooperation (quad 1), Goldstein -0.4.
    assert (rows[0]["cameo_root"], rows[0]["quad_class"]) == ("01", 1)
    assert rows[0]["goldstein"] == pytest.approx(-0.4)
    # 173 "Arrest, detain, or charge with legal action": quad 4; the source's Goldstein is kept.
    assert (rows[1]["cameo_root"], rows[1]["quad_class"], rows[1]["goldstein"]) == ("17", 4, -1.5)
    assert rows[1]["plover_type"] is not None
    assert rows[2]["quad_class"] is None
    assert [(r.line, r.reason) for r in result.rejects] == [
        (4, "cameo_code '9999' is not a CAMEO event code")
    ]


def test_actors_upper_cases_and_rejects_non_codes() -> None:
    t = canonical(
        source_key=["a", "b"],
        event_date=["2021-01-14"] * 2,
        actor1_country=[" usa", "Mexico"],
        actor2_agent=["", "gov"],
    )
    result = actors(t, CTX)
    assert result.table.column("actor1_country").to_pylist() == ["USA"]
    assert result.table.column("actor2_agent").to_pylist() == [None]
    assert result.rejects[0].column == "actor1_country"


def test_identity_hashes_source_and_key() -> None:
    t = canonical(
        source_key=["k1", None, "k3"],
        event_date=["2021-01-14"] * 3,
        handling=[None, None, "secret"],
    )
    result = identity(t, CTX)
    assert result.table.column("event_id").to_pylist() == [event_id_for("golden", "k1")]
    assert result.table.column("handling").to_pylist() == ["public"]
    assert sorted(r.reason for r in result.rejects) == [
        "handling 'secret' is not one of public, sensitive",
        "source_key is missing",
    ]


def test_confidence_defaults_and_bounds() -> None:
    t = canonical(
        source_key=["a", "b", "c"], event_date=["2021-01-14"] * 3, confidence=[None, "0.9", "1.5"]
    )
    result = confidence(t, CTX)
    assert result.table.column("confidence").to_pylist() == pytest.approx([0.4, 0.9])
    assert result.rejects[0].reason == "confidence 1.5 is outside [0, 1]"


def test_phoenix_dedupe_groups_one_per_dyad_code_day_and_is_idempotent() -> None:
    t = canonical(
        source_key=["a", "b", "c", "d"],
        event_date=["2021-01-14", "2021-01-14", "2021-01-15", "2021-01-14"],
        actor1_country=["USA"] * 4,
        actor2_country=["MEX", "MEX", "MEX", "CAN"],
        cameo_code=["036"] * 4,
    )
    once = phoenix_dedupe(t, CTX).table
    groups = once.column("dedupe_group").to_pylist()
    assert groups[0] == groups[1]
    assert len(set(groups)) == 3
    assert phoenix_dedupe(once, CTX).table.column("dedupe_group").to_pylist() == groups


def test_default_steps_in_order() -> None:
    names = [s.__name__ for s in DEFAULT_STEPS]
    assert names == [
        "conform",
        "dates",
        "codes",
        "ranges",
        "actors",
        "relation",
        "identity",
        "confidence",
        "phoenix_dedupe",
    ]
    kept, rejects = normalise(
        raw(
            source_key=["a"], event_date=["2021-01-14"], cameo_code=["036"], actor1_country=["usa"]
        ),
        CTX,
    )
    row = kept.to_pylist()[0]
    assert row["event_id"] == event_id_for("golden", "a")
    assert (
        row["actor1_country"] == "USA"
        and row["quad_class"] == 1
        and row["confidence"] == pytest.approx(0.4)
    )
    assert rejects == []
