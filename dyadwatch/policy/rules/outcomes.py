"""What followed a lever's use: agreement with the rule's condition, and an event study.

Two questions per rule with a lever (docs/rules.md, "Outcomes"):

1. **Agreement.** In the months the backtest evaluated, did the lever's use (the rule's
   ``used_when``, month by month) go with its condition holding? The share of decided months
   where "condition met" equals "lever in use", separately for the months up to the rule's
   calibration split (in sample) and after it (out of sample), and the lead or lag (in
   months, −24 … +24) at which the two agree best.
2. **Event study.** After each change of the lever instrument's state in the range, how did
   the default index (the ``relationship`` series) and the rule's indicators move 3, 6 and 12
   months later, compared with the same move after placebo dates drawn from the same years?
   The effect is the mean move after the changes minus the mean move after the placebos,
   with a 90 % bootstrap interval. Below :data:`MIN_CHANGES` usable changes the answer is
   "insufficient data".

Outcomes are read with hindsight — the series and indicators as known at the end of the
range — because they ask what happened, not what was known at the time.

Examples
--------
>>> values = {date(2020, 1, 1): 1.0, date(2020, 5, 1): 3.0}
>>> delta_after(values.get, date(2020, 2, 10), 3)
2.0
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

HORIZONS: tuple[int, ...] = (3, 6, 12)
"""Months after a change at which the event study measures the move."""

MIN_CHANGES = 3
"""Fewest distinct lever changes (:func:`distinct_changes`) with a measurable move before an
effect is estimated. With one or two changes the "effect" is one or two anecdotes; three is
the least that lets the bootstrap vary."""

PLACEBOS = 200
"""Placebo dates drawn per lever (from the same calendar years as its changes)."""

PLACEBO_EXCLUSION_DAYS = 90
"""Placebo dates closer than this to a real change are not drawn."""

BOOTSTRAP = 2000
"""Bootstrap resamples behind each interval."""

LEVEL = 0.90
"""Interval level."""

MAX_LAG = 24
"""Leads and lags (months) tried when aligning the condition with the lever's use."""

MIN_OVERLAP = 12
"""Months two shifted series must share for a lag's agreement to count."""

MonthValue = Callable[[date], float | None]
"""First day of a month → the measure's value that month (None: no value)."""


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, k: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + k, 12)
    return date(y, m + 1, 1)


def delta_after(value: MonthValue, when: date, horizon: int) -> float | None:
    """The measure ``horizon`` months after the month of ``when``, minus the month before it."""
    base = value(add_months(month_start(when), -1))
    after = value(add_months(month_start(when), horizon))
    if base is None or after is None:
        return None
    return float(after - base)


@dataclass(frozen=True, slots=True)
class Effect:
    """The event-study estimate at one horizon."""

    horizon: int
    changes: int
    placebos: int
    mean_after_change: float | None = None
    mean_after_placebo: float | None = None
    effect: float | None = None
    lo: float | None = None
    hi: float | None = None
    status: str = "insufficient_data"
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "horizon_months": self.horizon,
            "changes": self.changes,
            "placebos": self.placebos,
            "mean_after_change": _round(self.mean_after_change),
            "mean_after_placebo": _round(self.mean_after_placebo),
            "effect": _round(self.effect),
            "lo": _round(self.lo),
            "hi": _round(self.hi),
            "level": LEVEL,
            "status": self.status,
            "reason": self.reason,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def distinct_changes(changes: Sequence[date], gap_days: int = PLACEBO_EXCLUSION_DAYS) -> list[date]:
    """The changes, with any change less than ``gap_days`` after the previous kept one merged
    into it: the steps of one episode (a law passed, in force, given guidelines within a month)
    are one change for the event study, not three independent ones.

    >>> distinct_changes([date(2020, 12, 15), date(2020, 12, 18), date(2021, 1, 14)])
    [datetime.date(2020, 12, 15)]
    """
    out: list[date] = []
    for c in sorted(changes):
        if not out or (c - out[-1]).days >= gap_days:
            out.append(c)
    return out


def placebo_dates(changes: Sequence[date], n: int, seed: int) -> list[date]:
    """``n`` dates drawn uniformly from the calendar years of ``changes``, none within
    :data:`PLACEBO_EXCLUSION_DAYS` of a change (deterministic for a seed)."""
    years = sorted({c.year for c in changes})
    days = [
        date(y, 1, 1) + timedelta(days=k)
        for y in years
        for k in range((date(y + 1, 1, 1) - date(y, 1, 1)).days)
    ]
    pool = [d for d in days if all(abs((d - c).days) > PLACEBO_EXCLUSION_DAYS for c in changes)]
    if not pool:
        return []
    rng = np.random.default_rng(seed)
    return [pool[i] for i in rng.integers(0, len(pool), size=n)]


def estimate(
    value: MonthValue,
    changes: Sequence[date],
    horizon: int,
    seed: int,
    *,
    last_month: date | None = None,
) -> Effect:
    """The event-study effect of ``changes`` on a measure at ``horizon`` months."""
    usable = [
        d
        for c in changes
        if (last_month is None or add_months(month_start(c), horizon) <= last_month)
        and (d := delta_after(value, c, horizon)) is not None
    ]
    placebos = [
        d
        for p in placebo_dates(changes, PLACEBOS, seed)
        if (last_month is None or add_months(month_start(p), horizon) <= last_month)
        and (d := delta_after(value, p, horizon)) is not None
    ]
    base = Effect(horizon, len(usable), len(placebos))
    if len(usable) < MIN_CHANGES:
        return Effect(
            horizon,
            len(usable),
            len(placebos),
            reason=(
                f"insufficient data: {len(usable)} change(s) with a value before and "
                f"{horizon} months after ({MIN_CHANGES} needed)"
            ),
        )
    if len(placebos) < MIN_CHANGES:
        return Effect(
            horizon,
            len(usable),
            len(placebos),
            reason=f"insufficient data: {len(placebos)} placebo date(s) with values",
        )
    a = np.array(usable)
    b = np.array(placebos)
    rng = np.random.default_rng(seed + horizon)
    boots = np.array(
        [
            rng.choice(a, size=len(a)).mean() - rng.choice(b, size=len(b)).mean()
            for _ in range(BOOTSTRAP)
        ]
    )
    tail = (1 - LEVEL) / 2
    lo, hi = np.quantile(boots, [tail, 1 - tail])
    return Effect(
        horizon,
        base.changes,
        base.placebos,
        mean_after_change=float(a.mean()),
        mean_after_placebo=float(b.mean()),
        effect=float(a.mean() - b.mean()),
        lo=float(lo),
        hi=float(hi),
        status="ok",
    )


@dataclass
class Study:
    """The event study of one measure around one lever's changes."""

    measure: str
    effects: list[Effect] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "effects": [e.as_dict() for e in self.effects]}


def study(
    measure: str,
    value: MonthValue,
    changes: Sequence[date],
    lever: str,
    *,
    last_month: date | None = None,
) -> Study:
    """Effects at every horizon of :data:`HORIZONS` (deterministic per lever and measure)."""
    seed = zlib.crc32(f"{lever}:{measure}".encode())
    return Study(
        measure,
        [estimate(value, changes, h, seed, last_month=last_month) for h in HORIZONS],
    )


@dataclass(frozen=True, slots=True)
class Agreement:
    """How the condition's months and the lever's months line up."""

    months: int
    agreement: float | None
    both: int
    condition_only: int
    lever_only: int
    neither: int

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa: agreement beyond what the two shares alone would give by chance.

        A rarely met condition and a rarely used lever agree in most months by chance
        ("neither"); kappa is 0 then, and None when either never varies.
        """
        n = self.months
        if not n or self.agreement is None:
            return None
        p_cond = (self.both + self.condition_only) / n
        p_used = (self.both + self.lever_only) / n
        chance = p_cond * p_used + (1 - p_cond) * (1 - p_used)
        if chance >= 1:
            return None
        return (self.agreement - chance) / (1 - chance)

    def as_dict(self) -> dict[str, Any]:
        kappa = self.kappa
        return {
            "months": self.months,
            "agreement": None if self.agreement is None else round(self.agreement, 3),
            "kappa": None if kappa is None else round(kappa, 3),
            "both": self.both,
            "condition_only": self.condition_only,
            "lever_only": self.lever_only,
            "neither": self.neither,
        }


def agreement(pairs: Sequence[tuple[bool, bool]]) -> Agreement:
    """Share of months where the condition held exactly when the lever was in use.

    >>> a = agreement([(True, True), (False, False), (True, False), (False, False)])
    >>> a.agreement, round(a.kappa, 2)
    (0.75, 0.5)
    """
    both = sum(c and u for c, u in pairs)
    cond = sum(c and not u for c, u in pairs)
    lev = sum(u and not c for c, u in pairs)
    neither = sum(not c and not u for c, u in pairs)
    n = len(pairs)
    return Agreement(n, (both + neither) / n if n else None, both, cond, lev, neither)


def best_lag(cond: Sequence[bool | None], used: Sequence[bool | None]) -> tuple[int, float] | None:
    """The shift k (months) maximising agreement of condition(t) with lever use(t + k).

    k > 0: the lever followed the condition by k months. Ties go to the smallest |k|. None
    when either series never changes (no lag can be told apart) or no shift has
    :data:`MIN_OVERLAP` decided months.
    """
    decided_c = {c for c in cond if c is not None}
    decided_u = {u for u in used if u is not None}
    if len(decided_c) < 2 or len(decided_u) < 2:
        return None
    best: tuple[int, float] | None = None
    for k in sorted(range(-MAX_LAG, MAX_LAG + 1), key=lambda x: (abs(x), x)):
        pairs = [
            (bool(cond[t]), bool(used[t + k]))
            for t in range(len(cond))
            if 0 <= t + k < len(used) and cond[t] is not None and used[t + k] is not None
        ]
        if len(pairs) < MIN_OVERLAP:
            continue
        share = agreement(pairs).agreement
        if share is not None and (best is None or share > best[1] + 1e-12):
            best = (k, share)
    return best


__all__ = [
    "BOOTSTRAP",
    "HORIZONS",
    "LEVEL",
    "MIN_CHANGES",
    "PLACEBOS",
    "Agreement",
    "Effect",
    "Study",
    "agreement",
    "best_lag",
    "delta_after",
    "distinct_changes",
    "estimate",
    "placebo_dates",
    "study",
]
