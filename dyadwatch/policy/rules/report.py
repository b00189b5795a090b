"""Does each rule discriminate? Share of months met, changes of finding, months unknown.

A rule met in almost every month (or almost none) says little: its condition describes a
structure, not a moment, and agreement with the essay is then a matter of construction.
:func:`report` evaluates the rules at every month's end of a range (as the backtest does,
point in time) and flags a rule met in more than :data:`HIGH` or fewer than :data:`LOW` of
the months it could decide as *uninformative*. A flagged rule whose file explains why its
condition is structural (the rule's ``structural`` text) carries that explanation.

Shares are over *decided* months (met or not met): a month the record cannot decide
(``unknown``, e.g. no evidence within the rule's horizon) is counted apart, and months before
a rule's ``asked_on`` date are "not applicable".

Examples
--------
>>> from dyadwatch.policy.rules import load_rules
>>> rep = report(store, load_rules(), date(2020, 1, 1), date(2021, 1, 31))
>>> row = rep.rows[0]
>>> row.id, row.months, row.met
('merida_suspend', 13, 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from dyadwatch.policy.rules.backtest import RuleHistory, backtest
from dyadwatch.policy.rules.data import RuleData
from dyadwatch.policy.rules.loader import Rule, RuleSet
from dyadwatch.store.store import Store

HIGH = 0.90
"""Met in more than this share of decided months: uninformative."""

LOW = 0.02
"""Met in fewer than this share of decided months: uninformative."""


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One rule over the range."""

    id: str
    kind: str
    months: int
    met: int
    not_met: int
    unknown: int
    not_applicable: int
    changes: int
    share_met: float | None
    flag: str | None
    structural: str | None

    @property
    def decided(self) -> int:
        return self.met + self.not_met

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "months": self.months,
            "met": self.met,
            "not_met": self.not_met,
            "unknown": self.unknown,
            "not_applicable": self.not_applicable,
            "decided": self.decided,
            "share_met": None if self.share_met is None else round(self.share_met, 4),
            "changes": self.changes,
            "flag": self.flag,
            "structural": self.structural,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The discrimination report of a rule set over a range of months."""

    start: date
    end: date
    rows: tuple[ReportRow, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "high": HIGH,
            "low": LOW,
            "rules": [r.as_dict() for r in self.rows],
        }

    @property
    def unexplained(self) -> list[ReportRow]:
        """Flagged rules whose file does not explain why their condition is structural."""
        return [r for r in self.rows if r.flag and not r.structural]


def changes_of(statuses: list[str]) -> int:
    """How many times the finding changed from one month to the next.

    >>> changes_of(["met", "met", "unknown", "not_met", "not_met"])
    2
    """
    return sum(a != b for a, b in pairwise(statuses))


def row_of(h: RuleHistory, rule: Rule | None = None) -> ReportRow:
    """The report row of one rule's backtest history."""
    applicable = [s for s, a in zip(h.statuses, h.applicable, strict=True) if a]
    met = applicable.count("met")
    not_met = applicable.count("not_met")
    decided = met + not_met
    share = met / decided if decided else None
    flag = None
    if share is None:
        flag = "undecided: no month of the range could be decided"
    elif share > HIGH:
        flag = f"uninformative: met in {share:.0%} of decided months (more than {HIGH:.0%})"
    elif share < LOW:
        flag = f"uninformative: met in {share:.0%} of decided months (fewer than {LOW:.0%})"
    structural = rule.structural if rule is not None and rule.structural else None
    return ReportRow(
        id=h.rule_id,
        kind=h.kind,
        months=len(h.months),
        met=met,
        not_met=not_met,
        unknown=applicable.count("unknown"),
        not_applicable=len(h.statuses) - len(applicable),
        changes=changes_of(applicable),
        share_met=share,
        flag=flag,
        structural=structural if flag else None,
    )


def report(
    store: Store | RuleData,
    rules: RuleSet | Iterable[Rule],
    start: date,
    end: date | None = None,
    *,
    today: date | None = None,
) -> Report:
    """The discrimination report of ``rules`` over the months ``start`` … ``end``.

    Parameters
    ----------
    store
        The store (or data loaded from it).
    rules
        The rules (:func:`~.loader.load_rules`).
    start, end
        First and last month (any day of them); ``end`` defaults to today.
    """
    rule_list = list(rules)
    bt = backtest(store, rule_list, start, end, today=today, outcomes=False)
    by_id = {r.id: r for r in rule_list}
    rows = tuple(row_of(h, by_id.get(h.rule_id)) for h in bt.histories)
    return Report(bt.start, bt.end, rows)


__all__ = ["HIGH", "LOW", "Report", "ReportRow", "changes_of", "report", "row_of"]
