"""The dashboard: server-rendered pages, each "as of" the date in its query string.

Pages: overview (``/``), timeline (``/timeline``), instruments (``/instruments``,
``/instruments/{id}``), rules and backtest (``/rules``), indicators (``/indicators``,
``/indicators/{id}``), and ``/login`` when reads need a token. Every page carries the as-of
date in its links, so moving between pages keeps the point in time. A rendered page is
cached per store generation and query string; the data under it is cached the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from dyadwatch.analyse.index import FUSED
from dyadwatch.errors import DyadwatchError
from dyadwatch.present.api.app import package_dir
from dyadwatch.present.api.auth import page_token_ok
from dyadwatch.present.api.charts import index_svg, sparkline_svg, status_strip
from dyadwatch.present.api.data import StoreView, today
from dyadwatch.present.api.errors import ApiError
from dyadwatch.present.api.params import EventParams, Freq, check_date

PAGE_SIZE = 50
NAV = (
    ("/", "Overview"),
    ("/timeline", "Timeline"),
    ("/instruments", "Instruments"),
    ("/rules", "Rules & backtest"),
    ("/indicators", "Indicators"),
)
QUAD = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}

_env: Environment | None = None


def env() -> Environment:
    global _env
    if _env is None:
        e = Environment(
            loader=FileSystemLoader(str(package_dir("templates"))),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        e.globals.update(nav=NAV, quad=QUAD)
        e.filters["signed"] = lambda x, digits=2: "–" if x is None else f"{x:+.{digits}f}"
        e.filters["num"] = _num
        e.filters["ticks"] = _ticks
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
    ctx = {
        "path": request.url.path,
        "as_of": request.query_params.get("as_of", "") or today().isoformat(),
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
    freq: Freq = "quarter",
) -> HTMLResponse:
    """The overview record (:mod:`dyadwatch.present.overview`), as the brief shows it."""
    day = _as_of(as_of)
    view = _view(request)

    def context() -> dict[str, Any]:
        data = view.overview(day, freq)
        counts: dict[str, int] = {}
        for f in data["findings"]:
            counts[f["status"]] = counts.get(f["status"], 0) + 1
        sparks = [
            {**i, "spark": sparkline_svg(i["points"], width=140, height=30)}
            for i in data["indicators"]
        ]
        return _base(
            request,
            day,
            title="Overview",
            freq=freq,
            ov=data,
            chart=index_svg(
                data["index"],
                data["turning_points"],
                title=f"{data['dyad']} net cooperation by {freq}, as of {day}",
                background=data["history"] if freq != "year" else (),
                links=_period_links(data["index"], day, data["dyad"]),
            ),
            turning=list(reversed(data["turning_points"])),
            finding_counts=counts,
            sparks=sparks,
        )

    return _render(request, "overview.html", (day, freq), context)


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


def _period_links(rows: list[dict[str, Any]], day: date, dyad: str) -> list[str]:
    """For each index period, the timeline of the dyad's events in it (period start to the
    day before the next period, the last one to the as-of date): what the index counted,
    before deduplication."""
    out = []
    for i, r in enumerate(rows):
        start = date.fromisoformat(r["period_start"])
        end = (
            date.fromisoformat(rows[i + 1]["period_start"]) - timedelta(days=1)
            if i + 1 < len(rows)
            else day
        )
        params = {
            "as_of": day.isoformat(),
            "dyad": dyad,
            "since": start.isoformat(),
            "until": end.isoformat(),
        }
        out.append(_link("/timeline", params))
    return out


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
        return _base(request, day, title=found["name"], inst=found)

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
            strips = {rule: status_strip(rows) for rule, rows in by_rule.items()}
        return _base(
            request,
            day,
            title="Rules & backtest",
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
def indicators_page(request: Request, as_of: AsOfPage = None) -> HTMLResponse:
    day = _as_of(as_of)
    view = _view(request)

    def context() -> dict[str, Any]:
        rows = []
        for r in view.indicators(day):
            points = view.indicator(r["indicator"], day, "latest-known")
            last = points[-1] if points else None
            rows.append({**r, "spark": sparkline_svg(points), "last": last})
        return _base(request, day, title="Indicators", indicators=rows)

    return _render(request, "indicators.html", (day,), context)


@router.get("/indicators/{indicator_id}", response_class=HTMLResponse)
def indicator_page(
    request: Request,
    indicator_id: Annotated[str, PathParam(max_length=128)],
    as_of: AsOfPage = None,
    vintage: Annotated[str, Query(max_length=64)] = "latest-known",
) -> HTMLResponse:
    day = _as_of(as_of)
    view = _view(request)
    if indicator_id not in view.indicator_ids():
        raise ApiError(404, "not_found", f"no indicator series {indicator_id!r}.")

    def context() -> dict[str, Any]:
        meta = next((r for r in view.indicators(day) if r["indicator"] == indicator_id), None)
        points = view.indicator(indicator_id, day, vintage)
        return _base(
            request,
            day,
            title=indicator_id,
            indicator=indicator_id,
            meta=meta,
            points=points,
            vintage=vintage,
            spark=sparkline_svg(points, width=640, height=120),
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

__all__ = ["FUSED", "render_error", "router_all"]
