"""Intervals over runs and the verdicts drawn from them.

Every interval is a two-sided 95 % Student-t interval of a mean over independent runs. A
comparison of two strategies uses the runs they share (the same perturbed network and the
same random streams in run ``r``), so it is a paired interval of the mean difference; a
verdict is drawn only when that interval excludes zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, Literal

import numpy as np

# Two-sided 95% Student-t quantiles by degrees of freedom (any statistics table).
_T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
    25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}  # fmt: skip

Verdict = Literal["sweep better", "HVT better", "no difference at this confidence"]
SWEEP_BETTER: Final = "sweep better"
HVT_BETTER: Final = "HVT better"
NO_DIFFERENCE: Final = "no difference at this confidence"
Better = Literal["lower", "higher"]


def t975(df: int) -> float:
    """The 97.5 % Student-t quantile (the nearest tabulated df at or below; 1.96 beyond 120).

    Examples
    --------
    >>> t975(1), t975(35), t975(500)
    (12.706, 2.042, 1.96)
    """
    if df > 120:
        return 1.96
    return _T975[max(k for k in _T975 if k <= df)]


def mean_ci(values: Sequence[float]) -> tuple[float, float | None, float | None]:
    """Mean and 95 % t-interval of the mean; no interval for fewer than two values.

    NaN and ``None`` values are left out.

    Examples
    --------
    >>> mean_ci([1.0, 3.0])  # mean 2, sd √2, se 1, t(1) = 12.706
    (2.0, -10.706, 14.706)
    """
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return math.nan, None, None
    m = float(np.mean(vals))
    if len(vals) < 2:
        return m, None, None
    half = t975(len(vals) - 1) * float(np.std(vals, ddof=1)) / math.sqrt(len(vals))
    return m, round(m - half, 12), round(m + half, 12)


def paired_difference(
    sweep: Sequence[float], hvt: Sequence[float]
) -> tuple[float, float | None, float | None]:
    """Mean of ``sweep[r] - hvt[r]`` over runs with both values, and its 95 % interval.

    Examples
    --------
    >>> [round(x, 4) for x in paired_difference([0.5, 0.6, 0.7], [0.7, 0.7, 0.8])]
    [-0.1333, -0.2768, 0.0101]
    """
    pairs = [
        s - h
        for s, h in zip(sweep, hvt, strict=True)
        if s is not None and h is not None and not (math.isnan(s) or math.isnan(h))
    ]
    return mean_ci(pairs)


def verdict(mean: float, lo: float | None, hi: float | None, better: Better) -> Verdict:
    """Which strategy did better on an outcome, from the interval of ``sweep - HVT``.

    ``better`` says which way is better for the state (``lower``: a smaller network, fewer
    successor groups; ``higher``: a longer recovery). With one run (no interval) the verdict
    follows the sign of the difference, since nothing in the comparison was random.

    Examples
    --------
    >>> verdict(-0.2, -0.3, -0.1, "lower"), verdict(-0.2, -0.3, 0.1, "lower")
    ('sweep better', 'no difference at this confidence')
    >>> verdict(2.0, None, None, "higher")
    'sweep better'
    """
    if math.isnan(mean):
        return NO_DIFFERENCE
    if lo is None or hi is None:
        lo = hi = mean
    if lo <= 0 <= hi:
        return NO_DIFFERENCE
    sweep_lower = hi < 0
    return SWEEP_BETTER if sweep_lower == (better == "lower") else HVT_BETTER
