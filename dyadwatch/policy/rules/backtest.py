"""Backtest: evaluate a rule set at every month's end and set the advice against what happened.

For each month of the range the rules are evaluated as of the last day of the month (or
today, for the current month), each time seeing only what was public then. Per rule the
backtest reports when the condition first held, the spells during which it held, and when
the lever was actually used — from the rule's ``used_when`` expression, evaluated the same
way, and from the lever instrument's state changes (the February 2025 terrorist designation,
each year's certification outcome).

Examples
--------
>>> bt = backtest(store, load_rules(), date(2018, 1, 1), date(2026, 3, 1))  # doctest: +SKIP
>>> bt.histories[0].first_met  # doctest: +SKIP
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from dyadwatch.errors import UsageError
from dyadwatch.policy.rules.data import RuleData
from dyadwatch.policy.rules.evaluate import Evaluator, data_by_dyad, evaluate_rule
from dyadwatch.policy.rules.loader import Rule, RuleSet
from dyadwatch.store.store import Store


@dataclass(frozen=True, slots=True)
class Spell:
    """Consecutive months (by their as-of dates) in which something held."""

    start: date
    end: date
    months: int

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "months": self.months}


@dataclass
class RuleHistory:
    """One rule over the backtest range."""

    rule_id: str
    title: str
    kind: str
    lever: str | None
    months: list[date] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    lever_in_use: list[bool | None] = field(default_factory=list)
    lever_changes: list[tuple[date, str]] = field(default_factory=list)

    @property
    def spells(self) -> list[Spell]:
        return _spells(self.months, [s == "met" for s in self.statuses])

    @property
    def lever_spells(self) -> list[Spell]:
        return _spells(self.months, [bool(u) for u in self.lever_in_use])

    @property
    def first_met(self) -> date | None:
        return next(
            (m for m, s in zip(self.months, self.statuses, strict=True) if s == "met"), None
        )

    @property
    def first_used(self) -> date | None:
        return next((m for m, u in zip(self.months, self.lever_in_use, strict=True) if u), None)

    def count(self, status: str) -> int:
        return sum(s == status for s in self.statuses)

    def verdict(self) -> str:
        """The advice against what happened, in one sentence."""
        first = self.first_met
        if self.kind == "repair":
            if first is None:
                return "Mexico did not take this step in the range."
            spells = ", ".join(f"{_ym(s.start)}–{_ym(s.end)}" for s in self.spells)
            return f"Mexico took this step first by {_ym(first)} (taken: {spells})."
        if first is None:
            head = "The condition never held in the range"
        else:
            met = self.spells
            longest = max(s.months for s in met)
            head = (
                f"The condition first held in {_ym(first)} and held {self.count('met')} month(s) "
                f"in {len(met)} spell(s), the longest {longest} month(s)"
            )
        if not self.lever_in_use or all(u is None for u in self.lever_in_use):
            return head + "; no instrument state shows when the lever was used."
        used = self.first_used
        if used is None:
            return head + f"; the lever ({self.lever}) was not used in the range."
        if first is None:
            return head + f"; the lever ({self.lever}) was used from {_ym(used)} all the same."
        if used < first:
            later = next(
                (
                    m
                    for m, u in zip(self.months, self.lever_in_use, strict=True)
                    if u and m >= first
                ),
                None,
            )
            before = f"; the lever ({self.lever}) was used before it, from {_ym(used)}"
            if later is None:
                return head + before + ", and not again after it held."
            return head + before + f", and again from {_ym(later)}, {_lag(first, later)}."
        return (
            head + f"; the lever ({self.lever}) was first used in {_ym(used)}, {_lag(first, used)}."
        )

    def summary(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "lever": self.lever,
            "months": len(self.months),
            "met": self.count("met"),
            "not_met": self.count("not_met"),
            "insufficient_data": self.count("insufficient_data"),
            "first_met": _iso(self.first_met),
            "spells": [s.as_dict() for s in self.spells],
            "lever_first_used": _iso(self.first_used),
            "lever_spells": [s.as_dict() for s in self.lever_spells],
            "lever_changes": [{"date": d.isoformat(), "state": s} for d, s in self.lever_changes],
            "verdict": self.verdict(),
        }


@dataclass
class Backtest:
    """The backtest of a rule set over a range of months."""

    start: date
    end: date
    histories: list[RuleHistory]

    def summary(self) -> list[dict[str, Any]]:
        return [h.summary() for h in self.histories]

    def to_table(self) -> pa.Table:
        """:meth:`monthly` as an Arrow table (``to_pandas()`` / ``polars.from_arrow`` it)."""
        schema = pa.schema(
            [
                ("rule_id", pa.string()),
                ("as_of", pa.date32()),
                ("status", pa.string()),
                ("lever_in_use", pa.bool_()),
            ]
        )
        return pa.Table.from_pylist(self.monthly(), schema=schema)

    def monthly(self) -> list[dict[str, Any]]:
        """One row per rule and month: as_of, status, lever_in_use."""
        rows = []
        for h in self.histories:
            for m, s, u in zip(h.months, h.statuses, h.lever_in_use, strict=True):
                rows.append({"rule_id": h.rule_id, "as_of": m, "status": s, "lever_in_use": u})
        return rows


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _ym(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _lag(first: date, later: date) -> str:
    months = (later.year - first.year) * 12 + later.month - first.month
    return f"{months} month(s) after the condition first held"


def _spells(months: list[date], flags: list[bool]) -> list[Spell]:
    out: list[Spell] = []
    start: date | None = None
    prev: date | None = None
    n = 0
    for m, f in zip(months, flags, strict=True):
        if f:
            if start is None:
                start, n = m, 0
            n += 1
            prev = m
        elif start is not None and prev is not None:
            out.append(Spell(start, prev, n))
            start = None
    if start is not None and prev is not None:
        out.append(Spell(start, prev, n))
    return out


def month_ends(start: date, end: date, today: date | None = None) -> list[date]:
    """The as-of dates of a monthly backtest: each month's last day, capped at ``today``.

    >>> month_ends(date(2021, 1, 1), date(2021, 3, 1), today=date(2021, 3, 10))
    [datetime.date(2021, 1, 31), datetime.date(2021, 2, 28), datetime.date(2021, 3, 10)]
    """
    if start > end:
        raise UsageError(f"the backtest starts ({start}) after it ends ({end}).")
    today = today or datetime.now(UTC).date()
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        last = date(y, m, calendar.monthrange(y, m)[1])
        if last > today:
            if date(y, m, 1) <= today:
                out.append(today)
            break
        out.append(last)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def backtest(
    store: Store | RuleData,
    rules: RuleSet | Iterable[Rule],
    start: date,
    end: date | None = None,
    *,
    today: date | None = None,
) -> Backtest:
    """Evaluate ``rules`` at every month's end from ``start`` to ``end`` (default: today).

    The store is read once (everything public by the last as-of date); each month then sees
    only rows public by its own as-of date, so the backtest never looks ahead.

    Examples
    --------
    >>> bt = backtest(store, load_rules(), date(2018, 1, 1))  # doctest: +SKIP
    >>> print(bt.histories[0].verdict())  # doctest: +SKIP
    """
    today = today or datetime.now(UTC).date()
    months = month_ends(start, end or today, today)
    rule_list = list(rules)
    data = data_by_dyad(store, rule_list, months[-1] if months else None)
    histories = [RuleHistory(r.id, r.title, r.kind, r.lever) for r in rule_list]
    for as_of in months:
        evaluators = {dyad: Evaluator(d.at(as_of)) for dyad, d in data.items()}
        for r, h in zip(rule_list, histories, strict=True):
            f = evaluate_rule(r, evaluators[r.dyad])
            h.months.append(as_of)
            h.statuses.append(f.status)
            used = f.metrics.get("lever_in_use") if r.used_when is not None else None
            h.lever_in_use.append(used)
    if months:
        last = {dyad: d.at(months[-1]) for dyad, d in data.items()}
        for r, h in zip(rule_list, histories, strict=True):
            inst = last[r.dyad].instrument(r.lever) if r.lever else None
            if inst is None:
                continue
            h.lever_changes = [
                (s.valid_from, s.state)
                for s in inst.states
                if months[0] <= s.valid_from <= months[-1]
            ]
    return Backtest(months[0] if months else start, months[-1] if months else start, histories)


__all__ = ["Backtest", "RuleHistory", "Spell", "backtest", "month_ends"]
