"""How a JSON route answers: the store's view it reads, and the JSON it sends back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from dyadwatch.present.api.data import StoreView, encode_json, jsonable


async def view(request: Request) -> StoreView:
    """The application's :class:`StoreView` (a FastAPI dependency)."""
    return request.app.state.view


View = Annotated[StoreView, Depends(view)]


def ok(data: Any, status: int = 200) -> JSONResponse:
    """``data`` as JSON (dates as ISO strings, no NaN)."""
    return JSONResponse(jsonable(data), status_code=status)


def cached_ok(request: Request, build: Callable[[], Any]) -> Response:
    """``build()`` as JSON, encoded once per store generation and query string.

    The answers under it are cached already; this also skips re-encoding a large body (the
    monthly index is about half a megabyte) on every request.
    """
    key = (request.url.path, tuple(sorted(request.query_params.multi_items())))
    body = request.app.state.view.body(key, lambda: encode_json(build()))
    return Response(body, media_type="application/json")


__all__ = ["View", "cached_ok", "ok", "view"]
