"""Sources: one module per source; ``discover(period) -> artifacts``, ``read(artifact) -> chunks``.

Sources are registered by name and imported on first use. :func:`get_source` answers an
unknown name with a did-you-mean, and an option the source does not take (``known_at`` for
the ``file`` source) with the sources that do take it.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from dyadwatch.errors import UnknownSourceError, UsageError, did_you_mean
from dyadwatch.settings import Settings
from dyadwatch.sources.base import Artifact, Chunk, Reject, Source, file_artifact

REGISTRY: dict[str, str] = {
    "memory": "dyadwatch.sources.memory:MemorySource",
    "file": "dyadwatch.sources.file:FileSource",
    "text": "dyadwatch.sources.text:TextSource",
    "gdelt": "dyadwatch.sources.gdelt:GdeltSource",
    "curated": "dyadwatch.sources.curated:CuratedSource",
    "icews": "dyadwatch.sources.icews:IcewsSource",
    "polecat": "dyadwatch.sources.polecat:PolecatSource",
    "phoenix": "dyadwatch.sources.phoenix:PhoenixSource",
    "acled": "dyadwatch.sources.acled:AcledSource",
    "cdc_vsrr": "dyadwatch.sources.statistics.cdc:CdcVsrrSource",
    "cbp_seizures": "dyadwatch.sources.statistics.cbp:CbpSeizuresSource",
    "sesnsp_victims": "dyadwatch.sources.statistics.sesnsp:SesnspVictimsSource",
    "inegi_sesnsp": "dyadwatch.sources.statistics.sesnsp:InegiSesnspSource",
    "foreign_assistance": "dyadwatch.sources.statistics.foreign_assistance:ForeignAssistanceSource",
}
"""Source name -> ``module:class``. Modules are imported only when the source is used."""


def source_names() -> list[str]:
    return sorted(REGISTRY)


def source_class(name: str) -> type[Source]:
    """The class registered as ``name``."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UnknownSourceError(
            f"Unknown source '{name}'.{did_you_mean(name, REGISTRY)} "
            f"Known sources: {', '.join(source_names())}."
        ) from None
    module_name, attr = target.split(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise TypeError(f"{target} is not a Source")
    return cls


def source_options(name: str) -> frozenset[str] | None:
    """The keyword options the source registered as ``name`` takes; None if it takes any.

    Examples
    --------
    >>> "known_at" in source_options("cdc_vsrr")
    True
    >>> "known_at" in source_options("file")
    False
    """
    params = inspect.signature(source_class(name)).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(p.name for p in params if p.kind in keyword)


def sources_taking(option: str) -> list[str]:
    """The names of the sources whose constructor takes ``option`` (e.g. ``"known_at"``).

    Examples
    --------
    >>> sources_taking("known_at")  # doctest: +NORMALIZE_WHITESPACE
    ['acled', 'cbp_seizures', 'cdc_vsrr', 'foreign_assistance', 'icews', 'inegi_sesnsp',
     'phoenix', 'polecat', 'sesnsp_victims']
    """
    names = []
    for name in source_names():
        options = source_options(name)
        if options is None or option in options:
            names.append(name)
    return names


def get_source(name: str, settings: Settings | None = None, **kwargs: Any) -> Source:
    """An instance of the source registered as ``name``.

    Sources that need settings take them through a ``from_settings`` classmethod. Keyword
    options go to the source's constructor (``known_at=`` for the statistics sources).

    Raises
    ------
    UnknownSourceError
        If no source is registered as ``name`` (with a did-you-mean).
    UsageError
        If the source does not take one of the options; the message names the sources that do.

    Examples
    --------
    >>> get_source("gdlet")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dyadwatch.errors.UnknownSourceError: Unknown source 'gdlet'. Did you mean ...
    >>> get_source("cdc_vsrr", known_at=date(2019, 1, 15)).known_at  # doctest: +SKIP
    datetime.datetime(2019, 1, 15, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc)
    """
    cls = source_class(name)
    check_options(name, kwargs)
    factory = getattr(cls, "from_settings", None)
    if factory is not None:
        return factory(settings or Settings(), **kwargs)
    return cls(**kwargs)


def check_options(name: str, options: dict[str, Any]) -> None:
    """Raise UsageError if the source registered as ``name`` does not take every option.

    Examples
    --------
    >>> check_options("cbp_seizures", {"known_at": None})
    >>> check_options("file", {"known_at": None})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dyadwatch.errors.UsageError: Source 'file' does not take known_at; the sources that ...
    """
    accepted = source_options(name)
    if accepted is None:
        return
    for option in sorted(set(options) - accepted):
        takers = sources_taking(option)
        where = (
            f"the sources that take it: {', '.join(takers)}." if takers else "no source takes it."
        )
        raise UsageError(f"Source '{name}' does not take {option}; {where}")


__all__ = [
    "REGISTRY",
    "Artifact",
    "Chunk",
    "Reject",
    "Source",
    "check_options",
    "file_artifact",
    "get_source",
    "source_class",
    "source_names",
    "source_options",
    "sources_taking",
]
