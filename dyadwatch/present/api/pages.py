"""The dashboard: server-rendered pages, each "as of" the date in its query string.

Pages: overview (``/``), timeline (``/timeline``), instruments (``/instruments``,
``/instruments/{id}``), rules and backtest (``/rules``), indicators (``/indicators``,
``/indicators/{id}``), and ``/login`` when reads need a token. Every page carries the as-of
date in its links, so moving between pages keeps the point in time. A rendered page is
cached per store generation and query string; the data under it is cached the same way.

Codes are shown in words from the one label registry (:mod:`dyadwatch.present.labels`), and
every chart is drawn by the one chart module (:mod:`dyadwatch.present.charts`, through
:mod:`.charts` and :mod:`.figures`) with its axes. The Indicators page lists a page of series
at a time, grouped and searchable, from a catalogue read once per date
(:func:`dyadwatch.policy.catalog.indicator_catalog`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from dyadwatch.analyse.index import FUSED
from dyadwatch.errors import DyadwatchError, did_you_mean
from dyadwatch.policy.catalog import SeriesEntry, find_series, groups
from dyadwatch.present.api.auth import page_token_ok
from dyadwatch.present.api.charts import index_svg
from dyadwatch.present.api.data import StoreView, today
from dyadwatch.present.api.errors import ApiError
from dyadwatch.present.api.figures import (
    ReleaseText,
    effects_scene,
    releases_scene,
    strip_with_years,
    svg,
)
from dyadwatch.present.api.params import EventParams, Freq, check_date, check_text
from dyadwatch.present.charts import spark_scene
from dyadwatch.present.labels import jinja_filters, labels
from dyadwatch.present.reasons import reason_words

PAGE_SIZE = 50
"""Events per page of the timeline."""
SERIES_PAGE = 50
"""Indicator series per page: a page of sparklines renders at once, whatever the store holds."""
LAB = labels("en")
NAV = (
    ("/", "Overview"),
    ("/timeline", "Timeline"),
    ("/instruments", "Instruments"),
    ("/rules", "Rules & backtest"),
    ("/indicators", "Indicators"),
)
_env: Environment | None = None


def package_dir(name: str) -> Path:
    """A folder shipped inside this package (templates, static).

    >>> package_dir("templates").name
    'templates'
    """
    return Path(str(resources.files("dyadwatch.present.api").joinpath(name)))


def env() -> Environment:
    global _env
    if _env is None:
        e = Environment(
            loader=FileSystemLoader(str(package_dir("templates"))),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        e.globals.update(nav=NAV, lab=LAB)
        e.filters.update(jinja_filters("en"))
        e.filters["signed"] = LAB.signed
        e.filters["num"] = _num
        e.filters["ticks"] = _ticks
        e.filters["day"] = _day
        e.filters["span"] = _span
        e.filters["period_label"] = LAB.period
        e.filters["unit_label"] = LAB.unit
        e.filters["effect_label"] = LAB.effect
        e.filters["direction_label"] = _direction
        e.filters["first_sentence"] = _first_sentence
        _env = e
    return _env


def _ticks(text: str) -> Markup:
    """Escape ``text`` and show its ``code`` and `code` spans (docstring markup) as <code>.

    >>> str(_ticks("use ``as_of`` <here>"))
    'use <code>as_of</code> &lt;here&gt;'
    """
    escaped = str(escape(text))
    return Markup(re.sub(r"``?([^`]+?)``?", r"<code>\1</code>", escaped))


def _num(x: Any, digits: int = 3) -> str:
    """A figure for a table: whole numbers with thousands separators, others to ``digits``.

    >>> _num(67367.0), _num(29.25), _num(3100.4), _num(None)
    ('67,367', '29.2', '3,100', '–')
    """
    if x is None:
        return "–"
    if isinstance(x, float):
        if x.is_integer() or abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:.{digits}g}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _day(value: Any) -> str:
    """An ISO date (or timestamp) as a reader writes it: ``19 January 2021``; else as is.

    >>> _day("2021-01-19T23:59:59+00:00"), _day(None), _day("soon")
    ('19 January 2021', '–', 'soon')
    """
    if value is None or value == "":
        return "–"
    try:
        return LAB.day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


_ABBREVIATIONS = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "no",
        "vs",
        "etc",
        "gen",
        "col",
    ]
)


def _first_sentence(text: str | None) -> str:
    """The first sentence of ``text`` (whole: never cut mid-word).

    >>> _first_sentence("Exports to the US. Felbab-Brown (19 Jan. 2021) says more.")
    'Exports to the US.'
    >>> _first_sentence("No end here")
    'No end here'
    """
    words = " ".join((text or "").split())
    for m in re.finditer(r"(\w+)[.!?](?=\s+[A-Z(“\"])", words):
        if len(m[1]) > 1 and m[1].lower() not in _ABBREVIATIONS:
            return words[: m.end()]
    return words


def _direction(text: str | None) -> str:
    """``USA->MEX`` → ``United States → Mexico``.

    >>> _direction("USA->MEX"), _direction(None)
    ('United States → Mexico', '')
    """
    if not text:
        return ""
    return " → ".join(LAB.country(c.strip()) for c in str(text).split("->"))


def _span(start: Any, end: Any) -> str:
    """A period as a reader writes it: whole years as years, whole months as months.

    >>> _span("2009-01-01", "2009-12-31"), _span("2017-01-01", "2019-12-31")
    ('2009', '2017–2019')
    >>> _span("2017-12-01", "2018-11-30"), _span("2018-11-01", "2018-11-30")
    ('December 2017 – November 2018', 'November 2018')
    >>> _span("2016-01-01", "2016-04-30"), _span("2020-03-15", "2020-03-15")
    ('January – April 2016', '15 March 2020')
    """
    a = date.fromisoformat(str(start)[:10])
    b = date.fromisoformat(str(end)[:10])
    if a == b:
        return LAB.day(a)
    whole_start, whole_end = a.day == 1, (b + timedelta(days=1)).day == 1
    if whole_start and whole_end:
        if a.month == 1 and b.month == 12:
            return str(a.year) if a.year == b.year else f"{a.year}–{b.year}"
        if (a.year, a.month) == (b.year, b.month):
            return LAB.month_year(a)
        if a.year == b.year:
            return f"{LAB.month(a.month)} – {LAB.month_year(b)}"
        return f"{LAB.month_year(a)} – {LAB.month_year(b)}"
    return f"{LAB.day(a)} – {LAB.day(b)}"


async def _guard(request: Request) -> None:
    if not page_token_ok(request):
        raise ApiError(
            401,
            "unauthorized",
            "this dashboard needs an API token: sign in at /login with a token from "
            "`dyadwatch token create`.",
        )


router = APIRouter(include_in_schema=False, dependencies=[Depends(_guard)])
public = APIRouter(include_in_schema=False)


def _view(request: Request) -> StoreView:
    return request.app.state.view


def _link(path: str, params: Mapping[str, Any]) -> str:
    items = [(k, str(v)) for k, v in params.items() if v not in (None, "", [], ())]
    return f"{path}?{urlencode(items)}" if items else path


def _base(request: Request, as_of: date, **extra: Any) -> dict[str, Any]:
    """What every page needs: the as-of date, links that keep it, the store's generation."""
    view = _view(request)
    keep = {"as_of": as_of.isoformat()}

    def href(path: str, **params: Any) -> str:
        return _link(path, {**keep, **params})

    return {
        "path": request.url.path,
        "as_of": as_of.isoformat(),
        "today": today().isoformat(),
        "href": href,
        "generation": view.generation(),
        "read_access": request.app.state.settings.api_read_access,
        **extra,
    }


def _render(
    request: Request, template: str, key: tuple[Any, ...], context: Callable[[], dict[str, Any]]
) -> HTMLResponse:
    view = _view(request)
    html = view.cached(
        "page", (template, key), lambda: env().get_template(template).render(**context())
    )
    return HTMLResponse(html)


def render_error(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None,
) -> str:
    """The HTML error page (used by the error handlers for dashboard paths)."""
    asked = request.query_params.get("as_of", "")
    try:
        shown = min(date.fromisoformat(asked), today()).isoformat()
    except ValueError:  # no date, or one that is not a date: the form shows today
        shown = today().isoformat()
    ctx = {
        "path": request.url.path,
        "as_of": shown,
        "today": today().isoformat(),
        "href": lambda p, **kw: p,
        "generation": None,
        "title": f"Error {status}",
        "status": status,
        "code": code,
        "message": message,
        "details": details or [],
        "read_access": "open",
    }
    return env().get_template("error.html").render(**ctx)


def _as_of(value: date | None) -> date:
    return check_date("as_of", value) or today()


AsOfPage = Annotated[date | None, Query(description="Show what was public by the end of this day.")]


def _problem(fn: Callable[[], Any]) -> tuple[Any, str | None]:
    try:
        return fn(), None
    except DyadwatchError as exc:
        return None, str(exc)


@router.get("/", response_class=HTMLResponse)
def overview_page(
    request: Request,
    as_of: AsOfPage = None,
    freq: Freq = "month",
) -> HTMLResponse:
    """The overview record (:mod:`dyadwatch.present.overview`), as the brief shows it: the
    bottom line, the default series with its interval band and ``n``, what changed, findings,
    instruments, indicators and the numbered sources."""
    day = _as_of(as_of)
    view = _view(request)

    def context() -> dict[str, Any]:
        data = view.overview(day, freq)
        counts: dict[str, int] = {}
        for f in data["findings"]:
            counts[f["status"]] = counts.get(f["status"], 0) + 1
        points = data["index"]
        title = (
            f"{LAB.series(data['measure'])}, {LAB.pair(data['dyad'])}, "
            f"by {LAB.freq(freq)}, as known on {LAB.day(day)}"
        )
        return _base(
            request,
            day,
            title="Overview",
            freq=freq,
            ov=data,
            chart=index_svg(
                points,
                data["turning_points"],
                title=title,
                links=_window_links(points, day, data["dyad"], freq),
            ),
            turning=list(reversed(data["turning_points"])),
            finding_counts=counts,
            sparks=[_spark(i) for i in data["indicators"]],
        )

    return _render(request, "overview.html", (day, freq), context)


def _spark(indicator: Mapping[str, Any]) -> dict[str, Any]:
    """An indicator of the overview with its small chart (None when it has one figure)."""
    points = [p for p in indicator.get("points") or () if p.get("value") is not None]
    unit = LAB.unit(indicator.get("unit") or "")
    chart = svg(spark_scene(points, unit=unit), "spark") if len(points) > 1 else None
    return {**indicator, "unit_label": unit, "spark": chart}


@router.get("/timeline", response_class=HTMLResponse)
def timeline_page(
    request: Request,
    query: EventParams,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    day = query.as_of or today()
    view = _view(request)
    q = query if query.as_of else _replace(query, as_of=day)
    if q.order == "asc" and "order" not in request.query_params:
        q = _replace(q, order="desc")

    def context() -> dict[str, Any]:
        result = view.events(q, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        total = result["total"]
        filters = {
            "source": q.sources[0] if q.sources else None,
            "since": q.since,
            "until": q.until,
            "instrument": q.instrument,
            "actor": q.actor,
            "q": q.q,
            "dyad": q.dyad,
            "order": q.order if "order" in request.query_params else None,
        }
        pages = max(1, -(-total // PAGE_SIZE))
        return _base(
            request,
            day,
            title="Timeline",
            events=result["events"],
            total=total,
            page=page,
            pages=pages,
            filters=filters,
            instruments=view.instrument_ids(),
            sources=view.event_sources(),
            dyads=request.app.state.settings.dyads,
            page_link=lambda n: _link(
                "/timeline", {"as_of": day.isoformat(), **filters, "page": n}
            ),
        )

    key = (day, tuple(sorted(request.query_params.multi_items())))
    return _render(request, "timeline.html", key, context)


def _window_links(rows: Sequence[Mapping[str, Any]], day: date, dyad: str, freq: str) -> list[str]:
    """For each value of the series, the timeline of the dyad's events in the window it pools
    (the ``window`` periods ending with its own; the last one up to the as-of date): the
    events behind the value, before deduplication and episodes."""
    out = []
    for r in rows:
        start = date.fromisoformat(str(r["period_start"]))
        end = min(date.fromisoformat(str(r.get("period_end") or r["period_start"])), day)
        first = _periods_back(start, int(r.get("window") or 1) - 1, freq)
        params = {
            "as_of": day.isoformat(),
            "dyad": dyad,
            "since": first.isoformat(),
            "until": end.isoformat(),
        }
        out.append(_link("/timeline", params))
    return out


def _periods_back(start: date, k: int, freq: str) -> date:
    """The first day of the period ``k`` periods before the one starting on ``start``.

    >>> _periods_back(date(2021, 1, 1), 11, "month"), _periods_back(date(2021, 1, 1), 1, "year")
    (datetime.date(2020, 2, 1), datetime.date(2020, 1, 1))
    """
    if freq == "week":
        return start - timedelta(weeks=k)
    months = {"month": 1, "quarter": 3, "year": 12}.get(freq, 1) * k
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def backtest_range(day: date, start: str | None, end: str | None) -> tuple[str, str]:
    """The page's backtest months: ``to`` defaults to the as-of month (no look-ahead past the
    page's date), ``from`` to 2018-01, or three years before ``to`` when that is earlier."""
    last = end or f"{day.year:04d}-{day.month:02d}"
    if start:
        return start, last
    year = int(last[:4])
    return (f"{year - 3:04d}-01" if year < 2018 else "2018-01"), last


def _replace(query: Any, **changes: Any) -> Any:
    values = {k: getattr(query, k) for k in query.__dataclass_fields__}
    values.update(changes)
    return type(query)(**values)


@router.get("/instruments", response_class=HTMLResponse)
def instruments_page(request: Request, as_of: AsOfPage = None) -> HTMLResponse:
    day = _as_of(as_of)
    view = _view(request)

    def context() -> dict[str, Any]:
        return _base(request, day, title="Instruments", instruments=view.instruments(day))

    return _render(request, "instruments.html", (day,), context)


@router.get("/instruments/{instrument_id}", response_class=HTMLResponse)
def instrument_page(
    request: Request,
    instrument_id: Annotated[str, PathParam(max_length=64)],
    as_of: AsOfPage = None,
) -> HTMLResponse:
    day = _as_of(as_of)
    view = _view(request)
    found = view.instrument(instrument_id, day)
    if found is None:
        known = view.instrument_ids()
        why = (
            f"no state of {instrument_id} was public by {day}; choose a later date."
            if instrument_id in known
            else f"no instrument {instrument_id!r}; known: {', '.join(known)}."
        )
        raise ApiError(404, "not_found", why)

    def context() -> dict[str, Any]:
        return _base(request, day, title=LAB.instrument(found["id"], found["name"]), inst=found)

    return _render(request, "instrument.html", (day, instrument_id), context)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(
    request: Request,
    as_of: AsOfPage = None,
    start: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$")] = None,
    end: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$")] = None,
) -> HTMLResponse:
    day = _as_of(as_of)
    view = _view(request)

    def context() -> dict[str, Any]:
        findings, problem = _problem(lambda: view.findings(day))
        first, last = backtest_range(day, start, end)
        backtest, bt_problem = _problem(lambda: view.backtest(first, last))
        strips: dict[str, str] = {}
        if backtest:
            by_rule: dict[str, list[dict[str, Any]]] = {}
            for row in backtest["monthly"]:
                by_rule.setdefault(row["rule_id"], []).append(row)
            strips = {
                rule: svg(strip_with_years(rows), "strip", sized=True)
                for rule, rows in by_rule.items()
            }
        kinds = {r["rule_id"]: r.get("kind") for r in (backtest or {}).get("rules", [])}
        titles = {f["rule_id"]: LAB.rule(f["rule_id"], f.get("title")) for f in findings or []}
        # The reason in words (instrument and state names, not codes); the rule's own terms
        # stay beside it for the analyst who wants the condition.
        whys = {f["rule_id"]: reason_words(f, LAB) for f in findings or []}
        effects = {
            r["rule_id"]: svg(effects_scene(study["effects"]), "effects", sized=True)
            for r in (backtest or {}).get("rules", [])
            for study in ((r.get("outcomes") or {}).get("studies") or [])
            if study.get("measure") == "index:relationship"
            and (r.get("outcomes") or {}).get("status") == "ok"
        }
        return _base(
            request,
            day,
            title="Rules & backtest",
            kinds=kinds,
            titles=titles,
            whys=whys,
            effects=effects,
            findings=findings,
            problem=problem,
            backtest=backtest,
            backtest_problem=bt_problem,
            strips=strips,
            start=start or "",
            end=end or "",
            range=(first, last),
        )

    return _render(request, "rules.html", (day, start, end), context)


@router.get("/indicators", response_class=HTMLResponse)
def indicators_page(
    request: Request,
    as_of: AsOfPage = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Every indicator series public by the date, grouped, searchable, a page at a time."""
    day = _as_of(as_of)
    view = _view(request)
    words, only = check_text("q", q), check_text("group", group)

    def context() -> dict[str, Any]:
        catalog = view.catalog(day)
        found = find_series(catalog, words, only)
        pages = max(1, math.ceil(len(found) / SERIES_PAGE))
        here = min(page, pages)
        chunk = found[(here - 1) * SERIES_PAGE : here * SERIES_PAGE]
        sections: list[dict[str, Any]] = []
        for entry in chunk:
            if not sections or sections[-1]["group"] != entry.group:
                sections.append({"group": entry.group, "title": entry.group_title, "rows": []})
            sections[-1]["rows"].append(_series_view(entry))
        keep = {"as_of": day.isoformat(), "q": words, "group": only}
        return _base(
            request,
            day,
            title="Indicators",
            total=len(catalog),
            found=len(found),
            groups=groups(catalog),
            sections=sections,
            page=here,
            pages=pages,
            first=(here - 1) * SERIES_PAGE + 1,
            last=(here - 1) * SERIES_PAGE + len(chunk),
            q=words or "",
            group=only or "",
            group_title=next((t for g, t, _ in groups(catalog) if g == only), only),
            page_link=lambda n: _link("/indicators", {**keep, "page": n}),
            group_link=lambda g: _link("/indicators", {"as_of": day.isoformat(), "group": g}),
        )

    return _render(request, "indicators.html", (day, words, only, page), context)


def _series_view(entry: SeriesEntry) -> dict[str, Any]:
    """A row of the Indicators page: the series' label, unit, latest figure and small chart."""
    unit = LAB.unit(entry.unit)
    values = [  # placed mid-period, as on the series' own chart
        {"period_start": v.period_start + (v.period_end - v.period_start) / 2, "value": v.value}
        for v in entry.values
        if v.value is not None
    ]
    latest = entry.latest
    return {
        "indicator": entry.indicator,
        "name": LAB.series(entry.indicator, entry.name),
        "unit": unit,
        "scope": entry.scope,
        "periods": entry.periods,
        "vintages": entry.vintages,
        "first": entry.first_period,
        "last_period": entry.last_period,
        "latest": latest,
        "spark": svg(spark_scene(values, unit=unit), "spark") if len(values) > 1 else None,
    }


@router.get("/indicators/{indicator_id}", response_class=HTMLResponse)
def indicator_page(
    request: Request,
    indicator_id: Annotated[str, PathParam(max_length=128)],
    as_of: AsOfPage = None,
    vintage: Annotated[str, Query(max_length=64)] = "latest-known",
) -> HTMLResponse:
    """One series: its chart with axes and every release, and a table of its figures."""
    day = _as_of(as_of)
    view = _view(request)
    entry = next((e for e in view.catalog(day) if e.indicator == indicator_id), None)
    if entry is None:
        known = view.indicator_ids()
        if indicator_id in known:
            why = f"no figure of {indicator_id} was public by {day}; choose a later date."
        else:
            why = f"no indicator series {indicator_id!r}.{did_you_mean(indicator_id, known)}"
        raise ApiError(404, "not_found", why)
    vintage = check_text("vintage", vintage) or "latest-known"

    def context() -> dict[str, Any]:
        releases = view.releases(indicator_id, day)
        points = view.indicator(indicator_id, day, vintage)
        latest = view.indicator(indicator_id, day, "latest-known")
        unit = LAB.unit(entry.unit)
        name = LAB.series(entry.indicator, entry.name)
        vintages: dict[str, str] = {}
        for r in releases:
            vintages.setdefault(r["vintage"], r["known_at"])
        revised = len(releases) - len({(r["period_start"], r["period_end"]) for r in releases})
        chart = svg(
            releases_scene(
                latest,
                releases,
                unit=unit,
                text=ReleaseText(title=f"{name}, as known on {LAB.day(day)}"),
            )
        )
        return _base(
            request,
            day,
            title=name,
            indicator=indicator_id,
            entry=entry,
            unit=unit,
            points=points,
            releases=releases,
            vintages=vintages,
            revised=revised,
            vintage=vintage,
            chart=chart,
        )

    return _render(request, "indicator.html", (day, indicator_id, vintage), context)


@public.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    ctx = _base(request, today(), title="Sign in")
    return HTMLResponse(env().get_template("login.html").render(**ctx))


@public.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The API reference, rendered from the OpenAPI schema on the server (no CDN)."""
    schema = request.app.openapi()
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": _schema_type(p.get("schema", {})),
                    "description": p.get("description") or p.get("schema", {}).get("description"),
                }
                for p in op.get("parameters", [])
            ]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": "requestBody" in op,
                    "secured": method == "post"
                    or request.app.state.settings.api_read_access == "token",
                }
            )
    ctx = _base(request, today(), title="API", operations=operations, info=schema["info"])
    return HTMLResponse(env().get_template("docs.html").render(**ctx))


def _schema_type(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(_schema_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    if schema.get("type") == "array":
        return f"list of {_schema_type(schema.get('items', {}))}"
    fmt = schema.get("format")
    return f"{schema.get('type', 'any')}{f' ({fmt})' if fmt else ''}"


router_all = APIRouter(include_in_schema=False)
router_all.include_router(public)
router_all.include_router(router)

__all__ = ["FUSED", "package_dir", "render_error", "router_all"]
