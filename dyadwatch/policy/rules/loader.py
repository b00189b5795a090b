"""Rule files: YAML → checked :class:`Rule` objects, with every problem at its file and line.

A rule file is a mapping (see docs/rules.md for every key)::

    version: 1
    dyad: USA-MEX                      # optional, default USA-MEX
    citation: "…"                      # optional default citation of the file's rules
    definitions:                       # optional named sub-conditions, usable by name
      no_improvement: 'index.net_coop(window=12m) < 0.2'
    rules:
      - id: stop_returning_suspects
        title: …
        kind: recommendation           # or repair
        recommendation: …              # paraphrase of the advice
        citation: …
        lever: extradition             # instrument id
        condition: 'no_improvement and instrument.state("indictments") like "*dropped*"'
        window: 12m                    # default window= of the condition's metrics
        used_when: 'instrument.state("extradition") == "mass_transfers"'
        evidence: ['events.count(instrument="extradition", window=12m)']

Loading never stops at the first bad rule: a rule with an unknown metric, a type error, a bad
window or a missing key becomes a :class:`RuleProblem` (file, line, rule id, message) and the
others load. A file whose YAML does not parse gives one problem at the line YAML names.

Examples
--------
>>> rs = load_rules()  # the default rule set shipped with dyadwatch
>>> rs.problems
()
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dyadwatch.errors import RuleError, UsageError, did_you_mean
from dyadwatch.policy.rules.language import Duration, Node, parse, tokenize
from dyadwatch.policy.rules.metrics import Type, check
from dyadwatch.store.query import parse_dyad

RULE_KEYS = (
    "id",
    "title",
    "kind",
    "recommendation",
    "citation",
    "lever",
    "condition",
    "window",
    "used_when",
    "evidence",
    "note",
)
REQUIRED_KEYS = ("id", "title", "condition")
FILE_KEYS = ("version", "dyad", "citation", "definitions", "rules")
KINDS = ("recommendation", "repair")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_DEFINITIONS = 100
"""Definitions per file (each may use the ones before it, so this bounds their nesting)."""


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """Why a rule (or a whole file) did not load."""

    file: str
    line: int | None
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" rule {self.rule_id}:" if self.rule_id else ""
        return f"{where}:{who} {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "rule": self.rule_id, "message": self.message}


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed, type-checked condition with its text."""

    text: str
    node: Node
    type: Type


@dataclass(frozen=True, slots=True)
class Rule:
    """One conditional recommendation (or repair action) as data."""

    id: str
    title: str
    condition: Expression
    kind: str = "recommendation"
    recommendation: str = ""
    citation: str = ""
    lever: str | None = None
    window: Duration | None = None
    used_when: Expression | None = None
    evidence: tuple[Expression, ...] = ()
    note: str = ""
    dyad: str = "USA-MEX"
    definitions: Mapping[str, Expression] = field(default_factory=dict)
    file: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules that loaded and the problems of those that did not."""

    rules: tuple[Rule, ...]
    problems: tuple[RuleProblem, ...] = ()

    def get(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        ids = [r.id for r in self.rules]
        bad = [p for p in self.problems if p.rule_id == rule_id]
        if bad:
            raise RuleError(f"rule {rule_id!r} did not load: {bad[0]}")
        raise RuleError(
            f"no rule {rule_id!r}.{did_you_mean(rule_id, ids)} List them with `dyadwatch rules`."
        )

    def __iter__(self) -> Any:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def default_rule_files() -> list[Path]:
    """The rule files shipped with dyadwatch (``knowledge/data/rules/*.yaml``)."""
    root = resources.files("dyadwatch.knowledge") / "data" / "rules"
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith((".yaml", ".yml")))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def compile_expression(
    text: Any,
    definitions: Mapping[str, Expression],
    default_window: Duration | None = None,
    *,
    want: Type | None = "bool",
) -> Expression:
    """Parse and type-check ``text``; :class:`RuleError` if it is not a valid expression.

    >>> compile_expression('instrument.state("dialogue") == "frozen"', {}).type
    'bool'
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise RuleError(f"expected an expression in quotes, not {type(text).__name__}.")
    text = str(text)
    node = parse(text)
    kind = check(node, {k: v.type for k, v in definitions.items()}, default_window)
    if want is not None and kind != want:
        raise RuleError(
            f"the expression is a {kind}, but a condition must be true or false "
            "(compare it: `… >= 3`)."
        )
    return Expression(text, node, kind)


def parse_window(value: Any) -> Duration:
    """``"6m"`` → ``Duration(6, "m")``; a :class:`RuleError` for anything else."""
    try:
        tokens = tokenize(value) if isinstance(value, str) else []
    except RuleError:
        tokens = []
    if len(tokens) != 2 or tokens[0].kind != "dur":
        raise RuleError(
            f"window {value!r} is not a duration: write a whole number and d, w, m or y "
            "(90d, 2w, 6m, 2y)."
        )
    amount = int(tokens[0].text[:-1])
    if amount <= 0:
        raise RuleError(f"window {value!r} must be at least one day.")
    return Duration(amount, tokens[0].text[-1])


class _File:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.name = _display(path)
        self.text = text
        self.problems: list[RuleProblem] = []

    def problem(self, node: yaml.Node | None, rule_id: str | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(RuleProblem(self.name, line, rule_id, message))


def _mapping(node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    assert isinstance(node, yaml.MappingNode)
    # The last occurrence of a repeated key wins, as in the document PyYAML constructs, so a
    # node and its constructed value always describe the same thing (a repeat is reported).
    for k, v in node.value:
        out[str(k.value)] = (k, v)
    return out


def _duplicates(node: yaml.MappingNode) -> list[yaml.Node]:
    seen: set[str] = set()
    dups = []
    for k, _ in node.value:
        if str(k.value) in seen:
            dups.append(k)
        seen.add(str(k.value))
    return dups


def _load_file(path: Path) -> tuple[list[Rule], list[RuleProblem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleError(f"rule file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        return [], [RuleProblem(_display(path), None, None, f"cannot read the file: {exc}")]
    f = _File(path, text)
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        ctx = exc.context_mark
        if ctx is not None and line is not None and ctx.line + 1 != line:
            what += f" (the construct began at line {ctx.line + 1})"
        return [], [RuleProblem(f.name, line, None, f"YAML does not parse: {what}.")]
    except yaml.YAMLError as exc:
        return [], [RuleProblem(f.name, None, None, f"YAML does not parse: {exc}.")]
    except RecursionError:
        return [], [RuleProblem(f.name, None, None, "YAML nests too deeply to read.")]
    finally:
        loader.dispose()
    if root is None:
        return [], [RuleProblem(f.name, 1, None, "the file is empty: it needs a `rules:` list.")]
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        f.problem(root, None, "a rule file is a mapping with a `rules:` list (docs/rules.md).")
        return [], f.problems
    keys = _mapping(root)
    for dup in _duplicates(root):
        f.problem(dup, None, f"key {dup.value!r} appears twice.")
    for key, (knode, _) in keys.items():
        if key not in FILE_KEYS:
            f.problem(knode, None, f"unknown key {key!r}.{did_you_mean(key, FILE_KEYS)}")
    dyad = str(data.get("dyad") or "USA-MEX")
    try:
        dyad = "-".join(parse_dyad(dyad))
    except UsageError:
        f.problem(keys["dyad"][1], None, f"dyad {dyad!r} is not like USA-MEX.")
        return [], f.problems
    file_citation = str(data.get("citation") or "")
    definitions: dict[str, Expression] = {}
    if "definitions" in keys:
        dnode = keys["definitions"][1]
        if not isinstance(dnode, yaml.MappingNode):
            f.problem(dnode, None, "`definitions` is a mapping of name: expression.")
        else:
            if len(dnode.value) > MAX_DEFINITIONS:
                f.problem(dnode, None, f"more than {MAX_DEFINITIONS} definitions.")
            for k, v in dnode.value[:MAX_DEFINITIONS]:
                name = str(k.value)
                if not _ID.match(name):
                    f.problem(k, None, f"definition name {name!r} must be lower_snake_case.")
                    continue
                try:
                    definitions[name] = compile_expression(
                        (data.get("definitions") or {}).get(name),
                        definitions,
                        want=None,
                    )
                except RuleError as exc:
                    f.problem(v, None, f"definition {name}: {exc}")
    if "rules" not in keys:
        f.problem(root, None, "no `rules:` list.")
        return [], f.problems
    rnode = keys["rules"][1]
    if not isinstance(rnode, yaml.SequenceNode):
        f.problem(rnode, None, "`rules` must be a list of rules.")
        return [], f.problems
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    raw_rules = data.get("rules") or []
    for item_node, raw in zip(rnode.value, raw_rules, strict=True):
        rule = _load_rule(f, item_node, raw, definitions, dyad, file_citation)
        if rule is None:
            continue
        if rule.id in seen:
            f.problem(item_node, rule.id, f"id already used by the rule at line {seen[rule.id]}.")
            continue
        seen[rule.id] = rule.line or 0
        rules.append(rule)
    return rules, f.problems


def _load_rule(
    f: _File,
    node: yaml.Node,
    raw: Any,
    definitions: Mapping[str, Expression],
    dyad: str,
    file_citation: str,
) -> Rule | None:
    if not isinstance(node, yaml.MappingNode) or not isinstance(raw, dict):
        f.problem(node, None, "each rule is a mapping (id, title, condition, …).")
        return None
    keys = _mapping(node)
    rid = str(raw.get("id")) if raw.get("id") is not None else None
    for dup in _duplicates(node):
        f.problem(dup, rid, f"key {dup.value!r} appears twice.")
        return None
    ok = True
    for key, (knode, _) in keys.items():
        if key not in RULE_KEYS:
            f.problem(knode, rid, f"unknown key {key!r}.{did_you_mean(key, RULE_KEYS)}")
            ok = False
    for key in REQUIRED_KEYS:
        if raw.get(key) in (None, ""):
            f.problem(node, rid, f"missing {key!r}.")
            ok = False
    if rid is not None and not _ID.match(rid):
        f.problem(keys["id"][1], rid, "id must be lower_snake_case (a-z, 0-9, _).")
        ok = False
    kind = str(raw.get("kind") or "recommendation")
    if kind not in KINDS:
        f.problem(keys["kind"][1], rid, f"kind {kind!r} is not one of {', '.join(KINDS)}.")
        ok = False
    window = None
    if raw.get("window") is not None:
        try:
            window = parse_window(raw["window"])
        except RuleError as exc:
            f.problem(keys["window"][1], rid, str(exc))
            ok = False
    if not ok:
        return None

    def expr(key: str, want: Type | None = "bool") -> Expression | None:
        value = raw[key]
        try:
            return compile_expression(value, definitions, window, want=want)
        except RuleError as exc:
            f.problem(keys[key][1], rid, f"{key}: {exc}")
            return None

    condition = expr("condition")
    used_when = expr("used_when") if raw.get("used_when") else None
    evidence: list[Expression] = []
    if raw.get("evidence") is not None:
        enode = keys["evidence"][1]
        items = raw["evidence"]
        if not isinstance(items, list) or not isinstance(enode, yaml.SequenceNode):
            f.problem(enode, rid, "evidence: a list of metric expressions.")
            return None
        for item, inode in zip(items, enode.value, strict=True):
            try:
                evidence.append(compile_expression(item, definitions, window, want=None))
            except RuleError as exc:
                f.problem(inode, rid, f"evidence: {exc}")
                return None
    if condition is None or (raw.get("used_when") and used_when is None):
        return None
    return Rule(
        id=str(rid),
        title=" ".join(str(raw["title"]).split()),
        condition=condition,
        kind=kind,
        recommendation=" ".join(str(raw.get("recommendation") or "").split()),
        citation=" ".join(str(raw.get("citation") or file_citation).split()),
        lever=str(raw["lever"]) if raw.get("lever") else None,
        window=window,
        used_when=used_when,
        evidence=tuple(evidence),
        note=" ".join(str(raw.get("note") or "").split()),
        dyad=dyad,
        definitions=definitions,
        file=f.name,
        line=node.start_mark.line + 1,
    )


def load_rules(paths: Path | str | Iterable[Path | str] | None = None) -> RuleSet:
    """Load rule files (default: the shipped rule set), keeping every problem.

    Parameters
    ----------
    paths
        A file, a directory (its ``*.yaml``), or several. None: :func:`default_rule_files`.

    Raises
    ------
    RuleError
        Only if a named path does not exist; bad rules become ``RuleSet.problems``.

    Examples
    --------
    >>> [r.id for r in load_rules()][:2]  # doctest: +SKIP
    ['merida_suspend', 'treatment_funding_conditional']
    """
    if paths is None:
        files = default_rule_files()
    else:
        items: Sequence[Path | str] = [paths] if isinstance(paths, str | Path) else list(paths)
        files = []
        for p in map(Path, items):
            if p.is_dir():
                files.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]))
            elif p.exists():
                files.append(p)
            else:
                raise RuleError(f"rule file {p} does not exist.")
    rules: list[Rule] = []
    problems: list[RuleProblem] = []
    seen: dict[str, Rule] = {}
    for path in files:
        loaded, bad = _load_file(path)
        problems.extend(bad)
        for r in loaded:
            if r.id in seen:
                other = seen[r.id]
                problems.append(
                    RuleProblem(
                        r.file, r.line, r.id, f"id already used at {other.file}:{other.line}."
                    )
                )
                continue
            seen[r.id] = r
            rules.append(r)
    return RuleSet(tuple(rules), tuple(problems))


__all__ = [
    "Expression",
    "Rule",
    "RuleProblem",
    "RuleSet",
    "compile_expression",
    "default_rule_files",
    "load_rules",
    "parse_window",
]
