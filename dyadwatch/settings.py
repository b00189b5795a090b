"""Settings: one table, read from ``dyadwatch.toml`` and ``DYADWATCH_*`` environment variables.

Precedence (highest first): explicit arguments (CLI flags such as ``--store``), environment
variables, the config file, the defaults below. The config file is ``./dyadwatch.toml``
unless ``--config PATH`` or ``DYADWATCH_CONFIG`` names another. Keys are the setting names::

    store = "./.dyadwatch"
    dyads = ["USA-MEX"]
    gdelt_base_url = "http://data.gdeltproject.org"

Nothing here is read at import time: call :func:`load`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from dyadwatch.errors import ConfigError, did_you_mean

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
