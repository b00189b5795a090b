"""The API's one error shape, and the one place dyadwatch errors become HTTP answers.

Every error — a malformed parameter, an unknown route, a missing token, a
:class:`~dyadwatch.errors.DyadwatchError` raised by the library, a bug — reaches the client
as::

    {"error": {"status": 422, "code": "invalid_parameter", "message": "…", "details": …}}

``message`` is one sentence a person can act on; ``details`` is null or a list of
``{"loc", "message"}`` items (one per bad parameter). Dashboard pages get the same facts as
an HTML page. :data:`ERROR_MAP` is the whole translation table, most specific class first.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from dyadwatch.errors import (
    AnalysisError,
    ArtifactError,
    CodebookError,
    ConfigError,
    DownloadError,
    DyadwatchError,
    KnowledgeBaseError,
    MigrationError,
    NetworkFormatError,
    NotAStoreError,
    RowRejected,
    RuleError,
    StoreError,
    StoreLockedError,
    UnknownSourceError,
    UsageError,
)
from dyadwatch.present.api.data import FeatureUnavailable

log = logging.getLogger(__name__)

ERROR_MAP: tuple[tuple[type[BaseException], int, str], ...] = (
    (FeatureUnavailable, 501, "not_available"),
    (UnknownSourceError, 422, "unknown_source"),
    (UsageError, 422, "invalid_parameter"),
    (KnowledgeBaseError, 422, "invalid_event"),
    (RuleError, 422, "invalid_rule"),
    (CodebookError, 422, "invalid_code"),
    (RowRejected, 422, "invalid_row"),
    (ArtifactError, 422, "unreadable_artifact"),
    (NetworkFormatError, 422, "invalid_network"),
    (AnalysisError, 422, "not_computable"),
    (StoreLockedError, 409, "store_busy"),
    (DownloadError, 502, "download_failed"),
    (NotAStoreError, 503, "no_store"),
    (MigrationError, 503, "store_too_new"),
    (StoreError, 503, "store_unavailable"),
    (ConfigError, 500, "config_error"),
    (DyadwatchError, 422, "request_failed"),
)
"""dyadwatch exception class → (HTTP status, error code), most specific first."""

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_parameter",
    429: "too_many_requests",
}


class ErrorItem(BaseModel):
    """One problem with one part of the request."""

    loc: list[str | int]
    message: str


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    details: list[ErrorItem] | None = None


class ErrorResponse(BaseModel):
    """The shape of every error the API returns."""

    error: ErrorBody


class ApiError(Exception):
    """An HTTP error with the API's code and message (raised by routes and dependencies)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def bad_param(name: str, message: str, where: str = "query") -> ApiError:
    """A 422 naming the parameter ``name``."""
    return ApiError(
        422,
        "invalid_parameter",
        f"{where} parameter '{name}': {message}",
        [{"loc": [where, name], "message": message}],
    )


def classify(exc: BaseException) -> tuple[int, str]:
    for cls, status, code in ERROR_MAP:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal_error"


def error_payload(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": details}}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api") or path.startswith("/openapi") or path.startswith("/docs")


def respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as JSON (API paths) or as an HTML page (dashboard paths)."""
    if _wants_json(request):
        return JSONResponse(
            error_payload(status, code, message, details), status_code=status, headers=headers
        )
    render = getattr(request.app.state, "render_error", None)
    if render is not None:
        return HTMLResponse(
            render(request, status, code, message, details), status_code=status, headers=headers
        )
    return HTMLResponse(f"<h1>{status} {code}</h1>", status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [x if isinstance(x, int) else str(x) for x in err.get("loc", ())]
        msg = str(err.get("msg", "invalid"))
        if loc and loc[0] == "body" and err.get("type") == "json_invalid":
            msg = "the request body is not valid JSON"
        out.append({"loc": loc, "message": msg})
    return out


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    loc: list[Any] = list(details[0]["loc"]) if details else []
    text = str(details[0]["message"]) if details else "invalid request"
    where = loc[0] if loc else "request"
    name = ".".join(str(x) for x in loc[1:])
    message = f"{where} parameter '{name}': {text}" if name else text
    if len(details) > 1:
        message += f" (and {len(details) - 1} more problem(s); see details)"
    return respond(request, 422, "invalid_parameter", message, details)


def _clip(text: str, limit: int = 200) -> str:
    """At most ``limit`` characters of a client's text echoed back (a path, a value)."""
    return text if len(text) <= limit else text[:limit] + "…"


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    if exc.status_code == 404:
        message = f"no such page or endpoint: {_clip(request.url.path)} (see /docs for the API)."
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {_clip(request.url.path)}."
    else:
        message = str(exc.detail)
    headers = dict(exc.headers) if exc.headers else None
    return respond(request, exc.status_code, code, message, None, headers)


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return respond(request, exc.status, exc.code, exc.message, exc.details, exc.headers)


async def on_dyadwatch_error(request: Request, exc: Exception) -> Response:
    status, code = classify(exc)
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": "5"} if isinstance(exc, StoreLockedError) else None
    return respond(request, status, code, str(exc), None, headers)


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return respond(
        request,
        500,
        "internal_error",
        "an unexpected error occurred; it has been logged. Please report it with the URL.",
    )


def install(app: Any) -> None:
    """Register the handlers on ``app`` (a FastAPI application)."""
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(DyadwatchError, on_dyadwatch_error)
    app.add_exception_handler(Exception, on_unexpected_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "A parameter is malformed or out of range."},
    500: {"model": ErrorResponse, "description": "An unexpected error (logged)."},
}
"""``responses=`` for every route: the error shape in the OpenAPI schema."""

__all__ = [
    "ERROR_MAP",
    "ERROR_RESPONSES",
    "ApiError",
    "ErrorResponse",
    "bad_param",
    "classify",
    "install",
]
