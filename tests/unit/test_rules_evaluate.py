"""Evaluating rules over in-memory data: three-valued logic, point in time, evidence, backtest."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyadwatch.model import (
    INDICATOR_SCHEMA,
    INSTRUMENT_STATE_SCHEMA,
    Actor,
    Event,
    events_to_table,
    rows_to_table,
)
from dyadwatch.policy.rules import RuleData, backtest, evaluate
from dyadwatch.policy.rules.backtest import month_ends
from dyadwatch.policy.rules.loader import Rule, compile_expression, parse_window

pytestmark = pytest.mark.unit

US = Actor(code="USA:DOJ", country="USA", agent_type="JUD")
MX = Actor(code="MEX:SRE", country="MEX", agent_type="GOV")


def eod(d: date) -> datetime:
    return datetime.combine(d, time.max, tzinfo=UTC)


def ev(key: str, d: date, a1: Actor, a2: Actor, code: str, quad: int, **kw: object) -> Event:
    return Event(
        source="curated",
        source_key=key,
        event_date=d,
        known_at=kw.pop("known_at", eod(d)),  # type: ignore[arg-type]
        actor1=a1,
        actor2=a2,
        cameo_code=code,
        quad_class=quad,
        goldstein=-5.0 if quad >= 3 else 3.0,
        summary=f"event {key}",
        source_urls=(f"https://example.org/{key}",),
        **kw,  # type: ignore[arg-type]
    )


EVENTS = [
    ev("c1", date(2020, 12, 9), MX, US, "172", 4, instruments=("foreign_agent_law",)),
    ev("c2", date(2020, 12, 15), MX, US, "172", 4, instruments=("foreign_agent_law",)),
    ev("c3", date(2021, 1, 15), MX, US, "112", 3, instruments=("mlat",)),
    ev("k1", date(2021, 1, 22), US, MX, "040", 1, instruments=("dialogue",)),
    # dated in the window but only public later: invisible as of 2021-01-31
    ev("late", date(2021, 1, 20), MX, US, "111", 3, known_at=eod(date(2021, 3, 1))),
    ev("x1", date(2021, 6, 1), US, MX, "063", 2, instruments=("extradition",)),
]

STATES = [
    {
        "instrument": "foreign_agent_law",
        "state": "not_in_force",
        "valid_from": date(1985, 1, 1),
        "known_at": eod(date(1985, 1, 1)),
        "evidence": [],
        "source": "curated",
    },
    {
        "instrument": "foreign_agent_law",
        "state": "in_force",
        "valid_from": date(2020, 12, 18),
        "known_at": eod(date(2020, 12, 18)),
        "evidence": ["c2"],
        "source": "curated",
    },
    {
        "instrument": "vetted_units",
        "state": "in_operation",
        "valid_from": date(1997, 1, 1),
        "known_at": eod(date(1997, 1, 1)),
        "evidence": [],
        "source": "curated",
    },
    {
        # took effect in April 2021 but became public only in April 2022
        "instrument": "vetted_units",
        "state": "disbanded",
        "valid_from": date(2021, 4, 1),
        "known_at": eod(date(2022, 4, 19)),
        "evidence": [],
        "source": "curated",
    },
]


def point(year: int, value: float, known: date, vintage: str) -> dict[str, object]:
    return {
        "indicator": "deaths",
        "period_start": date(year, 1, 1),
        "period_end": date(year, 12, 31),
        "value": value,
        "unit": "deaths",
        "vintage": vintage,
        "known_at": eod(known),
        "source": "curated",
        "source_url": f"https://example.org/deaths/{year}/{vintage}",
    }


INDICATORS = [
    point(2019, 70_000, date(2020, 7, 1), "provisional"),
    point(2019, 71_000, date(2020, 12, 1), "final"),
    point(2020, 90_000, date(2021, 7, 1), "provisional"),
]


def fake_series(events: list[Event]) -> Callable[[str, date, str], pa.Table]:
    """A stand-in for the index's named series: per month, the mean Goldstein score of the
    events public by ``as_of`` and dated in the three months ending there (2 needed)."""

    def read(name: str, as_of: date, direction: str) -> pa.Table:
        cutoff = eod(as_of)
        seen = [e for e in events if e.known_at <= cutoff and e.event_date <= as_of]
        if direction == "ba":
            seen = [e for e in seen if e.actor1.country == "MEX"]
        rows = []
        y, m = 2019, 1
        while date(y, m, 1) <= as_of:
            start = date(y, m, 1)
            end = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
            lo = date(y - (m <= 2), (m - 3) % 12 + 1, 1)
            window = [e for e in seen if lo <= e.event_date <= end]
            ok = len(window) >= 2
            value = sum(e.goldstein or 0 for e in window) / len(window) if ok else None
            rows.append(
                {
                    "period": f"{y:04d}-{m:02d}",
                    "period_start": start,
                    "period_end": end,
                    "value": value,
                    "lo": None if value is None else value - 1,
                    "hi": None if value is None else value + 1,
                    "n": len(window),
                    "status": "ok" if ok else "insufficient",
                    "reason": None if ok else "insufficient evidence: fewer than 2 events",
                }
            )
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return pa.Table.from_pylist(rows)

    return read


def data(extra: list[Event] = ()) -> RuleData:  # type: ignore[assignment]
    events = [*EVENTS, *extra]
    return RuleData(
        events_to_table(events),
        rows_to_table(STATES, INSTRUMENT_STATE_SCHEMA),
        rows_to_table(INDICATORS, INDICATOR_SCHEMA),
        series_reader=fake_series(events),
    )


def rule(
    condition: str,
    *,
    window: str | None = None,
    used_when: str | None = None,
    horizon: str | None = None,
) -> Rule:
    w = parse_window(window) if window else None
    return Rule(
        id="r",
        title="Test rule",
        condition=compile_expression(condition, {}, w),
        recommendation="Do the thing.",
        citation="Someone, 'Essay', Publisher, 1 January 2021",
        lever="foreign_agent_law",
        window=w,
        used_when=compile_expression(used_when, {}, w) if used_when else None,
        horizon=parse_window(horizon) if horizon else None,
    )


def status(condition: str, as_of: date, **kw: str) -> str:
    return evaluate(data(), [rule(condition, **kw)], as_of)[0].status


def test_event_counts_see_only_what_was_public() -> None:
    cond = 'events.count(actor1="MEX", quad=[3, 4], window=3m) >= 4'
    assert status(cond, date(2021, 1, 31)) == "not_met"  # "late" is not public yet
    assert status(cond, date(2021, 3, 1)) == "met"


def test_series_metrics_read_the_named_series_as_known_then() -> None:
    (f,) = evaluate(
        data(),
        [rule('series.value(name="relationship") < 0 and series.n() == 4')],
        date(2021, 1, 31),
    )
    assert f.status == "met"
    # Nov-Jan, public by 31 Jan: c1, c2 (-5), c3 (-5), k1 (+3); "late" is not public yet
    assert f.metrics['series.value(name="relationship")'] == pytest.approx(-3.0)
    assert any(e.kind == "metric" and "relationship series, 2021-01" in e.text for e in f.evidence)


def test_a_month_with_too_little_evidence_is_unknown_and_kleene_logic_applies() -> None:
    d = date(2020, 12, 31)  # only c1 and c2 … then c2 alone in a later month
    unknown = "series.value() < 0"
    assert status(unknown, date(2020, 11, 30)) == "unknown"
    assert status(unknown, d) == "met"
    d = date(2020, 11, 30)
    assert status(f"{unknown} and 1 > 2", d) == "not_met"
    assert status(f"{unknown} or 1 < 2", d) == "met"
    assert status(f"not ({unknown})", d) == "unknown"
    assert status(f"{unknown} or 1 > 2", d) == "unknown"
    (f,) = evaluate(data(), [rule(unknown)], d)
    assert f.reason.startswith("unknown:")


def test_series_percentile_places_the_month_in_its_own_past() -> None:
    # Too little history (24 months with a value are needed): unknown, with why.
    (f,) = evaluate(data(), [rule("series.percentile(history=10y) <= 20")], date(2021, 1, 31))
    assert f.status == "unknown" and "needed" in f.reason


def test_silence_longer_than_the_horizon_is_unknown_never_not_met() -> None:
    cond = 'events.count(actor1="MEX", quad=[3, 4], window=3m) >= 1'
    assert status(cond, date(2021, 9, 30)) == "not_met"  # x1 (June) is recent evidence
    (f,) = evaluate(data(), [rule(cond)], date(2022, 6, 30))  # nothing since June 2021
    assert f.status == "unknown"
    assert "no evidence since 2021-06-01" in f.reason
    assert status(cond, date(2022, 6, 30), horizon="2y") == "not_met"


def test_instrument_states_as_known_then() -> None:
    cond = 'instrument.state("vetted_units") == "in_operation"'
    assert status(cond, date(2021, 6, 30)) == "met"  # disbanding not public until 2022
    assert status(cond, date(2022, 4, 19)) == "not_met"
    held = 'instrument.held_for("foreign_agent_law") >= 1m'
    assert status(held, date(2021, 1, 17)) == "not_met"
    assert status(held, date(2021, 1, 18)) == "met"
    assert status('instrument.state("foreign_agent_law") like "in_*"', date(2020, 12, 17)) == (
        "not_met"
    )


def test_ever_with_and_without_window() -> None:
    cond = 'instrument.ever("foreign_agent_law", "in_force")'
    assert status(cond, date(2020, 12, 1)) == "not_met"
    assert status(cond, date(2021, 1, 1)) == "met"


def test_indicator_values_follow_vintages() -> None:
    v = 'indicator.value("deaths") > 70500'
    assert status(v, date(2020, 8, 1), horizon="1y") == "not_met"  # provisional 70,000
    assert status(v, date(2020, 12, 1), horizon="1y") == "met"  # revised to 71,000
    assert status('indicator.value("deaths") > 0', date(2020, 1, 1)) == "unknown"
    # the latest value is older than the rule's horizon: unknown, saying so
    (old,) = evaluate(data(), [rule('indicator.value("deaths") > 0')], date(2022, 12, 31))
    assert old.status == "unknown" and "older than the rule's horizon" in old.reason
    (f,) = evaluate(
        data(), [rule('indicator.pct_change("deaths") > 25', horizon="1y")], date(2021, 7, 1)
    )
    assert f.status == "met"
    assert f.metrics['indicator.pct_change("deaths")'] == pytest.approx(100 * 19_000 / 71_000)
    assert {e.urls for e in f.evidence if e.kind == "indicator"} == {
        ("https://example.org/deaths/2019/final",),
        ("https://example.org/deaths/2020/provisional",),
    }


def test_unknown_series_in_the_store_is_insufficient_with_a_hint() -> None:
    (f,) = evaluate(data(), [rule('indicator.value("death") > 0')], date(2021, 7, 1))
    assert f.status == "unknown"
    assert "Did you mean deaths?" in f.explanation


def test_finding_has_evidence_with_urls_and_an_explanation() -> None:
    r = rule(
        'instrument.state("foreign_agent_law") == "in_force" '
        'and events.count(instrument="foreign_agent_law", window=6m) >= 2',
        used_when='instrument.state("foreign_agent_law") == "repealed"',
    )
    (f,) = evaluate(data(), [r], date(2021, 1, 31))
    assert f.status == "met" and f.lever == "foreign_agent_law"
    assert f.metrics["lever_in_use"] is False
    kinds = [e.kind for e in f.evidence]
    assert kinds[0] == "instrument_state"
    refs = {e.ref for e in f.evidence if e.kind == "event"}
    assert refs == {"curated:c1", "curated:c2"}
    assert all(e.urls for e in f.evidence)
    assert "As of 2021-01-31" in f.explanation and "holds" in f.explanation
    assert "Do the thing." in f.explanation and "Someone" in f.explanation
    assert "is 2; the test is at least 2: holds" in f.explanation


def test_backtest_spells_first_met_and_lever_use() -> None:
    r = rule(
        'instrument.state("foreign_agent_law") == "in_force"',
        used_when='events.count(instrument="extradition", window=2m) >= 1',
    )
    bt = backtest(data(), [r], date(2020, 10, 1), date(2021, 8, 1), today=date(2026, 1, 1))
    (h,) = bt.histories
    assert h.first_met == date(2020, 12, 31)
    assert [(s.start, s.end, s.months) for s in h.spells] == [
        (date(2020, 12, 31), date(2021, 8, 31), 9)
    ]
    assert h.first_used == date(2021, 6, 30)
    assert "6 month(s) after" in h.verdict()
    assert h.lever_changes == [(date(2020, 12, 18), "in_force")]
    assert len(bt.monthly()) == 11


def test_month_ends_cap_at_today() -> None:
    assert month_ends(date(2020, 11, 1), date(2021, 2, 1), date(2021, 1, 10)) == [
        date(2020, 11, 30),
        date(2020, 12, 31),
        date(2021, 1, 10),
    ]


AS_OF = date(2021, 1, 31)


@st.composite
def future_events(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(1, 8))
    out = []
    for i in range(n):
        known = AS_OF + timedelta(days=draw(st.integers(1, 2000)))
        dated = known - timedelta(days=draw(st.integers(0, 900)))
        a1, a2 = draw(st.sampled_from([(US, MX), (MX, US), (MX, MX)]))
        out.append(
            ev(
                f"future{i}",
                dated,
                a1,
                a2,
                draw(st.sampled_from(["010", "112", "172", "063", "040"])),
                draw(st.integers(1, 4)),
                known_at=eod(known),
                instruments=tuple(
                    draw(
                        st.lists(st.sampled_from(["foreign_agent_law", "extradition"]), max_size=2)
                    )
                ),
                dedupe_group=draw(st.sampled_from([None, "g1", "curated:c1"])),
            )
        )
    return out


PROPERTY_RULES = [
    rule("series.value() < 0"),
    rule('series.value(direction="ba") < 0 and series.n() >= 2'),
    rule('events.count(actor1="MEX", quad=[3, 4], window=6m) >= 3'),
    rule('events.since_last(instrument="foreign_agent_law") <= 90d'),
    rule('instrument.state("foreign_agent_law") == "in_force"'),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(future_events())
def test_events_public_after_d_never_change_findings_as_of_d(extra: list[Event]) -> None:
    before = evaluate(data(), PROPERTY_RULES, AS_OF)
    after = evaluate(data(extra), PROPERTY_RULES, AS_OF)
    assert before == after


def test_rule_data_accepts_any_arrow_event_table() -> None:
    d = RuleData(
        events_to_table([]),
        rows_to_table([], INSTRUMENT_STATE_SCHEMA),
        pa.Table.from_pylist([], schema=INDICATOR_SCHEMA),
    )
    (f,) = evaluate(d, [rule("events.count() == 0")], AS_OF)
    assert f.status == "unknown"
    assert "no events of the dyad known" in f.reason
    (g,) = evaluate(d, [rule("series.value() > 0 or 1 > 2")], AS_OF)
    assert g.status == "unknown"


def test_findings_table_and_backtest_table_are_arrow() -> None:
    from dyadwatch.policy.rules import findings_table

    findings = evaluate(data(), [rule("events.count() >= 1")], AS_OF)
    t = findings_table(findings)
    assert t.num_rows == 1 and t["status"].to_pylist() == ["met"]
    bt = backtest(data(), [rule("events.count() >= 1")], date(2021, 1, 1), date(2021, 3, 1))
    assert bt.to_table().num_rows == 3


def test_a_lever_the_store_does_not_hold_is_reported() -> None:
    r = dataclasses.replace(rule("1 < 2"), lever="vetted_unit")
    (f,) = evaluate(data(), [r], AS_OF)
    assert "not an instrument in the store. Did you mean vetted_units?" in f.explanation


def test_loaded_data_of_another_dyad_is_refused() -> None:
    from dyadwatch.errors import RuleError

    r = dataclasses.replace(rule("series.n() >= 0"), dyad="USA-CAN")
    with pytest.raises(RuleError, match=r"about USA-CAN .* loaded for USA-MEX"):
        evaluate(data(), [r], AS_OF)


def test_counts_are_unknown_when_no_event_at_all_is_known() -> None:
    assert status("events.count() == 0", date(1990, 1, 1)) == "unknown"
    assert status("events.count(window=30d) == 0", date(2021, 3, 31)) == "met"


# --- every metric's "cannot answer" and edge paths -------------------------------------------


def finding(
    condition: str,
    as_of: date,
    extra: list[dict[str, object]] = (),  # type: ignore[assignment]
    reader: Callable[[str, date, str], pa.Table] | None = None,
    **kw: str,
):  # type: ignore[no-untyped-def]
    events = list(EVENTS)
    rule_data = RuleData(
        events_to_table(events),
        rows_to_table(STATES, INSTRUMENT_STATE_SCHEMA),
        rows_to_table([*INDICATORS, *extra], INDICATOR_SCHEMA),
        series_reader=reader or fake_series(events),
    )
    (f,) = evaluate(rule_data, [rule(condition, **kw)], as_of)
    return f


def test_indicator_change_and_age() -> None:
    f = finding('indicator.change("deaths") > 0', date(2021, 7, 1), horizon="1y")
    assert f.status == "met" and f.metrics['indicator.change("deaths")'] == 19_000
    f = finding('indicator.change("deaths") > 0', date(2020, 8, 1), horizon="1y")
    assert f.status == "unknown" and "fewer than two values" in f.reason
    zero = [point(2018, 0, date(2019, 6, 1), "final")]
    f = finding('indicator.pct_change("deaths") > 0', date(2020, 8, 1), zero, horizon="1y")
    assert f.status == "unknown" and "previous value is 0" in f.reason
    f = finding('indicator.change("deaths") > 0', date(2023, 7, 1))
    assert f.status == "unknown" and "older than the rule's horizon" in f.reason
    f = finding('indicator.age("deaths") > 6m', date(2021, 7, 1))
    assert f.status == "met"  # the 2020 figure (ends 2020-12-31) is half a year old
    assert finding('indicator.age("deaths") > 6m', date(2020, 1, 1)).status == "unknown"


def test_indicator_percentile_needs_its_own_history() -> None:
    f = finding('indicator.percentile("deaths") > 50', date(2021, 7, 1), horizon="1y")
    assert f.status == "unknown" and "earlier value(s)" in f.reason and "5 needed" in f.reason
    history = [
        point(y, 60_000 + 1_000 * (y - 2010), date(y + 1, 6, 1), "final") for y in range(2010, 2019)
    ]
    f = finding('indicator.percentile("deaths") > 90', date(2021, 7, 1), history, horizon="1y")
    assert f.status == "met"  # 90,000 is above every earlier year
    assert f.metrics['indicator.percentile("deaths")'] == 100.0
    assert finding('indicator.percentile("deaths") > 0', date(2019, 1, 1)).status == "unknown"
    old = finding('indicator.percentile("deaths") > 0', date(2024, 1, 1), history)
    assert old.status == "unknown" and "older than the rule's horizon" in old.reason


def test_series_metrics_say_why_they_cannot_answer() -> None:
    from dyadwatch.errors import RuleError

    def empty(name: str, as_of: date, direction: str) -> pa.Table:
        return fake_series([])(name, date(2018, 12, 31), direction)  # no month at all

    def broken(name: str, as_of: date, direction: str) -> pa.Table:
        raise RuleError("the series cannot be read here")

    f = finding("series.n() > 0", date(2021, 1, 31), reader=empty)
    assert f.status == "unknown" and "has no month up to this date" in f.reason
    f = finding("series.value() > 0", date(2021, 1, 31), reader=broken)
    assert f.status == "unknown" and "cannot be read here" in f.reason
    f = finding("series.percentile(lag=3y) > 0", date(2021, 1, 31))
    assert f.status == "unknown" and "no month of the series" in f.reason
    f = finding("series.percentile(lag=2m) > 0", date(2021, 1, 31))  # November: too few
    assert f.status == "unknown" and "insufficient evidence" in f.reason


def test_instrument_metrics_without_a_known_state() -> None:
    for cond in (
        'instrument.state("vetted_units") == "in_operation"',
        'instrument.held_for("vetted_units") > 1m',
        'instrument.ever("vetted_units", "in_*")',
    ):
        f = finding(cond, date(1990, 1, 1))
        assert f.status == "unknown" and "no state known yet" in f.reason, cond
    f = finding('instrument.state("vetted_unit") == "x"', date(2021, 1, 1))
    assert f.status == "unknown" and "Did you mean vetted_units?" in f.explanation
    f = finding('instrument.ever("foreign_agent_law", "in_force", window=1m)', date(2021, 6, 1))
    assert f.status == "met"  # still in force within the last month


def test_since_last_without_a_matching_event() -> None:
    f = finding('events.since_last(code="19*") > 30d', date(2021, 6, 30))
    assert f.status == "unknown" and "no matching event known yet" in f.reason
