"""Calls checked against the metric registry: arguments bound by name, conditions typed.

:func:`bind` matches a metric call's arguments to the metric's parameters (filling a rule's
``window`` and ``horizon``), checking each literal's kind; :func:`check` gives a parsed
condition its type, so a rule with an unknown name, a wrong argument or a type error is
refused when the rule file is loaded, before any evaluation.

Examples
--------
>>> from dyadwatch.policy.rules.language import parse
>>> check(parse('series.value(name="relationship") < 0 and instrument.held_for("dialogue") > 6m'))
'bool'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dyadwatch.errors import RuleError, UnknownMetricError, did_you_mean
from dyadwatch.policy.rules.language import Binary, Call, Duration, Literal_, Node, Ref, Unary
from dyadwatch.policy.rules.metrics import METRICS, Metric, Param, Type, lookup


def _literal_type(value: object) -> Type:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float | int):
        return "number"
    if isinstance(value, Duration):
        return "duration"
    if isinstance(value, str):
        return "string"
    return "list"


def _check_arg(metric: Metric, p: Param, lit: Literal_) -> Any:
    v = lit.value
    where = f"argument {p.name!r} of {metric.name} (column {lit.pos + 1})"
    kind = p.kind
    if kind in ("number", "int"):
        if isinstance(v, bool) or not isinstance(v, float):
            raise RuleError(f"{where} must be a number, not {_show(v)}.")
        if kind == "int" and (v != int(v) or v < 0):
            raise RuleError(f"{where} must be a whole number >= 0, not {_show(v)}.")
        if not math.isfinite(v):
            raise RuleError(f"{where} must be finite.")
        return v
    if kind == "duration":
        if not isinstance(v, Duration):
            hint = f" (write {int(v)}m or {int(v)}d)" if isinstance(v, float) and v > 0 else ""
            raise RuleError(f"{where} must be a duration like 90d, 6m or 2y, not {_show(v)}{hint}.")
        return v
    if kind == "string":
        if not isinstance(v, str):
            raise RuleError(f"{where} must be text in quotes, not {_show(v)}.")
        if p.choices and v not in p.choices:
            raise RuleError(
                f"{where} must be one of {', '.join(p.choices)}, not {v!r}."
                f"{did_you_mean(v, p.choices)}"
            )
        return v
    if kind == "strings":
        items = v if isinstance(v, tuple) else (v,)
        if not items or not all(isinstance(x, str) for x in items):
            raise RuleError(f"{where} must be text or a list of texts, not {_show(v)}.")
        return v
    if kind == "ints":
        items = v if isinstance(v, tuple) else (v,)
        if not items or not all(
            isinstance(x, float) and not isinstance(x, bool) and x == int(x) for x in items
        ):
            raise RuleError(f"{where} must be a whole number or a list of them, not {_show(v)}.")
        if p.name == "quad" and not all(1 <= float(x) <= 4 for x in items):  # type: ignore[arg-type]
            raise RuleError(f"{where}: quad classes are 1–4.")
        return v
    if not isinstance(v, bool):
        raise RuleError(f"{where} must be true or false, not {_show(v)}.")
    return v


def _show(v: object) -> str:
    if isinstance(v, tuple):
        return "a list"
    if isinstance(v, Duration):
        return f"the duration {v}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"the number {v:g}"
    return repr(v)


def bind(
    call: Call, default_window: Duration | None = None, default_horizon: Duration | None = None
) -> dict[str, Any]:
    """The arguments of ``call`` by parameter name, checked against the metric's signature.

    ``default_window`` (the rule's ``window``) fills a ``window`` argument left out, and
    ``default_horizon`` (the rule's ``horizon``) a ``horizon`` argument.
    """
    metric = lookup(call.name)
    params = {p.name: p for p in metric.params}
    if len(call.args) > len(metric.params):
        raise RuleError(
            f"{metric.name} takes at most {len(metric.params)} argument(s), "
            f"{len(call.args)} given (column {call.pos + 1})."
        )
    bound: dict[str, Any] = {}
    for p, lit in zip(metric.params, call.args, strict=False):
        bound[p.name] = _check_arg(metric, p, lit)
    for key, lit in call.kwargs:
        found = params.get(key)
        if found is None:
            raise RuleError(
                f"{metric.name} has no argument {key!r}.{did_you_mean(key, params)} "
                f"Arguments: {', '.join(params)}."
            )
        if key in bound:
            raise RuleError(f"argument {key!r} of {metric.name} given twice.")
        bound[key] = _check_arg(metric, found, lit)
    for p in metric.params:
        if p.name == "window" and p.name not in bound and default_window is not None:
            bound[p.name] = default_window
        if p.name == "horizon" and p.name not in bound and default_horizon is not None:
            bound[p.name] = default_horizon
        if p.required and p.name not in bound:
            raise RuleError(f"{metric.name} needs the argument {p.name!r} (column {call.pos + 1}).")
        if p.name not in bound and p.default is not None:
            bound[p.name] = p.default
    return bound


def check(
    node: Node,
    definitions: Mapping[str, Type] | None = None,
    default_window: Duration | None = None,
) -> Type:
    """The type of ``node``; a :class:`RuleError` on any type error or unknown name.

    >>> from dyadwatch.policy.rules.language import parse
    >>> check(parse('instrument.held_for("dialogue") >= 6m'))
    'bool'
    """
    defs = definitions or {}
    if isinstance(node, Literal_):
        return _literal_type(node.value)
    if isinstance(node, Call):
        bind(node, default_window)
        return lookup(node.name).returns
    if isinstance(node, Ref):
        if node.name in defs:
            return defs[node.name]
        choices = [*defs, *METRICS]
        raise UnknownMetricError(
            f"column {node.pos + 1}: unknown name {node.name!r}.{did_you_mean(node.name, choices)} "
            "A bare name refers to a definition of this file; metrics are called with "
            "arguments, e.g. index.net_coop()."
        )
    if isinstance(node, Unary):
        t = check(node.operand, defs, default_window)
        want: Type = "bool" if node.op == "not" else "number"
        if t != want:
            raise RuleError(f"column {node.pos + 1}: '{node.op}' needs a {want}, not a {t}.")
        return want
    assert isinstance(node, Binary)
    lt = check(node.left, defs, default_window)
    rt = check(node.right, defs, default_window)
    at = f"column {node.pos + 1}"
    if node.op in ("and", "or"):
        if lt != "bool" or rt != "bool":
            raise RuleError(
                f"{at}: '{node.op}' joins conditions (true/false), "
                f"not a {lt if lt != 'bool' else rt}."
            )
        return "bool"
    if node.op in ("+", "-", "*", "/"):
        if lt != "number" or rt != "number":
            raise RuleError(f"{at}: '{node.op}' needs numbers, not a {lt} and a {rt}.")
        return "number"
    if node.op in ("in", "not in"):
        if not isinstance(node.right, Literal_) or rt != "list":
            raise RuleError(f"{at}: '{node.op}' needs a [list] on its right, not a {rt}.")
        items = node.right.value
        assert isinstance(items, tuple)
        if lt not in ("string", "number") or not all(_literal_type(x) == lt for x in items):
            raise RuleError(f"{at}: '{node.op}' compares a {lt} with a list of other types.")
        return "bool"
    if node.op == "like":
        if lt != "string" or not isinstance(node.right, Literal_) or rt != "string":
            raise RuleError(
                f"{at}: 'like' matches text against a quoted pattern such as \"active*\"."
            )
        return "bool"
    if lt != rt:
        hint = " (write a duration such as 6m)" if {lt, rt} == {"number", "duration"} else ""
        raise RuleError(f"{at}: cannot compare a {lt} with a {rt} using '{node.op}'{hint}.")
    if node.op in ("<", "<=", ">", ">=") and lt not in ("number", "duration"):
        raise RuleError(f"{at}: '{node.op}' orders numbers or durations, not a {lt}.")
    if lt == "list":
        raise RuleError(f"{at}: lists are compared only with 'in'.")
    return "bool"


__all__ = ["bind", "check"]
