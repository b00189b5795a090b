"""The schema of the curated knowledge base: one pydantic model per record kind.

The models check what a single record can check on its own (types, formats, required
fields, a date's precision). Checks that need more than one record — an actor or instrument
that must exist, a duplicate id, a state timeline, a CAMEO code in the codebook — live in
:mod:`dyadwatch.knowledge.validate`. The file formats are described in ``FORMAT.md``.

Examples
--------
>>> ActorRecord.model_validate(
...     {"code": "USA:DEA", "name": "DEA", "country": "USA", "agent_type": "COP"}
... ).country
'USA'
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
    model_validator,
)

from dyadwatch.visibility import address_date

ACTOR_CODE_RE = r"^[A-Z]{3}:[A-Z0-9_-]+$"
EVENT_ID_RE = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"
INSTRUMENT_ID_RE = r"^[a-z][a-z0-9_]*$"
SERIES_ID_RE = r"^[a-z][a-z0-9_]*$"
STATE_RE = r"^[a-z][a-z0-9_]*$"
CAMEO_RE = r"^[0-9]{2,4}$"
EPISODE_ID_RE = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"

INSTRUMENT_IDS: tuple[str, ...] = (
    "merida",
    "dialogue",
    "vetted_units",
    "foreign_agent_law",
    "extradition",
    "indictments",
    "mlat",
    "certification",
    "terrorist_designation",
    "cannabis",
    "fentanyl_strategy",
    "targeting",
    "repair",
)
"""The essay's instruments (DESIGN.md); each must have a state timeline in instruments.yaml."""

ANCHOR_IDS: tuple[str, ...] = (
    "1985-02-07-camarena-kidnapping",
    "1990-04-02-alvarez-machain-abduction",
    "2007-10-22-merida-announced",
    "2021-10-08-bicentennial-framework",
    "2020-10-15-cienfuegos-arrest",
    "2020-11-17-cienfuegos-charges-dropped",
    "2021-01-14-cienfuegos-exonerated",
    "2021-01-15-cienfuegos-file-released",
    "2020-12-15-foreign-agent-law-passed",
    "2020-12-18-foreign-agent-law-in-force",
    "2021-01-14-foreign-agent-law-guidelines",
    "2025-02-20-fto-designation",
    "2025-02-27-mass-transfer-29",
)
"""Event ids other files (rules, instrument timelines) may rely on (FORMAT.md, anchor ids)."""

Precision = Literal["day", "month", "year"]
Frequency = Literal["year", "fiscal_year", "month", "12m_ending", "point", "range"]


def _iso_date(value: Any) -> Any:
    """Accept a date or an ISO ``YYYY-MM-DD`` string; refuse numbers and timestamps.

    YAML reads ``2020-10-15`` as a date already; a quoted string is parsed here. Numbers
    are refused because pydantic would otherwise read them as Unix times.
    """
    if isinstance(value, datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)") from None
    raise ValueError(f"expected a date (YYYY-MM-DD), not {type(value).__name__} {value!r}")


def _iso_datetime(value: Any) -> Any:
    """A date (end of that day, UTC) or an ISO date-time (UTC unless it says otherwise)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time.max, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not a date or date-time (ISO 8601)") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"expected a date or date-time, not {type(value).__name__} {value!r}")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]


def end_of_precision(d: date, precision: str) -> datetime:
    """When a fact dated ``d`` at ``precision`` is surely public: the end of its day/month/year.

    >>> end_of_precision(date(2020, 10, 1), "month").date()
    datetime.date(2020, 10, 31)
    """
    if precision == "year":
        last = date(d.year, 12, 31)
    elif precision == "month":
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
    else:
        last = d
    return datetime.combine(last, time.max, tzinfo=UTC)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ActorRecord(_Record):
    """One actor code (``actors/*.yaml``)."""

    code: Annotated[StrictStr, Field(pattern=ACTOR_CODE_RE)]
    name: Annotated[StrictStr, Field(min_length=1)]
    country: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]
    agent_type: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None
    note: StrictStr | None = None

    @model_validator(mode="after")
    def _country_matches_code(self) -> ActorRecord:
        if not self.code.startswith(self.country + ":"):
            raise ValueError(
                f"code {self.code} does not start with its country {self.country}: "
                f"use {self.country}:{self.code.split(':', 1)[-1]}"
            )
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self

    def valid_on(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (
            self.valid_to is None or d <= self.valid_to
        )


def _published(value: Any) -> Any:
    """A citation's publication date, or the word ``unknown`` (kept as None)."""
    if isinstance(value, str) and value.strip().lower() == "unknown":
        return "unknown"
    return _iso_date(value)


class SourceRef(_Record):
    """A page that documents a fact: its URL, title, outlet and publication date.

    ``published`` is the page's own date (``unknown`` when the page shows none): a citation
    is shown "as of D" only if it was published by D. ``archived_copy`` is a mirror of the
    same page kept for when the original is gone; ``late_reason`` says why a page published
    well after the fact became public is the one cited.
    """

    url: Annotated[StrictStr, Field(pattern=r"^https?://\S+$")]
    title: Annotated[StrictStr, Field(min_length=1)]
    publisher: StrictStr | None = None
    published: Annotated[date | Literal["unknown"], BeforeValidator(_published)] | None = None
    archived_copy: Annotated[StrictStr, Field(pattern=r"^https?://\S+$")] | None = None
    late_reason: StrictStr | None = None
    published_not_before: IsoDate | None = None
    """For a page of unknown date: the earliest it can have been public (its title names a
    later year, it reports a later event). Shown from then, never earlier."""

    @property
    def published_date(self) -> date | None:
        """``published`` as a date; when unknown or not recorded, the latest of the date the
        page's address carries (:func:`dyadwatch.visibility.address_date`) and
        ``published_not_before``, else None."""
        if isinstance(self.published, date):
            return self.published
        bounds = [d for d in (address_date(self.url), self.published_not_before) if d is not None]
        return max(bounds) if bounds else None


class EventRecord(_Record):
    """One curated event (``events/*.yaml``)."""

    id: Annotated[StrictStr, Field(pattern=EVENT_ID_RE)]
    date: IsoDate
    precision: Precision = "day"
    known_at: IsoDateTime | None = None
    source: Annotated[StrictStr, Field(pattern=ACTOR_CODE_RE)]
    target: Annotated[StrictStr, Field(pattern=ACTOR_CODE_RE)] | None = None
    cameo: Annotated[StrictStr, Field(pattern=CAMEO_RE)]
    instruments: list[Annotated[StrictStr, Field(pattern=INSTRUMENT_ID_RE)]] = Field(
        default_factory=list
    )
    topics: list[StrictStr] = Field(default_factory=list)
    summary: Annotated[StrictStr, Field(min_length=10)]
    sources: Annotated[list[SourceRef], Field(min_length=1)]
    verified: StrictBool
    note: StrictStr | None = None
    relation_effect: Annotated[float, Field(ge=-10, le=10, allow_inf_nan=False)] | None = None
    """What the event did to cooperation between the two governments, −10…+10 (an editor's
    judgement; docs/measurement.md gives the scale's anchors)."""
    effect_rationale: Annotated[StrictStr, Field(min_length=10)] | None = None
    """One line: why this effect (required with ``relation_effect``)."""
    episode: Annotated[StrictStr, Field(pattern=EPISODE_ID_RE)] | None = None
    """The episode this event is a step of (``episodes/*.yaml``), counted once per period."""
    domain: Literal["security", "other"] = "security"
    """``other``: an act between the governments outside the security relationship (trade,
    oil, health, elections). It stays in the timeline but is not evidence about security
    cooperation, so the relationship series does not count it (docs/measurement.md)."""

    @field_validator("relation_effect", mode="before")
    @classmethod
    def _effect_is_number(cls, value: Any) -> Any:
        if isinstance(value, bool | str):
            raise ValueError(f"relation_effect must be a number from -10 to 10, not {value!r}")
        return value

    @field_validator("cameo", mode="before")
    @classmethod
    def _cameo_is_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(
                f'CAMEO code {value} must be a quoted string ("{value:03d}" or "{value}"): '
                "unquoted, YAML reads it as a number and drops leading zeros"
            )
        return value

    @model_validator(mode="after")
    def _dates_agree(self) -> EventRecord:
        if self.precision == "month" and self.date.day != 1:
            raise ValueError(f"precision is month but date {self.date} is not the 1st")
        if self.precision == "year" and (self.date.month, self.date.day) != (1, 1):
            raise ValueError(f"precision is year but date {self.date} is not 1 January")
        if self.known_at is not None and self.known_at.date() < self.date:
            raise ValueError(f"known_at {self.known_at.date()} is before the event date")
        return self

    @property
    def known_at_effective(self) -> datetime:
        """``known_at`` as given, else the end of the date's day, month or year (UTC)."""
        return self.known_at or end_of_precision(self.date, self.precision)


class EpisodeRecord(_Record):
    """One episode (``episodes/*.yaml``): several steps of one affair, counted once per period.

    The foreign-agent law (Senate vote, Chamber vote, publication, entry into force, the
    guidelines) is one episode; so is the Cienfuegos affair (arrest, charges dropped, return,
    exoneration, release of the file).
    """

    id: Annotated[StrictStr, Field(pattern=EPISODE_ID_RE)]
    name: Annotated[StrictStr, Field(min_length=3)]
    summary: Annotated[StrictStr, Field(min_length=10)]
    note: StrictStr | None = None


class StateRecord(_Record):
    """One state in an instrument's timeline, from ``from`` until the next state's ``from``."""

    state: Annotated[StrictStr, Field(pattern=STATE_RE)]
    valid_from: Annotated[IsoDate, Field(alias="from")]
    to: IsoDate | None = None
    known_at: IsoDateTime | None = None
    evidence: list[StrictStr] = Field(default_factory=list)
    note: StrictStr | None = None

    @model_validator(mode="after")
    def _ordered(self) -> StateRecord:
        if self.to is not None and self.to <= self.valid_from:
            raise ValueError(f"to {self.to} is not after from {self.valid_from}")
        return self


StateName = Annotated[StrictStr, Field(pattern=STATE_RE)]
StateMeaning = Annotated[StrictStr, Field(min_length=3)]
DIRECTION_RE = r"^([A-Z]{3}->[A-Z]{3}|mutual)$"
"""Who acts on whom through an instrument: ``USA->MEX``, ``MEX->USA``, or ``mutual``."""


class InstrumentRecord(_Record):
    """One policy instrument and its state timeline (``instruments.yaml``).

    ``vocabulary`` declares every state the instrument can be in (including states it has
    never been in yet, such as a suspension), each with a one-line meaning; ``kb validate``
    requires every state of the timeline to be one of them, and rule files may only test
    states the vocabulary holds. ``direction`` says who acts on whom through the instrument.
    """

    id: Annotated[StrictStr, Field(pattern=INSTRUMENT_ID_RE)]
    name: Annotated[StrictStr, Field(min_length=1)]
    description: Annotated[StrictStr, Field(min_length=1)]
    states: Annotated[list[StateRecord], Field(min_length=1)]
    vocabulary: dict[StateName, StateMeaning] | None = None
    direction: Annotated[StrictStr, Field(pattern=DIRECTION_RE)] | None = None
    note: StrictStr | None = None


class SeriesRecord(_Record):
    """Metadata of one indicator series (``indicators/*.yaml``)."""

    id: Annotated[StrictStr, Field(pattern=SERIES_ID_RE)]
    name: Annotated[StrictStr, Field(min_length=1)]
    unit: Annotated[StrictStr, Field(min_length=1)]
    scope: Annotated[StrictStr, Field(min_length=1)]
    frequency: Frequency
    forward_looking: StrictBool = False
    """Requests, budgets, forecasts: figures public before their period begins."""
    description: StrictStr | None = None
    source: StrictStr | None = None
    note: StrictStr | None = None


_PERIOD_PATTERNS: dict[str, re.Pattern[str]] = {
    "year": re.compile(r"^(\d{4})$"),
    "fiscal_year": re.compile(r"^FY(\d{4})$"),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "12m_ending": re.compile(r"^(\d{4})-(\d{2})$"),
    "point": re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
}
_PERIOD_HELP = {
    "year": "YYYY",
    "fiscal_year": "FYYYYY (US fiscal year, October to September)",
    "month": "YYYY-MM",
    "12m_ending": "YYYY-MM (the last month of the 12)",
    "point": "YYYY-MM-DD",
    "range": "START..END, each YYYY, FYYYYY, YYYY-MM or YYYY-MM-DD",
}
_ANY_PERIOD = ("point", "month", "fiscal_year", "year")


def period_bounds(period: str, frequency: str) -> tuple[date, date]:
    """First and last day of ``period`` read at ``frequency``.

    ``FY2020`` is the US federal fiscal year 1 Oct 2019 – 30 Sep 2020; ``12m_ending``
    ``2020-07`` is the twelve months August 2019 – July 2020.

    >>> period_bounds("FY2020", "fiscal_year")
    (datetime.date(2019, 10, 1), datetime.date(2020, 9, 30))
    >>> period_bounds("2020-07", "12m_ending")
    (datetime.date(2019, 8, 1), datetime.date(2020, 7, 31))
    >>> period_bounds("2022-10..2023-05-03", "range")
    (datetime.date(2022, 10, 1), datetime.date(2023, 5, 3))
    """
    if frequency == "range":
        head, sep, tail = period.strip().partition("..")
        if not sep:
            raise ValueError(f"period {period!r} is not a range (write {_PERIOD_HELP['range']})")
        start, end = _any_bounds(head)[0], _any_bounds(tail)[1]
        if end < start:
            raise ValueError(f"period {period!r} ends before it starts")
        return start, end
    pattern = _PERIOD_PATTERNS.get(frequency)
    match = pattern.match(period.strip()) if pattern else None
    if match is None:
        raise ValueError(
            f"period {period!r} does not fit frequency {frequency} "
            f"(write {_PERIOD_HELP.get(frequency, '?')})"
        )
    numbers = [int(g) for g in match.groups()]
    if frequency == "year":
        return date(numbers[0], 1, 1), date(numbers[0], 12, 31)
    if frequency == "fiscal_year":
        return date(numbers[0] - 1, 10, 1), date(numbers[0], 9, 30)
    if frequency == "point":
        d = date(*numbers)
        return d, d
    year, month = numbers
    if not 1 <= month <= 12:
        raise ValueError(f"period {period!r}: month {month} is not 1-12")
    last = end_of_precision(date(year, month, 1), "month").date()
    if frequency == "month":
        return date(year, month, 1), last
    start_year, start_month = (year, month + 1) if month < 12 else (year + 1, 1)
    return date(start_year - 1, start_month, 1), last


def _any_bounds(text: str) -> tuple[date, date]:
    for frequency in _ANY_PERIOD:
        try:
            return period_bounds(text, frequency)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not YYYY, FYYYYY, YYYY-MM or YYYY-MM-DD")


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _yes_no(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("yes", "true", "1"):
            return True
        if text in ("no", "false", "0", ""):
            return False
        raise ValueError(f"verified must be yes or no, not {value!r}")
    return value


class Observation(_Record):
    """One row of an indicator CSV: a value of a series for a period, in one vintage."""

    indicator: Annotated[StrictStr, Field(pattern=SERIES_ID_RE)]
    period: Annotated[StrictStr, Field(min_length=4)]
    value: Annotated[float, BeforeValidator(_blank_to_none)]
    unit: Annotated[StrictStr, Field(min_length=1)]
    scope: Annotated[StrictStr, Field(min_length=1)]
    vintage: Annotated[StrictStr, Field(min_length=1, pattern=r"^\S+$")]
    known_at: IsoDateTime
    source_url: Annotated[StrictStr, Field(pattern=r"^https?://\S+$")]
    source_title: Annotated[StrictStr, Field(min_length=1)]
    verified: Annotated[bool, BeforeValidator(_yes_no)]
    note: Annotated[StrictStr | None, BeforeValidator(_blank_to_none)] = None


OBSERVATION_COLUMNS: tuple[str, ...] = tuple(Observation.model_fields)
"""The header of every ``indicators/*.csv`` file, in order."""


__all__ = [
    "ANCHOR_IDS",
    "EPISODE_ID_RE",
    "INSTRUMENT_IDS",
    "OBSERVATION_COLUMNS",
    "ActorRecord",
    "EpisodeRecord",
    "EventRecord",
    "InstrumentRecord",
    "Observation",
    "SeriesRecord",
    "SourceRef",
    "StateRecord",
    "end_of_precision",
    "period_bounds",
]
