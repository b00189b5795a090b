"""Query parameters shared by the API and the dashboard, validated once, with clear errors.

FastAPI checks types and ranges from the annotations; the checks here add what annotations
cannot say and raise :class:`~dyadwatch.present.api.errors.ApiError` naming the parameter:
dates inside the range the index can compute, an ``as_of`` that is not in the future
(:func:`dyadwatch.visibility.check_as_of`, the rule every command and route applies), a dyad
of two codes the CAMEO codebook knows (:func:`dyadwatch.store.query.parse_dyad`), text
without control characters.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query

from dyadwatch.analyse.answers import SeriesRequest
from dyadwatch.analyse.index import MIN_N
from dyadwatch.analyse.index.interval import DEFAULT_LEVEL
from dyadwatch.analyse.listing import EventSearch
from dyadwatch.errors import UsageError
from dyadwatch.present.api.errors import bad_param
from dyadwatch.store.query import parse_dyad
from dyadwatch.visibility import check_as_of

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
"""Dates outside this range are refused: periods past year 9999 cannot even be named."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PERIOD_YEAR = re.compile(r"^\s*(\d{4})")

Freq = Literal["week", "month", "quarter", "year"]
Direction = Literal["both", "ab", "ba"]
Dedupe = Literal["phoenix", "story", "none"]
Measure = Literal[
    "relationship",
    "environment",
    "cameo",
    "net_coop",
    "goldstein_net",
    "share_a",
    "share_b",
    "net_share_a",
    "net_share_b",
]
"""A named series (the default reading first) or a CAMEO-based measure: ``MEASURE_NAMES``."""
Episodes = Literal["once", "all"]
Model = Literal["l2", "l1", "normal", "rbf"]
Order = Literal["asc", "desc"]

DYAD_PATTERN = r"^[A-Za-z]{3}-[A-Za-z]{3}$"

AsOf = Annotated[
    date | None,
    Query(
        description="Knowledge cut-off: only what was public by the end of this day (UTC). "
        "Default: everything stored (the dashboard: today).",
    ),
]
Since = Annotated[date | None, Query(description="First event date (inclusive).")]
Until = Annotated[date | None, Query(description="Last event date (inclusive).")]


def check_date(name: str, value: date | None) -> date | None:
    """``value`` if inside the dates the index can compute; ``as_of`` also not in the future."""
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise bad_param(name, f"{value} is outside {FIRST_DAY}..{LAST_DAY}.")
    if name == "as_of":
        try:
            check_as_of(value)
        except UsageError as exc:
            raise bad_param(name, str(exc)) from None
    return value


def check_dyad(name: str, value: str | None) -> str | None:
    """``value`` as ``A-B`` if both codes are CAMEO country codes (did-you-mean otherwise)."""
    if value is None:
        return None
    try:
        a, b = parse_dyad(value)
    except UsageError as exc:
        raise bad_param(name, str(exc)) from None
    return f"{a}-{b}"


def check_text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if _CONTROL.search(value):
        raise bad_param(name, "must not contain control characters.")
    value = value.strip()
    return value or None


def check_period(name: str, value: str) -> str:
    text = check_text(name, value)
    if not text:
        raise bad_param(name, "is required: a period like 2021, 2021Q1, 2021-01 or 2021-W03.")
    m = _PERIOD_YEAR.match(text)
    if m and not FIRST_DAY.year <= int(m[1]) <= LAST_DAY.year:
        raise bad_param(name, f"year {m[1]} is outside {FIRST_DAY.year}..{LAST_DAY.year}.")
    return text


def check_dates(since: date | None, until: date | None, as_of: date | None) -> None:
    check_date("since", since)
    check_date("until", until)
    check_date("as_of", as_of)
    if since and until and since > until:
        raise bad_param("since", f"{since} is after until {until}.")


MeasureQ = Annotated[
    Measure,
    Query(
        description="A named series — relationship (default: cooperation between the "
        "governments), environment (the rest), cameo (baseline) — or a CAMEO-based "
        "measure (net_coop, goldstein_net, share_a, share_b, net_share_a, net_share_b)."
    ),
]
DyadQ = Annotated[str, Query(pattern=DYAD_PATTERN, description="Two CAMEO country codes, A-B.")]
DirectionQ = Annotated[Direction, Query(description="ab: A acts on B; ba; both.")]
FreqQ = Annotated[Freq, Query(description="Step of the series.")]
SourcesQ = Annotated[
    list[str] | None,
    Query(description="Stored sources (or families, e.g. gdelt) to include; repeatable."),
]
DedupeQ = Annotated[Dedupe, Query(description="phoenix, story or none.")]
MinConfidenceQ = Annotated[
    float, Query(ge=0.0, le=1.0, allow_inf_nan=False, description="Drop events below.")
]
WeightsQ = Annotated[
    str | None,
    Query(max_length=400, description="Source weights in the fused value: curated=2,gdelt=1"),
]
WindowQ = Annotated[
    int | None,
    Query(
        ge=1,
        le=520,
        description="Named series: periods pooled per value (default: each source's finest "
        "window at which most periods have enough events).",
    ),
]
EpisodesQ = Annotated[
    Episodes,
    Query(
        description="Named series: an episode counts once per period (its strongest "
        "step), or every step."
    ),
]
MinNQ = Annotated[
    int,
    Query(ge=2, le=1000, description="Named series: fewest events behind a value."),
]
LevelQ = Annotated[
    float,
    Query(gt=0.0, lt=1.0, allow_inf_nan=False, description="Named series: interval level."),
]
BaselineQ = Annotated[
    int | None,
    Query(ge=2, le=520, description="CAMEO measures: rolling-baseline length in periods."),
]
"""The query parameters of every index route, each with its bounds and description."""


async def series_request(
    measure: MeasureQ = "relationship",
    dyad: DyadQ = "USA-MEX",
    direction: DirectionQ = "both",
    freq: FreqQ = "month",
    as_of: AsOf = None,
    since: Since = None,
    until: Until = None,
    sources: SourcesQ = None,
    dedupe: DedupeQ = "phoenix",
    min_confidence: MinConfidenceQ = 0.0,
    weights: WeightsQ = None,
    window: WindowQ = None,
    episodes: EpisodesQ = "once",
    min_n: MinNQ = MIN_N,
    level: LevelQ = DEFAULT_LEVEL,
    baseline: BaselineQ = None,
) -> SeriesRequest:
    """The series parameters of a request, checked against the library's own rules."""
    check_dates(since, until, as_of)
    names: tuple[str, ...] | None = None
    if sources:
        cleaned = [check_text("sources", s) for s in sources]
        names = tuple(s for s in cleaned if s)
        if any(len(s) > 64 for s in names):
            raise bad_param("sources", "a source name is at most 64 characters.")
    return SeriesRequest(
        measure=measure,
        dyad=check_dyad("dyad", dyad) or "USA-MEX",
        direction=direction,
        freq=freq,
        as_of=as_of,
        since=since,
        until=until,
        sources=names or None,
        dedupe=dedupe,
        min_confidence=min_confidence,
        weights=check_text("weights", weights),
        window=window,
        episodes=episodes,
        min_n=min_n,
        level=level,
        baseline=baseline,
    )


SeriesParams = Annotated[SeriesRequest, Depends(series_request)]


async def event_query(
    source: Annotated[
        list[str] | None, Query(description="Only events of this source; repeatable.")
    ] = None,
    since: Since = None,
    until: Until = None,
    as_of: AsOf = None,
    dyad: Annotated[
        str | None, Query(pattern=DYAD_PATTERN, description="Only events between A and B.")
    ] = None,
    direction: Annotated[Direction, Query(description="With dyad: ab, ba or both.")] = "both",
    instrument: Annotated[
        str | None, Query(max_length=64, description="Only events bearing on this instrument.")
    ] = None,
    actor: Annotated[
        str | None,
        Query(max_length=100, description="Actor code or name contains this (either side)."),
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Summary, id, actor names or source titles contain."),
    ] = None,
    order: Annotated[Order, Query(description="By event date: asc or desc.")] = "asc",
) -> EventSearch:
    """The event filters of a request."""
    check_dates(since, until, as_of)
    sources = tuple(s for s in (check_text("source", x) for x in source or ()) if s)
    if any(len(s) > 64 for s in sources):
        raise bad_param("source", "a source name is at most 64 characters.")
    return EventSearch(
        sources=sources,
        since=since,
        until=until,
        as_of=as_of,
        dyad=check_dyad("dyad", dyad),
        direction=direction,
        instrument=check_text("instrument", instrument),
        actor=check_text("actor", actor),
        q=check_text("q", q),
        order=order,
    )


EventParams = Annotated[EventSearch, Depends(event_query)]

__all__ = [
    "AsOf",
    "EventParams",
    "SeriesParams",
    "check_date",
    "check_dates",
    "check_dyad",
    "check_period",
    "check_text",
    "event_query",
    "series_request",
]
