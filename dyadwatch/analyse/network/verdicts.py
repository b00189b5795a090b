"""From the runs of :mod:`.comparison` to tables, verdicts and the essay's three claims.

The essay's argument splits into three claims a network can speak to:

``fragmentation``
    Removing the top of a group splits it into successor groups (the route to more
    violence); a sweep of the middle layer does so less. Outcome: successor groups.
``capacity``
    A sweep leaves the group less able to operate once it has reorganised. Outcomes: product
    flow (where roles allow) and efficiency after each recovery model.
``recovery time``
    A sweep leaves the group longer to recover. Outcome: rounds until half the lost
    efficiency is regained, under each recovery model.

Each is judged per budget from paired 95 % intervals (:mod:`.stats`); a comparison in which
a strategy ran out of targets before spending its budget is reported, not judged. A claim's
call for a network: ``supports`` (the sweep did better in at least one comparison and never
worse), ``contradicts`` (the reverse), ``mixed`` (both happen), ``inconclusive`` (every
interval includes zero). Structural outcomes (largest component, efficiency right after
removal) are reported with their verdicts but enter no claim.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .comparison import HVT, RECOVERY_KEYS, SWEEP
from .stats import HVT_BETTER, NO_DIFFERENCE, SWEEP_BETTER, Better, mean_ci, paired_difference
from .stats import verdict as judge


@dataclass(frozen=True, slots=True)
class Outcome:
    """One outcome column: its label, which direction is better for the state, its claim."""

    key: str
    label: str
    better: Better
    claim: str | None


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("lcc_share", "largest component", "lower", None),
    Outcome("efficiency_share", "efficiency", "lower", None),
    Outcome("successor_groups", "successor groups", "lower", "fragmentation"),
    Outcome("flow_share", "product flow", "lower", "capacity"),
    *(
        o
        for model, key in RECOVERY_KEYS.items()
        for o in (
            Outcome(f"efficiency_{key}", f"efficiency after {model} recovery", "lower", "capacity"),
            Outcome(f"rounds_{key}", f"rounds to recover ({model})", "higher", "recovery time"),
        )
    ),
)
"""The outcomes compared, in table order."""

CLAIMS = ("fragmentation", "capacity", "recovery time")


def _present(rows: Sequence[dict[str, Any]], key: str) -> bool:
    return any(r.get(key) is not None and not _nan(r.get(key)) for r in rows)


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def outcome_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (budget, strategy): mean and 95 % interval of every outcome over runs.

    Examples
    --------
    >>> rows = [{"budget": "b", "strategy": "sweep", "run": r, "removed": 2, "cost": 2.0,
    ...          "in_layer": 1.0, "lcc_share": 0.5 + r / 10} for r in range(3)]
    >>> outcome_table(rows)[0]["lcc_share"]
    0.6
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["budget"], r["strategy"])].append(r)
    out = []
    for (budget, strategy), runs in groups.items():
        rec: dict[str, Any] = {"budget": budget, "strategy": strategy, "runs": len(runs)}
        for key in ("removed", "cost", "in_layer"):
            rec[key] = mean_ci([float(r[key]) for r in runs])[0]
        for o in OUTCOMES:
            if not _present(runs, o.key):
                continue
            m, lo, hi = mean_ci([float(r[o.key]) for r in runs if r.get(o.key) is not None])
            rec.update({o.key: m, f"{o.key}_lo": lo, f"{o.key}_hi": hi})
        out.append(rec)
    return out


def verdict_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (budget, HVT strategy, outcome): the paired difference sweep − HVT and the
    verdict."""
    runs: dict[tuple[str, str], dict[int, dict[str, Any]]] = defaultdict(dict)
    budgets: list[str] = []
    for r in rows:
        runs[(r["budget"], r["strategy"])][r["run"]] = r
        if r["budget"] not in budgets:
            budgets.append(r["budget"])
    out = []
    for budget in budgets:
        sweep = runs.get((budget, SWEEP), {})
        for hvt in HVT:
            other = runs.get((budget, hvt))
            if not other:
                continue
            shared = sorted(set(sweep) & set(other))
            short = any(other[i].get("short") or sweep[i].get("short") for i in shared)
            for o in OUTCOMES:
                if not _present([sweep[i] for i in shared], o.key):
                    continue
                s = [_value(sweep[i], o.key) for i in shared]
                h = [_value(other[i], o.key) for i in shared]
                m, lo, hi = paired_difference(s, h)
                out.append(
                    {
                        "budget": budget,
                        "versus": hvt,
                        "removed_sweep": _mean(sweep[i]["removed"] for i in shared),
                        "removed_hvt": _mean(other[i]["removed"] for i in shared),
                        "outcome": o.key,
                        "claim": o.claim,
                        "difference": m,
                        "lo": lo,
                        "hi": hi,
                        "verdict": judge(m, lo, hi, o.better),
                        "comparable": not short,
                    }
                )
    return out


def _mean(values: Iterable[float]) -> float:
    return float(np.mean(list(values)))


def _value(row: dict[str, Any], key: str) -> float:
    value = row.get(key)
    return math.nan if value is None else float(value)


def claim_calls(verdicts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per HVT strategy and claim: how many comparisons favour each side, and the call."""
    out = []
    for hvt in dict.fromkeys(v["versus"] for v in verdicts):
        for claim in CLAIMS:
            mine = [
                v
                for v in verdicts
                if v["versus"] == hvt and v["claim"] == claim and v.get("comparable", True)
            ]
            if not mine:
                continue
            sweep = sum(1 for v in mine if v["verdict"] == SWEEP_BETTER)
            hvt_n = sum(1 for v in mine if v["verdict"] == HVT_BETTER)
            none = sum(1 for v in mine if v["verdict"] == NO_DIFFERENCE)
            out.append(
                {
                    "versus": hvt,
                    "claim": claim,
                    "comparisons": len(mine),
                    "sweep_better": sweep,
                    "hvt_better": hvt_n,
                    "no_difference": none,
                    "call": call(sweep, hvt_n),
                }
            )
    return out


def call(sweep_better: int, hvt_better: int) -> str:
    """``supports``, ``contradicts``, ``mixed`` or ``inconclusive`` (see the module docstring).

    Examples
    --------
    >>> call(2, 0), call(0, 1), call(1, 1), call(0, 0)
    ('supports', 'contradicts', 'mixed', 'inconclusive')
    """
    if sweep_better and hvt_better:
        return "mixed"
    if sweep_better:
        return "supports"
    if hvt_better:
        return "contradicts"
    return "inconclusive"


STRUCTURE = "structure"
"""Pseudo-claim of the structural outcomes in :func:`by_claim` (they enter no claim)."""


def by_claim(verdicts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (budget, HVT strategy): one verdict per claim (and for structure).

    A claim with several outcomes gets their common verdict, ``mixed`` when they disagree,
    or e.g. ``sweep better (1 of 2)`` when the others show no difference.

    Examples
    --------
    >>> v = [{"budget": "b", "versus": "hvt-betweenness", "removed_sweep": 2, "removed_hvt": 2,
    ...       "claim": "capacity", "outcome": o, "verdict": w}
    ...      for o, w in (("efficiency_sn", "sweep better"), ("efficiency_pa", "sweep better"))]
    >>> by_claim(v)[0]["capacity"]
    'sweep better'
    """
    keyed: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for v in verdicts:
        keyed[(v["budget"], v["versus"])].append(v)
    out = []
    for (budget, versus), rows in keyed.items():
        rec: dict[str, Any] = {
            "budget": budget,
            "versus": versus,
            "removed_sweep": rows[0]["removed_sweep"],
            "removed_hvt": rows[0]["removed_hvt"],
        }
        comparable = rows[0].get("comparable", True)
        for claim in (*CLAIMS, STRUCTURE):
            words = [v["verdict"] for v in rows if (v["claim"] or STRUCTURE) == claim]
            if words:
                rec[claim] = _combine(words) if comparable else "not judged: HVT ran out of targets"
        out.append(rec)
    return out


def _combine(words: Sequence[str]) -> str:
    kinds = set(words)
    if len(kinds) == 1:
        return words[0]
    if SWEEP_BETTER in kinds and HVT_BETTER in kinds:
        return "mixed"
    decided = SWEEP_BETTER if SWEEP_BETTER in kinds else HVT_BETTER
    return f"{decided} ({words.count(decided)} of {len(words)})"
