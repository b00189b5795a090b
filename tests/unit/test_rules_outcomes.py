"""Outcomes of levers and the discrimination report, on synthetic data: an event study finds a
planted effect and none where there is none, agreement and lags line up, flags are raised."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from dyadwatch.policy.rules import outcomes as oc
from dyadwatch.policy.rules.backtest import RuleHistory
from dyadwatch.policy.rules.report import changes_of, row_of

pytestmark = pytest.mark.unit


def months(start: date, n: int) -> list[date]:
    return [oc.add_months(start, k) for k in range(n)]


CHANGES = [date(2010, 3, 10), date(2013, 7, 2), date(2016, 11, 20), date(2019, 5, 5)]


def stepped(effect: float, seed: int = 3) -> oc.MonthValue:
    """A flat, noisy series (sd 0.3) that jumps by ``effect`` after each change."""
    noise = np.random.default_rng(seed).normal(0, 0.3, size=180)
    values: dict[date, float] = {}
    level = 0.0
    for k, m in enumerate(months(date(2008, 1, 1), 180)):
        if any(oc.month_start(c) == m for c in CHANGES):
            level += effect
        values[m] = level + float(noise[k])
    return values.get


def test_delta_after_reads_the_month_before_and_h_months_after() -> None:
    v = {date(2020, 1, 1): 1.0, date(2020, 5, 1): 4.0}.get
    assert oc.delta_after(v, date(2020, 2, 20), 3) == 3.0
    assert oc.delta_after(v, date(2020, 3, 1), 3) is None


def test_steps_of_one_episode_count_once() -> None:
    steps = [date(2020, 12, 15), date(2020, 12, 18), date(2021, 1, 14), date(2021, 10, 8)]
    assert oc.distinct_changes(steps) == [date(2020, 12, 15), date(2021, 10, 8)]


def test_placebos_come_from_the_same_years_away_from_the_changes() -> None:
    drawn = oc.placebo_dates(CHANGES, 300, seed=1)
    assert drawn == oc.placebo_dates(CHANGES, 300, seed=1)  # deterministic
    assert {d.year for d in drawn} <= {c.year for c in CHANGES}
    assert all(abs((d - c).days) > oc.PLACEBO_EXCLUSION_DAYS for d in drawn for c in CHANGES)


def test_the_event_study_finds_a_planted_effect_with_an_interval() -> None:
    e = oc.estimate(stepped(2.0), CHANGES, 3, seed=7)
    assert e.status == "ok" and e.changes == 4
    assert e.effect == pytest.approx(2.0, abs=0.5)
    assert e.lo is not None and e.hi is not None and e.effect is not None
    assert 0 < e.lo <= e.effect <= e.hi


def test_no_planted_effect_gives_an_interval_around_zero() -> None:
    e = oc.estimate(stepped(0.0), CHANGES, 6, seed=7)
    assert e.status == "ok" and e.lo is not None and e.hi is not None
    assert e.lo <= 0 <= e.hi


def test_too_few_changes_is_insufficient_data() -> None:
    e = oc.estimate(stepped(2.0), CHANGES[:2], 3, seed=7)
    assert e.status == "insufficient_data" and e.effect is None
    assert "2 change(s)" in (e.reason or "") and f"{oc.MIN_CHANGES} needed" in (e.reason or "")
    study = oc.study("index:relationship", stepped(2.0), CHANGES, "lever")
    assert [x.horizon for x in study.effects] == list(oc.HORIZONS)


def test_agreement_and_the_lag_at_which_the_lever_follows() -> None:
    cond = [False] * 10 + [True] * 10 + [False] * 20
    used = [False] * 13 + [True] * 10 + [False] * 17  # 3 months later
    a = oc.agreement(list(zip(cond, used, strict=True)))
    assert a.both == 7 and a.kappa is not None and 0 < a.kappa < 1
    # a rare condition and a lever never used agree by chance only: kappa says so
    chance = oc.agreement([(False, False)] * 38 + [(True, False)] * 2)
    assert chance.agreement == 0.95 and chance.kappa == 0.0
    lag = oc.best_lag(cond, used)
    assert lag is not None and lag[0] == 3 and lag[1] == 1.0
    assert oc.best_lag(cond, [False] * 40) is None  # a lever never used has no lag


def history(statuses: list[str], asked_on: date | None = None) -> RuleHistory:
    h = RuleHistory("r", "R", "recommendation", "merida", asked_on=asked_on)
    h.months = [oc.add_months(date(2020, 1, 1), k) for k in range(len(statuses))]
    h.statuses = statuses
    h.lever_in_use = [None] * len(statuses)
    return h


def test_report_rows_flag_rules_that_do_not_discriminate() -> None:
    assert changes_of(["met", "met", "unknown", "not_met"]) == 2
    always = row_of(history(["met"] * 50 + ["unknown"] * 5))
    assert always.share_met == 1.0 and always.flag and "more than 90%" in always.flag
    assert always.unknown == 5
    never = row_of(history(["not_met"] * 60))
    assert never.flag and "fewer than 2%" in never.flag
    fine = row_of(history(["met"] * 20 + ["not_met"] * 30))
    assert fine.flag is None and fine.changes == 1 and fine.share_met == pytest.approx(0.4)
    silent = row_of(history(["unknown"] * 12))
    assert silent.share_met is None and silent.flag and "undecided" in silent.flag


def test_months_before_a_rule_was_asked_for_are_not_counted() -> None:
    statuses = ["unknown"] * 12 + ["met"] * 6 + ["not_met"] * 6
    row = row_of(history(statuses, asked_on=date(2021, 1, 1)))
    assert row.not_applicable == 12 and row.unknown == 0
    assert row.share_met == pytest.approx(0.5) and row.flag is None
