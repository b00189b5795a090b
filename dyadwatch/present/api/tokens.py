"""API tokens: created once and shown once, stored only as hashes in the store.

A token reads ``dw_<id>_<secret>``: ``id`` (8 hex digits) names the token in listings and in
``revoke``; ``secret`` is 32 random bytes (URL-safe base64). The store keeps, in
``<store>/api-tokens.json`` (mode 0600), the id, the name, the creation and revocation times
and ``sha256(secret)`` — never the secret. A plain SHA-256 is enough here: the secret has 256
bits of entropy, so there is nothing for a slow hash (PBKDF2, scrypt) to protect against a
dictionary, and a fast check keeps token-protected reads fast. Comparison is constant-time.

The dashboard never keeps a token in the browser. Its sign-in page trades a token for a
**session**: an HttpOnly, SameSite=Strict cookie that JavaScript cannot read and that only
reads (writes take the ``Authorization`` header alone). A session is
``<token id>.<expiry>.<HMAC-SHA256>`` under a session key kept in the same file, so the
server holds no session state; it lasts :data:`SESSION_HOURS` and ends when its token is
revoked (or when the key is deleted from the file: every session ends).

Examples
--------
>>> tokens = TokenStore(Path("/tmp/store"))  # doctest: +SKIP
>>> created = tokens.create("ci")  # doctest: +SKIP
>>> tokens.verify(created.token).name  # doctest: +SKIP
'ci'
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dyadwatch.errors import StoreError, UsageError

TOKENS_FILE = "api-tokens.json"
PREFIX = "dw"
SESSION_HOURS = 12
"""How long a dashboard session lasts before the token must be given again."""
_SESSION_RE = re.compile(r"^([0-9a-f]{8})\.([0-9]{1,12})\.([0-9a-f]{64})$")
_TOKEN_RE = re.compile(r"^dw_([0-9a-f]{8})_([A-Za-z0-9_-]{20,})$")
_NAME_RE = re.compile(r"^[\w.@ -]{1,64}$")


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What the store remembers of a token (no secret)."""

    id: str
    name: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """A new token: ``token`` is the only copy of the secret; show it once."""

    info: TokenInfo
    token: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class TokenStore:
    """The tokens of one store (``<store>/api-tokens.json``); safe to share between threads.

    The file is re-read only when its modification time changes, so checking a token on
    every request costs a ``stat`` and a hash.
    """

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / TOKENS_FILE
        self._lock = threading.Lock()
        self._cache: tuple[float, int, dict[str, dict[str, Any]], str | None] | None = None

    # --- reading -----------------------------------------------------------------------------

    def _load(self) -> tuple[dict[str, dict[str, Any]], str | None]:
        """The tokens by id, and the session key (None until the first sign-in)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}, None
        key = (st.st_mtime, st.st_size)
        with self._lock:
            if self._cache is not None and self._cache[:2] == key:
                return self._cache[2], self._cache[3]
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            tokens = {str(t["id"]): dict(t) for t in data["tokens"]}
            session_key = data.get("session_key")
            if session_key is not None and not isinstance(session_key, str):
                raise TypeError("session_key is not a string")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"{self.path} is not a readable tokens file ({exc}); fix or delete it and "
                "create tokens again with `dyadwatch token create`."
            ) from None
        with self._lock:
            self._cache = (key[0], key[1], tokens, session_key)
        return tokens, session_key

    def _read(self) -> dict[str, dict[str, Any]]:
        return self._load()[0]

    def list(self) -> list[TokenInfo]:
        """Every token ever created, oldest first (revoked ones included)."""
        # The file keeps creation order; the stable sort keeps it within one second.
        rows = sorted(self._read().values(), key=lambda t: t["created_at"])
        return [TokenInfo(t["id"], t["name"], t["created_at"], t.get("revoked_at")) for t in rows]

    def has_active(self) -> bool:
        return any(t.active for t in self.list())

    def verify(self, token: str | None) -> TokenInfo | None:
        """The active token matching ``token``, or None (unknown, malformed or revoked)."""
        if not token:
            return None
        m = _TOKEN_RE.match(token.strip())
        if not m:
            return None
        entry = self._read().get(m[1])
        if entry is None or entry.get("revoked_at"):
            return None
        if not hmac.compare_digest(str(entry["sha256"]), _hash(m[2])):
            return None
        return TokenInfo(entry["id"], entry["name"], entry["created_at"], None)

    # --- writing -----------------------------------------------------------------------------

    def _write(self, tokens: dict[str, dict[str, Any]], session_key: str | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        data: dict[str, Any] = {"tokens": list(tokens.values())}
        session_key = session_key or self._load()[1]
        if session_key:
            data["session_key"] = session_key
        body = json.dumps(data, indent=2) + "\n"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.replace(tmp, self.path)
        with self._lock:
            self._cache = None

    def create(self, name: str | None = None) -> CreatedToken:
        """Create a token; the returned :class:`CreatedToken` holds its only plain copy.

        Examples
        --------
        >>> TokenStore(tmp).create("laptop").token.startswith("dw_")  # doctest: +SKIP
        True
        """
        name = (name or "token").strip()
        if not _NAME_RE.match(name):
            raise UsageError(
                f"token name {name!r} must be 1-64 letters, digits, spaces or . @ _ -."
            )
        tokens = dict(self._read())
        token_id = secrets.token_hex(4)
        while token_id in tokens:
            token_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        info = TokenInfo(token_id, name, _now())
        tokens[token_id] = {**asdict(info), "sha256": _hash(secret)}
        self._write(tokens)
        return CreatedToken(info, f"{PREFIX}_{token_id}_{secret}")

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke the token with id ``token_id`` (as ``dyadwatch token list`` shows it)."""
        tokens = dict(self._read())
        entry = tokens.get(token_id.strip())
        if entry is None:
            known = ", ".join(sorted(tokens)) or "none"
            raise UsageError(f"no token with id {token_id!r}; known ids: {known}.")
        if not entry.get("revoked_at"):
            entry = {**entry, "revoked_at": _now()}
            tokens[entry["id"]] = entry
            self._write(tokens)
        return TokenInfo(entry["id"], entry["name"], entry["created_at"], entry["revoked_at"])

    # --- dashboard sessions --------------------------------------------------------------------

    def _session_key(self) -> bytes:
        tokens, key = self._load()
        if key is None:
            key = secrets.token_hex(32)
            self._write(tokens, key)
        return bytes.fromhex(key)

    def start_session(self, token: str | None, now: datetime | None = None) -> str | None:
        """A session cookie value for a valid ``token``, or None.

        >>> TokenStore(tmp).start_session(created.token).count(".")  # doctest: +SKIP
        2
        """
        info = self.verify(token)
        if info is None:
            return None
        expires = int((now or datetime.now(UTC)).timestamp()) + SESSION_HOURS * 3600
        body = f"{info.id}.{expires}"
        mac = hmac.new(self._session_key(), body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def verify_session(self, value: str | None, now: datetime | None = None) -> TokenInfo | None:
        """The token behind a live session cookie, or None (forged, expired or revoked)."""
        if not value:
            return None
        m = _SESSION_RE.match(value.strip())
        if not m:
            return None
        tokens, key = self._load()
        if key is None:
            return None
        body = f"{m[1]}.{m[2]}"
        want = hmac.new(bytes.fromhex(key), body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, m[3]):
            return None
        if int(m[2]) < (now or datetime.now(UTC)).timestamp():
            return None
        entry = tokens.get(m[1])
        if entry is None or entry.get("revoked_at"):
            return None
        return TokenInfo(entry["id"], entry["name"], entry["created_at"], None)


__all__ = ["SESSION_HOURS", "TOKENS_FILE", "CreatedToken", "TokenInfo", "TokenStore"]
