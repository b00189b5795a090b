"""Knowledge-base schema, period arithmetic and as-of instrument timelines (no files)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dyadwatch.knowledge.schema import (
    ActorRecord,
    EventRecord,
    InstrumentRecord,
    Observation,
    SourceRef,
    end_of_precision,
    period_bounds,
)
from dyadwatch.model import INSTRUMENT_STATE_SCHEMA
from dyadwatch.policy.instruments import states_from_table
from dyadwatch.sources.curated import event_confidence, state_known_at

pytestmark = pytest.mark.unit


def eod(d: date) -> datetime:
    return datetime.combine(d, time.max, tzinfo=UTC)


def event(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "2020-10-15-example",
        "date": date(2020, 10, 15),
        "precision": "day",
        "source": "USA:DEA",
        "target": "MEX:SEDENA",
        "cameo": "173",
        "instruments": ["indictments"],
        "summary": "An example event for the schema tests.",
        "sources": [{"url": "https://example.org/a", "title": "A page"}],
        "verified": True,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("period", "frequency", "bounds"),
    [
        ("2020", "year", (date(2020, 1, 1), date(2020, 12, 31))),
        ("FY2020", "fiscal_year", (date(2019, 10, 1), date(2020, 9, 30))),
        ("2020-02", "month", (date(2020, 2, 1), date(2020, 2, 29))),
        ("2020-07", "12m_ending", (date(2019, 8, 1), date(2020, 7, 31))),
        ("2020-12", "12m_ending", (date(2020, 1, 1), date(2020, 12, 31))),
        ("2020-07-15", "point", (date(2020, 7, 15), date(2020, 7, 15))),
        ("2022-10-01..2023-05-03", "range", (date(2022, 10, 1), date(2023, 5, 3))),
        ("FY2014..FY2018", "range", (date(2013, 10, 1), date(2018, 9, 30))),
        ("2001..2006", "range", (date(2001, 1, 1), date(2006, 12, 31))),
    ],
)
def test_period_bounds(period: str, frequency: str, bounds: tuple[date, date]) -> None:
    assert period_bounds(period, frequency) == bounds


@pytest.mark.parametrize(
    ("period", "frequency"),
    [
        ("FY2020", "year"),
        ("2020", "fiscal_year"),
        ("2020-13", "month"),
        ("2020-07", "year"),
        ("2023..2020", "range"),
        ("2020", "range"),
        ("2020-02-30", "point"),
    ],
)
def test_period_bounds_rejects_periods_that_do_not_fit(period: str, frequency: str) -> None:
    with pytest.raises(ValueError):
        period_bounds(period, frequency)


def test_end_of_precision() -> None:
    assert end_of_precision(date(2020, 2, 1), "month") == eod(date(2020, 2, 29))
    assert end_of_precision(date(2020, 1, 1), "year") == eod(date(2020, 12, 31))
    assert end_of_precision(date(2020, 5, 17), "day") == eod(date(2020, 5, 17))


def test_event_valid_and_known_at_defaults_to_end_of_precision() -> None:
    e = EventRecord.model_validate(event())
    assert e.known_at_effective == eod(date(2020, 10, 15))
    m = EventRecord.model_validate(event(date=date(2020, 10, 1), precision="month"))
    assert m.known_at_effective == eod(date(2020, 10, 31))
    k = EventRecord.model_validate(event(known_at="2020-10-16"))
    assert k.known_at_effective == eod(date(2020, 10, 16))


def _errors(data: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as info:
        EventRecord.model_validate(data)
    return str(info.value)


def test_unquoted_cameo_code_is_a_type_error_that_says_quote_it() -> None:
    assert "quoted string" in _errors(event(cameo=12))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"date": "2020-13-01"}, "is not a date"),
        ({"date": 20201015}, "expected a date"),
        ({"precision": "month"}, "not the 1st"),
        ({"date": date(2020, 3, 1), "precision": "year"}, "not 1 January"),
        ({"known_at": date(2020, 10, 1)}, "before the event date"),
        ({"sources": []}, "at least 1"),
        ({"sources": [{"url": "not a url", "title": "T"}]}, "sources.0.url"),
        ({"verified": "yes"}, "verified"),
        ({"source": "DEA"}, "source"),
        ({"cameo": "17x"}, "cameo"),
        ({"colour": "red"}, "Extra inputs"),
        ({"id": "Has Spaces"}, "id"),
    ],
)
def test_event_wrong_types_and_values(changes: dict[str, object], expected: str) -> None:
    assert expected in _errors(event(**changes))


def test_actor_code_must_start_with_its_country() -> None:
    with pytest.raises(ValidationError, match="does not start with its country"):
        ActorRecord.model_validate(
            {"code": "USA:SEDENA", "name": "x", "country": "MEX", "agent_type": "MIL"}
        )


def test_instrument_state_from_alias_and_to_after_from() -> None:
    inst = InstrumentRecord.model_validate(
        {
            "id": "x",
            "name": "X",
            "description": "d",
            "states": [{"state": "a", "from": date(2020, 1, 1)}],
        }
    )
    assert inst.states[0].valid_from == date(2020, 1, 1)
    with pytest.raises(ValidationError, match="not after from"):
        InstrumentRecord.model_validate(
            {
                "id": "x",
                "name": "X",
                "description": "d",
                "states": [{"state": "a", "from": date(2020, 1, 1), "to": date(2019, 1, 1)}],
            }
        )


def test_observation_value_must_be_a_number_and_verified_yes_or_no() -> None:
    base = {
        "indicator": "x",
        "period": "2022",
        "value": "492",
        "unit": "labs",
        "scope": "Mexico",
        "vintage": "reported",
        "known_at": "2023-04-05",
        "source_url": "https://example.org",
        "source_title": "T",
        "verified": "yes",
        "note": "",
    }
    obs = Observation.model_validate(base)
    assert obs.value == 492.0 and obs.verified is True and obs.note is None
    with pytest.raises(ValidationError, match="value"):
        Observation.model_validate({**base, "value": "1383 (AMLO letter) vs 492"})
    with pytest.raises(ValidationError, match="verified must be yes or no"):
        Observation.model_validate({**base, "verified": "maybe"})
    with pytest.raises(ValidationError, match="value"):
        Observation.model_validate({**base, "value": ""})


def test_event_confidence_from_verification() -> None:
    assert event_confidence(True) == pytest.approx(0.9)
    assert event_confidence(False) == pytest.approx(0.6)


def test_state_known_at_uses_the_establishing_evidence() -> None:
    events = {
        "announce": EventRecord.model_validate(event(id="announce", date=date(2020, 12, 9))),
        "law": EventRecord.model_validate(
            event(id="law", date=date(2020, 12, 18), known_at=date(2020, 12, 20))
        ),
        "later": EventRecord.model_validate(event(id="later", date=date(2024, 5, 8))),
    }
    got = state_known_at(date(2020, 12, 18), ["announce", "later", "law"], None, events)
    assert got == eod(date(2020, 12, 20))
    assert state_known_at(date(2020, 12, 18), ["announce"], None, events) == eod(date(2020, 12, 9))
    assert state_known_at(date(2020, 12, 18), [], None, events) == eod(date(2020, 12, 18))
    explicit = eod(date(2021, 1, 1))
    assert state_known_at(date(2020, 12, 18), ["law"], explicit, events) == explicit


def _states() -> pa.Table:
    rows = [
        ("law", "not_in_force", date(1985, 1, 1), date(2020, 12, 18), eod(date(1985, 1, 1))),
        ("law", "in_force", date(2020, 12, 18), date(2021, 1, 14), eod(date(2020, 12, 18))),
        ("law", "with_guidelines", date(2021, 1, 14), None, eod(date(2021, 1, 20))),
    ]
    return pa.table(
        {
            "instrument": [r[0] for r in rows],
            "state": [r[1] for r in rows],
            "valid_from": [r[2] for r in rows],
            "valid_to": [r[3] for r in rows],
            "known_at": [r[4] for r in rows],
            "evidence": [[] for _ in rows],
            "note": [None for _ in rows],
            "source": ["curated" for _ in rows],
        },
        schema=INSTRUMENT_STATE_SCHEMA,
    )


@pytest.mark.parametrize(
    ("on", "as_of", "expected"),
    [
        (date(2020, 12, 17), date(2020, 12, 17), "not_in_force"),
        (date(2020, 12, 18), date(2020, 12, 18), "in_force"),
        # the guidelines took effect on 14 Jan but were public only on 20 Jan
        (date(2021, 1, 15), date(2021, 1, 15), "in_force"),
        (date(2021, 1, 15), date(2021, 1, 20), "with_guidelines"),
        (date(2021, 1, 19), date(2021, 1, 19), "in_force"),
        (date(2021, 1, 21), date(2021, 1, 21), "with_guidelines"),
    ],
)
def test_states_as_of_both_sides_of_each_change(on: date, as_of: date, expected: str) -> None:
    (law,) = states_from_table(_states(), as_of)
    state = law.state_on(on)
    assert state is not None and state.state == expected


def test_last_visible_state_stays_open_until_its_end_is_public() -> None:
    (law,) = states_from_table(_states(), date(2021, 1, 19))
    assert [s.state for s in law.states] == ["not_in_force", "in_force"]
    assert law.states[-1].valid_to is None
    (later,) = states_from_table(_states(), None)
    assert later.states[1].valid_to == date(2021, 1, 14)


def test_nothing_is_visible_before_the_first_state_is_public() -> None:
    assert states_from_table(_states(), date(1984, 12, 31)) == []


@given(
    year=st.integers(1950, 2090),
    month=st.integers(1, 12),
    frequency=st.sampled_from(["month", "12m_ending"]),
)
def test_month_periods_have_the_right_length(year: int, month: int, frequency: str) -> None:
    start, end = period_bounds(f"{year}-{month:02d}", frequency)
    assert end.month == month and end.year == year and (end + timedelta(days=1)).day == 1
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    assert months == (1 if frequency == "month" else 12) and start.day == 1


_state_rows = st.lists(
    st.tuples(st.integers(0, 20_000), st.integers(0, 400)),
    min_size=1,
    max_size=8,
    unique_by=lambda t: t[0],
)


@given(rows=_state_rows, cut=st.integers(0, 21_000))
def test_visible_timelines_are_ordered_and_contiguous(
    rows: list[tuple[int, int]], cut: int
) -> None:
    base = date(1970, 1, 1)
    starts = sorted(base + timedelta(days=d) for d, _ in rows)
    lags = [lag for _, lag in sorted(rows)]
    table = pa.table(
        {
            "instrument": ["x"] * len(starts),
            "state": [f"s{i}" for i in range(len(starts))],
            "valid_from": starts,
            "valid_to": [*starts[1:], None],
            "known_at": [eod(s + timedelta(days=lag)) for s, lag in zip(starts, lags, strict=True)],
            "evidence": [[] for _ in starts],
            "note": [None] * len(starts),
            "source": ["curated"] * len(starts),
        },
        schema=INSTRUMENT_STATE_SCHEMA,
    )
    as_of = base + timedelta(days=cut)
    found = states_from_table(table, as_of)
    if not found:
        assert all(
            eod(s + timedelta(days=lag)) > eod(as_of) for s, lag in zip(starts, lags, strict=True)
        )
        return
    (inst,) = found
    states = inst.states
    assert all(s.known_at <= eod(as_of) for s in states)
    assert all(a.valid_to == b.valid_from for a, b in itertools.pairwise(states))
    assert states[-1].valid_to is None or states[-1].valid_to not in starts


@pytest.mark.parametrize(
    ("url", "published", "expected"),
    [
        # The editor's date wins over the address.
        ("https://example.org/2021/01/a/", "2021-01-15", date(2021, 1, 15)),
        # Unknown: the day the address carries, or the last day of its month.
        ("https://www.theyucatantimes.com/2021/01/as-of-today/", "unknown", date(2021, 1, 31)),
        ("https://www.sent-trib.com/2022/03/16/at-least-9/", "unknown", date(2022, 3, 16)),
        ("https://sputniknews.com/20220419/unit-1094899413.html", None, date(2022, 4, 19)),
        # A web archive's timestamp is a capture time, not a publication date.
        ("https://web.archive.org/web/20090509235807/http://gpo.gov/x.htm", "unknown", None),
        ("https://www.usmexcbi.org/post/disbanding-of-elite-unit", "unknown", None),
        # Not a month: no date.
        ("https://example.org/2021/13/x", "unknown", None),
    ],
)
def test_an_undated_page_is_not_shown_before_the_date_its_address_carries(
    url: str, published: str | None, expected: date | None
) -> None:
    ref = SourceRef(url=url, title="t", published=published)
    assert ref.published_date == expected


def test_an_undated_page_whose_title_names_a_later_year_is_an_error_until_bounded() -> None:
    from dyadwatch.knowledge.quality import citation_flags, load_quality

    def event(**source: object) -> EventRecord:
        return EventRecord.model_validate(
            {
                "id": "1987-x",
                "date": date(1987, 4, 1),
                "source": "USA:CONGRESS",
                "cameo": "010",
                "summary": "Congress voted.",
                "sources": [{"url": "https://example.org/crs.txt", **source}],
                "verified": True,
            }
        )

    title = "Mexican Drug Certification Issues: U.S. Congressional Action, 1986-1998"
    bare = event(title=title, published="unknown")
    assert "title_names_later_year" in [
        f.kind for f in citation_flags(bare.sources[0], bare, load_quality())
    ]
    # Bounded, it is shown only from then, and a late page needs its reason.
    bounded = event(title=title, published="unknown", published_not_before="1998-01-01")
    assert bounded.sources[0].published_date == date(1998, 1, 1)
    kinds = [f.kind for f in citation_flags(bounded.sources[0], bounded, load_quality())]
    assert kinds == ["late_citation"]
    # A fiscal year is not a calendar year.
    fy = event(title="Presidential Determination for Fiscal Year 1988", published="unknown")
    assert citation_flags(fy.sources[0], fy, load_quality()) == []
