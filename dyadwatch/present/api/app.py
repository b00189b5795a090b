"""The web application: JSON API under ``/api/``, dashboard pages, local static files.

:func:`create_app` builds a FastAPI application over the store named by the settings. It
reads nothing from the network and serves its scripts and styles from the package (no CDN),
so it works offline. ``dyadwatch serve`` runs it with uvicorn.

Examples
--------
>>> app = create_app(load(store="./.dyadwatch"))  # doctest: +SKIP
>>> TestClient(app).get("/api/index", params={"freq": "year"}).json()["rows"][0]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from dyadwatch.present.api import errors
from dyadwatch.present.api.data import StoreView
from dyadwatch.present.api.tokens import TokenStore
from dyadwatch.settings import Settings
from dyadwatch.store import Store

log = logging.getLogger(__name__)

DESCRIPTION = """\
The US–Mexico security relationship (or any dyad), point in time: events with their
sources, the cooperation–conflict index with turning points and "lowest since", policy
instruments and their states, indicator series, rule findings and their backtest.

Every read takes `as_of` (YYYY-MM-DD): only what was public by the end of that day.
Every error has one shape: `{"error": {"status", "code", "message", "details"}}`.
Writes (`POST /api/events`, `POST /api/ingest`) need `Authorization: Bearer <token>` from
`dyadwatch token create`; reads need it too when `api_read_access = "token"`.
"""


def _version() -> str:
    try:
        return metadata.version("dyadwatch")
    except metadata.PackageNotFoundError:
        return "0"


def package_dir(name: str) -> Path:
    """A folder shipped inside this package (templates, static)."""
    return Path(str(resources.files("dyadwatch.present.api").joinpath(name)))


def create_app(
    settings: Settings,
    *,
    kb_root: Path | None = None,
    store: Store | None = None,
) -> FastAPI:
    """The dashboard and JSON API over ``settings.store``.

    Parameters
    ----------
    settings
        Resolved settings: ``store`` (the directory served), ``api_read_access`` (``open``
        or ``token``), ``strictness`` (for ingests).
    kb_root
        Knowledge-base directory that ``POST /api/events`` appends to (default: the one
        shipped with the package, as ``dyadwatch kb add``).
    store
        An already opened store (default: open ``settings.store``; it must exist).

    Examples
    --------
    >>> app = create_app(load(store="/tmp/store"))  # doctest: +SKIP
    """
    from dyadwatch.present.api.pages import render_error
    from dyadwatch.present.api.pages import router_all as pages_router
    from dyadwatch.present.api.routes import router as api_router

    opened = store or Store.open(settings.store)
    app = FastAPI(
        title="dyadwatch",
        version=_version(),
        description=DESCRIPTION,
        # Swagger UI and ReDoc load their scripts from a CDN; /docs is a local page instead.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.view = StoreView(opened)
    app.state.tokens = TokenStore(opened.root)
    app.state.kb_root = kb_root
    app.state.render_error = render_error
    errors.install(app)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=package_dir("static")), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def warm(app: FastAPI, freq: str = "quarter") -> threading.Thread:
    """Compute today's overview page data in a background thread, so that the first visitor
    does not wait for the index, the turning points and the rules (seconds on a laptop).

    Examples
    --------
    >>> warm(create_app(load(store=".dyadwatch"))).join()  # doctest: +SKIP
    """
    from dyadwatch.errors import DyadwatchError
    from dyadwatch.present.api.data import today

    def run() -> None:
        try:
            app.state.view.overview(today(), freq)
        except DyadwatchError as exc:
            log.info("warm-up skipped: %s", exc)

    thread = threading.Thread(target=run, name="dyadwatch-warm-up", daemon=True)
    thread.start()
    return thread


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI schema, with FastAPI's default 422 body replaced by the error shape."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for item in schema.get("paths", {}).values():
        for op in item.values():
            for status, response in op.get("responses", {}).items():
                if status.startswith(("4", "5")):
                    response["content"] = {"application/json": {"schema": ref}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


__all__ = ["create_app", "warm"]
