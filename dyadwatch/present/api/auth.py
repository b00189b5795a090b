"""Who may read and who may write.

Writes always need a token (``Authorization: Bearer dw_…``). Reads are open unless the
setting ``api_read_access`` is ``token``; then the API wants the header, or the dashboard
session cookie that ``POST /login`` sets in exchange for a token (HttpOnly, SameSite=Strict,
read-only: :meth:`TokenStore.start_session`). The cookie never holds the token, and writes
never accept it, so neither a script on the page nor another site can make a browser write.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from dyadwatch.present.api.errors import ApiError
from dyadwatch.present.api.tokens import TokenInfo, TokenStore

COOKIE = "dyadwatch_session"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `dyadwatch token create`.",
)


class TokenInfoModel(BaseModel):
    id: str
    name: str
    created_at: str


def _tokens(request: Request) -> TokenStore:
    return request.app.state.tokens


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def _check(request: Request, token: str | None, what: str) -> TokenInfo:
    tokens = _tokens(request)
    if not token:
        hint = (
            " No token exists yet: create one with `dyadwatch token create`."
            if not tokens.has_active()
            else ""
        )
        raise _unauthorized(
            f"{what} needs an API token: send 'Authorization: Bearer <token>'.{hint}"
        )
    info = tokens.verify(token)
    if info is None:
        raise _unauthorized(
            "the API token is unknown, malformed or revoked; list tokens with "
            "`dyadwatch token list` and create one with `dyadwatch token create`."
        )
    return info


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def require_write(request: Request, credentials: Credentials) -> TokenInfo:
    """A dependency: the request's valid token, or 401 (async: no thread hop per request)."""
    return _check(request, credentials.credentials if credentials else None, "writing")


async def require_read(request: Request, credentials: Credentials) -> TokenInfo | None:
    """A dependency: nothing when reads are open; else the request's valid token, or 401."""
    if request.app.state.settings.api_read_access != "token":
        return None
    if credentials is None:
        session = _tokens(request).verify_session(request.cookies.get(COOKIE))
        if session is not None:
            return session
    return _check(request, credentials.credentials if credentials else None, "reading")


def page_token_ok(request: Request) -> bool:
    """For dashboard pages: may this browser read? (cookie or header when reads need a token)."""
    if request.app.state.settings.api_read_access != "token":
        return True
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return _tokens(request).verify(header[7:]) is not None
    return _tokens(request).verify_session(request.cookies.get(COOKIE)) is not None


__all__ = ["COOKIE", "TokenInfoModel", "page_token_ok", "require_read", "require_write"]
