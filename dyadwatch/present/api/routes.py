"""The JSON API under ``/api/``: read endpoints here, and two write endpoints behind tokens
(:mod:`dyadwatch.present.api.writes`).

Every read takes ``as_of`` (what was public by the end of that day); lists page with
``limit``/``offset`` and answer with ``total`` and ``next``/``prev`` links. Errors have one
shape (:mod:`dyadwatch.present.api.errors`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dyadwatch.analyse.index import FUSED
from dyadwatch.policy.rules.backtest import outcome_rows
from dyadwatch.policy.rules.loader import load_rules_text
from dyadwatch.present.api.auth import TokenInfoModel, require_read, require_write
from dyadwatch.present.api.data import StoreView
from dyadwatch.present.api.errors import ERROR_RESPONSES, ApiError, bad_param
from dyadwatch.present.api.params import (
    DYAD_PATTERN,
    AsOf,
    EventParams,
    Freq,
    Model,
    SeriesParams,
    check_date,
    check_dyad,
    check_period,
    check_text,
)
from dyadwatch.present.api.replies import View, cached_ok, ok
from dyadwatch.present.api.tokens import TokenInfo
from dyadwatch.present.api.writes import write
from dyadwatch.present.release import DROPPED_FIELDS, keyed_id, release_key

SOURCE_HELP = "Whose values: 'fused' (default: the sources combined), a source label, or 'all'."
PERIOD_HELP = "A period: 2021, 2021Q1, 2021-01, 2021-W03 or a day in it (2021-01-19)."

Source = Annotated[str, Query(max_length=64, description=SOURCE_HELP)]


# --- response models (for the OpenAPI schema; handlers return plain JSON) ---------------------


class Page(BaseModel):
    total: int = Field(description="Events matching the filters.")
    limit: int
    offset: int
    count: int = Field(description="Events in this page.")
    next: str | None = Field(description="URL of the next page, or null.")
    prev: str | None = Field(description="URL of the previous page, or null.")
    events: list[dict[str, Any]]


class SeriesOut(BaseModel):
    """A measure of the dyad, one row per step (and source)."""

    query: dict[str, Any] = Field(description="The parameters the rows were computed from.")
    measure: str = Field(description="The named series or CAMEO-based measure.")
    named: bool = Field(description="True for a named series (rows with n and an interval).")
    title: str
    unit: str
    sources: list[str] = Field(description="The source labels of this series, then 'fused'.")
    windows: dict[str, int] = Field(description="Named series: periods pooled per source.")
    min_n: int | None = Field(description="Named series: fewest events behind a value.")
    level: float | None = Field(description="Named series: level of the intervals.")
    columns: dict[str, str] = Field(description="What each column of a row means.")
    rows: list[dict[str, Any]]


class Judgments(BaseModel):
    """Dated expert judgments scored against the named series, each as known at its date."""

    measure: str
    file: str
    later: int = Field(description="Judgments in the file dated after as_of (not scored).")
    agreement: float | None = Field(description="agree / (agree + disagree).")
    n_agree: int
    n_disagree: int
    n_insufficient: int
    rows: list[dict[str, Any]]
    by_direction: dict[str, dict[str, Any]]


class Rows(BaseModel):
    as_of: str | None = None
    rows: list[dict[str, Any]]


class Status(BaseModel):
    generation: int
    sources: list[dict[str, Any]]
    datasets: list[str]
    read_access: str


# --- the router --------------------------------------------------------------------------------

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
read = APIRouter(dependencies=[Depends(require_read)])


def _page_links(request: Request, total: int, limit: int, offset: int) -> tuple[Any, Any]:
    def link(new_offset: int) -> str:
        items = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        items.append(("offset", str(new_offset)))
        return f"{request.url.path}?{urlencode(items)}"

    nxt = link(offset + limit) if offset + limit < total else None
    prev = link(max(0, offset - limit)) if offset > 0 else None
    return nxt, prev


@read.get("/status", response_model=Status, summary="What the store holds")
def status(request: Request, v: View) -> Response:
    """Generation, events per source, datasets, and whether reads need a token."""
    return cached_ok(
        request, lambda: {**v.status(), "read_access": request.app.state.settings.api_read_access}
    )


@read.get("/events", response_model=Page, summary="Events, filtered and paged")
def list_events(
    request: Request,
    v: View,
    query: EventParams,
    limit: Annotated[int, Query(ge=1, le=1000, description="Events per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Events to skip.")] = 0,
    ids: Annotated[
        Literal["stored", "keyed"],
        Query(description="'keyed': ids for use outside the office (see below)."),
    ] = "stored",
) -> Response:
    """Canonical events matching every filter given, ordered by event date then id.

    Each event carries ``sources`` (``[{url, title}]``). ``as_of`` hides what was not yet
    public; ``since``/``until`` bound the event date. With ``ids=keyed`` the answer is fit
    to leave the office: each ``event_id`` is keyed with the store's release key (stable,
    but no source key can be recovered from it), and the fields a partner release drops
    (``source_key`` among them) are left out.
    """
    page = v.events(query, limit, offset)
    nxt, prev = _page_links(request, page["total"], limit, offset)
    rows = page["events"] if ids == "stored" else _keyed(v, page["events"])
    return cached_ok(
        request,
        lambda: {
            "total": page["total"],
            "limit": limit,
            "offset": offset,
            "count": len(rows),
            "next": nxt,
            "prev": prev,
            "events": rows,
        },
    )


def _keyed(v: StoreView, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with keyed ids and without the fields a release drops."""
    key = release_key(v.store, create=True)
    assert key is not None
    out = []
    for row in rows:
        kept = {k: val for k, val in row.items() if k not in DROPPED_FIELDS}
        kept["event_id"] = keyed_id(key, str(row["event_id"]), scope="api")
        out.append(kept)
    return out


@read.get("/events/{event_id}", summary="One event with its sources")
def get_event(
    request: Request,
    v: View,
    event_id: Annotated[str, PathParam(max_length=64, pattern=r"^[0-9a-f]{1,64}$")],
    as_of: AsOf = None,
) -> Response:
    """An event by ``event_id``; 404 if it does not exist or was not public ``as_of``."""
    check_date("as_of", as_of)
    found = v.event(event_id, as_of)
    if found is None:
        when = f" as of {as_of}" if as_of else ""
        raise ApiError(404, "not_found", f"no event {event_id}{when}.")
    return cached_ok(request, lambda: found)


@read.get("/index", response_model=SeriesOut, summary="The dyad's index: a named series")
def get_index(request: Request, v: View, query: SeriesParams, source: Source = FUSED) -> Response:
    """The default reading, per step: by default the ``relationship`` series (cooperation
    between the two governments), fused over sources, monthly.

    Each row of a named series has ``value`` (the mean effect on the −10…+10 scale), ``lo`` and
    ``hi`` (the interval at ``level``), ``n`` (events counted), ``window`` and
    ``window_start`` (what the value pools), ``status`` (``ok`` or ``insufficient``) and
    ``reason`` (why a value is null), and ``last_event``. ``measure=environment`` reads the
    events that are not between the two states; ``measure=net_coop`` (or another CAMEO-based
    measure) the quad-class frame, whose rows have no interval. ``source=all`` returns every
    source's rows and the fused ones. See docs/index.md.
    """
    source = check_text("source", source) or FUSED
    return cached_ok(request, lambda: v.series(query, source))


@read.get("/index/turning-points", response_model=Rows, summary="Turning points")
def get_turning_points(
    request: Request,
    v: View,
    query: SeriesParams,
    source: Source = FUSED,
    penalty: Annotated[
        float | None, Query(gt=0, le=1e6, allow_inf_nan=False, description="PELT penalty.")
    ] = None,
    model: Annotated[Model, Query(description="CAMEO measures: ruptures cost model.")] = "l2",
    min_size: Annotated[int, Query(ge=1, le=100, description="Fewest values a segment.")] = 2,
    events: Annotated[int, Query(ge=1, le=100, description="Events per turning point.")] = 5,
) -> Response:
    """Changes of level of the series, each with the events behind the value where it turned.

    A named series is read on independent values with enough evidence; each turning point has
    ``z`` (the change over the segments' spread) and ``sure`` (clear, likely, uncertain).
    """
    rows = v.turning_points(
        query,
        source=check_text("source", source) or FUSED,
        penalty=penalty,
        min_size=min_size,
        model=model,
        events=events,
    )
    return cached_ok(request, lambda: {"as_of": query.as_of, "rows": rows})


@read.get("/index/alerts", response_model=Rows, summary="Unusual recent values")
def get_alerts(
    request: Request,
    v: View,
    query: SeriesParams,
    source: Source = FUSED,
    threshold: Annotated[
        float, Query(gt=0, le=1e6, allow_inf_nan=False, description="Smallest |z| reported.")
    ] = 2.0,
    recent: Annotated[int, Query(ge=1, le=520, description="Latest steps to look at.")] = 1,
    events: Annotated[int, Query(ge=1, le=100, description="Events per alert.")] = 5,
) -> Response:
    """The latest value(s) against their own past: more conflictual or more cooperative than
    usual, more or fewer events than usual — each with ``z``, ``sure`` and the events pulling
    the value that way."""
    rows = v.alerts(
        query,
        source=check_text("source", source) or FUSED,
        threshold=threshold,
        recent=recent,
        events=events,
    )
    return cached_ok(request, lambda: {"as_of": query.as_of, "rows": rows})


@read.get("/index/lowest-since", summary='"Lowest since" for one period')
def get_lowest_since(
    request: Request,
    v: View,
    query: SeriesParams,
    period: Annotated[str, Query(max_length=20, description=PERIOD_HELP)],
    source: Source = FUSED,
) -> Response:
    """The most recent earlier value as low or lower (or a record low), with a sentence; for a
    named series, whether the two values lie within each other's interval (``within_noise``)."""
    return cached_ok(
        request,
        lambda: v.lowest_since(
            query, check_period("period", period), source=check_text("source", source) or FUSED
        ),
    )


@read.get("/index/evidence", response_model=Rows, summary="Events behind a value")
def get_evidence(
    request: Request,
    v: View,
    query: SeriesParams,
    period: Annotated[str, Query(max_length=20, description=PERIOD_HELP)],
    source: Source = FUSED,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    sign: Annotated[
        int,
        Query(
            ge=-1,
            le=1,
            description="Named series: -1 only events pulling the value down, 1 up, 0 all.",
        ),
    ] = 0,
) -> Response:
    """The events counted in one value, largest contributions first: for a named series each
    with its effect, the editor's rationale, its episode's other steps and the citations
    public at ``as_of``."""
    rows = v.evidence(
        query,
        check_period("period", period),
        source=check_text("source", source) or FUSED,
        limit=limit,
        sign=sign,
    )
    return cached_ok(request, lambda: {"as_of": query.as_of, "rows": rows})


@read.get("/validate/judgments", response_model=Judgments, summary="The index against experts")
def get_judgments(request: Request, v: View, query: SeriesParams) -> Response:
    """The shipped expert judgments (``dyadwatch/knowledge/data/judgments.csv``) scored against
    the named series, each read as known at its own date, as ``dyadwatch validate judgments``.

    With ``as_of``, only the judgments made by then are scored. Each row says ``agree``,
    ``disagree`` or ``insufficient`` with the numbers compared; ``agreement`` is agree /
    (agree + disagree), overall and per direction of claim.
    """
    return cached_ok(request, lambda: v.judgments(query))


@read.get("/instruments", response_model=Rows, summary="Policy instruments and their states")
def list_instruments(request: Request, v: View, as_of: AsOf = None) -> Response:
    """Each instrument's state on ``as_of`` (default today) and its history as known then."""
    check_date("as_of", as_of)
    return cached_ok(request, lambda: {"as_of": as_of, "rows": v.instruments(as_of)})


@read.get("/instruments/{instrument_id}", summary="One instrument, with evidence")
def get_instrument(
    request: Request,
    v: View,
    instrument_id: Annotated[str, PathParam(max_length=64)],
    as_of: AsOf = None,
) -> Response:
    """An instrument's state history as known ``as_of``, each state with its evidence events."""
    check_date("as_of", as_of)
    found = v.instrument(instrument_id, as_of)
    if found is None:
        known = v.instrument_ids()
        if instrument_id in known:
            raise ApiError(
                404, "not_found", f"instrument {instrument_id} had no public state as of {as_of}."
            )
        raise ApiError(
            404,
            "not_found",
            f"no instrument {instrument_id!r}; known: {', '.join(known) or 'none'}.",
        )
    return cached_ok(request, lambda: found)


@read.get("/indicators", response_model=Rows, summary="Indicator series")
def list_indicators(
    request: Request,
    v: View,
    as_of: AsOf = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Every word in the id, name, unit or scope."),
    ] = None,
    group: Annotated[
        str | None, Query(max_length=64, description="Only this group (see 'group').")
    ] = None,
) -> Response:
    """One row per series public by ``as_of``: its name and group, unit, scope, sources,
    periods and vintages, and its latest figure (``latest``)."""
    check_date("as_of", as_of)
    words, only = check_text("q", q), check_text("group", group)
    return cached_ok(request, lambda: {"as_of": as_of, "rows": v.indicators(as_of, words, only)})


@read.get("/indicators/{indicator_id}", response_model=Rows, summary="One indicator series")
def get_indicator(
    request: Request,
    v: View,
    indicator_id: Annotated[str, PathParam(max_length=128)],
    as_of: AsOf = None,
    vintage: Annotated[
        str,
        Query(
            max_length=64,
            description="latest-known (default), first-known, all (every release of every "
            "period), or one vintage's name.",
        ),
    ] = "latest-known",
) -> Response:
    """The values of one series, one per period, as known ``as_of`` (``vintage=all``: every
    release public by then, oldest first)."""
    check_date("as_of", as_of)
    if indicator_id not in v.indicator_ids():
        raise ApiError(
            404, "not_found", f"no indicator series {indicator_id!r}; see /api/indicators."
        )
    vintage = check_text("vintage", vintage) or "latest-known"
    if vintage == "all":
        return cached_ok(request, lambda: {"as_of": as_of, "rows": v.releases(indicator_id, as_of)})
    return cached_ok(
        request, lambda: {"as_of": as_of, "rows": v.indicator(indicator_id, as_of, vintage)}
    )


@read.get("/findings", response_model=Rows, summary="Rule findings as of a date")
def list_findings(
    request: Request,
    v: View,
    as_of: AsOf = None,
    rule: Annotated[list[str] | None, Query(description="Only these rule ids.")] = None,
) -> Response:
    """Every rule of the default set evaluated as of ``as_of`` (default today)."""
    check_date("as_of", as_of)
    rules = tuple(r for r in (check_text("rule", x) for x in rule or ()) if r)
    return cached_ok(request, lambda: {"as_of": as_of, "rows": v.findings(as_of, rules)})


@read.get("/backtest", summary="Backtest of the default rules")
def get_backtest(
    request: Request,
    v: View,
    start: Annotated[
        str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    ] = None,
    monthly: Annotated[bool, Query(description="Include one row per rule and month.")] = True,
    outcomes: Annotated[
        bool,
        Query(
            description="Include what levers did: agreement of condition and lever use (in and "
            "out of sample, lead/lag) and the event study of each lever's changes."
        ),
    ] = False,
) -> Response:
    """Each rule evaluated every month from ``from`` to ``to``: when it first held, how long,
    and when the lever was used; with ``outcomes=true``, what followed each lever change."""
    for name, value in (("from", start), ("to", end)):
        if value is not None:
            year, month = int(value[:4]), int(value[5:])
            if not 1 <= month <= 12:
                raise bad_param(name, f"{value} is not a month (YYYY-MM).")
            check_date(name, date(year, month, 1))
    if start and end and start > end:
        raise bad_param("from", f"{start} is after to {end}.")
    result = v.backtest(start, end)
    return cached_ok(request, lambda: _backtest_answer(result, monthly, outcomes))


def _backtest_answer(result: dict[str, Any], monthly: bool, outcomes: bool) -> dict[str, Any]:
    out = {k: x for k, x in result.items() if monthly or k != "monthly"}
    if outcomes:
        out["outcomes"] = outcome_rows(result["rules"])
    else:
        out["rules"] = [
            {k: x for k, x in r.items() if k != "outcomes"} for r in result.get("rules", [])
        ]
    return out


class RuleFileBody(BaseModel):
    """A rule file to check (docs/rules.md)."""

    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(max_length=200_000, description="The rule file's YAML text.")]
    name: Annotated[
        str,
        Field(
            default="rules.yaml",
            pattern=r"^[A-Za-z0-9_.-]{1,64}$",
            description="File name used in problems (FILE:LINE).",
        ),
    ]


@read.post("/rules/validate", summary="Check a rule file")
def validate_rules(body: RuleFileBody) -> JSONResponse:
    """Load and check a rule file without evaluating it, as ``dyadwatch rules validate``.

    Valid: ``{"ok": true, "rules": [ids]}``. Otherwise a 422 ``invalid_rule`` in the API's one
    error shape: ``message`` is the first problem as ``FILE:LINE: rule ID: message`` and
    ``details`` lists every problem with ``loc`` = [file, line, rule].
    """
    try:
        rs = load_rules_text(body.text, body.name)
    except yaml.YAMLError as exc:  # a character YAML cannot read at all (e.g. U+0097)
        where = getattr(exc, "position", None)
        at = f" at character {where + 1}" if isinstance(where, int) else ""
        raise ApiError(
            422,
            "invalid_rule",
            f"{body.name}: YAML does not parse{at}: {getattr(exc, 'reason', exc)}.",
            [{"loc": [body.name, 1, None], "message": str(exc)}],
        ) from None
    if rs.problems:
        raise ApiError(
            422,
            "invalid_rule",
            f"{len(rs.problems)} problem(s); the first: {rs.problems[0]}",
            [{"loc": [p.file, p.line, p.rule_id], "message": str(p)} for p in rs.problems],
        )
    return ok({"ok": True, "rules": [r.id for r in rs.rules]})


@read.get("/overview", summary="Overview as of a date")
def get_overview(
    request: Request,
    v: View,
    as_of: AsOf = None,
    freq: Annotated[Freq, Query(description="Index periods.")] = "month",
    dyad: Annotated[str, Query(pattern=DYAD_PATTERN)] = "USA-MEX",
) -> Response:
    """Headline and "lowest since", the index with turning points, what changed in the month
    to ``as_of``, findings, instrument states, indicator sparklines and numbered sources —
    the record the brief and the dashboard's overview render. ``as_of`` defaults to today
    and may not be in the future."""
    check_date("as_of", as_of)
    pair = check_dyad("dyad", dyad) or "USA-MEX"
    return cached_ok(request, lambda: v.overview(as_of, freq, pair))


@read.get("/token", response_model=TokenInfoModel, summary="Who am I (token)")
def whoami(token: Annotated[TokenInfo, Depends(require_write)]) -> JSONResponse:
    """The token the request carries (id and name), to check a token works."""
    return ok({"id": token.id, "name": token.name, "created_at": token.created_at})


router.include_router(read)
router.include_router(write)  # the two writes, behind tokens (present/api/writes.py)

__all__ = ["router"]
