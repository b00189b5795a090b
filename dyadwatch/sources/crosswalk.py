"""PLOVER ↔ CAMEO in both directions, and what each direction loses.

The CAMEO → PLOVER direction is the codebook's crosswalk (:func:`dyadwatch.codebooks.plover`,
P. Schrodt's CAMEO2PLOVER table for PLOVER Draft 0.8): every CAMEO-coded event (GDELT,
ICEWS, Phoenix, ACLED through its own table) gets its ``plover_type``/``mode``/``context``
from it in the ``codes`` normalise step. This module adds the PLOVER → CAMEO direction for
POLECAT, which is coded in PLOVER only, by reading the same table backwards:

1. the CAMEO codes the table maps to the event's PLOVER type, mode and one of its contexts;
2. failing that, to its type and mode; then to its type and one of its contexts; then to its
   type alone;
3. of the codes found, the most general: a root's own "not specified below" code (``180``,
   ``170``) first, then the shortest, then the lowest (``180`` before ``175`` before
   ``1823``). Root-only codes (``18``) are skipped: stored as an event code they would read
   as ``018`` once a spreadsheet's lost leading zero is repaired.

The CAMEO code then gives ``cameo_root``, ``quad_class`` (unless the file gives its own) and
the Goldstein score, so POLECAT events are scored on the same scale as every other source.

Losses, CAMEO → PLOVER (documented with the codebook):

- CAMEO roots 01 (make public statement) and 02 (appeal) have no PLOVER type: those events
  keep null ``plover_*`` columns;
- CAMEO's finer distinctions within a type collapse (0311–0314 are all ``AGREE``; only the
  context tells economic from military).

Losses, PLOVER → CAMEO (this module):

- no POLECAT event is ever coded 01x or 02x, though PLOVER's ``CONSULT`` and ``REQUEST``
  cover some of what CAMEO codes there;
- a type, mode and context map to the most general CAMEO code consistent with them, so
  detail the table does not carry is lost (``ASSAULT`` without a mode is ``180``, use
  unconventional violence, whatever the weapon), and the Goldstein score is that code's,
  not a judgment of the event (POLECAT's own ``Intensity`` is kept in ``attributes``);
- modes and contexts the 2021 table does not know (POLECAT uses a later PLOVER) fall back
  to the type alone.

Examples
--------
>>> cameo_for("ASSAULT", "firearms", ("military",))
'193'
>>> cameo_for("AGREE"), cameo_for("ASSAULT"), cameo_for("COERCE", "arrest")
('030', '180', '173')
>>> cameo_for("NOT-A-TYPE") is None
True
>>> quad_class_for("MATERIAL CONFLICT"), quad_class_for("verbal cooperation")
(4, 1)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dyadwatch.codebooks import cameo, plover

QUAD_CODES: Mapping[str, int] = {
    "VERBAL COOPERATION": 1,
    "MATERIAL COOPERATION": 2,
    "VERBAL CONFLICT": 3,
    "MATERIAL CONFLICT": 4,
}
"""POLECAT's ``Quad Code`` words → the CAMEO/GDELT quad class."""


@dataclass(frozen=True, slots=True)
class _Row:
    code: str
    type: str
    mode: str | None
    contexts: frozenset[str]


@functools.cache
def _rows() -> tuple[_Row, ...]:
    book = cameo()
    out = []
    for r in plover().crosswalk_table().to_pylist():
        code = r["cameo_code"]
        if not r["plover_type"] or len(code) < 3 or not book.is_event_code(code):
            continue
        contexts = frozenset((r["plover_context"] or "").split(";")) - {""}
        out.append(_Row(code, r["plover_type"], r["plover_mode"], contexts))
    return tuple(out)


@functools.cache
def plover_types() -> frozenset[str]:
    """The PLOVER event types the crosswalk knows (upper case)."""
    return frozenset(r.type for r in _rows())


def _generality(code: str) -> tuple[bool, int, str]:
    return (not (len(code) == 3 and code.endswith("0")), len(code), code)


def _most_general(rows: Iterable[_Row]) -> str | None:
    codes = sorted({r.code for r in rows}, key=_generality)
    return codes[0] if codes else None


@functools.cache
def _cameo_for(event_type: str, mode: str | None, contexts: frozenset[str]) -> str | None:
    rows = [r for r in _rows() if r.type == event_type]
    tries = []
    if mode and contexts:
        tries.append([r for r in rows if r.mode == mode and r.contexts & contexts])
    if mode:
        tries.append([r for r in rows if r.mode == mode])
    if contexts:
        tries.append([r for r in rows if r.contexts & contexts])
    tries.append(rows)
    for candidates in tries:
        code = _most_general(candidates)
        if code is not None:
            return code
    return None


def cameo_for(event_type: str, mode: str | None = None, contexts: Iterable[str] = ()) -> str | None:
    """The CAMEO code for a PLOVER type, mode and contexts (None: not a PLOVER type).

    Case and surrounding spaces are ignored; modes and contexts are lower case in PLOVER.
    """
    key = event_type.strip().upper()
    m = mode.strip().lower() if mode and mode.strip() else None
    ctx = frozenset(c.strip().lower() for c in contexts if c and c.strip())
    return _cameo_for(key, m, ctx)


def quad_class_for(value: str | None) -> int | None:
    """POLECAT's ``Quad Code`` (words, or a digit 1–4) → quad class (None if neither)."""
    if value is None:
        return None
    text = value.strip().upper().replace("_", " ")
    if text in ("1", "2", "3", "4"):
        return int(text)
    return QUAD_CODES.get(text)


__all__ = ["QUAD_CODES", "cameo_for", "plover_types", "quad_class_for"]
