"""Look-up tables the event-data sources share: country names, ICEWS sectors and labels.

Package data under ``dyadwatch/sources/data/`` (see its ``PROVENANCE.md``), loaded through
:mod:`importlib.resources` on first use and cached:

``countries.csv``
    country name → CAMEO/ISO-3 code, for datasets that name countries (ICEWS's ``Source
    Country``, ACLED's ``country`` and actor names). Built from the ICEWS-to-CAMEO country
    list. CAMEO writes a territory as its state plus a region (``USAASM``, American Samoa);
    the canonical ``*_country`` is three letters, so a territory counts as its state.
``icews_sectors.csv``
    ICEWS sector label (``Foreign Ministry``) → CAMEO agent code (``GOV``), the first three
    letters of the code the text_to_CAMEO agent list gives (``GOVBUS`` → ``GOV``: a finance
    ministry is an organ of the state).
``icews_event_labels.csv``
    ICEWS event label (``Express intent to cooperate``) → CAMEO code, for the older ICEWS
    files that carry ``Event Text`` without ``CAMEO Code``. A label the code file gives two
    codes for is kept with an empty code: it cannot be told apart (``Demand release of
    persons or property`` is 0253 in ICEWS's own relabelling and 1053 in CAMEO).

:func:`build_tables` regenerates the three files from ``../shared/data/icews/lookups``; a
test checks the shipped files equal what it builds.

Examples
--------
>>> country_codes()["Mexico"], country_codes()["United States"]
('MEX', 'USA')
>>> icews_sectors()["Foreign Ministry"], icews_sectors()["Police"]
('GOV', 'COP')
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import io
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

DATA_PACKAGE = "dyadwatch.sources"
DATA_DIR = "data"

COUNTRY_FILE = "countries.csv"
SECTOR_FILE = "icews_sectors.csv"
LABEL_FILE = "icews_event_labels.csv"

_LABEL_LINE = re.compile(r"^LABELi?:\s*(\d+)=\s*(.*\S)\s*$")


def _read(name: str) -> list[dict[str, str]]:
    text = importlib.resources.files(DATA_PACKAGE).joinpath(f"{DATA_DIR}/{name}").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def country_codes() -> Mapping[str, str]:
    """Country name (as ICEWS and ACLED write it) → three-letter CAMEO/ISO code."""
    return MappingProxyType({r["name"]: r["code"] for r in _read(COUNTRY_FILE)})


@functools.cache
def icews_sectors() -> Mapping[str, str]:
    """ICEWS sector label → three-letter CAMEO agent code."""
    return MappingProxyType({r["sector"]: r["agent"] for r in _read(SECTOR_FILE)})


@functools.cache
def icews_event_labels() -> Mapping[str, str | None]:
    """ICEWS event label → CAMEO code (None: the label names two codes)."""
    return MappingProxyType({r["label"]: r["cameo_code"] or None for r in _read(LABEL_FILE)})


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def build_tables(lookups: Path) -> dict[str, str]:
    """The three tables as CSV text, built from the ICEWS look-ups folder of the shared data.

    Parameters
    ----------
    lookups
        ``../shared/data/icews/lookups`` (its PROVENANCE.md names the upstream files).

    Examples
    --------
    >>> tables = build_tables(Path("../shared/data/icews/lookups"))  # doctest: +SKIP
    >>> sorted(tables)  # doctest: +SKIP
    ['countries.csv', 'icews_event_labels.csv', 'icews_sectors.csv']
    """
    countries: dict[str, str] = {}
    for line in (lookups / "text_to_CAMEO_countrynames.txt").read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or parts[0] == "NULL" or not parts[1][:3].isalpha():
            continue
        countries.setdefault(parts[0].strip(), parts[1].strip()[:3].upper())
    sectors: dict[str, str] = {}
    for line in (lookups / "text_to_CAMEO_agentnames.txt").read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] == "NULL" or not parts[1][:3].isalpha():
            continue
        sectors.setdefault(parts[0].strip(), parts[1].strip()[:3].upper())
    labels: dict[str, set[str]] = {}
    for line in (lookups / "text_to_CAMEO_CAMEO_codefile.txt").read_text("utf-8").splitlines():
        m = _LABEL_LINE.match(line)
        if m:
            labels.setdefault(m[2], set()).add(m[1])
    return {
        COUNTRY_FILE: _csv(["name", "code"], sorted([k, v] for k, v in countries.items())),
        SECTOR_FILE: _csv(["sector", "agent"], sorted([k, v] for k, v in sectors.items())),
        LABEL_FILE: _csv(
            ["label", "cameo_code"],
            sorted([k, next(iter(v)) if len(v) == 1 else ""] for k, v in labels.items()),
        ),
    }


__all__ = [
    "build_tables",
    "country_codes",
    "icews_event_labels",
    "icews_sectors",
]
