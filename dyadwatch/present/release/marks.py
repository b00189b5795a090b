"""The marks every copy of a release carries, and the store's key they derive from.

A copy's id, its keyed event ids, its row order and its column order all derive from the
store's secret release key and the copy's id (see :mod:`dyadwatch.present.release`), so only
the releasing office can compute, check or reverse them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from dyadwatch.errors import StoreError
from dyadwatch.store import Store

MARK_COLUMN = "release_copy"
"""The column, first in every released table, holding the copy's id."""

KEY_FILE = "release.key"
"""The store's release key: 32 random bytes (hex), mode 0600, made by the first release."""

FIXED_COLUMNS = (MARK_COLUMN, "event_id")
"""The events table's leading columns; the rest come in the copy's own order."""

COPY_ID_BYTES = 8
"""A copy id is 16 hex characters: unguessable, short enough to read out on a call."""


def release_key(store: Store, *, create: bool = False) -> bytes | None:
    """The store's secret release key (None if no keyed release was ever made).

    It lives in ``<store>/release.key`` (mode 0600), next to the catalog, and never leaves
    the store: every copy's ids, row order and column order derive from it, and without it
    they cannot be computed, checked or reversed.

    >>> key = release_key(store, create=True)  # doctest: +SKIP
    >>> len(key)  # doctest: +SKIP
    32
    """
    path = Path(store.root) / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            return None
        tmp = path.with_name(f".{KEY_FILE}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # atomic, and refuses to replace a key another process made
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return release_key(store)
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(
            f"{path} cannot be read ({exc}); releases cannot be made or traced."
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise StoreError(
            f"{path} is not a release key (64 hex digits); restore it from a backup — "
            "without it no earlier copy can be traced."
        )
    return key


def copy_key(key: bytes, copy_id: str) -> bytes:
    """The key of one copy, derived from the store's release key and the copy's id."""
    return hmac.new(key, b"copy\x1f" + copy_id.encode(), hashlib.sha256).digest()


def keyed_id(key: bytes, event_id: str, scope: str = "") -> str:
    """A stored ``event_id`` as it leaves the system: 32 hex digits that reveal nothing.

    An HMAC-SHA256 under ``key`` (a copy's key, or the store's release key with a ``scope``
    such as ``"api"``), truncated to the stored ids' length. Without the key, hashing
    candidate source keys finds nothing: the stored id is never shown.

    >>> stored = "a5b8f1b7d0b9f6bf7b4c5d4b04a1f4c3"
    >>> len(keyed_id(bytes(32), stored)), keyed_id(bytes(32), stored) == stored
    (32, False)
    """
    message = f"id\x1f{scope}\x1f{event_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def order_key(copy: bytes, event_id: str) -> bytes:
    return hmac.new(copy, b"order\x1f" + event_id.encode(), hashlib.sha256).digest()[:8]


def column_key(copy: bytes, name: str) -> bytes:
    return hmac.new(copy, b"column\x1f" + name.encode(), hashlib.sha256).digest()[:8]


def column_order(copy: bytes, names: Sequence[str]) -> list[str]:
    """The events table's columns in one copy's order: :data:`FIXED_COLUMNS` first."""
    fixed = [n for n in FIXED_COLUMNS if n in names]
    rest = sorted((n for n in names if n not in FIXED_COLUMNS), key=lambda n: column_key(copy, n))
    return fixed + rest


def marking(copy_id: str, recipient: str, created: datetime) -> str:
    """The marking line at the top of a copy's README (and in its manifest)."""
    return (
        f"RELEASED TO {recipient} - COPY {copy_id} - {created:%Y-%m-%d %H:%M} UTC - "
        "dyadwatch partner release: sources' internal keys, processing details and analyst "
        "assessments removed. Do not pass on without the releasing office's consent."
    )


def stamp(table: pa.Table, copy_id: str) -> pa.Table:
    """``table`` with :data:`MARK_COLUMN` first, holding ``copy_id`` on every row."""
    return table.add_column(0, MARK_COLUMN, pa.array([copy_id] * table.num_rows, pa.string()))


def sha256(path: Path) -> str:
    """The SHA-256 of a file, as the manifest lists it."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "COPY_ID_BYTES",
    "FIXED_COLUMNS",
    "KEY_FILE",
    "MARK_COLUMN",
    "column_key",
    "column_order",
    "copy_key",
    "keyed_id",
    "marking",
    "order_key",
    "release_key",
    "sha256",
    "stamp",
]
