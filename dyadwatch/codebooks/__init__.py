"""Codebooks as versioned package data: CAMEO and the CAMEO → PLOVER crosswalk.

Everything is loaded on first use through :mod:`importlib.resources` and cached; importing
this package reads no files. The tables are generated from the real upstream files by
``tools/build_codebooks.py``; ``data/PROVENANCE.md`` names every source, commit and fix.

>>> from dyadwatch.codebooks import cameo, plover
>>> cameo().event("0211").quad_class
1
>>> plover().for_cameo("0211") is None
True
"""

from __future__ import annotations

from dyadwatch.codebooks.cameo import (
    EVENT_TABLE_SCHEMA,
    FIPS_TABLE_SCHEMA,
    Cameo,
    EventCode,
    FipsCountry,
    cameo,
)
from dyadwatch.codebooks.plover import CROSSWALK_SCHEMA, Plover, PloverMapping, plover

__all__ = [
    "CROSSWALK_SCHEMA",
    "EVENT_TABLE_SCHEMA",
    "FIPS_TABLE_SCHEMA",
    "Cameo",
    "EventCode",
    "FipsCountry",
    "Plover",
    "PloverMapping",
    "cameo",
    "plover",
]
