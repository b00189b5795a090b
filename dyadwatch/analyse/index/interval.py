"""Intervals for index values: a mean of effects, a share of events, a weighted fusion.

Every index value carries its ``n`` and an interval at ``level`` (default 90 %: the two
sides of a briefing's "likely" range). The intervals are the textbook ones, chosen because
each is exact or close to it at the small ``n`` the curated record has:

- a **mean** of per-event effects: Student's t interval, ``mean ± t(n-1) · s / √n``, with the
  sample standard deviation floored at :data:`SD_FLOOR` (an editor's effect is a judgement to
  about a point, so five identical scores do not make a zero-width interval);
- a **share** (events on one side, of all events): the Wilson score interval;
- a **fused** mean of independent source estimates with weights ``w``:
  ``Σ w m / Σ w ± z · √(Σ w² v) / Σ w``, ``v`` each source's variance of its mean.

``tests/unit/test_interval.py`` checks on simulated data that the t interval covers the true
mean at about its nominal rate for effects drawn like the curated record's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

from scipy import stats

DEFAULT_LEVEL = 0.90
"""Two-sided level of every interval unless asked otherwise."""

SD_FLOOR = 1.0
"""Smallest standard deviation assumed for per-event effects (one point on the −10…+10 scale)."""


def check_level(level: float) -> float:
    """``level`` if it is in (0, 1); else a ``ValueError``."""
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"an interval level is between 0 and 1 (e.g. 0.9), not {level!r}")
    return float(level)


def mean_interval(
    n: int, mean: float, sd: float, level: float = DEFAULT_LEVEL
) -> tuple[float, float]:
    """Student's t interval for a mean of ``n`` >= 2 values with sample sd ``sd``.

    >>> lo, hi = mean_interval(9, 0.0, 3.0)
    >>> round(hi, 2), round(lo + hi, 6)
    (1.86, 0.0)
    """
    if n < 2:
        raise ValueError("a t interval needs at least two values")
    t = float(stats.t.ppf(0.5 + check_level(level) / 2, n - 1))
    half = t * max(sd, SD_FLOOR) / math.sqrt(n)
    return mean - half, mean + half


def mean_variance(n: int, sd: float) -> float:
    """Variance of a mean of ``n`` values with sample sd ``sd`` (sd floored)."""
    return max(sd, SD_FLOOR) ** 2 / n


def wilson_interval(k: int, n: int, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Wilson score interval for a share ``k / n``.

    >>> [round(x, 3) for x in wilson_interval(0, 10)]
    [0.0, 0.213]
    """
    if n <= 0:
        raise ValueError("a share needs at least one event")
    z = NormalDist().inv_cdf(0.5 + check_level(level) / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def fused_interval(
    means: Sequence[float],
    variances: Sequence[float],
    weights: Sequence[float],
    level: float = DEFAULT_LEVEL,
) -> tuple[float, float, float]:
    """(value, lo, hi) of a weighted mean of independent estimates.

    >>> v, lo, hi = fused_interval([1.0, 3.0], [1.0, 1.0], [1.0, 1.0])
    >>> v, round(hi - v, 3)
    (2.0, 1.163)
    """
    total = sum(weights)
    if total <= 0:
        raise ValueError("fusion needs a positive total weight")
    value = sum(w * m for w, m in zip(weights, means, strict=True)) / total
    spread = math.sqrt(sum(w * w * v for w, v in zip(weights, variances, strict=True))) / total
    z = NormalDist().inv_cdf(0.5 + check_level(level) / 2)
    return value, value - z * spread, value + z * spread


__all__ = [
    "DEFAULT_LEVEL",
    "SD_FLOOR",
    "check_level",
    "fused_interval",
    "mean_interval",
    "mean_variance",
    "wilson_interval",
]
