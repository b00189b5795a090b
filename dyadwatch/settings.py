"""Settings: one table, read from ``dyadwatch.toml`` and ``DYADWATCH_*`` environment variables.

Precedence (highest first): explicit arguments (CLI flags such as ``--store``), environment
variables, the config file, the defaults below. The config file is ``./dyadwatch.toml``
unless ``--config PATH`` or ``DYADWATCH_CONFIG`` names another. Keys are the setting names::

    store = "./.dyadwatch"
    dyads = ["USA-MEX"]
    gdelt_base_url = "http://data.gdeltproject.org"

Nothing here is read at import time: call :func:`load`.

Credentials for the sources that download behind an account — ``acled_username`` and
``acled_password`` (a myACLED account with API access), ``dataverse_token`` (a Dataverse
API token, for datasets whose terms require signing in) — are settings like the others, so
they come from ``DYADWATCH_ACLED_USERNAME``, ``DYADWATCH_ACLED_PASSWORD`` and
``DYADWATCH_DATAVERSE_TOKEN`` or from the config file::

    acled_username = "analyst@example.org"
    acled_password = "…"

The password and the token are held as :class:`Secret` (shown as ``***`` by ``repr`` and
``str``, so a logged or printed ``Settings`` shows no credential); sources send them only in
request headers or the token request's body, never in a URL, a log line, the download cache
or the store. A config file holding one should be readable by its owner only
(``chmod 600 dyadwatch.toml``): :func:`load` logs a warning when others may read it. The
environment is the better place on shared machines.
"""

from __future__ import annotations

import hmac
import logging
import os
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from dyadwatch.errors import ConfigError, did_you_mean

log = logging.getLogger(__name__)

ENV_PREFIX = "DYADWATCH_"
CONFIG_FILE = "dyadwatch.toml"
STRICTNESS = ("raise", "quarantine", "warn", "ignore")


def _path(value: Any) -> Path:
    return Path(str(value)).expanduser()


def _dyads(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for item in items:
        dyad = str(item).strip().upper()
        parts = dyad.split("-")
        if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() for p in parts):
            raise ValueError(f"{item!r} is not a dyad like USA-MEX")
        out.append(dyad)
    return tuple(out)


def _positive_int(value: Any) -> int:
    n = int(value)
    if n < 1:
        raise ValueError(f"{value!r} is not a positive integer")
    return n


def _positive_float(value: Any) -> float:
    x = float(value)
    if x <= 0:
        raise ValueError(f"{value!r} is not a positive number")
    return x


def _strictness(value: Any) -> str:
    v = str(value).lower()
    if v not in STRICTNESS:
        raise ValueError(f"{value!r} is not one of {', '.join(STRICTNESS)}")
    return v


def _str(value: Any) -> str:
    return str(value)


def _paths(value: Any) -> tuple[Path, ...]:
    items = value.split(os.pathsep) if isinstance(value, str) else list(value)
    return tuple(_path(item) for item in items if str(item).strip())


def _read_access(value: Any) -> str:
    v = str(value).lower()
    if v not in ("open", "token"):
        raise ValueError(f"{value!r} is not 'open' or 'token'")
    return v


class Secret:
    """A string that does not show itself: ``repr`` and ``str`` are ``***``.

    >>> s = Secret("hunter2")
    >>> s, f"{s}", s.reveal(), s == Secret("hunter2")
    (***, '***', 'hunter2', True)
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself, for the one place that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))


def _secret(value: Any) -> Secret:
    # The message never repeats the value: it is a credential.
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a credential must be a non-empty string")
    return Secret(value.strip())


def _account(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("an account name must be a non-empty string")
    return value.strip()


SECRET_SETTINGS = ("acled_password", "dataverse_token")
"""Settings holding a credential (never logged; a config file holding one should be private)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings. Build with :func:`load`; change with :meth:`with_`."""

    store: Path = Path(".dyadwatch")
    dyads: tuple[str, ...] = ("USA-MEX",)
    strictness: str = "quarantine"
    gdelt_base_url: str = "http://data.gdeltproject.org"
    download_cache: Path | None = None
    download_concurrency: int = 4
    download_retries: int = 5
    download_timeout: float = 60.0
    api_read_access: str = "open"
    api_ingest_dirs: tuple[Path, ...] = ()
    stale_after_days: int = 60
    acled_username: str | None = None
    acled_password: Secret | None = None
    dataverse_token: Secret | None = None

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def ingest_dirs(self) -> tuple[Path, ...]:
        """Where the API may read files to ingest (default: ``<store>/inbox`` only)."""
        return self.api_ingest_dirs or (self.store / "inbox",)

    @property
    def cache_dir(self) -> Path:
        """Where downloads are cached (default: ``<store>/cache``)."""
        return self.download_cache if self.download_cache is not None else self.store / "cache"


SETTINGS_TABLE: Mapping[str, tuple[Callable[[Any], Any], str]] = {
    "store": (_path, "Store directory (DuckDB catalog + Parquet partitions)."),
    "dyads": (_dyads, "Dyads to watch, e.g. USA-MEX; GDELT ingest keeps only these."),
    "strictness": (_strictness, "Bad rows: raise, quarantine (default), warn or ignore."),
    "gdelt_base_url": (_str, "Base URL of the GDELT file server."),
    "download_cache": (_path, "Directory for downloaded files (default <store>/cache)."),
    "download_concurrency": (_positive_int, "Parallel downloads (be polite: default 4)."),
    "download_retries": (_positive_int, "Retries per file on timeouts, 429 and 5xx."),
    "download_timeout": (_positive_float, "Seconds before a download attempt times out."),
    "api_read_access": (_read_access, "API read access: open, or token."),
    "api_ingest_dirs": (
        _paths,
        "Directories POST /api/ingest may read files from (default <store>/inbox).",
    ),
    "stale_after_days": (
        _positive_int,
        "A brief warns that it is out of date when its newest event is older than this many "
        "days (default 60).",
    ),
    "acled_username": (_account, "myACLED account e-mail, for 'update acled' (API access)."),
    "acled_password": (
        _secret,
        "myACLED account password (a secret: prefer DYADWATCH_ACLED_PASSWORD; never logged).",
    ),
    "dataverse_token": (
        _secret,
        "Dataverse API token for 'update icews|polecat', needed only for datasets whose terms "
        "require signing in (a secret: prefer DYADWATCH_DATAVERSE_TOKEN; never logged).",
    ),
}
"""Every setting: name → (parser, help). Config keys and ``DYADWATCH_<NAME>`` use these names."""


def _apply(base: Settings, values: Mapping[str, Any], origin: str) -> Settings:
    known = {f.name for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in known:
            raise ConfigError(f"{origin}: unknown setting '{key}'.{did_you_mean(key, known)}")
        parser, _ = SETTINGS_TABLE[key]
        try:
            changes[key] = parser(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{origin}: setting '{key}': {exc}") from None
    return replace(base, **changes)


def load(
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Resolve settings from defaults, the config file, the environment and ``overrides``.

    Examples
    --------
    >>> load(env={}, store="/tmp/s").store
    PosixPath('/tmp/s')
    """
    env = os.environ if env is None else env
    settings = Settings()
    path = config or (Path(env[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in env else None)
    explicit = path is not None
    path = path or Path(CONFIG_FILE)
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
        settings = _apply(settings, data, str(path))
        _warn_if_readable(path, [k for k in SECRET_SETTINGS if k in data])
    elif explicit:
        raise ConfigError(f"config file {path} does not exist.")
    # Only the names in SETTINGS_TABLE: other DYADWATCH_* variables (test data paths, the
    # config path itself) belong to other readers.
    from_env = {
        name: env[f"{ENV_PREFIX}{name.upper()}"]
        for name in SETTINGS_TABLE
        if f"{ENV_PREFIX}{name.upper()}" in env
    }
    settings = _apply(settings, from_env, "environment")
    given = {k: v for k, v in overrides.items() if v is not None}
    return _apply(settings, given, "arguments")


def _warn_if_readable(path: Path, secrets: list[str]) -> None:
    """Log a warning when a config file holding ``secrets`` may be read by other users."""
    if not secrets:
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "%s holds %s and other users may read it; run 'chmod 600 %s' or set them in the "
            "environment instead.",
            path,
            " and ".join(secrets),
            path,
        )
