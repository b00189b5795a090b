"""Backtest: evaluate a rule set at every month's end and set the advice against what happened.

For each month of the range the rules are evaluated as of the last day of the month (or
today, for the current month), each time seeing only what was public then. Per rule the
backtest reports when the condition first held, the spells during which it held, and when
the lever was actually used — from the rule's ``used_when`` expression, evaluated the same
way, and from the lever instrument's state changes (the February 2025 terrorist designation,
each year's certification outcome).

With ``outcomes=True`` (the default) it also measures what levers did (:mod:`.outcomes`):
how the months the condition held line up with the months the lever was in use (agreement
in sample — up to the rule's calibration split — and out of sample, and the lead or lag at
which they agree best), and an event study of the default index and the rule's indicators
3, 6 and 12 months after each change of the lever's state against placebo dates.

Examples
--------
>>> from dyadwatch.policy.rules import load_rules
>>> bt = backtest(store, load_rules(), date(2020, 1, 1), date(2021, 1, 31))
>>> bt.histories[0].first_met
datetime.date(2020, 12, 31)
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from dyadwatch.errors import RuleError, UsageError
from dyadwatch.policy.rules import outcomes as oc
from dyadwatch.policy.rules.binding import bind
from dyadwatch.policy.rules.data import RuleData
from dyadwatch.policy.rules.evaluate import Evaluator, data_by_dyad, evaluate_rule
from dyadwatch.policy.rules.language import Call, Node, Ref, walk
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
    split: date = date(2020, 9, 30)
    """Last in-sample day (the rule's calibration window end)."""
    asked_on: date | None = None
    thresholds: str = "none"
    outcomes: dict[str, Any] | None = None
    """The event study (:mod:`.outcomes`), when the backtest measured outcomes."""

    @property
    def applicable(self) -> list[bool]:
        """Months on or after the rule's ``asked_on`` (all months when it has none)."""
        return [self.asked_on is None or m >= self.asked_on for m in self.months]

    def not_applicable(self) -> int:
        return sum(not a for a in self.applicable)

    def agreement(self, part: str = "all") -> oc.Agreement:
        """Condition met vs lever in use over decided months (``in_sample``/``out_of_sample``)."""
        pairs = [
            (s == "met", bool(u))
            for m, s, u in zip(self.months, self.statuses, self.lever_in_use, strict=True)
            if s in ("met", "not_met")
            and u is not None
            and (
                part == "all"
                or (part == "in_sample" and m <= self.split)
                or (part == "out_of_sample" and m > self.split)
            )
        ]
        return oc.agreement(pairs)

    def lead_lag(self) -> tuple[int, float] | None:
        cond = [None if s == "unknown" else s == "met" for s in self.statuses]
        return oc.best_lag(cond, self.lever_in_use)

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
            return head + "; the record has no observable use of this lever to compare with."
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
        lag = self.lead_lag()
        observable = any(u is not None for u in self.lever_in_use)
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "lever": self.lever,
            "thresholds": self.thresholds,
            "months": len(self.months),
            "met": self.count("met"),
            "not_met": self.count("not_met"),
            "unknown": self.count("unknown") - self.not_applicable(),
            "not_applicable": self.not_applicable(),
            "split": self.split.isoformat(),
            "agreement": (
                {
                    "all": self.agreement("all").as_dict(),
                    "in_sample": self.agreement("in_sample").as_dict(),
                    "out_of_sample": self.agreement("out_of_sample").as_dict(),
                }
                if observable
                else None
            ),
            "lead_lag": None if lag is None else {"months": lag[0], "agreement": round(lag[1], 3)},
            "outcomes": self.outcomes,
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


def _indicator_ids(rule: Rule) -> list[str]:
    """The indicator series a rule reads (condition, definitions, lever, evidence)."""
    seen: list[str] = []
    stack: list[Node] = [rule.condition.node]
    if rule.used_when is not None:
        stack.append(rule.used_when.node)
    stack.extend(e.node for e in rule.evidence)
    done: set[str] = set()
    while stack:
        for n in walk(stack.pop()):
            if isinstance(n, Ref) and n.name in rule.definitions and n.name not in done:
                done.add(n.name)
                stack.append(rule.definitions[n.name].node)
            if isinstance(n, Call) and n.name.startswith("indicator."):
                ident = str(bind(n)["id"])
                if ident not in seen:
                    seen.append(ident)
    return seen


def _indicator_value(rows: list[dict[str, Any]]) -> oc.MonthValue:
    """Month → the value of the period containing it (shortest period, latest vintage)."""

    def value(m: date) -> float | None:
        found = [r for r in rows if r["period_start"] <= m <= r["period_end"]]
        if not found:
            return None
        best = min(found, key=lambda r: (r["period_end"] - r["period_start"]).days)
        return None if best["value"] is None else float(best["value"])

    return value


def _outcomes(data: RuleData, rule: Rule, months: list[date]) -> dict[str, Any] | None:
    """The event study of one rule's lever (None for a rule without a lever)."""
    if rule.lever is None:
        return None
    view = data.at(months[-1])
    inst = view.instrument(rule.lever)
    all_changes = [
        s.valid_from
        for s in (inst.states if inst else ())
        if months[0] <= s.valid_from <= months[-1]
    ]
    changes = oc.distinct_changes(all_changes)
    last = oc.month_start(months[-1])
    out: dict[str, Any] = {
        "lever": rule.lever,
        "direction": f"{rule.lever_by}->{rule.lever_on}" if rule.lever_by else None,
        "changes": [d.isoformat() for d in all_changes],
        "distinct_changes": [d.isoformat() for d in changes],
        "min_changes": oc.MIN_CHANGES,
        "studies": [],
        "status": "ok" if len(changes) >= oc.MIN_CHANGES else "insufficient_data",
        "reason": None
        if len(changes) >= oc.MIN_CHANGES
        else f"insufficient data: {len(changes)} distinct change(s) of {rule.lever} in the "
        f"range ({oc.MIN_CHANGES} needed; changes less than "
        f"{oc.PLACEBO_EXCLUSION_DAYS} days apart count once)",
    }
    try:
        rows = data.series("relationship", "both", months[-1])
    except RuleError as exc:
        out["series_problem"] = str(exc)
        rows = []
    values = {
        oc.month_start(r["period_start"]): float(r["value"])
        for r in rows
        if r["status"] == "ok" and r["value"] is not None
    }
    measures: list[tuple[str, oc.MonthValue]] = [("index:relationship", values.get)]
    for ident in _indicator_ids(rule):
        measures.append((f"indicator:{ident}", _indicator_value(view.indicator(ident))))
    for name, fn in measures:
        out["studies"].append(oc.study(name, fn, changes, rule.lever, last_month=last).as_dict())
    return out


def backtest(
    store: Store | RuleData,
    rules: RuleSet | Iterable[Rule],
    start: date,
    end: date | None = None,
    *,
    today: date | None = None,
    outcomes: bool = True,
) -> Backtest:
    """Evaluate ``rules`` at every month's end from ``start`` to ``end`` (default: today).

    The store is read once (everything public by the last as-of date); each month then sees
    only rows public by its own as-of date, so the backtest never looks ahead.

    Examples
    --------
    >>> from dyadwatch.policy.rules import load_rules
    >>> bt = backtest(store, load_rules(), date(2020, 1, 1), date(2021, 1, 31))
    >>> print(bt.histories[0].verdict())  # doctest: +NORMALIZE_WHITESPACE
    The condition first held in 2020-12 and held 2 month(s) in 1 spell(s), the longest
    2 month(s); the lever (merida) was not used in the range.
    """
    today = today or datetime.now(UTC).date()
    months = month_ends(start, end or today, today)
    rule_list = list(rules)
    data = data_by_dyad(store, rule_list, months[-1] if months else None)
    histories = [
        RuleHistory(
            r.id,
            r.title,
            r.kind,
            r.lever,
            split=r.split,
            asked_on=r.asked_on,
            thresholds=r.thresholds,
        )
        for r in rule_list
    ]
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
        if outcomes:
            for r, h in zip(rule_list, histories, strict=True):
                h.outcomes = _outcomes(data[r.dyad], r, months)
    return Backtest(months[0] if months else start, months[-1] if months else start, histories)


def outcome_rows(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rule with a lever, from :meth:`Backtest.summary`: agreement (all, in sample, out of
    sample), lead/lag, the lever's changes and the event study of each measure."""
    out = []
    for s in summary:
        if not s.get("lever"):
            continue
        oc_ = s.get("outcomes") or {}
        out.append(
            {
                "rule_id": s["rule_id"],
                "lever": s["lever"],
                "direction": oc_.get("direction"),
                "thresholds": s.get("thresholds"),
                "split": s.get("split"),
                "agreement": s.get("agreement"),
                "lead_lag": s.get("lead_lag"),
                "changes": oc_.get("changes", []),
                "distinct_changes": oc_.get("distinct_changes", []),
                "min_changes": oc_.get("min_changes"),
                "status": oc_.get("status"),
                "reason": oc_.get("reason"),
                "studies": oc_.get("studies", []),
            }
        )
    return out


__all__ = ["Backtest", "RuleHistory", "Spell", "backtest", "month_ends", "outcome_rows"]
