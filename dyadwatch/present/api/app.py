"""The web application: JSON API under ``/api/``, dashboard pages, local static files.

:func:`create_app` builds a FastAPI application over the store named by the settings. It
reads nothing from the network and serves its scripts and styles from the package (no CDN),
so it works offline. ``dyadwatch serve`` runs it with uvicorn.

Every request passes :class:`Guard` first: a request target over :data:`MAX_TARGET_BYTES` is
answered 414 and a body over :data:`MAX_BODY_BYTES` 413 (neither is read, parsed or echoed),
every response carries :data:`SECURITY_HEADERS` (no MIME sniffing, a Content-Security-Policy
that admits only the dashboard's own scripts and styles, no framing, no referrer), and an
unexpected error is answered 500 in the error shape without dropping the connection. The
dashboard's sign-in (``POST /login``) trades a token for a read-only session cookie
(:mod:`dyadwatch.present.api.tokens`).

Examples
--------
>>> app = create_app(load(store="./.dyadwatch"))  # doctest: +SKIP
>>> TestClient(app).get("/api/index", params={"freq": "year"}).json()["rows"][0]  # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
import threading
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dyadwatch.errors import DyadwatchError
from dyadwatch.present.api import errors
from dyadwatch.present.api.auth import COOKIE
from dyadwatch.present.api.data import StoreView, today
from dyadwatch.present.api.pages import package_dir, render_error
from dyadwatch.present.api.pages import router_all as pages_router
from dyadwatch.present.api.routes import router as api_router
from dyadwatch.present.api.tokens import SESSION_HOURS, TokenStore
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


MAX_BODY_BYTES = 1 << 20
"""Largest request body read (1 MiB): a curated event or an ingest request is a few KB."""

MAX_TARGET_BYTES = 8192
"""Longest request target (path and query string), in bytes."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Only the dashboard's own files (``/static/…``) may run or style a page; no inline code."""

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
"""Sent with every response, pages, API answers, errors and static files alike."""

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Guard:
    """ASGI middleware: request limits, security headers, and a last line for errors.

    Examples
    --------
    >>> app.add_middleware(Guard)  # doctest: +SKIP
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body: int = MAX_BODY_BYTES,
        max_target: int = MAX_TARGET_BYTES,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_target = max_target

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        target = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if target > self.max_target:
            await self._refuse(
                scope,
                send_secured,
                414,
                f"the request target (path and query) is {target} bytes; the limit is "
                f"{self.max_target}.",
            )
            return
        body = await self._read_body(scope, receive, send_secured)
        if body is None:
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay, send_secured)
        except Exception:
            # The route's error handlers answer every dyadwatch error; this is a bug. Answer it
            # here, once, rather than let the server drop the keep-alive connection.
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await self._refuse(
                scope,
                send_secured,
                500,
                "an unexpected error occurred; it has been logged. Please report it with the URL.",
                code="internal_error",
            )

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole request body, or None once a 4xx has been sent for it."""
        length_header = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                length_header = value
        if length_header is not None:
            try:
                length = int(length_header)
            except ValueError:
                await self._refuse(scope, send, 400, "the Content-Length header is not a number.")
                return None
            if length > self.max_body:
                await self._refuse(scope, send, 413, self._too_large(length))
                return None
        elif scope.get("method") not in _BODY_METHODS:
            return b""
        chunks = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(chunks) > self.max_body:
                await self._refuse(scope, send, 413, self._too_large(None))
                return None
        return bytes(chunks)

    def _too_large(self, length: int | None) -> str:
        size = f"{length} bytes" if length is not None else "larger than the limit"
        return f"the request body is {size}; the limit is {self.max_body} bytes."

    @staticmethod
    async def _refuse(
        scope: Scope, send: Send, status: int, message: str, code: str | None = None
    ) -> None:
        request = Request(scope)
        code = code or errors.HTTP_CODES.get(status, "http_error")
        response: Response
        if status == 500:
            response = errors.respond(request, status, code, message)
        else:
            # Refused before routing: the request is not trusted enough to render a page
            # around it (a dashboard page repeats its path), so the answer is short.
            headers = {"Connection": "close"}
            if scope["path"].startswith(("/api", "/openapi", "/docs")):
                body = errors.error_payload(status, code, message)
                response = JSONResponse(body, status_code=status, headers=headers)
            else:
                text = f"<!doctype html><title>{status}</title><h1>{status} {code}</h1>"
                response = HTMLResponse(
                    f"{text}<p>{html.escape(message)}</p>", status_code=status, headers=headers
                )
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def _version() -> str:
    try:
        return metadata.version("dyadwatch")
    except metadata.PackageNotFoundError:
        return "0"


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
    app.add_api_route("/login", sign_in, methods=["POST"], include_in_schema=False)
    app.add_api_route("/logout", sign_out, methods=["POST"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=package_dir("static")), name="static")
    app.add_middleware(Guard)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _same_origin(request: Request) -> bool:
    """A form posted from this server's own pages (or by a client that sends no Origin)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def sign_in(request: Request) -> Response:
    """``POST /login`` (form field ``token``): a read-only session cookie, then the overview.

    The token itself never reaches the browser's storage: the cookie holds a signed session
    (:meth:`TokenStore.start_session`) that is HttpOnly, SameSite=Strict and Secure over
    HTTPS, and that no write endpoint accepts.
    """
    if not _same_origin(request):
        raise errors.ApiError(403, "forbidden", "sign in from this dashboard's own /login page.")
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=4)
    token = (form.get("token") or [""])[0].strip()
    session = request.app.state.tokens.start_session(token)
    if session is None:
        raise errors.ApiError(
            401,
            "unauthorized",
            "that token is unknown, malformed or revoked; create one on the server with "
            "`dyadwatch token create` and sign in again at /login.",
        )
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        session,
        max_age=SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def sign_out(request: Request) -> Response:
    """``POST /logout``: forget the session cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


def warm(app: FastAPI, freq: str = "month") -> threading.Thread:
    """Compute today's overview page data (monthly, as the page opens) in a background thread,
    so that the first visitor does not wait for the index, the turning points and the rules
    (seconds on a laptop).

    Examples
    --------
    >>> warm(create_app(load(store=".dyadwatch"))).join()  # doctest: +SKIP
    """

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


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "MAX_BODY_BYTES",
    "MAX_TARGET_BYTES",
    "SECURITY_HEADERS",
    "Guard",
    "create_app",
    "warm",
]
