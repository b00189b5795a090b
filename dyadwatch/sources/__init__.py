"""Sources: one module per source; ``discover(period) -> artifacts``, ``read(artifact) -> chunks``.

Sources are registered by name and imported on first use. :func:`get_source` answers an
unknown name with a did-you-mean.
"""

from __future__ import annotations

import importlib
from typing import Any

from dyadwatch.errors import UnknownSourceError, did_you_mean
from dyadwatch.settings import Settings
from dyadwatch.sources.base import Artifact, Chunk, Reject, Source, file_artifact

REGISTRY: dict[str, str] = {
    "memory": "dyadwatch.sources.memory:MemorySource",
    "file": "dyadwatch.sources.file:FileSource",
    "gdelt": "dyadwatch.sources.gdelt:GdeltSource",
    "curated": "dyadwatch.sources.curated:CuratedSource",
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


def get_source(name: str, settings: Settings | None = None, **kwargs: Any) -> Source:
    """An instance of the source registered as ``name``.

    Sources that need settings take them through a ``from_settings`` classmethod.

    Examples
    --------
    >>> get_source("gdlet")
    Traceback (most recent call last):
    ...
    dyadwatch.errors.UnknownSourceError: Unknown source 'gdlet'. Did you mean ...
    """
    cls = source_class(name)
    factory = getattr(cls, "from_settings", None)
    if factory is not None:
        return factory(settings or Settings(), **kwargs)
    return cls(**kwargs)


__all__ = [
    "REGISTRY",
    "Artifact",
    "Chunk",
    "Reject",
    "Source",
    "file_artifact",
    "get_source",
    "source_class",
    "source_names",
]
