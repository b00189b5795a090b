"""Actor sectors → one CAMEO agent code per actor, state organs first.

docs/measurement.md defines an event as state-to-state when both actors are organs of a
state (sector in :data:`STATE_SECTORS`). GDELT and Phoenix give one agent code per actor;
ICEWS and POLECAT give a *list* of sectors (``Executive,Foreign Ministry,Government``), and
ACLED an actor category (``inter1``). This module turns each into the one code the canonical
``actor1_agent``/``actor2_agent`` holds:

1. each sector is mapped to a three-letter CAMEO agent code (ICEWS: the ICEWS-to-CAMEO agent
   list, :func:`dyadwatch.sources.lookups.icews_sectors`; POLECAT: :data:`SECTOR_NAMES` or a
   PLOVER/CAMEO agent code such as ``GOV`` or NGEC's ``GOVMIL``, read by its first three
   letters);
2. if any sector of the actor is a state organ, the actor is one, and its code is the most
   specific organ it names, in the order of :data:`STATE_PRIORITY` (an actor listed as
   ``Military,Government`` is ``MIL``: the sector that says most about what it can do);
3. otherwise the code of the first sector that maps (the sources list the most salient
   first).

What is lost: the other sectors of a multi-sector actor (they stay, as given, in the event's
``attributes``), and sectors with no CAMEO equivalent (``Unspecified``), which give no code.

Examples
--------
>>> pick_agent(["GOV", "MIL"]), pick_agent(["CVL", "BUS"]), pick_agent([None, "MED"])
('MIL', 'CVL', 'MED')
>>> agent_for_sector("Police"), agent_for_sector("GOVMIL"), agent_for_sector("Unspecified")
('COP', 'GOV', None)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import pyarrow as pa

from dyadwatch.sources.tabular import apply

STATE_SECTORS: frozenset[str] = frozenset({"GOV", "MIL", "COP", "JUD", "LEG", "SPY", "UIS"})
"""Agent codes of state organs (docs/measurement.md, "Scope")."""

STATE_PRIORITY: tuple[str, ...] = ("SPY", "COP", "MIL", "JUD", "LEG", "GOV", "UIS")
"""Which state organ an actor with several is coded as: the most specific first."""

SECTOR_NAMES: Mapping[str, str] = {
    "government": "GOV",
    "executive": "GOV",
    "cabinet": "GOV",
    "foreign ministry": "GOV",
    "diplomatic": "GOV",
    "local government": "GOV",
    "state": "GOV",
    "legislature": "LEG",
    "legislative": "LEG",
    "parliament": "LEG",
    "judiciary": "JUD",
    "judicial": "JUD",
    "court": "JUD",
    "prosecutor": "JUD",
    "military": "MIL",
    "armed forces": "MIL",
    "defense": "MIL",
    "police": "COP",
    "law enforcement": "COP",
    "intelligence": "SPY",
    "criminal": "CRM",
    "crime": "CRM",
    "organized crime": "CRM",
    "cartel": "CRM",
    "rebel": "REB",
    "rebels": "REB",
    "insurgent": "INS",
    "insurgents": "INS",
    "militia": "UAF",
    "opposition": "OPP",
    "political party": "PTY",
    "party": "PTY",
    "business": "BUS",
    "media": "MED",
    "journalist": "MED",
    "civilian": "CVL",
    "civilians": "CVL",
    "civil society": "CVL",
    "general population": "CVL",
    "ngo": "NGO",
    "igo": "IGO",
    "international organization": "IGO",
    "education": "EDU",
    "religion": "REL",
    "religious": "REL",
    "refugee": "REF",
    "refugees": "REF",
    "labor": "LAB",
    "labour": "LAB",
    "health": "HLH",
    "agriculture": "AGR",
    "elite": "ELI",
    "elites": "ELI",
}
"""Sector names, lower case, → CAMEO agent code: the sector vocabulary of POLECAT's actor
columns written out in words (the codes themselves — ``GOV``, NGEC's ``GOVMIL`` — are read
directly)."""

_CODE = re.compile(r"^[A-Z]{3}([A-Z]{3})*$")


def pick_agent(codes: Iterable[str | None]) -> str | None:
    """The one agent code for an actor with these sector codes (see the module docstring)."""
    found = [c for c in codes if c]
    state = [c for c in found if c in STATE_SECTORS]
    if state:
        return min(state, key=STATE_PRIORITY.index)
    return found[0] if found else None


def agent_for_sector(sector: str | None) -> str | None:
    """A POLECAT-style sector (a name or a PLOVER/CAMEO agent code) → a CAMEO agent code."""
    if sector is None:
        return None
    text = sector.strip()
    if _CODE.match(text):
        return text[:3]
    return SECTOR_NAMES.get(text.lower())


def split_sectors(value: str, separators: str = ",;") -> list[str]:
    """A sector list as written (``a,b``, ``a; b``) → its items, stripped.

    >>> split_sectors("Executive,Foreign Ministry, Government")
    ['Executive', 'Foreign Ministry', 'Government']
    """
    items = [value]
    for sep in separators:
        items = [part for item in items for part in item.split(sep)]
    return [i.strip() for i in items if i.strip()]


def agents(column: pa.Array | pa.ChunkedArray, to_code: Callable[[str], str | None]) -> pa.Array:
    """A column of sector lists → a column of agent codes (computed once per distinct list).

    >>> agents(pa.array(["Military,Government", None]), agent_for_sector).to_pylist()
    ['MIL', None]
    """
    return apply(column, lambda v: pick_agent(to_code(s) for s in split_sectors(v)))


__all__ = [
    "SECTOR_NAMES",
    "STATE_PRIORITY",
    "STATE_SECTORS",
    "agent_for_sector",
    "agents",
    "pick_agent",
    "split_sectors",
]
