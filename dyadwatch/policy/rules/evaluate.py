"""Evaluate rules as of a date: findings with status, metric values, evidence and an explanation.

Truth has three values. A metric that cannot answer (too few events for a ratio, no state
known yet) gives *unknown*; ``and``/``or``/``not`` follow Kleene's logic (``false and
unknown`` is false, ``true or unknown`` is true), comparisons with an unknown side are
unknown. The condition's value becomes the finding's status: true → ``met``, false →
``not_met``, unknown → ``unknown``, and the finding's ``reason`` says in one line why
(which test failed, or what is missing: evidence older than the rule's horizon, too few
events behind the index's month, an indicator not yet published). Silence is never
``not_met``. Before a rule's ``asked_on`` date the finding is ``unknown`` ("not yet asked
for"). Where a repair step is met while advice that lasts "until things improve" still
applies, both findings say why that is not a contradiction (:func:`reconcile`).

Point in time: every metric reads a :class:`~.data.View` that sees only rows with
``known_at`` at or before the end of the as-of day (UTC).

Examples
--------
>>> from dyadwatch.policy.rules import load_rules
>>> findings = evaluate(store, load_rules(), date(2021, 1, 31))
>>> [(f.rule_id, f.status) for f in findings][:2]
[('merida_suspend', 'met'), ('treatment_funding_conditional', 'met')]
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from dyadwatch.errors import RuleError, did_you_mean
from dyadwatch.model import Evidence, Finding
from dyadwatch.policy.rules.binding import bind
from dyadwatch.policy.rules.data import RuleData, View, glob_match
from dyadwatch.policy.rules.language import (
    Binary,
    Call,
    Duration,
    Literal_,
    Node,
    Ref,
    Unary,
    walk,
)
from dyadwatch.policy.rules.loader import Rule, RuleSet
from dyadwatch.policy.rules.metrics import Result, lookup
from dyadwatch.store.store import Store

log = logging.getLogger(__name__)

Value = float | str | bool | Duration | tuple[object, ...] | None

MAX_EVIDENCE = 30
_OPS = {
    "<": "below",
    "<=": "at most",
    ">": "above",
    ">=": "at least",
    "==": "equal to",
    "!=": "other than",
    "in": "one of",
    "not in": "none of",
    "like": "matching",
}


@dataclass
class Trace:
    """What one rule's evaluation looked at."""

    metrics: dict[str, Any] = field(default_factory=dict)
    evidence: dict[tuple[str, str], Evidence] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Evaluator:
    """Evaluates rules against one :class:`View`, caching metric results across rules."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Result | RuleError] = {}

    def metric(self, call: Call, rule: Rule) -> tuple[Result | RuleError, dict[str, Any]]:
        args = bind(call, rule.window, rule.horizon)
        key = (call.name, tuple(sorted((k, repr(v)) for k, v in args.items())))
        cached = self.cache.get(key)
        if cached is None:
            try:
                cached = lookup(call.name).fn(self.view, args)
            except RuleError as exc:
                cached = exc
            self.cache[key] = cached
        return cached, args

    def value(self, node: Node, rule: Rule, trace: Trace, text: str) -> Value:
        if isinstance(node, Literal_):
            return node.value
        if isinstance(node, Call):
            result, _ = self.metric(node, rule)
            label = " ".join(text[node.pos : node.end].split())
            if isinstance(result, RuleError):
                trace.metrics[label] = None
                if str(result) not in trace.notes:
                    trace.notes.append(str(result))
                return None
            trace.metrics[label] = _jsonable(result.value)
            for ev in result.evidence:
                trace.evidence.setdefault((ev.kind, ev.ref), ev)
            return result.value
        if isinstance(node, Ref):
            d = rule.definitions[node.name]
            v = self.value(d.node, rule, trace, d.text)
            trace.metrics[node.name] = _jsonable(v)
            return v
        if isinstance(node, Unary):
            v = self.value(node.operand, rule, trace, text)
            if v is None:
                return None
            if node.op == "not":
                return not v
            assert isinstance(v, float)
            return -v
        assert isinstance(node, Binary)
        if node.op in ("and", "or"):
            left = self.value(node.left, rule, trace, text)
            right = self.value(node.right, rule, trace, text)
            if node.op == "and":
                if left is False or right is False:
                    return False
                return None if left is None or right is None else True
            if left is True or right is True:
                return True
            return None if left is None or right is None else False
        left = self.value(node.left, rule, trace, text)
        right = self.value(node.right, rule, trace, text)
        if left is None or right is None:
            return None
        return _apply(node.op, left, right, self.view.as_of)


def _apply(op: str, left: Any, right: Any, as_of: date) -> Value:
    if isinstance(left, Duration):
        left = left.days(as_of)
    if isinstance(right, Duration):
        right = right.days(as_of)
    if op == "+":
        return float(left + right)
    if op == "-":
        return float(left - right)
    if op == "*":
        return float(left * right)
    if op == "/":
        return None if right == 0 else float(left / right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    if op == "like":
        return glob_match(str(left), str(right))
    raise RuleError(f"unknown operator {op!r}")


def _jsonable(v: Any) -> Any:
    if isinstance(v, Duration):
        return str(v)
    if isinstance(v, tuple):
        return list(v)
    return v


def fmt(v: Any) -> str:
    """A value as the explanation writes it."""
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{int(v)}" if v == int(v) and abs(v) < 1e12 else f"{v:.2f}"
    if isinstance(v, Duration):
        if v.unit == "d":
            months = v.amount / 30.44
            return f"{v.amount} days" + (f" (about {months:.0f} months)" if v.amount >= 60 else "")
        return v.words()
    if isinstance(v, tuple):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    return f'"{v}"'


def describe(node: Node, rule: Rule, ev: Evaluator) -> str:
    if isinstance(node, Literal_):
        if isinstance(node.value, Duration):
            return node.value.words()
        return fmt(node.value)
    if isinstance(node, Call):
        try:
            return lookup(node.name).describe(bind(node, rule.window, rule.horizon))
        except RuleError:
            return node.name
    if isinstance(node, Ref):
        return f"'{node.name}'"
    if isinstance(node, Unary):
        return f"not ({describe(node.operand, rule, ev)})"
    assert isinstance(node, Binary)
    return f"{describe(node.left, rule, ev)} {node.op} {describe(node.right, rule, ev)}"


def _clauses(node: Node, rule: Rule, ev: Evaluator, text: str, negated: bool = False) -> list[str]:
    """One sentence per atomic test of ``node``; a definition explains its own tests."""
    if isinstance(node, Binary) and node.op in ("and", "or"):
        return _clauses(node.left, rule, ev, text, negated) + _clauses(
            node.right, rule, ev, text, negated
        )
    if isinstance(node, Unary) and node.op == "not":
        return _clauses(node.operand, rule, ev, text, not negated)
    if isinstance(node, Ref) and node.name in rule.definitions:
        d = rule.definitions[node.name]
        value = ev.value(d.node, rule, Trace(), d.text)
        need = " (the rule needs it false)" if negated else ""
        inner = "; ".join(c.rstrip(".") for c in _clauses(d.node, rule, ev, d.text))
        return [f"'{node.name}' is {fmt(value)}{need}: {inner}."]
    sentence = _clause(node, rule, ev, text)
    if negated:
        sentence = sentence.rstrip(".") + " (the rule needs this not to hold)."
    return [sentence]


def _clause(node: Node, rule: Rule, ev: Evaluator, text: str) -> str:
    scratch = Trace()
    value = ev.value(node, rule, scratch, text)
    verdict = {True: "holds", False: "does not hold", None: "cannot be decided"}[
        None if value is None else bool(value)
    ]
    if isinstance(node, Binary) and node.op in _OPS:
        left = ev.value(node.left, rule, scratch, text)
        detail = ""
        if isinstance(node.left, Call):
            res, _ = ev.metric(node.left, rule)
            if isinstance(res, RuleError):
                detail = f" ({res})"
            elif res.detail:
                detail = f" ({res.detail})"
        return (
            f"{describe(node.left, rule, ev)} is {fmt(left)}{detail}; "
            f"the test is {_OPS[node.op]} {describe(node.right, rule, ev)}: {verdict}."
        )
    return f"{describe(node, rule, ev)} is {fmt(value)}."


def explain(rule: Rule, status: str, ev: Evaluator, lever_used: bool | None) -> str:
    """One paragraph: the verdict, each test with its value, and what the rule recommends."""
    as_of = ev.view.as_of
    head = {
        "met": "holds",
        "not_met": "does not hold",
        "unknown": "cannot be decided from the data known then",
    }[status]
    parts = [f"As of {as_of.isoformat()}, the condition of '{rule.title}' {head}."]
    parts.extend(_clauses(rule.condition.node, rule, ev, rule.condition.text))
    if rule.kind == "repair":
        if status == "met":
            parts.append(f"Mexico has taken this repair step. {rule.recommendation}")
        elif status == "not_met":
            parts.append(f"The repair step is not (or no longer) taken. {rule.recommendation}")
    elif status == "met":
        parts.append(f"The advice applies: {rule.recommendation}")
    elif status == "not_met":
        parts.append("The advice does not apply on this date.")
    if rule.lever and lever_used is not None:
        parts.append(
            f"The lever ({rule.lever}) was {'in use' if lever_used else 'not in use'} on this date."
        )
    if rule.citation:
        parts.append(f"Source of the advice: {rule.citation}.")
    return " ".join(parts)


def _status(value: Value) -> str:
    if value is None:
        return "unknown"
    return "met" if value else "not_met"


_VERDICT = {True: "holds", False: "fails", None: "unknown"}


def _why_unknown(node: Node, rule: Rule, ev: Evaluator) -> str | None:
    """What an unknown part of ``node`` is missing: the first metric that gave no value."""
    if isinstance(node, Ref) and node.name in rule.definitions:
        return _why_unknown(rule.definitions[node.name].node, rule, ev)
    if isinstance(node, Call):
        res, _ = ev.metric(node, rule)
        if isinstance(res, RuleError):
            return str(res).rstrip(".")
        return res.detail or "no value" if res.value is None else None
    if isinstance(node, Unary):
        return _why_unknown(node.operand, rule, ev)
    if isinstance(node, Binary):
        for side in (node.left, node.right):
            if ev.value(side, rule, Trace(), "") is None or isinstance(side, Ref | Binary):
                why = _why_unknown(side, rule, ev)
                if why:
                    return why
    return None


def _top_clauses(node: Node) -> tuple[str, list[Node]]:
    """The top-level ``and`` (or ``or``) of a condition and its parts."""
    if isinstance(node, Binary) and node.op in ("and", "or"):
        op = node.op
        out: list[Node] = []
        stack: list[Node] = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, Binary) and n.op == op:
                stack.extend((n.right, n.left))
            else:
                out.append(n)
        return op, out
    return "and", [node]


def _short(node: Node, rule: Rule, ev: Evaluator, text: str) -> str:
    value = ev.value(node, rule, Trace(), text)
    verdict = _VERDICT[None if value is None else bool(value)]
    if isinstance(node, Ref):
        return f"'{node.name}' {verdict}"
    if isinstance(node, Unary) and node.op == "not" and isinstance(node.operand, Ref):
        inner = ev.value(node.operand, rule, Trace(), text)
        return f"'{node.operand.name}' is {fmt(inner)}"
    if isinstance(node, Binary) and node.op in ("and", "or"):
        _, parts = _top_clauses(node)
        inner = f" {node.op} ".join(_short(p, rule, ev, text) for p in parts)
        return f"({inner}) {verdict}"
    if isinstance(node, Unary) and node.op == "not":
        return f"not [{_short(node.operand, rule, ev, text)}] {verdict}"
    if isinstance(node, Binary) and node.op in _OPS:
        left = ev.value(node.left, rule, Trace(), text)
        return (
            f"{describe(node.left, rule, ev)} is {fmt(left)} "
            f"(test: {_OPS[node.op]} {describe(node.right, rule, ev)})"
        )
    return f"{describe(node, rule, ev)}: {verdict}"


def reason(rule: Rule, ev: Evaluator, status: str) -> str:
    """One line: why the finding is what it is.

    ``met`` lists the parts that hold, ``not_met`` the parts that fail, ``unknown`` what is
    missing (with the metric's own words: "no evidence since …", "insufficient evidence …").
    """
    text = rule.condition.text
    op, parts = _top_clauses(rule.condition.node)
    values = [ev.value(p, rule, Trace(), text) for p in parts]
    if status == "unknown":
        unknown = [p for p, v in zip(parts, values, strict=True) if v is None]
        whys = [w for w in (_why_unknown(p, rule, ev) for p in unknown) if w]
        what = "; ".join(dict.fromkeys(whys)) or "a part of the condition has no value"
        return f"unknown: {what}."
    if status == "met":
        chosen = [p for p, v in zip(parts, values, strict=True) if v is True]
        if op == "or":
            chosen = chosen[:1]
        return "met: " + "; ".join(_short(p, rule, ev, text) for p in chosen) + "."
    chosen = [p for p, v in zip(parts, values, strict=True) if v is False]
    return "not met: " + "; ".join(_short(p, rule, ev, text) for p in chosen) + "."


def _order(e: Evidence) -> tuple[int, int, str]:
    """Instrument states, then indicator points, then events; the most recent first."""
    rank = {"instrument_state": 0, "indicator": 1, "metric": 2, "event": 3}[e.kind]
    return rank, -(e.date.toordinal() if e.date else 0), e.ref


def evaluate_rule(rule: Rule, ev: Evaluator) -> Finding:
    """Evaluate one rule with an :class:`Evaluator` (shared across rules for its cache)."""
    if rule.asked_on is not None and ev.view.as_of < rule.asked_on:
        why = (
            "unknown: not yet asked for on this date (the advice came later); "
            "whether it was followed before then is not a question the record can answer."
        )
        return Finding(
            rule_id=rule.id,
            title=rule.title,
            as_of=ev.view.as_of,
            status="unknown",
            metrics={},
            evidence=(),
            explanation=f"As of {ev.view.as_of.isoformat()}, '{rule.title}' was {why[9:]}",
            lever=rule.lever,
            reason=why,
        )
    trace = Trace()
    value = ev.value(rule.condition.node, rule, trace, rule.condition.text)
    lever_used: bool | None = None
    if rule.used_when is not None:
        used = ev.value(rule.used_when.node, rule, Trace(), rule.used_when.text)
        lever_used = None if used is None else bool(used)
    for extra in rule.evidence:
        ev.value(extra.node, rule, trace, extra.text)
    status = _status(value)
    metrics: dict[str, Any] = dict(trace.metrics)
    if rule.used_when is not None:
        metrics["lever_in_use"] = lever_used
    if rule.lever and rule.lever not in ev.view.data.instrument_ids:
        trace.notes.append(
            f"the lever {rule.lever!r} is not an instrument in the store."
            f"{did_you_mean(rule.lever, ev.view.data.instrument_ids)}"
        )
    text = explain(rule, status, ev, lever_used)
    if trace.notes:
        text += " Data problems: " + " ".join(trace.notes)
    evidence = sorted(trace.evidence.values(), key=_order)[:MAX_EVIDENCE]
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        as_of=ev.view.as_of,
        status=status,  # type: ignore[arg-type]
        metrics=metrics,
        evidence=tuple(evidence),
        explanation=text,
        lever=rule.lever,
        reason=reason(rule, ev, status),
    )


def _negated_definitions(rule: Rule) -> list[str]:
    """Definitions the rule needs false (``not improved``): its "until …" conditions."""
    out = []
    for n in walk(rule.condition.node):
        if (
            isinstance(n, Unary)
            and n.op == "not"
            and isinstance(n.operand, Ref)
            and n.operand.name in rule.definitions
        ):
            out.append(n.operand.name)
    return list(dict.fromkeys(out))


def _failing(name: str, rule: Rule, ev: Evaluator, depth: int = 2) -> str:
    """The parts of definition ``name`` that do not hold, opening nested definitions."""
    d = rule.definitions[name]
    _, parts = _top_clauses(d.node)
    values = [ev.value(p, rule, Trace(), d.text) for p in parts]
    out = []
    for p, v in zip(parts, values, strict=True):
        if v is True:
            continue
        text = _short(p, rule, ev, d.text)
        if isinstance(p, Ref) and p.name in rule.definitions and depth > 1:
            text += f": {_failing(p.name, rule, ev, depth - 1)}"
        out.append(text)
    return "; ".join(out) or "it does not hold"


def reconcile(
    findings: list[Finding], rules: list[Rule], ev_by_dyad: dict[str, Evaluator]
) -> list[Finding]:
    """Explain findings that look contradictory: a repair step taken (met) while advice that
    lasts "until things improve" still applies (met).

    Both are right at once: a repair step is one of the things that could lead to improvement,
    and the improvement the advice waits for (its ``not <definition>``) asks for more. Each
    such finding gets a sentence saying which part of the improvement is still missing.
    """
    by_id = {r.id: r for r in rules}
    repairs = [f for f in findings if f.status == "met" and by_id[f.rule_id].kind == "repair"]
    if not repairs:
        return findings
    out = []
    notes: dict[str, list[str]] = {}
    waiting: dict[tuple[str, str], list[str]] = {}
    titles = "; ".join(f"'{r.title}'" for r in repairs)
    for f in findings:
        rule = by_id[f.rule_id]
        if f.status != "met" or rule.kind != "recommendation":
            continue
        for name in _negated_definitions(rule):
            missing = _failing(name, rule, ev_by_dyad[rule.dyad])
            notes.setdefault(f.rule_id, []).append(
                f"Not a contradiction with the repair step(s) taken ({titles}): this advice "
                f"lasts until '{name}' holds, and it does not yet ({missing})."
            )
            waiting.setdefault((name, missing), []).append(f"'{rule.title}'")
    for (name, missing), recs in waiting.items():
        for r in repairs:
            notes.setdefault(r.rule_id, []).append(
                f"Not a contradiction with the advice that still applies ({'; '.join(recs)}): "
                f"a repair step is a start, while that advice waits for '{name}', which does "
                f"not hold yet ({missing})."
            )
    for f in findings:
        extra = list(dict.fromkeys(notes.get(f.rule_id, [])))[:3]
        if not extra:
            out.append(f)
            continue
        # Also first among the evidence, so that every view listing a finding's evidence (the
        # brief, the dashboard) shows why the two findings do not contradict each other.
        why = Evidence(
            kind="metric", ref=f"why-both:{f.rule_id}", date=f.as_of, text=" ".join(extra)
        )
        out.append(
            replace(
                f,
                explanation=f.explanation + " " + " ".join(extra),
                evidence=(why, *f.evidence[: MAX_EVIDENCE - 1]),
            )
        )
    return out


def _as_date(d: date | datetime) -> date:
    return d.date() if isinstance(d, datetime) else d


def evaluate(
    store: Store | RuleData,
    rules: RuleSet | Iterable[Rule],
    as_of: date | datetime,
) -> list[Finding]:
    """Evaluate ``rules`` as of ``as_of``: one :class:`~dyadwatch.model.Finding` per rule.

    Parameters
    ----------
    store
        The store (or data already loaded from it with :meth:`RuleData.load`).
    rules
        A :class:`RuleSet` (from :func:`load_rules`) or rules.
    as_of
        The date: only what was public by the end of that day (UTC) is seen.

    Examples
    --------
    >>> from dyadwatch.policy.rules import load_rules
    >>> f = evaluate(store, load_rules(), date(2021, 1, 31))[0]
    >>> f.status, f.explanation[:34]
    ('met', 'As of 2021-01-31, the condition of')
    """
    day = _as_date(as_of)
    rule_list = list(rules)
    data = data_by_dyad(store, rule_list, day)
    evaluators = {dyad: Evaluator(d.at(day)) for dyad, d in data.items()}
    findings = [evaluate_rule(r, evaluators[r.dyad]) for r in rule_list]
    return reconcile(findings, rule_list, evaluators)


def data_by_dyad(
    store: Store | RuleData, rules: list[Rule], until: date | None
) -> dict[str, RuleData]:
    """The data each rule's dyad needs: loaded once per dyad, or the data given.

    Raises :class:`RuleError` if loaded data is given for another dyad than a rule's.
    """
    if isinstance(store, RuleData):
        for r in rules:
            if r.dyad != store.dyad:
                raise RuleError(
                    f"rule {r.id} is about {r.dyad} but the data was loaded for {store.dyad}: "
                    f"load it with RuleData.load(store, dyad={r.dyad!r})."
                )
        return {store.dyad: store}
    return {
        dyad: RuleData.load(store, dyad=dyad, until=until)
        for dyad in dict.fromkeys(r.dyad for r in rules)
    }


def findings_table(findings: Iterable[Finding]) -> pa.Table:
    """Findings as an Arrow table: one row per rule (metrics and evidence as JSON text).

    >>> findings_table([]).column_names[:3]
    ['rule_id', 'title', 'as_of']
    """
    rows = []
    for f in findings:
        d = finding_dict(f)
        d["as_of"] = f.as_of
        d["metrics"] = json.dumps(d["metrics"], ensure_ascii=False, default=str)
        d["evidence"] = json.dumps(d["evidence"], ensure_ascii=False)
        rows.append(d)
    schema = pa.schema(
        [
            ("rule_id", pa.string()),
            ("title", pa.string()),
            ("as_of", pa.date32()),
            ("status", pa.string()),
            ("reason", pa.string()),
            ("lever", pa.string()),
            ("metrics", pa.string()),
            ("explanation", pa.string()),
            ("evidence", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def finding_dict(f: Finding) -> dict[str, Any]:
    """A finding as plain JSON-ready data."""
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "as_of": f.as_of.isoformat(),
        "status": f.status,
        "reason": f.reason,
        "lever": f.lever,
        "metrics": dict(f.metrics),
        "explanation": f.explanation,
        "evidence": [
            {
                "kind": e.kind,
                "ref": e.ref,
                "date": e.date.isoformat() if e.date else None,
                "text": e.text,
                "urls": list(e.urls),
            }
            for e in f.evidence
        ],
    }


__all__ = [
    "Evaluator",
    "evaluate",
    "evaluate_rule",
    "explain",
    "finding_dict",
    "findings_table",
    "reason",
    "reconcile",
]
