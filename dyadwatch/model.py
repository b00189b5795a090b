"""The canonical records every stage speaks: events, instruments, indicators, findings.

Each record is a frozen dataclass read by field name, and each stored dataset has one Arrow
schema here. The store, the sources and the analyses all use these schemas, so a column
means the same thing everywhere (see DESIGN.md, "The canonical event").

Times are UTC. ``known_at`` is when a record became public (GDELT's DATEADDED, an article's
publication time, a curated event's date); every "as of D" question filters on it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from types import MappingProxyType
from typing import Any, Literal

import pyarrow as pa

QUAD_CLASSES: Mapping[int, str] = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}
"""GDELT/CAMEO quad classes (GDELT 2.0 event codebook, QuadClass)."""

AGENT_TYPES_OF_INTEREST = ("GOV", "MIL", "JUD", "COP", "SPY", "CRM", "LEG", "BUS", "MED")

Handling = Literal["public", "sensitive"]
DatePrecision = Literal["day", "month", "year"]
FindingStatus = Literal["met", "not_met", "unknown"]
"""A rule's condition holds, does not, or cannot be decided from what was known (with why)."""

TS = pa.timestamp("us", tz="UTC")


def event_id_for(source: str, source_key: str) -> str:
    """Stable id of an event: a hash of its source and the source's own key.

    Re-ingesting the same record from the same source gives the same id, so the store can
    tell a repeat from a new event.

    >>> event_id_for("gdelt2", "498761245")
    'e07e79b9afb05254e43c08b5c5044b1d'
    >>> event_id_for("gdelt2", "498761245") == event_id_for("gdelt2", "498761245")
    True
    """
    digest = hashlib.blake2b(f"{source}\x1f{source_key}".encode(), digest_size=16)
    return digest.hexdigest()


def end_of_day(d: date) -> datetime:
    """The last microsecond of ``d`` in UTC: when a day-precision fact is surely public."""
    return datetime.combine(d, time.max, tzinfo=UTC)


def as_of_timestamp(d: date | datetime) -> datetime:
    """Normalise an "as of" bound: a date means the end of that day (UTC)."""
    if isinstance(d, datetime):
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    return end_of_day(d)


@dataclass(frozen=True, slots=True)
class Actor:
    """One side of an event.

    ``country`` is a CAMEO/ISO-3 code (``USA``, ``MEX``); ``agent_type`` a CAMEO type
    code (``GOV``, ``MIL``, ``JUD``, ``COP``, ``SPY``, ``CRM``…); ``code`` the full actor code as
    the source wrote it (``MEXGOV``) or a curated agency code (``MEX:SEDENA``).
    """

    code: str | None = None
    name: str | None = None
    country: str | None = None
    agent_type: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """The canonical event. See :data:`EVENT_SCHEMA` for the stored columns."""

    source: str
    source_key: str
    event_date: date
    known_at: datetime
    actor1: Actor = field(default_factory=Actor)
    actor2: Actor = field(default_factory=Actor)
    cameo_code: str | None = None
    cameo_root: str | None = None
    quad_class: int | None = None
    goldstein: float | None = None
    plover_type: str | None = None
    plover_mode: str | None = None
    plover_context: str | None = None
    num_mentions: int | None = None
    num_sources: int | None = None
    num_articles: int | None = None
    avg_tone: float | None = None
    action_country: str | None = None
    action_adm1: str | None = None
    action_name: str | None = None
    action_lat: float | None = None
    action_lon: float | None = None
    instruments: tuple[str, ...] = ()
    source_urls: tuple[str, ...] = ()
    source_titles: tuple[str, ...] = ()
    summary: str | None = None
    confidence: float | None = None
    handling: Handling = "public"
    date_precision: DatePrecision = "day"
    dedupe_group: str | None = None
    ingested_at: datetime | None = None
    relation_effect: float | None = None
    effect_basis: str | None = None
    effect_rationale: str | None = None
    episode: str | None = None
    source_published: tuple[date | None, ...] = ()
    source_outlets: tuple[str | None, ...] = ()
    fatalities: int | None = None
    attributes: str | None = None
    coder: str | None = None

    @property
    def event_id(self) -> str:
        return event_id_for(self.source, self.source_key)

    def to_row(self) -> dict[str, Any]:
        """Flatten to one row of :data:`EVENT_SCHEMA`."""
        row: dict[str, Any] = {"event_id": self.event_id}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Actor):
                prefix = f.name
                row[f"{prefix}_code"] = value.code
                row[f"{prefix}_name"] = value.name
                row[f"{prefix}_country"] = value.country
                row[f"{prefix}_agent"] = value.agent_type
            elif isinstance(value, tuple):
                row[f.name] = list(value)
            else:
                row[f.name] = value
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        """Inverse of :meth:`to_row` (extra columns such as ``event_id`` are ignored)."""
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in ("actor1", "actor2"):
                kwargs[f.name] = Actor(
                    code=row.get(f"{f.name}_code"),
                    name=row.get(f"{f.name}_name"),
                    country=row.get(f"{f.name}_country"),
                    agent_type=row.get(f"{f.name}_agent"),
                )
            elif f.name in LIST_FIELDS:
                kwargs[f.name] = tuple(row.get(f.name) or ())
            elif f.name in row:
                kwargs[f.name] = row[f.name]
        return cls(**kwargs)


def _actor_fields(prefix: str) -> list[pa.Field]:
    return [
        pa.field(f"{prefix}_code", pa.string()),
        pa.field(f"{prefix}_name", pa.string()),
        pa.field(f"{prefix}_country", pa.string()),
        pa.field(f"{prefix}_agent", pa.string()),
    ]


EVENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_key", pa.string(), nullable=False),
        pa.field("event_date", pa.date32(), nullable=False),
        pa.field("known_at", TS, nullable=False),
        pa.field("ingested_at", TS),
        *_actor_fields("actor1"),
        *_actor_fields("actor2"),
        pa.field("cameo_code", pa.string()),
        pa.field("cameo_root", pa.string()),
        pa.field("quad_class", pa.int8()),
        pa.field("goldstein", pa.float32()),
        pa.field("plover_type", pa.string()),
        pa.field("plover_mode", pa.string()),
        pa.field("plover_context", pa.string()),
        pa.field("num_mentions", pa.int32()),
        pa.field("num_sources", pa.int32()),
        pa.field("num_articles", pa.int32()),
        pa.field("avg_tone", pa.float32()),
        pa.field("action_country", pa.string()),
        pa.field("action_adm1", pa.string()),
        pa.field("action_name", pa.string()),
        pa.field("action_lat", pa.float64()),
        pa.field("action_lon", pa.float64()),
        pa.field("instruments", pa.list_(pa.string())),
        pa.field("source_urls", pa.list_(pa.string())),
        pa.field("source_titles", pa.list_(pa.string())),
        pa.field("summary", pa.string()),
        pa.field("confidence", pa.float32()),
        pa.field("handling", pa.string()),
        pa.field("date_precision", pa.string()),
        pa.field("dedupe_group", pa.string()),
        # schema version 2 (docs/measurement.md): what the event did to the relationship,
        # when and where each citation was published, source-native extras, the coder.
        pa.field("relation_effect", pa.float32()),
        pa.field("effect_basis", pa.string()),
        pa.field("effect_rationale", pa.string()),
        pa.field("episode", pa.string()),
        pa.field("source_published", pa.list_(pa.date32())),
        pa.field("source_outlets", pa.list_(pa.string())),
        pa.field("fatalities", pa.int32()),
        pa.field("attributes", pa.string()),
        pa.field("coder", pa.string()),
    ],
    metadata={"dyadwatch.dataset": "events", "dyadwatch.schema_version": "2"},
)
"""The canonical event as stored (Parquet, DuckDB, Arrow). Column order is part of it.

Version 2 added the columns from ``relation_effect`` on; parts written at version 1 lack
them and read as nulls (the store reads parts by column name).
"""

LIST_FIELDS: frozenset[str] = frozenset(
    {"instruments", "source_urls", "source_titles", "source_published", "source_outlets"}
)
"""Event fields held as lists (tuples in :class:`Event`)."""

EVENT_COLUMNS: tuple[str, ...] = tuple(EVENT_SCHEMA.names)

REQUIRED_EVENT_COLUMNS: tuple[str, ...] = ("source", "source_key", "event_date", "known_at")
"""Columns an input table must provide; the normalise steps derive or default the rest."""

EVENT_COLUMN_MEANINGS: Mapping[str, str] = MappingProxyType(
    {
        "event_id": "stable id: a hash of source and source_key (computed; a repeat of the "
        "same record gets the same id)",
        "source": "the source that reported the event (ingest file: default 'file'; names "
        "dyadwatch writes itself, such as curated or gdelt, are refused)",
        "source_key": "the source's own id of the record, unique within the source",
        "event_date": "the day the event happened (YYYY-MM-DD)",
        "known_at": "when the event became public, UTC; 'as of D' shows it only from then "
        "(default: the end of event_date)",
        "ingested_at": "when the record was ingested, if the source recorded it",
        "actor1_code": "actor 1 (who acts) as the source codes it: a CAMEO actor code such as "
        "MEXGOV, or a curated agency code such as MEX:SEDENA",
        "actor1_name": "actor 1's name in words",
        "actor1_country": "actor 1's country: a CAMEO country code (USA, MEX)",
        "actor1_agent": "actor 1's sector: a CAMEO agent type (GOV, MIL, COP, JUD, CRM …)",
        "actor2_code": "actor 2 (who is acted on), coded as actor1_code",
        "actor2_name": "actor 2's name in words",
        "actor2_country": "actor 2's country: a CAMEO country code",
        "actor2_agent": "actor 2's sector: a CAMEO agent type",
        "cameo_code": "CAMEO event code as text with its leading zeros ('010', '0211', '190')",
        "cameo_root": "the code's two-digit root (filled from the codebook when absent)",
        "quad_class": "1 verbal cooperation, 2 material cooperation, 3 verbal conflict, "
        "4 material conflict (filled from the code when absent)",
        "goldstein": "Goldstein weight of the code, -10 (conflict) to +10 (cooperation) "
        "(filled from the codebook when absent)",
        "plover_type": "PLOVER event type (filled from CAMEO's crosswalk when absent)",
        "plover_mode": "PLOVER mode of the event type",
        "plover_context": "PLOVER context",
        "num_mentions": "mentions of the event in the source's coverage (GDELT)",
        "num_sources": "distinct outlets that reported it (GDELT)",
        "num_articles": "articles that reported it (GDELT)",
        "avg_tone": "average tone of the reporting articles (GDELT)",
        "action_country": "where it happened: country code",
        "action_adm1": "where it happened: first-level administrative unit code",
        "action_name": "where it happened, in words",
        "action_lat": "latitude of the place (decimal degrees)",
        "action_lon": "longitude of the place (decimal degrees)",
        "instruments": "policy instruments the event bears on (CSV: a;b;c)",
        "source_urls": "pages that report the event (CSV: a;b;c)",
        "source_titles": "titles of those pages, in the same order (CSV: a;b;c)",
        "summary": "one line: what happened",
        "confidence": "how sure the source is of the event, 0 to 1 (default: the source's)",
        "handling": "public or sensitive (sensitive events are withheld from partner "
        "releases; default public)",
        "date_precision": "day, month or year: how precisely event_date is known (default day)",
        "dedupe_group": "events of one duplicate group (same actors, code and day) share it "
        "(computed)",
        "relation_effect": "what the event did to cooperation between the two governments, "
        "-10 to +10 (docs/measurement.md)",
        "effect_basis": "where relation_effect came from: editor, source, cameo or rule:<id>",
        "effect_rationale": "one line: why that effect",
        "episode": "the episode the event is a step of, if any",
        "source_published": "publication date of each page in source_urls (CSV: a;b;c)",
        "source_outlets": "the outlet of each page in source_urls (CSV: a;b;c)",
        "fatalities": "deaths reported for the event",
        "attributes": "source-native fields kept as they were (a JSON object)",
        "coder": "the text coder and model that produced the event, if machine-coded here",
    }
)
"""What each canonical event column means, in one line (``dyadwatch schema events``,
docs/events-schema.md). A test checks it names every column of :data:`EVENT_SCHEMA`."""


# --- Other stored datasets -------------------------------------------------------------------

MENTION_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_key", pa.string(), nullable=False),
        pa.field("mention_time", TS),
        pa.field("known_at", TS, nullable=False),
        pa.field("mention_type", pa.int8()),
        pa.field("mention_source_name", pa.string()),
        pa.field("mention_url", pa.string()),
        pa.field("sentence_id", pa.int32()),
        pa.field("actor1_offset", pa.int32()),
        pa.field("actor2_offset", pa.int32()),
        pa.field("action_offset", pa.int32()),
        pa.field("in_raw_text", pa.bool_()),
        pa.field("confidence", pa.float32()),
        pa.field("doc_length", pa.int32()),
        pa.field("doc_tone", pa.float32()),
        pa.field("translation_info", pa.string()),
    ],
    metadata={"dyadwatch.dataset": "mentions", "dyadwatch.schema_version": "1"},
)
"""Where an event was reported: one row per mention, linked to its event by ``event_id``."""

VOLUME_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("artifact", pa.string(), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
        pa.field("country", pa.string(), nullable=False),
        pa.field("events", pa.int64(), nullable=False),
        pa.field("known_at", TS, nullable=False),
    ],
    metadata={"dyadwatch.dataset": "volume", "dyadwatch.schema_version": "1"},
)
"""Per-artifact, per-day, per-country event totals *before* dyad filtering.

These are the denominators the index uses to normalise for media volume. ``country`` is the
actor country (either side); ``*`` holds the artifact's total over all countries.
"""

INDICATOR_SCHEMA = pa.schema(
    [
        pa.field("indicator", pa.string(), nullable=False),
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string(), nullable=False),
        pa.field("scope", pa.string()),
        pa.field("vintage", pa.string(), nullable=False),
        pa.field("known_at", TS, nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_url", pa.string()),
        pa.field("source_title", pa.string()),
        pa.field("verified", pa.bool_()),
        pa.field("note", pa.string()),
    ],
    metadata={"dyadwatch.dataset": "indicators", "dyadwatch.schema_version": "1"},
)
"""Indicator observations. A revised figure is a new ``vintage`` row, never an overwrite."""

INSTRUMENT_STATE_SCHEMA = pa.schema(
    [
        pa.field("instrument", pa.string(), nullable=False),
        pa.field("state", pa.string(), nullable=False),
        pa.field("valid_from", pa.date32(), nullable=False),
        pa.field("valid_to", pa.date32()),
        pa.field("known_at", TS, nullable=False),
        pa.field("evidence", pa.list_(pa.string())),
        pa.field("note", pa.string()),
        pa.field("source", pa.string(), nullable=False),
    ],
    metadata={"dyadwatch.dataset": "instrument_states", "dyadwatch.schema_version": "1"},
)
"""One row per state an instrument held, from ``valid_from`` up to (excluding) ``valid_to``.

``evidence`` lists the ids of the events that establish the change of state.
"""

DATASETS: Mapping[str, pa.Schema] = {
    "events": EVENT_SCHEMA,
    "mentions": MENTION_SCHEMA,
    "volume": VOLUME_SCHEMA,
    "indicators": INDICATOR_SCHEMA,
    "instrument_states": INSTRUMENT_STATE_SCHEMA,
}
"""Every dataset the store holds, by name."""

PARTITIONED_BY_MONTH = frozenset({"events", "mentions"})
"""Laid out as ``<dataset>/source=…/year=…/month=…``; the rest as ``<dataset>/source=…``."""


# --- Python-side records for the later stages ----------------------------------------------


@dataclass(frozen=True, slots=True)
class InstrumentState:
    """A state an instrument held over an interval (``valid_to`` exclusive, None = still)."""

    instrument: str
    state: str
    valid_from: date
    known_at: datetime
    valid_to: date | None = None
    evidence: tuple[str, ...] = ()
    note: str | None = None

    def holds_on(self, d: date) -> bool:
        return self.valid_from <= d and (self.valid_to is None or d < self.valid_to)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A policy instrument the essay tracks (see DESIGN.md, "The essay's instruments")."""

    id: str
    name: str
    description: str
    states: tuple[InstrumentState, ...] = ()

    def state_on(self, d: date, as_of: datetime | None = None) -> InstrumentState | None:
        """The state holding on ``d`` among those public by ``as_of`` (default: all)."""
        for s in self.states:
            if as_of is not None and s.known_at > as_of:
                continue
            if s.holds_on(d):
                return s
        return None


@dataclass(frozen=True, slots=True)
class IndicatorPoint:
    """One observation of an indicator series, in one vintage."""

    indicator: str
    period_start: date
    period_end: date
    value: float | None
    unit: str
    known_at: datetime
    vintage: str
    source: str
    scope: str | None = None
    source_url: str | None = None
    source_title: str | None = None
    verified: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One item shown to support a finding or an index value."""

    kind: Literal["event", "indicator", "instrument_state", "metric"]
    ref: str
    date: date | None
    text: str
    urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of evaluating one rule as of a date."""

    rule_id: str
    title: str
    as_of: date
    status: FindingStatus
    metrics: Mapping[str, Any]
    evidence: tuple[Evidence, ...]
    explanation: str
    lever: str | None = None
    reason: str = ""
    """One line in words: why the finding is what it is (for ``unknown``: what is missing)."""


def rows_to_table(rows: Iterable[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """Build a table of ``schema`` from row mappings; missing columns become null."""
    rows = list(rows)
    columns = {name: [r.get(name) for r in rows] for name in schema.names}
    return pa.table(columns, schema=schema)


def events_to_table(events: Sequence[Event]) -> pa.Table:
    """The canonical table of ``events`` (``ingested_at`` stays as given)."""
    return rows_to_table((e.to_row() for e in events), EVENT_SCHEMA)
