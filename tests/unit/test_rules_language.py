"""The condition language: parsing, type checking, and refusing every malformed input cleanly."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.errors import RuleError, UnknownMetricError
from dyadwatch.policy.rules.binding import bind, check
from dyadwatch.policy.rules.language import Binary, Call, Duration, Literal_, Ref, Unary, parse
from dyadwatch.policy.rules.loader import compile_expression, parse_window
from dyadwatch.policy.rules.metrics import METRICS

pytestmark = pytest.mark.unit


def test_precedence_not_binds_tighter_than_and_and_and_tighter_than_or() -> None:
    tree = parse("not a or b and c")
    assert isinstance(tree, Binary) and tree.op == "or"
    assert isinstance(tree.left, Unary) and tree.left.op == "not"
    assert isinstance(tree.right, Binary) and tree.right.op == "and"


def test_arithmetic_binds_tighter_than_comparison() -> None:
    tree = parse("1 + 2 * 3 >= 7")
    assert isinstance(tree, Binary) and tree.op == ">="
    assert isinstance(tree.left, Binary) and tree.left.op == "+"
    assert isinstance(tree.left.right, Binary) and tree.left.right.op == "*"


def test_metric_call_with_positional_keyword_list_and_duration_arguments() -> None:
    tree = parse('events.count(instrument="extradition", code=["063", "0841"], window=6m) > 0')
    assert isinstance(tree, Binary)
    call = tree.left
    assert isinstance(call, Call) and call.name == "events.count"
    kwargs = dict((k, v.value) for k, v in call.kwargs)
    assert kwargs == {
        "instrument": "extradition",
        "code": ("063", "0841"),
        "window": Duration(6, "m"),
    }


def test_strings_take_either_quote_and_escapes() -> None:
    tree = parse(r"""instrument.state('x') == "say \"hi\"" """)
    assert isinstance(tree, Binary) and isinstance(tree.right, Literal_)
    assert tree.right.value == 'say "hi"'


def test_bare_name_is_a_reference_and_negative_numbers_fold() -> None:
    tree = parse("improved and series.value() > -0.5")
    assert isinstance(tree, Binary) and isinstance(tree.left, Ref)
    right = tree.right
    assert isinstance(right, Binary) and isinstance(right.right, Literal_)
    assert right.right.value == -0.5


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a <", "column 4"),
        ("(1 < 2", "')'"),
        ("1 < 2 < 3", "do not chain"),
        ("series.value", "expected '('"),
        ("series.value(window=6months)", "duration like 90d"),
        ('instrument.state("x) == 1', "not closed"),
        ("a && b", "write `and`"),
        ("a ! b", "write `not`"),
        ("f(x)", "literals"),
        ("series.value(window=0d) > 0", "at least 1"),
        ("series.value(window=6m, window=3m) > 0", "given twice"),
        ("series.value(window=6m, 3) > 0", "positional argument cannot follow"),
        ("x in [[1]]", "do not nest"),
        ("1 2", "expected an operator"),
        ("a.", "name after '.'"),
        ("(" * 100 + "1" + ")" * 100, "nests deeper"),
        ("not " * 100 + "a", "nests deeper"),
        ("x" * 5000, "limit"),
        ("1" + " + 1" * 900 + " > 0", "more than 200 operators"),
        ("1 < 2" + " and 1 < 2" * 250, "more than 200 operators"),
        ("-" * 100 + "x", "nests deeper"),
    ],
)
def test_malformed_conditions_name_the_problem(text: str, needle: str) -> None:
    with pytest.raises(RuleError, match=None) as err:
        parse(text)
    assert needle in str(err.value)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_rule_error(text: str) -> None:
    try:
        node = parse(text)
    except RuleError:
        return
    with contextlib.suppress(RuleError):
        check(node, {"a": "bool"})


_PIECES = st.sampled_from(
    [
        "series.value(",
        "window=",
        "6m",
        "0d",
        "12",
        "-",
        "(",
        ")",
        "[",
        "]",
        ",",
        '"x"',
        "'",
        "and",
        "or",
        "not",
        "in",
        "like",
        "<=",
        "==",
        ">",
        "events.count(",
        "quad=",
        "instrument.state(",
        "true",
        ".",
        "=",
        "a",
        " ",
        "1e999",
        "*",
        "/",
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=25))
def test_near_miss_token_soup_only_ever_raises_rule_error(pieces: list[str]) -> None:
    with contextlib.suppress(RuleError):
        compile_expression(" ".join(pieces), {})


def test_unknown_metric_suggests_the_closest() -> None:
    with pytest.raises(UnknownMetricError, match=r"Did you mean series\.value"):
        check(parse("series.valeu() > 0"))
    with pytest.raises(UnknownMetricError, match=r"Did you mean instrument\.held_for"):
        check(parse('instrument.held_fro("x") > 6m'))


def test_unknown_bare_name_suggests_definitions() -> None:
    with pytest.raises(UnknownMetricError, match="Did you mean sabotage"):
        check(parse("sabotag"), {"sabotage": "bool"})


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('instrument.held_for("x") >= 6', "write a duration"),
        ('instrument.state("x") > 3', "cannot compare"),
        ('instrument.state("x") > "a"', "orders numbers or durations"),
        ("series.value() and true", "joins conditions"),
        ("not series.value()", "needs a bool"),
        ('-instrument.state("x") > 1', "needs a number"),
        ('instrument.state("x") + 1 > 1', "needs numbers"),
        ('instrument.state("x") in 3', "[list]"),
        ('instrument.state("x") in [1, 2]', "list of other types"),
        ("series.value() like 'a*'", "quoted pattern"),
        ("series.percentile(history=6) > 0", "write 6m or 6d"),
        ('series.percentile(history="6m") > 0', "must be a duration"),
        ('series.value(direction="up") > 0', "one of both, ab, ba"),
        ('series.value(name="relations") > 0', "Did you mean relationship"),
        ("events.count(window=1.5) > 0", "must be a duration"),
        ("series.value(speed=1) > 0", "has no argument 'speed'"),
        ("index.net_coop() > 0", 'series.value(name="relationship") instead'),
        ("instrument.state() == 'x'", "needs the argument 'id'"),
        ('instrument.state("a", "b") == "x"', "at most 1"),
        ("events.count(quad=[5]) > 0", "quad classes are 1–4"),
        ("events.count(code=3) > 0", "list of texts"),
        ('events.count(min_confidence="high") > 0', "must be a number, not 'high'"),
        ("events.count(min_confidence=[1]) > 0", "must be a number, not a list"),
        ("events.count(min_confidence=6m) > 0", "not the duration 6m"),
        ("events.count(min_confidence=true) > 0", "must be a number, not true"),
        ("instrument.state(3) == 'x'", "must be text in quotes, not the number 3"),
        ('events.count(quad=["a"]) > 0', "a whole number or a list of them"),
        ('events.count("mlat", instrument="mlat") > 0', "given twice"),
        ("[1, 2] == [1, 2]", "lists are compared only with 'in'"),
    ],
)
def test_type_errors_are_rule_errors(text: str, needle: str) -> None:
    with pytest.raises(RuleError) as err:
        check(parse(text))
    assert needle in str(err.value)


def test_a_condition_must_be_boolean() -> None:
    with pytest.raises(RuleError, match="must be true or false"):
        compile_expression("series.value()", {})
    assert compile_expression("series.value()", {}, want=None).type == "number"


def test_rule_window_and_horizon_fill_missing_arguments() -> None:
    call = parse("events.count()")
    assert isinstance(call, Call)
    assert "window" not in bind(call)
    assert bind(call, Duration(12, "m"))["window"] == Duration(12, "m")
    explicit = parse("events.count(window=3m)")
    assert isinstance(explicit, Call)
    assert bind(explicit, Duration(12, "m"))["window"] == Duration(3, "m")
    assert bind(call, None, Duration(2, "y"))["horizon"] == Duration(2, "y")
    assert bind(parse("events.count(horizon=1y)"), None, Duration(2, "y"))["horizon"] == (  # type: ignore[arg-type]
        Duration(1, "y")
    )


@pytest.mark.parametrize("bad", ["6", "six months", "6 m", "0m", "-3m", "6mo", "", "1.5y"])
def test_bad_windows(bad: str) -> None:
    with pytest.raises(RuleError, match="window"):
        parse_window(bad)


def test_duration_calendar_arithmetic() -> None:
    assert Duration(6, "m").start(date(2021, 8, 31)) == date(2021, 2, 28)
    assert Duration(1, "y").start(date(2024, 2, 29)) == date(2023, 2, 28)
    assert Duration(2, "w").start(date(2021, 1, 15)) == date(2021, 1, 1)
    assert Duration(90, "d").days(date(2021, 1, 31)) == 90
    assert Duration(12, "m").days(date(2021, 1, 31)) == 366


def test_every_metric_is_documented_and_typed() -> None:
    for name, m in METRICS.items():
        assert name == m.name and m.doc and m.returns in ("number", "duration", "string", "bool")
        assert len({p.name for p in m.params}) == len(m.params)
