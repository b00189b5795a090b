"""Checks a rule file must pass beyond its grammar and types: names that exist, state patterns
that can match, thresholds that say where they come from, definitions without cycles.

Each function returns problems as plain messages; :mod:`.loader` attaches file and line.

Examples
--------
>>> from dyadwatch.policy.rules.catalogue import Catalogue, InstrumentInfo
>>> cat = Catalogue({"merida": InstrumentInfo("merida", ("active", "assistance_frozen"))})
>>> text = 'instrument.state("merida") like "*suspended*"'
>>> problems = name_problems(parse(text), text, cat)
>>> "matches no state merida can be in" in problems[0]
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dyadwatch.errors import did_you_mean
from dyadwatch.policy.rules.binding import bind
from dyadwatch.policy.rules.catalogue import Catalogue
from dyadwatch.policy.rules.data import glob_match
from dyadwatch.policy.rules.language import (
    COMPARISONS,
    Binary,
    Call,
    Literal_,
    Node,
    Ref,
    parse,
    source_of,
    walk,
)

COUNT_METRICS = frozenset({"events.count", "series.n"})
"""Metrics that count: comparing them with 0 or 1 tests existence, not a tuned threshold."""

HISTORY_METRICS = frozenset({"series.percentile", "indicator.percentile"})
"""Metrics whose value places the present within the measure's own past."""

BASES = ("history", "calibrated", "none")
"""What a rule's ``thresholds`` may say."""


def _state_call(node: Node) -> Call | None:
    return node if isinstance(node, Call) and node.name == "instrument.state" else None


def _describe_vocab(inst: str, vocab: tuple[str, ...]) -> str:
    return f"{inst} can be in: {', '.join(vocab)}"


def name_problems(node: Node, text: str, catalogue: Catalogue) -> list[str]:
    """Instruments, states, indicators and series a condition names that cannot exist.

    A state compared with ``==``, ``!=`` or ``in`` must be in the instrument's declared
    vocabulary; a ``like`` pattern (or the ``state`` of ``instrument.ever``) must match at least
    one of them. Instruments without a declared vocabulary only need to exist.
    """
    out: list[str] = []
    for n in walk(node):
        if isinstance(n, Call):
            args = bind(n)
            if n.name.startswith("instrument.") and catalogue.instruments:
                inst = str(args["id"])
                if inst not in catalogue.instruments:
                    out.append(
                        f"{source_of(n, text)}: no instrument {inst!r}."
                        f"{did_you_mean(inst, catalogue.instruments)} "
                        "Instruments are declared in the knowledge base (instruments.yaml)."
                    )
                elif n.name == "instrument.ever":
                    vocab = catalogue.instruments[inst].vocabulary
                    pattern = str(args["state"])
                    if vocab is not None and not any(glob_match(v, pattern) for v in vocab):
                        out.append(
                            f"{source_of(n, text)}: the pattern {pattern!r} matches no state "
                            f"{inst} can be in ({_describe_vocab(inst, vocab)})."
                        )
            if n.name.startswith("indicator.") and catalogue.indicators:
                ident = str(args["id"])
                if ident not in catalogue.indicators:
                    out.append(
                        f"{source_of(n, text)}: no indicator series {ident!r}."
                        f"{did_you_mean(ident, catalogue.indicators)} "
                        "List them with `dyadwatch indicators`."
                    )
        if isinstance(n, Binary) and n.op in COMPARISONS:
            call = _state_call(n.left) or _state_call(n.right)
            lit = n.right if isinstance(n.right, Literal_) else n.left
            if call is None or not isinstance(lit, Literal_):
                continue
            inst = str(bind(call)["id"])
            info = catalogue.instruments.get(inst)
            if info is None or info.vocabulary is None:
                continue
            vocab = info.vocabulary
            values = lit.value if isinstance(lit.value, tuple) else (lit.value,)
            for v in values:
                if not isinstance(v, str):
                    continue
                if n.op == "like":
                    if not any(glob_match(s, v) for s in vocab):
                        out.append(
                            f"{source_of(n, text)}: the pattern {v!r} matches no state {inst} "
                            f"can be in ({_describe_vocab(inst, vocab)}), so the test could "
                            "never come out true."
                        )
                elif v not in vocab:
                    out.append(
                        f"{source_of(n, text)}: {v!r} is not a state {inst} can be in."
                        f"{did_you_mean(v, vocab)} ({_describe_vocab(inst, vocab)})."
                    )
    return out


@dataclass(frozen=True, slots=True)
class Threshold:
    """A comparison of a measured number with a fixed number."""

    text: str
    from_history: bool


def _from_history(node: Node, definitions: Mapping[str, Node]) -> bool:
    if isinstance(node, Call):
        return node.name in HISTORY_METRICS
    if isinstance(node, Ref) and node.name in definitions:
        return _from_history(definitions[node.name], definitions)
    return False


def _is_number(node: Node) -> bool:
    return isinstance(node, Literal_) and isinstance(node.value, float)


def thresholds(
    node: Node,
    text: str,
    definitions: Mapping[str, tuple[Node, str]],
    _seen: frozenset[str] = frozenset(),
) -> list[Threshold]:
    """Every fixed numeric threshold ``node`` tests, through the definitions it uses.

    A count compared with 0 or 1 (``events.count(…) >= 1``) tests whether something happened
    at all and is not a threshold.
    """
    out: list[Threshold] = []
    nodes = {k: v[0] for k, v in definitions.items()}
    for n in walk(node):
        if isinstance(n, Ref) and n.name in definitions and n.name not in _seen:
            d_node, d_text = definitions[n.name]
            out.extend(thresholds(d_node, d_text, definitions, _seen | {n.name}))
        if not isinstance(n, Binary) or n.op not in ("<", "<=", ">", ">=", "==", "!="):
            continue
        if _is_number(n.right):
            measured, lit = n.left, n.right
        elif _is_number(n.left):
            measured, lit = n.right, n.left
        else:
            continue
        assert isinstance(lit, Literal_)
        if isinstance(measured, Call) and measured.name in COUNT_METRICS and lit.value in (0, 1):
            continue
        out.append(Threshold(source_of(n, text), _from_history(measured, nodes)))
    return out


def threshold_problems(
    basis: str | None,
    found: list[Threshold],
    calibration_declared: bool,
) -> list[str]:
    """What is wrong with a rule's ``thresholds`` declaration given the thresholds it tests."""
    if not found:
        if basis not in (None, "none"):
            return [f"thresholds: {basis!r} declared, but the condition tests no fixed number."]
        return []
    listed = "; ".join(t.text for t in found)
    if basis in (None, "none"):
        return [
            f"the condition tests fixed numbers ({listed}): say where they come from with "
            "`thresholds: history` (percentiles of the measure's own past) or `thresholds: "
            "calibrated` (chosen on the file's `calibration` window, which must end before "
            "2020-10-01)."
        ]
    if basis == "history":
        bad = [t.text for t in found if not t.from_history]
        if bad:
            return [
                f"thresholds: history, but {'; '.join(bad)} does not compare a measure with its "
                "own past (use series.percentile or indicator.percentile, or declare "
                "`thresholds: calibrated`)."
            ]
        return []
    if basis == "calibrated" and not calibration_declared:
        return [
            "thresholds: calibrated, but the file declares no `calibration` window "
            "(e.g. `calibration: 2007-01..2020-09`)."
        ]
    return []


def definition_cycles(deps: Mapping[str, set[str]]) -> list[list[str]]:
    """Cycles among definitions (each as the names along it, the first repeated at the end).

    >>> definition_cycles({"a": {"b"}, "b": {"a"}, "c": set()})
    [['a', 'b', 'a']]
    """
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []
    seen_sets: set[frozenset[str]] = set()

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for dep in sorted(deps.get(name, ())):
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[name] = 2

    for name in deps:
        if name not in state:
            visit(name)
    return cycles


def references(node: Node) -> set[str]:
    """The bare names (definitions) ``node`` uses."""
    return {n.name for n in walk(node) if isinstance(n, Ref)}


__all__ = [
    "BASES",
    "COUNT_METRICS",
    "HISTORY_METRICS",
    "Threshold",
    "definition_cycles",
    "name_problems",
    "parse",
    "references",
    "threshold_problems",
    "thresholds",
]
