"""Words for codes: the one label registry of the brief, the dashboard and the CLI tables.

Every code a reader might meet — an instrument and its states, a named or indicator series,
a CAMEO measure, a rule and the conditions its reasons name, a finding's status, a sector, an
effect basis, a quad class, a month — has an entry in ``labels.yaml`` (package data) in each
language dyadwatch writes (:data:`LANGS`). The brief's sentences live there too, under
``text``, so ``brief --lang es`` is the same brief from the same data with every word taken
from here.

A code without an entry is still shown, never as a code: its underscores become spaces and
the miss is logged, so a rule a user writes reads as words before anyone labels it. A test
fails when the knowledge base has an instrument, state or series without an entry.

Examples
--------
>>> en, es = labels("en"), labels("es")
>>> en.state("foreign_agent_law", "in_force_with_guidelines")
'in force with implementing guidelines'
>>> es.state("dialogue", "frozen")
'congelados'
>>> en.day(date(2021, 1, 19)), es.day(date(2021, 1, 19))
('19 January 2021', '19 de enero de 2021')
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import yaml

from dyadwatch.errors import UsageError, did_you_mean

log = logging.getLogger(__name__)

LANGS: tuple[str, ...] = ("en", "es")
"""Languages the registry holds; every entry has each."""

EFFECT_ANCHORS: tuple[tuple[float, str], ...] = (
    (7.5, "founds"),
    (3.5, "act"),
    (0.5, "words"),
    (-0.5, "none"),
    (-3.5, "friction"),
    (-7.5, "curtails"),
)
"""Lower bounds of the effect bands (docs/measurement.md, "Relational effect"); below the
last: rupture."""

CATEGORIES: tuple[str, ...] = (
    "countries",
    "instruments",
    "states",
    "series",
    "units",
    "measures",
    "rules",
    "conditions",
    "status",
    "sectors",
    "effect_bases",
    "quads",
    "freqs",
    "months",
    "numbers",
    "bands",
    "effects",
    "patterns",
    "text",
)


@functools.cache
def registry() -> Mapping[str, Any]:
    """The parsed ``labels.yaml`` (read once)."""
    text = resources.files("dyadwatch.present").joinpath("labels.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise UsageError("dyadwatch/present/labels.yaml is not a mapping; reinstall dyadwatch.")
    return data


def check_lang(lang: str) -> str:
    """``lang`` if the registry holds it; a :class:`UsageError` naming the choices otherwise.

    >>> check_lang("es")
    'es'
    """
    if lang not in LANGS:
        raise UsageError(
            f"language {lang!r} is not one dyadwatch writes.{did_you_mean(lang, LANGS)} "
            f"Languages: {', '.join(LANGS)}."
        )
    return lang


def humanise(code: str | None) -> str:
    """A code nobody labelled yet, as words: ``in_force_x`` → ``in force x``.

    >>> humanise("not_designated_deferred"), humanise(None)
    ('not designated deferred', '')
    """
    return (code or "").replace("_", " ").strip()


@dataclass(frozen=True, slots=True)
class Labels:
    """The registry in one language. Build with :func:`labels`."""

    lang: str

    def _entry(self, entry: Any, code: str, kind: str) -> str | None:
        if isinstance(entry, Mapping):
            value = entry.get(self.lang)
            if isinstance(value, str):
                return value
        log.debug("no %s label for %r in %s", kind, code, self.lang)
        return None

    def _get(self, category: str, code: str | None, fallback: str | None = None) -> str:
        if code is None:
            return ""
        table = registry().get(category) or {}
        found = self._entry(table.get(str(code)), str(code), category)
        if found is not None:
            return found
        return fallback if fallback is not None else humanise(str(code))

    # --- codes ---------------------------------------------------------------------------

    def country(self, code: str) -> str:
        return self._get("countries", code)

    def pair(self, dyad: str) -> str:
        """``USA-MEX`` → ``United States–Mexico`` (an en dash)."""
        return "–".join(self.country(c) for c in dyad.split("-"))

    def instrument(self, instrument_id: str, fallback: str | None = None) -> str:
        return self._get("instruments", instrument_id, fallback)

    def state(self, instrument_id: str, state: str | None) -> str:
        """The state of an instrument in words (empty for None)."""
        if state is None:
            return ""
        table = (registry().get("states") or {}).get(instrument_id) or {}
        found = self._entry(table.get(state), f"{instrument_id}.{state}", "state")
        return found if found is not None else humanise(state)

    def series(self, series_id: str, fallback: str | None = None) -> str:
        return self._get("series", series_id, fallback)

    def unit(self, unit: str) -> str:
        return self._get("units", unit, unit)

    def measure(self, measure: str) -> str:
        return self._get("measures", measure)

    def rule(self, rule_id: str, title: str | None = None) -> str:
        """A rule's title: the registry's in this language, else the rule file's own."""
        entry = (registry().get("rules") or {}).get(rule_id)
        if isinstance(entry, Mapping) and isinstance(entry.get(self.lang), str):
            return str(entry[self.lang])
        return title if title else humanise(rule_id)

    def condition(self, name: str, value: bool | None) -> str:
        """A definition of a rule set as a reason says it: holding, failing or unknown."""
        entry = (registry().get("conditions") or {}).get(name)
        key = "holds" if value is True else "fails" if value is False else "unknown"
        if isinstance(entry, Mapping):
            found = self._entry(entry.get(key), f"{name}.{key}", "condition")
            if found is not None:
                return found
        words = humanise(name)
        return self.text(f"condition_{key}", name=words)

    def status(self, status: str, kind: str = "recommendation") -> str:
        """A finding's status for a rule of ``kind`` (recommendation or repair), or a series
        value's status (``kind="series"``)."""
        table = (registry().get("status") or {}).get(kind) or {}
        found = self._entry(table.get(status), status, "status")
        return found if found is not None else humanise(status)

    def sector(self, code: str) -> str:
        return self._get("sectors", code)

    def effect_basis(self, basis: str | None) -> str:
        return self._get("effect_bases", basis)

    def quad(self, quad: int | None) -> str:
        return "" if quad is None else self._get("quads", str(quad))

    def pattern(self, word: str) -> str:
        """A word a rule's state pattern tests for (``dropped``), in this language."""
        return self._get("patterns", word, word)

    def band(self, name: str) -> str:
        return self._get("bands", name)

    def effect(self, value: float | None) -> str:
        """An event's effect on cooperation in words, by the anchors of the −10 … +10 scale
        (docs/measurement.md): ``-6`` → ``curtails cooperation``."""
        if value is None:
            return ""
        for bound, name in EFFECT_ANCHORS:
            if value >= bound:
                return self._get("effects", name)
        return self._get("effects", "rupture")

    def freq(self, freq: str, count: int = 1) -> str:
        return self._get("freqs", freq if count == 1 else f"{freq}s")

    def number(self, n: int) -> str:
        """Small counts in words where the registry has them (``12`` → ``twelve``)."""
        return self._get("numbers", str(n), str(n))

    # --- sentences -----------------------------------------------------------------------

    def text(self, key: str, **values: Any) -> str:
        """A sentence of the brief in this language, its ``{placeholders}`` filled."""
        template = self._get("text", key, "")
        if not template:
            raise KeyError(f"labels.yaml has no text {key!r} in {self.lang}")
        return template.format(**values) if values else template

    # --- dates and numbers ---------------------------------------------------------------

    def month(self, m: int) -> str:
        return self._get("months", str(m))

    def day(self, d: date) -> str:
        """``19 January 2021`` / ``19 de enero de 2021``."""
        if self.lang == "es":
            return f"{d.day} de {self.month(d.month)} de {d.year}"
        return f"{d.day} {self.month(d.month)} {d.year}"

    def short_day(self, d: date) -> str:
        """``19 Jan 2021`` / ``19 ene 2021``."""
        return f"{d.day} {self.month(d.month)[:3]} {d.year}"

    def month_year(self, d: date) -> str:
        """``January 2021`` / ``enero de 2021``."""
        if self.lang == "es":
            return f"{self.month(d.month)} de {d.year}"
        return f"{self.month(d.month)} {d.year}"

    def period(self, label: str, freq: str) -> str:
        """A period label as a person writes it: ``2021-01`` → ``January 2021``."""
        try:
            if freq == "month" and len(label) == 7:
                return self.month_year(date(int(label[:4]), int(label[5:]), 1))
            if freq == "quarter" and "Q" in label:
                year, q = label.split("Q")
                return f"Q{q} {year}" if self.lang == "en" else f"T{q} {year}"
            if freq == "week" and "-W" in label:
                year, w = label.split("-W")
                return self.text("week_of", week=int(w), year=year)
        except ValueError:
            pass
        return label

    def signed(self, x: float | None, digits: int = 2) -> str:
        """``-0.25`` → ``−0.25`` (a true minus sign), ``0.5`` → ``+0.50``; None → ``–``."""
        if x is None or not math.isfinite(x):
            return "–"
        return f"{x:+.{digits}f}".replace("-", "−")

    def amount(self, x: float) -> str:
        """A figure as a reader writes it: ``67367`` → ``67,367``, ``2.5`` → ``2.5``."""
        if abs(x) >= 100:
            return f"{x:,.0f}"
        if abs(x) >= 10:
            return f"{x:,.1f}".rstrip("0").rstrip(".")
        return f"{x:,.2f}".rstrip("0").rstrip(".")


@functools.cache
def labels(lang: str = "en") -> Labels:
    """The registry in ``lang`` (``en`` or ``es``); a :class:`UsageError` for another."""
    return Labels(check_lang(lang))


def jinja_filters(lang: str = "en") -> dict[str, Any]:
    """Filters for a Jinja environment (the dashboard's templates): ``state_label``,
    ``instrument_label``, ``series_label``, ``status_label``, ``measure_label``,
    ``sector_label``, ``quad_label``, ``day_label``.

    >>> jinja_filters()["state_label"]("frozen", "dialogue")
    'frozen'
    """
    lab = labels(lang)
    return {
        "state_label": lambda state, instrument: lab.state(instrument, state),
        "instrument_label": lambda code, fallback=None: lab.instrument(code, fallback),
        "series_label": lambda code, fallback=None: lab.series(code, fallback),
        "status_label": lambda status, kind="recommendation": lab.status(status, kind),
        "measure_label": lab.measure,
        "sector_label": lab.sector,
        "quad_label": lab.quad,
        "day_label": lab.day,
    }


__all__ = [
    "CATEGORIES",
    "EFFECT_ANCHORS",
    "LANGS",
    "Labels",
    "check_lang",
    "humanise",
    "jinja_filters",
    "labels",
    "registry",
]
