"""Properties of the measurement steps: scope, relational effect, episodes, fusion.

Each is pure (its input is unchanged), idempotent where it maps a table to itself, and
invariant under splitting the input into parts and reordering rows; the Arrow and SQL forms
of the scope step agree row for row.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.analyse.index.interval import fused_interval
from dyadwatch.analyse.index.pooling import pooled
from dyadwatch.model import Actor, Event, events_to_table
from dyadwatch.normalise import StepContext
from dyadwatch.normalise.relation import relation
from dyadwatch.normalise.scope import scope, scope_sql

pytestmark = pytest.mark.unit

SECTORS = [None, "GOV", "MIL", "COP", "JUD", "CRM", "CVL", "BUS", "XYZ"]
COUNTRIES = ["USA", "MEX", None]

actor_st = st.builds(
    lambda c, s: Actor(code=f"{c}{s or ''}" if c else None, country=c, agent_type=s),
    st.sampled_from(COUNTRIES),
    st.sampled_from(SECTORS),
)
event_st = st.builds(
    lambda key, day, a1, a2, g, effect, episode: Event(
        source="demo",
        source_key=str(key),
        event_date=date(2020, 1, 1) + timedelta(days=day),
        known_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=day),
        actor1=a1,
        actor2=a2,
        goldstein=g,
        relation_effect=effect,
        effect_basis="editor" if effect is not None else None,
        episode=episode,
    ),
    st.integers(0, 10**6),
    st.integers(0, 400),
    actor_st,
    actor_st,
    st.one_of(st.none(), st.sampled_from([-10.0, -5.0, -2.0, 0.0, 3.4, 7.0])),
    st.one_of(st.none(), st.sampled_from([-7.0, -3.0, 0.0, 2.0, 8.0])),
    st.one_of(st.none(), st.sampled_from(["law", "affair"])),
)
events_st = st.lists(event_st, min_size=0, max_size=40, unique_by=lambda e: e.source_key)


def _ids(table: pa.Table) -> list[str]:
    return sorted(table.column("event_id").to_pylist())


@settings(max_examples=60, deadline=None)
@given(events_st, st.sampled_from(["state", "environment", "all"]), st.randoms())
def test_scope_is_pure_idempotent_and_invariant_under_splitting(
    events: list[Event], which: str, rnd: random.Random
) -> None:
    table = events_to_table(events)
    before = table.to_pylist()
    once = scope(table, which).table
    assert table.to_pylist() == before  # pure
    assert _ids(scope(once, which).table) == _ids(once)  # idempotent
    shuffled = list(events)
    rnd.shuffle(shuffled)
    cut = rnd.randint(0, len(shuffled))
    parts = [events_to_table(shuffled[:cut]), events_to_table(shuffled[cut:])]
    pieces = sorted(i for p in parts for i in _ids(scope(p, which).table))
    assert pieces == _ids(once)  # invariant under splitting and reordering
    state, env = scope(table, "state").table, scope(table, "environment").table
    assert state.num_rows + env.num_rows == table.num_rows  # a partition


@settings(max_examples=40, deadline=None)
@given(events_st, st.sampled_from(["state", "environment", "all"]))
def test_scope_arrow_and_sql_agree(events: list[Event], which: str) -> None:
    table = events_to_table(events)
    con = duckdb.connect()
    con.register("t", table)
    sql_ids = sorted(
        r[0] for r in con.sql(f"SELECT event_id FROM t WHERE {scope_sql(which)}").fetchall()
    )
    assert sql_ids == _ids(scope(table, which).table)


@settings(max_examples=60, deadline=None)
@given(events_st, st.randoms())
def test_relation_is_pure_idempotent_and_row_wise(events: list[Event], rnd: random.Random) -> None:
    ctx = StepContext(source="demo")
    table = events_to_table(events)
    before = table.to_pylist()
    once = relation(table, ctx).table
    assert table.to_pylist() == before
    assert relation(once, ctx).table.to_pylist() == once.to_pylist()
    by_id = {r["event_id"]: (r["relation_effect"], r["effect_basis"]) for r in once.to_pylist()}
    cut = rnd.randint(0, len(events))
    for part in (events[:cut], events[cut:]):
        for r in relation(events_to_table(part), ctx).table.to_pylist():
            assert by_id[r["event_id"]] == (r["relation_effect"], r["effect_basis"])
    for r in once.to_pylist():  # an editor's effect is never replaced
        original = next(e for e in events if e.event_id == r["event_id"])
        if original.relation_effect is not None:
            assert r["relation_effect"] == pytest.approx(original.relation_effect)


def _frame(events: list[Event]) -> pl.DataFrame:
    rows = [
        {
            "src": "demo",
            "event_id": e.event_id,
            "event_date": e.event_date,
            "known_at": e.known_at,
            "v": e.relation_effect,
            "episode": e.episode,
            "confidence": 0.9,
        }
        for e in events
    ]
    schema = {
        "src": pl.String,
        "event_id": pl.String,
        "event_date": pl.Date,
        "known_at": pl.Datetime("us", "UTC"),
        "v": pl.Float64,
        "episode": pl.String,
        "confidence": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def _counted(frame: pl.DataFrame, window: int, mode: str) -> list[tuple[int, str]]:
    out = pooled(frame, "month", window, mode)
    return sorted(zip(out["target"].to_list(), out["event_id"].to_list(), strict=True))


@settings(max_examples=60, deadline=None)
@given(events_st, st.sampled_from([1, 3, 12]), st.sampled_from(["once", "all"]), st.randoms())
def test_episodes_do_not_depend_on_row_order(
    events: list[Event], window: int, mode: str, rnd: random.Random
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert _counted(_frame(events), window, mode) == _counted(_frame(shuffled), window, mode)
    once = pooled(_frame(events), "month", window, "once").with_columns(
        month=pl.col("event_date").dt.strftime("%Y-%m")
    )
    steps = once.filter(pl.col("episode").is_not_null()).group_by("target", "episode", "month")
    for _key, group in steps:
        assert group.height == 1  # an episode counts once per period (month) of a window


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-10, 10), st.floats(0.01, 20), st.floats(0.01, 5)),
        min_size=1,
        max_size=6,
    ),
    st.randoms(),
)
def test_fusion_is_invariant_under_reordering_sources(
    estimates: list[tuple[float, float, float]], rnd: random.Random
) -> None:
    shuffled = list(estimates)
    rnd.shuffle(shuffled)
    a = fused_interval(*zip(*estimates, strict=True))  # type: ignore[arg-type]
    b = fused_interval(*zip(*shuffled, strict=True))  # type: ignore[arg-type]
    assert a == pytest.approx(b)
    assert min(m for m, _, _ in estimates) - 1e-9 <= a[0] <= max(m for m, _, _ in estimates) + 1e-9
