"""Instrument vocabularies: every instrument declares the states it can be in, and ``kb validate``
refuses a timeline state outside them; the record fixes issue 13 asked for are pinned here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dyadwatch.knowledge.loader import load
from dyadwatch.knowledge.schema import InstrumentRecord
from dyadwatch.knowledge.validate import validate
from tests.sample.test_kb_validate import instruments_yaml, make_kb, only, problems_of

pytestmark = pytest.mark.sample

VOCAB = (
    "  vocabulary:\n"
    "    not_in_force: no law\n"
    "    in_force: in force\n"
    "    with_guidelines: in force with guidelines\n"
)


def _with_vocabulary(text: str, vocab: str = VOCAB) -> str:
    head = "- id: foreign_agent_law\n  name: foreign_agent_law\n  description: d\n"
    assert head in text
    return text.replace(head, head + vocab, 1)


def test_a_timeline_state_outside_the_vocabulary_is_an_error_with_its_line(
    tmp_path: Path,
) -> None:
    vocab = "  vocabulary:\n    not_in_force: no law\n    in_force: in force\n"
    make_kb(tmp_path, {"instruments.yaml": _with_vocabulary(instruments_yaml(), vocab)})
    p = only(problems_of(tmp_path), "not in its vocabulary")
    assert p.startswith("instruments.yaml:") or "instruments.yaml:" in p
    assert "'with_guidelines'" in p


def test_a_declared_vocabulary_that_holds_every_state_is_valid(tmp_path: Path) -> None:
    make_kb(tmp_path, {"instruments.yaml": _with_vocabulary(instruments_yaml())})
    assert not [p for p in problems_of(tmp_path) if "vocabulary" in p]


def test_an_instrument_without_a_vocabulary_is_a_warning_not_an_error(tmp_path: Path) -> None:
    make_kb(tmp_path)
    found = [
        p
        for p in validate(load(tmp_path))
        if "no `vocabulary`" in p.message and "foreign_agent_law" in p.message
    ]
    assert found and all(p.severity == "warning" for p in found)


def test_a_bad_direction_is_refused(tmp_path: Path) -> None:
    text = _with_vocabulary(instruments_yaml(), VOCAB + "  direction: Mexico to US\n")
    make_kb(tmp_path, {"instruments.yaml": text})
    assert any("direction" in p for p in problems_of(tmp_path))


# --- the shipped record ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict[str, InstrumentRecord]:
    return {i.record.id: i.record for i in load().instruments}


def test_every_shipped_instrument_declares_its_vocabulary_and_direction(
    shipped: dict[str, InstrumentRecord],
) -> None:
    for inst in shipped.values():
        assert inst.vocabulary, inst.id
        assert inst.direction, inst.id
        assert {s.state for s in inst.states} <= set(inst.vocabulary), inst.id


def test_the_fy2024_determination_is_not_a_decertification(
    shipped: dict[str, InstrumentRecord],
) -> None:
    """Issue 13: the 2023 state "failed demonstrably" was filled in by analogy, without a source;
    the FY2024 determination (15 Sep 2023) did not find that Mexico had failed demonstrably."""
    cert = shipped["certification"]
    on = [s for s in cert.states if s.valid_from <= date(2023, 10, 1)][-1]
    assert on.state == "listed_not_failed_demonstrably"
    assert "cert-2023" in on.evidence
    assert not any(s.state.startswith("listed_failed") for s in cert.states)


def test_the_2025_freeze_of_assistance_is_recorded(shipped: dict[str, InstrumentRecord]) -> None:
    """Issue 13: the January 2025 foreign-aid freeze halted the State Department's INL
    programmes in Mexico; the Mérida/Bicentennial instrument records it, with its evidence."""
    merida = shipped["merida"]
    frozen = [s for s in merida.states if s.state.startswith("assistance_frozen")]
    assert frozen and frozen[0].valid_from == date(2025, 1, 24)
    assert "2025-01-24-inl-mexico-programmes-halted" in frozen[0].evidence
    events = {e.record.id: e.record for e in load().events}
    halt = events["2025-01-24-inl-mexico-programmes-halted"]
    assert halt.verified and halt.relation_effect is not None and halt.relation_effect < 0
    assert all(s.publisher for s in halt.sources)


def test_us_returns_are_their_own_instrument_apart_from_extradition(
    shipped: dict[str, InstrumentRecord],
) -> None:
    assert shipped["us_returns"].direction == "USA->MEX"
    assert shipped["extradition"].direction == "MEX->USA"
    returned = [s for s in shipped["us_returns"].states if s.state == "senior_suspect_returned"]
    assert returned and returned[0].valid_from == date(2020, 11, 17)


def test_state_level_cases_start_with_the_governor_extradited_in_2010(
    shipped: dict[str, InstrumentRecord],
) -> None:
    state = next(
        s for s in shipped["indictments"].states if s.state == "state_level_officials_charged"
    )
    assert state.valid_from < date(2010, 5, 8)
    assert "2010-05-villanueva-extradited" in state.evidence
    assert "2007-06-21-villanueva-rearrested-on-us-request" in state.evidence
