"""Rules: the essay's conditional recommendations as data, evaluated as of any date, backtested.

A rule file (YAML, :mod:`.loader`) holds rules whose conditions are written in a small,
safe expression language (:mod:`.language`) over named metrics (:mod:`.metrics`).
:func:`evaluate` turns a rule set into findings as of a date; :func:`backtest` evaluates
every month of a range and sets each rule's advice against when its lever was used.
See docs/rules.md.

Examples
--------
>>> rules = load_rules()
>>> from datetime import date
>>> findings = evaluate(store, rules, date(2021, 1, 31))
>>> [(f.rule_id, f.status) for f in findings][:2]
[('merida_suspend', 'met'), ('treatment_funding_conditional', 'met')]
"""

from dyadwatch.policy.rules.backtest import Backtest, RuleHistory, Spell, backtest
from dyadwatch.policy.rules.data import RuleData
from dyadwatch.policy.rules.evaluate import evaluate, finding_dict, findings_table
from dyadwatch.policy.rules.language import Duration, parse
from dyadwatch.policy.rules.loader import Rule, RuleProblem, RuleSet, load_rules
from dyadwatch.policy.rules.metrics import METRICS

__all__ = [
    "METRICS",
    "Backtest",
    "Duration",
    "Rule",
    "RuleData",
    "RuleHistory",
    "RuleProblem",
    "RuleSet",
    "Spell",
    "backtest",
    "evaluate",
    "finding_dict",
    "findings_table",
    "load_rules",
    "parse",
]
