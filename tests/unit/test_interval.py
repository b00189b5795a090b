"""Intervals: textbook values, and coverage on simulated effects like the curated record's."""

from __future__ import annotations

import numpy as np
import pytest

from dyadwatch.analyse.index.interval import (
    check_level,
    fused_interval,
    mean_interval,
    wilson_interval,
)

pytestmark = pytest.mark.unit

# Effects an editor gives, on the -10…+10 scale, with the skew of a record that holds more
# cooperative routine than ruptures (the shape, not the values, of the curated record).
SUPPORT = np.array([-8, -6, -4, -2, 0, 2, 3, 4, 6, 8], dtype=float)
WEIGHTS = np.array([0.04, 0.08, 0.08, 0.10, 0.15, 0.15, 0.15, 0.12, 0.08, 0.05])


@pytest.mark.parametrize("n", [5, 8, 15, 40])
def test_the_t_interval_covers_the_true_mean_at_about_its_level(n: int) -> None:
    rng = np.random.default_rng(20210119 + n)
    truth = float(SUPPORT @ WEIGHTS)
    reps = 4000
    draws = rng.choice(SUPPORT, size=(reps, n), p=WEIGHTS)
    hits = 0
    for row in draws:
        lo, hi = mean_interval(n, float(row.mean()), float(row.std(ddof=1)), 0.9)
        hits += lo <= truth <= hi
    coverage = hits / reps
    # nominal 0.90; the sd floor only widens, skew at small n costs a little
    assert 0.86 <= coverage <= 0.95, coverage


def test_wilson_interval_matches_the_textbook_value() -> None:
    lo, hi = wilson_interval(7, 10, 0.95)  # Wilson (1927); Newcombe (1998), table I
    assert (round(lo, 3), round(hi, 3)) == (0.397, 0.892)


def test_fused_interval_of_one_estimate_is_its_normal_interval() -> None:
    value, _lo, hi = fused_interval([2.0], [0.25], [3.0], 0.9)
    assert value == 2.0 and hi - value == pytest.approx(1.6448536 * 0.5)


def test_fusion_is_invariant_to_scaling_the_weights() -> None:
    a = fused_interval([1.0, -2.0], [0.5, 2.0], [2.0, 0.5])
    b = fused_interval([1.0, -2.0], [0.5, 2.0], [20.0, 5.0])
    assert a == pytest.approx(b)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 2])
def test_levels_outside_zero_one_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        check_level(bad)


def test_a_mean_of_one_value_has_no_interval() -> None:
    with pytest.raises(ValueError, match="at least two"):
        mean_interval(1, 0.0, 0.0)
