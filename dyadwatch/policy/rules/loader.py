"""Rule files: YAML → checked :class:`Rule` objects, with every problem at its file and line.

A rule file is a mapping (see docs/rules.md for every key)::

    version: 1
    dyad: USA-MEX                      # optional, default USA-MEX
    citation: "…"                      # optional default citation of the file's rules
    calibration: 2007-01..2020-09      # window calibrated thresholds were chosen on
    definitions:                       # optional named sub-conditions, usable by name
      low: 'series.percentile(name="relationship", history=10y) <= 20'
    rules:
      - id: stop_returning_suspects
        title: …
        kind: recommendation           # or repair
        recommendation: …              # paraphrase of the advice
        citation: …
        lever: {instrument: us_returns, by: USA, target: MEX}   # who acts on whom
        condition: 'low and instrument.state("indictments") like "*dropped*"'
        thresholds: history            # history | calibrated | none
        window: 12m                    # default window= of the condition's metrics
        horizon: 6m                    # newest evidence may be at most this old
        used_when: 'not instrument.ever("us_returns", "senior*", window=12m)'
        evidence: ['events.count(instrument="indictments", window=12m)']

Loading never stops at the first bad rule: a rule with an unknown key or metric, a type
error, a state pattern no state of its instrument can match (each instrument declares its
vocabulary in the knowledge base), an indicator or series that does not exist, a lever
without its direction, thresholds that do not say where they come from, or a bad window
becomes a :class:`RuleProblem` (file, line, rule id, message) and the others load. A file
whose YAML does not parse gives one problem at the line YAML names; definitions that refer
to each other in a cycle give one problem naming the cycle.

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
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dyadwatch.errors import RuleError, UsageError, did_you_mean
from dyadwatch.knowledge.schema import period_bounds
from dyadwatch.policy.rules.binding import check
from dyadwatch.policy.rules.catalogue import Catalogue, default_catalogue
from dyadwatch.policy.rules.checks import (
    BASES,
    definition_cycles,
    name_problems,
    references,
    threshold_problems,
    thresholds,
)
from dyadwatch.policy.rules.language import Duration, Node, parse, tokenize
from dyadwatch.policy.rules.metrics import Type
from dyadwatch.store.query import parse_dyad

RULE_KEYS = (
    "id",
    "title",
    "kind",
    "recommendation",
    "citation",
    "lever",
    "condition",
    "thresholds",
    "window",
    "horizon",
    "asked_on",
    "used_when",
    "evidence",
    "structural",
    "note",
)
REQUIRED_KEYS = ("id", "title", "condition")
FILE_KEYS = ("version", "dyad", "citation", "calibration", "definitions", "rules")
LEVER_KEYS = ("instrument", "by", "target")
"""A lever: through which instrument who (``by``) acts on whom (``target``)."""
CALIBRATION_ENDS_BEFORE = date(2020, 10, 1)
"""A calibration window must end before the essay's crisis (the months the rules judge)."""
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
    lever_by: str | None = None
    """The country that acts through the lever (``USA`` for a US suspension of aid)."""
    lever_on: str | None = None
    """The country the lever acts on."""
    thresholds: str = "none"
    """Where the condition's fixed numbers come from: history, calibrated or none."""
    calibration: tuple[date, date] | None = None
    """The file's calibration window (first and last day)."""
    horizon: Duration | None = None
    """How old the newest evidence may be (default 6 months): older, the metrics say unknown."""
    asked_on: date | None = None
    """Before this date the advice (or repair) had not been asked for: findings are unknown."""
    structural: str = ""
    """Why the condition is structural (holds, or fails, almost always) when it is."""

    @property
    def split(self) -> date:
        """The last day of the in-sample months: the calibration window's end (or 2020-09-30)."""
        return self.calibration[1] if self.calibration else date(2020, 9, 30)


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


def parse_calibration(value: Any) -> tuple[date, date]:
    """``"2007-01..2020-09"`` → (2007-01-01, 2020-09-30); it must end before 2020-10-01.

    >>> parse_calibration("2007-01..2020-09")
    (datetime.date(2007, 1, 1), datetime.date(2020, 9, 30))
    """
    try:
        start, end = period_bounds(str(value), "range")
    except ValueError as exc:
        raise RuleError(
            f"calibration {value!r} is not a window like 2007-01..2020-09 ({exc})."
        ) from None
    if end >= CALIBRATION_ENDS_BEFORE:
        raise RuleError(
            f"calibration {value!r} ends {end}: a calibration window must end before "
            f"{CALIBRATION_ENDS_BEFORE} so that the months the rules judge (the essay's crisis "
            "and after) are out of sample."
        )
    return start, end


def _load_definitions(
    f: _File,
    keys: Mapping[str, tuple[yaml.Node, yaml.Node]],
    data: Mapping[str, Any],
    catalogue: Catalogue,
) -> dict[str, Expression]:
    """Every definition, checked in dependency order (a definition may use any other)."""
    definitions: dict[str, Expression] = {}
    if "definitions" not in keys:
        return definitions
    dnode = keys["definitions"][1]
    if not isinstance(dnode, yaml.MappingNode):
        f.problem(dnode, None, "`definitions` is a mapping of name: expression.")
        return definitions
    if len(dnode.value) > MAX_DEFINITIONS:
        f.problem(dnode, None, f"more than {MAX_DEFINITIONS} definitions.")
    raw = data.get("definitions") or {}
    parsed: dict[str, tuple[Node, str, yaml.Node]] = {}
    for k, v in dnode.value[:MAX_DEFINITIONS]:
        name = str(k.value)
        if not _ID.match(name):
            f.problem(k, None, f"definition name {name!r} must be lower_snake_case.")
            continue
        text = raw.get(name)
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            f.problem(v, None, f"definition {name}: expected an expression in quotes.")
            continue
        try:
            parsed[name] = (parse(str(text)), str(text), v)
        except RuleError as exc:
            f.problem(v, None, f"definition {name}: {exc}")
    deps = {name: references(node) & set(parsed) for name, (node, _, _) in parsed.items()}
    in_cycle: set[str] = set()
    for cycle in definition_cycles(deps):
        in_cycle.update(cycle)
        f.problem(
            parsed[cycle[0]][2],
            None,
            f"definitions {' → '.join(cycle)} refer to each other in a cycle; a definition "
            "may only use definitions that do not, in turn, use it.",
        )
    done: set[str] = set()

    def compile_one(name: str) -> None:
        if name in done or name in in_cycle:
            return
        done.add(name)
        for dep in sorted(deps[name]):
            compile_one(dep)
        node, text, v = parsed[name]
        try:
            kind = check(node, {k: e.type for k, e in definitions.items()})
        except RuleError as exc:
            f.problem(v, None, f"definition {name}: {exc}")
            return
        for message in name_problems(node, text, catalogue):
            f.problem(v, None, f"definition {name}: {message}")
        definitions[name] = Expression(text, node, kind)

    for name in parsed:
        compile_one(name)
    return definitions


@dataclass(frozen=True, slots=True)
class _Context:
    definitions: Mapping[str, Expression]
    dyad: str
    citation: str
    calibration: tuple[date, date] | None
    catalogue: Catalogue


def _load_file(path: Path, catalogue: Catalogue) -> tuple[list[Rule], list[RuleProblem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleError(f"rule file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        return [], [RuleProblem(_display(path), None, None, f"cannot read the file: {exc}")]
    return _load_text(path, text, catalogue)


def load_rules_text(
    text: str, name: str = "rules.yaml", *, catalogue: Catalogue | None = None
) -> RuleSet:
    """Load one rule file given as text (an upload, a request body), named ``name``.

    >>> load_rules_text("rules: []").rules
    ()
    """
    rules, problems = _load_text(Path(name), text, catalogue or default_catalogue())
    return RuleSet(tuple(rules), tuple(problems))


def _load_text(path: Path, text: str, catalogue: Catalogue) -> tuple[list[Rule], list[RuleProblem]]:
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
    except UsageError as exc:
        f.problem(keys["dyad"][1], None, str(exc))
        return [], f.problems
    file_citation = str(data.get("citation") or "")
    calibration: tuple[date, date] | None = None
    if data.get("calibration") is not None:
        try:
            calibration = parse_calibration(data["calibration"])
        except RuleError as exc:
            f.problem(keys["calibration"][1], None, str(exc))
    definitions = _load_definitions(f, keys, data, catalogue)
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
    context = _Context(definitions, dyad, file_citation, calibration, catalogue)
    for item_node, raw in zip(rnode.value, raw_rules, strict=True):
        rule = _load_rule(f, item_node, raw, context)
        if rule is None:
            continue
        if rule.id in seen:
            f.problem(item_node, rule.id, f"id already used by the rule at line {seen[rule.id]}.")
            continue
        seen[rule.id] = rule.line or 0
        rules.append(rule)
    return rules, f.problems


def _load_rule(f: _File, node: yaml.Node, raw: Any, ctx: _Context) -> Rule | None:
    """One rule of a file, or None with every problem found recorded in ``f``."""
    if not isinstance(node, yaml.MappingNode) or not isinstance(raw, dict):
        f.problem(node, None, "each rule is a mapping (id, title, condition, …).")
        return None
    keys = _mapping(node)
    rid = str(raw.get("id")) if raw.get("id") is not None else None
    for dup in _duplicates(node):
        f.problem(dup, rid, f"key {dup.value!r} appears twice.")
        return None
    ok, durations = _check_fields(f, node, keys, raw, rid)
    lever = _lever(f, keys, raw, rid, ctx) if raw.get("lever") is not None else (None, None, None)
    if not ok or lever is None:
        return None
    window, horizon = durations["window"], durations["horizon"]
    expressions = _expressions(f, keys, raw, rid, ctx, window)
    if expressions is None:
        return None
    condition, used_when, evidence = expressions
    basis = raw.get("thresholds")
    defs = {k: (e.node, e.text) for k, e in ctx.definitions.items()}
    found = thresholds(condition.node, condition.text, defs)
    at = keys["thresholds"][1] if "thresholds" in keys else keys["condition"][1]
    bad_thresholds = threshold_problems(
        str(basis) if basis is not None else None, found, ctx.calibration is not None
    )
    for message in bad_thresholds:
        f.problem(at, rid, message)
    if bad_thresholds:
        return None
    instrument, by, on = lever
    return Rule(
        id=str(rid),
        title=" ".join(str(raw["title"]).split()),
        condition=condition,
        kind=str(raw.get("kind") or "recommendation"),
        recommendation=" ".join(str(raw.get("recommendation") or "").split()),
        citation=" ".join(str(raw.get("citation") or ctx.citation).split()),
        lever=instrument,
        window=window,
        used_when=used_when,
        evidence=evidence,
        note=" ".join(str(raw.get("note") or "").split()),
        dyad=ctx.dyad,
        definitions=ctx.definitions,
        file=f.name,
        line=node.start_mark.line + 1,
        lever_by=by,
        lever_on=on,
        thresholds=str(basis or "none"),
        calibration=ctx.calibration,
        horizon=horizon,
        asked_on=raw.get("asked_on"),
        structural=" ".join(str(raw.get("structural") or "").split()),
    )


def _check_fields(
    f: _File,
    node: yaml.Node,
    keys: Mapping[str, tuple[yaml.Node, yaml.Node]],
    raw: Mapping[str, Any],
    rid: str | None,
) -> tuple[bool, dict[str, Duration | None]]:
    """The rule's keys and plain fields checked; whether all are right, and its durations."""
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
    durations: dict[str, Duration | None] = {"window": None, "horizon": None}
    for key in durations:
        if raw.get(key) is not None:
            try:
                durations[key] = parse_window(raw[key])
            except RuleError as exc:
                f.problem(keys[key][1], rid, str(exc).replace("window", key, 1))
                ok = False
    asked_on = raw.get("asked_on")
    if asked_on is not None and not isinstance(asked_on, date):
        f.problem(keys["asked_on"][1], rid, f"asked_on {asked_on!r} is not a date (YYYY-MM-DD).")
        ok = False
    basis = raw.get("thresholds")
    if basis is not None and basis not in BASES:
        f.problem(
            keys["thresholds"][1],
            rid,
            f"thresholds {basis!r} is not one of {', '.join(BASES)}."
            f"{did_you_mean(str(basis), BASES)}",
        )
        ok = False
    return ok, durations


def _expressions(
    f: _File,
    keys: Mapping[str, tuple[yaml.Node, yaml.Node]],
    raw: Mapping[str, Any],
    rid: str | None,
    ctx: _Context,
    window: Duration | None,
) -> tuple[Expression, Expression | None, tuple[Expression, ...]] | None:
    """The rule's condition, ``used_when`` and evidence compiled; None if any is wrong."""

    def expr(key: str, value: Any, at: yaml.Node, want: Type | None = "bool") -> Expression | None:
        try:
            e = compile_expression(value, ctx.definitions, window, want=want)
        except RuleError as exc:
            f.problem(at, rid, f"{key}: {exc}")
            return None
        bad = name_problems(e.node, e.text, ctx.catalogue)
        for message in bad:
            f.problem(at, rid, f"{key}: {message}")
        return None if bad else e

    condition = expr("condition", raw["condition"], keys["condition"][1])
    used_when = (
        expr("used_when", raw["used_when"], keys["used_when"][1]) if raw.get("used_when") else None
    )
    evidence: list[Expression] = []
    if raw.get("evidence") is not None:
        enode = keys["evidence"][1]
        items = raw["evidence"]
        if not isinstance(items, list) or not isinstance(enode, yaml.SequenceNode):
            f.problem(enode, rid, "evidence: a list of metric expressions.")
            return None
        for item, inode in zip(items, enode.value, strict=True):
            e = expr("evidence", item, inode, want=None)
            if e is None:
                return None
            evidence.append(e)
    if condition is None or (raw.get("used_when") and used_when is None):
        return None
    return condition, used_when, tuple(evidence)


def _lever(
    f: _File,
    keys: Mapping[str, tuple[yaml.Node, yaml.Node]],
    raw: Mapping[str, Any],
    rid: str | None,
    ctx: _Context,
) -> tuple[str | None, str | None, str | None] | None:
    """``lever: {instrument, by, on}`` checked: who acts on whom, through what."""
    at = keys["lever"][1]
    value = raw["lever"]
    if not isinstance(value, dict):
        f.problem(
            at,
            rid,
            f"lever {value!r} needs its direction (who acts on whom): write "
            f"`lever: {{instrument: {value}, by: USA, target: MEX}}`.",
        )
        return None
    for key in value:
        if key not in LEVER_KEYS:
            f.problem(at, rid, f"lever: unknown key {key!r}.{did_you_mean(str(key), LEVER_KEYS)}")
            return None
    missing = [k for k in LEVER_KEYS if not value.get(k)]
    if missing:
        f.problem(
            at,
            rid,
            f"lever: missing {', '.join(missing)} (a lever says through which instrument "
            "who acts on whom: {instrument: merida, by: USA, target: MEX}).",
        )
        return None
    instrument, by, on = (str(value[k]) for k in LEVER_KEYS)
    countries = ctx.dyad.split("-")
    for key, country in (("by", by), ("target", on)):
        if country not in countries:
            f.problem(at, rid, f"lever: {key} {country!r} is not a country of {ctx.dyad}.")
            return None
    if by == on:
        f.problem(at, rid, f"lever: {by} cannot act on itself; `by` and `target` must differ.")
        return None
    info = ctx.catalogue.instruments.get(instrument)
    if ctx.catalogue.instruments and info is None:
        f.problem(
            at,
            rid,
            f"lever: no instrument {instrument!r}."
            f"{did_you_mean(instrument, ctx.catalogue.instruments)}",
        )
        return None
    parties = info.parties() if info is not None else None
    if parties is not None and parties != (by, on):
        f.problem(
            at,
            rid,
            f"lever: through {instrument} {parties[0]} acts on {parties[1]} "
            f"(instruments.yaml), but the rule says {by} acts on {on}; pick the instrument "
            "of that direction.",
        )
        return None
    return instrument, by, on


def load_rules(
    paths: Path | str | Iterable[Path | str] | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> RuleSet:
    """Load rule files (default: the shipped rule set), keeping every problem.

    Parameters
    ----------
    paths
        A file, a directory (its ``*.yaml``), or several. None: :func:`default_rule_files`.
    catalogue
        The instruments (with their state vocabularies and directions), indicators and
        series rules may name. None: :func:`~.catalogue.default_catalogue` (the knowledge base).

    Raises
    ------
    RuleError
        Only if a named path does not exist; bad rules become ``RuleSet.problems``.

    Examples
    --------
    >>> [r.id for r in load_rules()][:2]
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
        loaded, bad = _load_file(path, catalogue or default_catalogue())
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
    "CALIBRATION_ENDS_BEFORE",
    "Expression",
    "Rule",
    "RuleProblem",
    "RuleSet",
    "compile_expression",
    "default_rule_files",
    "load_rules",
    "load_rules_text",
    "parse_calibration",
    "parse_window",
]
