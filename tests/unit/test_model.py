"""The canonical model: Event <-> row round trip, schemas, small helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from dyadwatch.errors import DyadwatchError, UnknownSourceError, did_you_mean
from dyadwatch.model import (
    DATASETS,
    EVENT_SCHEMA,
    Actor,
    Event,
    Instrument,
    InstrumentState,
    as_of_timestamp,
    events_to_table,
)
from dyadwatch.sources import get_source

pytestmark = pytest.mark.unit


def test_event_round_trips_through_a_row_and_a_table() -> None:
    ev = Event(
        source="curated",
        source_key="2020-10-15-cienfuegos-arrest",
        event_date=date(2020, 10, 15),
        known_at=datetime(2020, 10, 16, tzinfo=UTC),
        actor1=Actor(code="USA:DEA", country="USA", agent_type="COP"),
        actor2=Actor(code="MEX:SEDENA", country="MEX", agent_type="MIL"),
        cameo_code="173",
        instruments=("indictments",),
        source_urls=("https://example.org/a",),
    )
    row = ev.to_row()
    assert row["actor1_code"] == "USA:DEA" and row["instruments"] == ["indictments"]
    assert Event.from_row(row) == ev
    table = events_to_table([ev])
    assert table.schema == EVENT_SCHEMA
    assert Event.from_row(table.to_pylist()[0]) == ev


def test_every_dataset_schema_names_itself() -> None:
    for name, schema in DATASETS.items():
        assert schema.metadata[b"dyadwatch.dataset"].decode() == name
        assert isinstance(schema, pa.Schema)


def test_as_of_a_date_means_the_end_of_that_day() -> None:
    assert as_of_timestamp(date(2021, 1, 31)) == datetime(
        2021, 1, 31, 23, 59, 59, 999999, tzinfo=UTC
    )
    naive = datetime(2021, 1, 31, 12)
    assert as_of_timestamp(naive).tzinfo is UTC


def test_instrument_state_on_respects_known_at() -> None:
    law = Instrument(
        id="foreign_agent_law",
        name="Foreign-agent law",
        description="",
        states=(
            InstrumentState(
                "foreign_agent_law",
                "not_in_force",
                date(1985, 1, 1),
                datetime(1985, 1, 1, tzinfo=UTC),
                valid_to=date(2020, 12, 18),
            ),
            InstrumentState(
                "foreign_agent_law",
                "in_force",
                date(2020, 12, 18),
                datetime(2020, 12, 18, 23, tzinfo=UTC),
            ),
        ),
    )
    assert law.state_on(date(2020, 12, 17)).state == "not_in_force"  # type: ignore[union-attr]
    assert law.state_on(date(2020, 12, 18)).state == "in_force"  # type: ignore[union-attr]
    assert law.state_on(date(2020, 12, 18), as_of=datetime(2020, 12, 18, 12, tzinfo=UTC)) is None


def test_did_you_mean_and_unknown_source() -> None:
    assert did_you_mean("curatd", ["curated", "file"]) == " Did you mean curated?"
    assert did_you_mean("zzz", ["curated"]) == ""
    with pytest.raises(UnknownSourceError, match=r"Unknown source 'fiel'\. Did you mean file\?"):
        get_source("fiel")
    assert issubclass(UnknownSourceError, DyadwatchError)
