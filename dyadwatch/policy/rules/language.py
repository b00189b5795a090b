"""The condition language of rules: a small expression grammar, parsed here, never ``eval``-ed.

A condition is one expression over *metrics* (named, read-only queries of the store as of a
date) and literals. The grammar, lowest precedence first (see docs/rules.md)::

    expr        := or
    or          := and ("or" and)*
    and         := not ("and" not)*
    not         := "not" not | comparison
    comparison  := sum [ op sum ]          op: < <= > >= == != in "not in" like
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := "-" unary | primary
    primary     := NUMBER | DURATION | STRING | "true" | "false" | "[" [literal ("," literal)*] "]"
                 | "(" expr ")" | NAME ("." NAME)* [ "(" args ")" ]
    args        := arg ("," arg)* [","]      arg: literal | NAME "=" literal

A dotted name followed by arguments is a metric call (``index.net_coop(window=6m)``); a bare
name without arguments refers to a *definition* of the rule file. Durations are a whole
number and a unit: ``90d``, ``2w``, ``6m`` (calendar months), ``2y``. Comparisons do not chain
(``a < b < c`` is an error). Metric arguments must be literals, so a rule can never compute
what it queries.

The tokenizer and recursive-descent parser are hand-written: no ``eval``, no ``exec``, no
attribute access on Python objects. Any malformed text raises
:class:`~dyadwatch.errors.RuleError` with the column of the problem.

Examples
--------
>>> tree = parse('instrument.held_for("vetted_units") >= 6m and not events.count(window=90d) > 2')
>>> tree.op, tree.left.left.name
('and', 'instrument.held_for')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from dyadwatch.errors import RuleError

MAX_LENGTH = 4000
"""Longest condition accepted, in characters (a guard, not a style limit)."""

MAX_DEPTH = 40
"""Deepest nesting accepted; deeper input is refused instead of exhausting the stack."""

MAX_OPERATORS = 200
"""Most operators in one condition: a chain ``1 + 1 + …`` nests as deep as it is long."""

KEYWORDS = frozenset({"and", "or", "not", "in", "like", "true", "false"})
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=", "in", "not in", "like")
UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}

TokenKind = Literal["num", "dur", "str", "name", "op", "kw", "end"]


@dataclass(frozen=True, slots=True)
class Duration:
    """A span such as ``6m``: ``amount`` whole ``unit``s (d, w, m, y).

    Months and years are calendar spans: ``6m`` before 2021-08-31 starts on 2021-02-28.

    >>> Duration(6, "m").start(date(2021, 8, 31))
    datetime.date(2021, 2, 28)
    >>> str(Duration(90, "d"))
    '90d'
    """

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def start(self, end: date) -> date:
        """The day ``self`` before ``end`` (calendar arithmetic for months and years)."""
        if self.unit == "d":
            return end - timedelta(days=self.amount)
        if self.unit == "w":
            return end - timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "y" else 1)
        y, m = divmod(end.year * 12 + end.month - 1 - months, 12)
        if y < 1:
            return date.min
        day = min(end.day, calendar.monthrange(y, m + 1)[1])
        return date(y, m + 1, day)

    def days(self, end: date) -> int:
        """Length in days of the span ending on ``end``."""
        return (end - self.start(end)).days

    def words(self) -> str:
        """``6 months``, ``1 year``, ``90 days``."""
        name = UNITS[self.unit]
        return f"{self.amount} {name}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    pos: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<dur>\d+[dwmy])(?![A-Za-z0-9_])
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![A-Za-z_])
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|[<>()\[\],.=+\-*/])
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; a :class:`RuleError` names the first unreadable column.

    >>> [t.text for t in tokenize('a.b(x=6m) >= 2')]
    ['a', '.', 'b', '(', 'x', '=', '6m', ')', '>=', '2', '']
    """
    if not isinstance(text, str):
        raise RuleError(f"a condition must be text, not {type(text).__name__}.")
    if len(text) > MAX_LENGTH:
        raise RuleError(f"condition is {len(text)} characters long; the limit is {MAX_LENGTH}.")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = ""
            if ch in "\"'":
                hint = " (a string is not closed on this line)"
            elif ch == "&" or ch == "|":
                hint = " (write `and` / `or`)"
            elif ch == "!":
                hint = " (write `not`, or `!=` for not-equal)"
            elif ch.isdigit():
                hint = " (a number is like 3 or 0.5, a duration like 90d, 2w, 6m or 2y)"
            raise RuleError(f"column {pos + 1}: unexpected character {ch!r}{hint}.")
        kind = m.lastgroup
        value = m.group()
        if kind == "name" and value in KEYWORDS:
            tokens.append(Token("kw", value, pos))
        elif kind != "ws":
            tokens.append(Token(kind, value, pos))  # type: ignore[arg-type]
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# --- the syntax tree ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """Base of the syntax tree; ``pos``/``end`` delimit the node's text in the condition."""

    pos: int
    end: int


@dataclass(frozen=True, slots=True)
class Literal_(Node):
    """A number, string, duration, boolean or list of literals."""

    value: float | str | bool | Duration | tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A metric call: ``name(args…, key=value…)``; arguments are literals."""

    name: str
    args: tuple[Literal_, ...]
    kwargs: tuple[tuple[str, Literal_], ...]


@dataclass(frozen=True, slots=True)
class Ref(Node):
    """A bare name: a definition of the rule file."""

    name: str


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.operators = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, message: str, tok: Token | None = None) -> RuleError:
        tok = tok or self.tok
        found = "the end of the condition" if tok.kind == "end" else repr(tok.text)
        return RuleError(f"column {tok.pos + 1}: {message}, found {found}.")

    def take(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str, what: str) -> Token:
        tok = self.accept(kind, text)
        if tok is None:
            raise self.fail(f"expected {what}")
        return tok

    def last_end(self) -> int:
        prev = self.tokens[self.i - 1]
        return prev.pos + len(prev.text)

    def binary(self, op: str, left: Node, right: Node) -> Binary:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise RuleError(
                f"the condition has more than {MAX_OPERATORS} operators: split it into definitions."
            )
        return Binary(left.pos, right.end, op, left, right)

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"the condition nests deeper than {MAX_DEPTH} levels")

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise RuleError("the condition is empty: write an expression such as `x >= 1`.")
        node = self.expr()
        if not self.at_end():
            raise self.fail("expected an operator (and, or, <, ==, …) or the end")
        return node

    def at_end(self) -> bool:
        # A method, not ``self.tok.kind`` inline: parsing moved ``tok`` since the last test.
        return self.tok.kind == "end"

    def expr(self) -> Node:
        self.nest()
        try:
            return self.or_()
        finally:
            self.depth -= 1

    def or_(self) -> Node:
        left = self.and_()
        while self.accept("kw", "or"):
            right = self.and_()
            left = self.binary("or", left, right)
        return left

    def and_(self) -> Node:
        left = self.not_()
        while self.accept("kw", "and"):
            right = self.not_()
            left = self.binary("and", left, right)
        return left

    def not_(self) -> Node:
        tok = self.accept("kw", "not")
        if tok is not None:
            self.nest()
            try:
                operand = self.not_()
            finally:
                self.depth -= 1
            return Unary(tok.pos, operand.end, "not", operand)
        return self.comparison()

    def _comparison_op(self) -> str | None:
        tok = self.tok
        if tok.kind == "op" and tok.text in ("<", "<=", ">", ">=", "==", "!="):
            self.i += 1
            return tok.text
        if tok.kind == "kw" and tok.text in ("in", "like"):
            self.i += 1
            return tok.text
        if tok.kind == "kw" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 2
            return "not in"
        return None

    def comparison(self) -> Node:
        left = self.sum_()
        op = self._comparison_op()
        if op is None:
            return left
        right = self.sum_()
        if self._comparison_op() is not None:
            self.i -= 1
            raise self.fail("comparisons do not chain: join them with `and`")
        return self.binary(op, left, right)

    def sum_(self) -> Node:
        left = self.product()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.take().text
            right = self.product()
            left = self.binary(op, left, right)
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.take().text
            right = self.unary()
            left = self.binary(op, left, right)
        return left

    def unary(self) -> Node:
        tok = self.accept("op", "-")
        if tok is not None:
            self.nest()
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            if isinstance(operand, Literal_) and isinstance(operand.value, float):
                return Literal_(tok.pos, operand.end, -operand.value)
            return Unary(tok.pos, operand.end, "-", operand)
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "op" and tok.text == "(":
            self.i += 1
            node = self.expr()
            self.expect("op", ")", "')' to close the '(' at column " + str(tok.pos + 1))
            return node
        if tok.kind == "name":
            return self.name()
        if tok.kind in ("num", "dur", "str") or (
            tok.kind == "kw" and tok.text in ("true", "false")
        ):
            return self.literal()
        if tok.kind == "op" and tok.text == "[":
            return self.literal()
        raise self.fail("expected a value, a metric or '('")

    def literal(self) -> Literal_:
        tok = self.tok
        if tok.kind == "op" and tok.text == "-":
            self.i += 1
            inner = self.literal()
            if not isinstance(inner.value, float):
                raise self.fail("'-' applies only to numbers", tok)
            return Literal_(tok.pos, inner.end, -inner.value)
        if tok.kind == "op" and tok.text == "[":
            self.i += 1
            self.nest()
            try:
                items: list[object] = []
                while not self.accept("op", "]"):
                    item = self.literal()
                    if isinstance(item.value, tuple):
                        raise self.fail("lists do not nest", tok)
                    items.append(item.value)
                    if not self.accept("op", ","):
                        self.expect("op", "]", "',' or ']' in the list")
                        break
            finally:
                self.depth -= 1
            return Literal_(tok.pos, self.last_end(), tuple(items))
        self.i += 1
        end = tok.pos + len(tok.text)
        if tok.kind == "num":
            return Literal_(tok.pos, end, float(tok.text))
        if tok.kind == "dur":
            amount = int(tok.text[:-1])
            if amount <= 0:
                raise self.fail("a duration must be at least 1", tok)
            if amount > 100_000:
                raise self.fail("a duration must be shorter than 100000 units", tok)
            return Literal_(tok.pos, end, Duration(amount, tok.text[-1]))
        if tok.kind == "str":
            return Literal_(tok.pos, end, _unquote(tok.text))
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return Literal_(tok.pos, end, tok.text == "true")
        self.i -= 1
        raise self.fail("expected a literal (number, string, duration, true/false or [list])")

    def name(self) -> Node:
        first = self.take()
        parts = [first.text]
        while self.accept("op", "."):
            tok = self.tok
            if tok.kind != "name":
                raise self.fail("expected a name after '.'")
            parts.append(self.take().text)
        name = ".".join(parts)
        if not self.accept("op", "("):
            if len(parts) > 1:
                raise self.fail(f"expected '(' after the metric {name}")
            return Ref(first.pos, self.last_end(), name)
        args: list[Literal_] = []
        kwargs: list[tuple[str, Literal_]] = []
        while not self.accept("op", ")"):
            tok = self.tok
            if (
                tok.kind == "name"
                and self.tokens[self.i + 1].kind == "op"
                and self.tokens[self.i + 1].text == "="
            ):
                self.i += 2
                key = tok.text
                if any(k == key for k, _ in kwargs):
                    raise self.fail(f"argument {key!r} given twice", tok)
                kwargs.append((key, self.literal()))
            else:
                if kwargs:
                    raise self.fail("a positional argument cannot follow a keyword argument")
                if tok.kind == "name":
                    raise self.fail('metric arguments are literals: quote text as "…"')
                args.append(self.literal())
            if not self.accept("op", ","):
                self.expect("op", ")", f"',' or ')' in the arguments of {name}")
                break
        return Call(first.pos, self.last_end(), name, tuple(args), tuple(kwargs))


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), body)


def parse(text: str) -> Node:
    """Parse a condition into its syntax tree (no metric is looked up or run).

    Raises
    ------
    RuleError
        For any text that is not a condition, naming the column.

    Examples
    --------
    >>> parse("1 < 2").op
    '<'
    """
    return _Parser(text).parse()


def source_of(node: Node, text: str) -> str:
    """The text of ``node`` in the condition it was parsed from, whitespace collapsed."""
    return " ".join(text[node.pos : node.end].split())


def walk(node: Node) -> list[Node]:
    """``node`` and every node below it, parents first."""
    out: list[Node] = [node]
    if isinstance(node, Unary):
        out.extend(walk(node.operand))
    elif isinstance(node, Binary):
        out.extend(walk(node.left))
        out.extend(walk(node.right))
    return out


__all__ = [
    "COMPARISONS",
    "Binary",
    "Call",
    "Duration",
    "Literal_",
    "Node",
    "Ref",
    "Token",
    "Unary",
    "parse",
    "source_of",
    "tokenize",
    "walk",
]
