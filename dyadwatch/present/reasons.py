"""A finding's reason in words a principal reads, in the brief's language.

The rule engine gives each finding a one-line ``reason`` written for analysts (it names
definitions, instrument ids and state codes: ``met: 'sabotage' holds; state of merida is
"active_contested_by_mexico" (test: …)``) and a ``metrics`` map with the values it read. This
module reads both defensively — the parts it recognises become sentences from the label
registry, the rest is left out, never shown as a code — and falls back to "its conditions
hold / do not hold / cannot be told" when nothing is recognised. Apparent contradictions
between findings are explained here too (:func:`contradictions`).

Examples
--------
>>> from dyadwatch.model import Finding
>>> f = Finding("x", "X", date(2021, 1, 19), "met",
...             {'instrument.state("dialogue")': "frozen"}, (), "",
...             reason='met: state of dialogue is "frozen" (test: equal to "frozen").')
>>> reason_words(f, labels("en"))
'High-level security dialogues: frozen'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from dyadwatch.model import Finding
from dyadwatch.present.labels import Labels, labels

_DEFINITION = re.compile(r"'([a-z][a-z0-9_]*)'")
_STATE = re.compile(r"state of ([a-z][a-z0-9_]*) is")
_INDICATOR = re.compile(r"latest ([a-z][a-z0-9_]*) is")
_EVENTS = re.compile(r"events \(([^)]*)\) over (\d+) months is (\d+)")
_EVER = re.compile(r"whether ([a-z][a-z0-9_]*) has been \*([a-z ]+)\* within (\d+) months: (\w+)")
_SILENCE = re.compile(r"no evidence since (\d{4}-\d{2}-\d{2})")
_HORIZON = re.compile(r"horizon of (\d+) month")
_METRIC_STATE = re.compile(r'^instrument\.state\("([^"]+)"\)$')
_METRIC_INDICATOR = re.compile(r'^indicator\.value\("([^"]+)"')
_COUNTRY = re.compile(r"\bby ([A-Z]{3})\b")


def _states(metrics: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in metrics.items():
        m = _METRIC_STATE.match(key)
        if m and isinstance(value, str):
            out[m.group(1)] = value
    return out


def _indicators(metrics: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in metrics.items():
        m = _METRIC_INDICATOR.match(key)
        if m and isinstance(value, int | float) and not isinstance(value, bool):
            out[m.group(1)] = float(value)
    return out


def _unknown(reason: str, lab: Labels) -> str:
    m = _SILENCE.search(reason)
    if m:
        months = _HORIZON.search(reason)
        return lab.text(
            "why_unknown_silence",
            day=lab.day(date.fromisoformat(m.group(1))),
            months=months.group(1) if months else "6",
        )
    low = reason.lower()
    if "asked" in low:
        return lab.text("why_unknown_not_asked")
    if "insufficient" in low or "fewer than" in low:
        return lab.text("why_unknown_thin")
    if "vintage" in low or "older than" in low:
        return lab.text("why_unknown_stale")
    return lab.text("why_unknown")


def _events_part(spec: str, months: str, count: str, lab: Labels) -> str:
    kinds = []
    if re.search(r"quad class 3, 4", spec):
        kinds.append(lab.text("events_conflict"))
    elif re.search(r"quad class 1, 2", spec):
        kinds.append(lab.text("events_cooperation"))
    by = _COUNTRY.search(spec)
    if by:
        kinds.append(lab.text("events_by", country=lab.country(by.group(1))))
    n = int(count)
    events = lab.text("event_one" if n == 1 else "event_many", n=n)
    detail = f" ({', '.join(kinds)})" if kinds else ""
    return lab.text("why_events", events=events, months=months, detail=detail)


def reason_words(finding: Finding | Mapping[str, Any], lab: Labels | None = None) -> str:
    """Why ``finding`` has its status, in words (no codes), from its reason and metrics.

    ``finding`` is a :class:`Finding` or its JSON form (a mapping with ``status``,
    ``reason`` and ``metrics``, as the API and the dashboard hold it).
    """
    lab = lab or labels("en")
    if isinstance(finding, Mapping):
        status, reason, metrics = (
            finding.get("status"),
            finding.get("reason") or "",
            dict(finding.get("metrics") or {}),
        )
    else:
        status, reason, metrics = finding.status, finding.reason or "", dict(finding.metrics or {})
    if status == "unknown":
        return _unknown(reason, lab)
    parts: list[str] = []
    for name in dict.fromkeys(_DEFINITION.findall(reason)):
        if name in metrics and (metrics[name] is None or isinstance(metrics[name], bool)):
            parts.append(lab.condition(name, metrics[name]))
    states = _states(metrics)
    for inst in dict.fromkeys(_STATE.findall(reason)):
        if inst in states:
            parts.append(
                lab.text(
                    "why_state",
                    instrument=lab.instrument(inst),
                    state=lab.state(inst, states[inst]),
                )
            )
    values = _indicators(metrics)
    for name in dict.fromkeys(_INDICATOR.findall(reason)):
        if name in values:
            parts.append(
                lab.text(
                    "why_indicator",
                    series=lab.series(name),
                    value=lab.amount(values[name]),
                    unit="",
                ).strip()
            )
    for spec, months, count in _EVENTS.findall(reason):
        parts.append(_events_part(spec, months, count, lab))
    for inst, word, months, verdict in _EVER.findall(reason):
        key = "why_ever_holds" if verdict == "holds" else "why_ever_fails"
        parts.append(
            lab.text(key, instrument=lab.instrument(inst), word=lab.pattern(word), months=months)
        )
    parts = list(dict.fromkeys(p for p in parts if p))
    if not parts:
        return lab.text("why_met" if status == "met" else "why_not_met")
    return "; ".join(parts)


def lever_state(finding: Finding) -> str | None:
    """The state code of the finding's lever instrument, if the rule read it."""
    if not finding.lever:
        return None
    return _states(finding.metrics or {}).get(finding.lever)


def lever_in_use(finding: Finding) -> bool:
    """Whether the rule says its lever is already in use (``metrics["lever_in_use"]``)."""
    return (finding.metrics or {}).get("lever_in_use") is True


def contradictions(
    findings: Sequence[tuple[Finding, str]],
    lab: Labels,
    *,
    value: float | None,
    lo: float | None,
    hi: float | None,
) -> list[str]:
    """Sentences explaining findings that look contradictory, each once.

    ``findings`` pairs each finding with its rule's kind (``recommendation`` or ``repair``);
    ``value``, ``lo`` and ``hi`` are the relationship's current value and interval.

    - a repair step taken while advice that lasts "until cooperation improves" still applies;
    - advice that needs Mexico to be working against the cooperation while the value is above
      zero, or its interval includes zero (the rules judge the value against its own past).
    """
    out: list[str] = []
    met = [(f, k) for f, k in findings if f.status == "met"]
    repairs = [f for f, k in met if k == "repair"]
    waiting = [f for f, k in met if k != "repair" and "improved" in (f.metrics or {})]
    for r in repairs:
        for f in waiting:
            out.append(
                lab.text(
                    "contradiction_repair",
                    repair=lab.rule(r.rule_id, r.title),
                    advice=lab.rule(f.rule_id, f.title),
                    missing=lab.condition("improved", True),
                )
            )
    strained = any((f.metrics or {}).get("sabotage") is True for f, _ in met)
    if strained and value is not None:
        if value > 0:
            out.append(lab.text("contradiction_positive_strain"))
        elif lo is not None and hi is not None and lo <= 0 <= hi:
            out.append(lab.text("contradiction_relative"))
    return list(dict.fromkeys(out))


__all__ = ["contradictions", "lever_in_use", "lever_state", "reason_words"]
