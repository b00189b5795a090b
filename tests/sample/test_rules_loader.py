"""Rule files: every problem named by file, line and rule id; one bad rule never stops the rest."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.errors import RuleError
from dyadwatch.policy.rules import load_rules
from dyadwatch.policy.rules.loader import default_rule_files

pytestmark = pytest.mark.sample

GOOD = """\
  - id: good_one
    title: Good
    condition: 'instrument.state("dialogue") == "frozen"'
"""


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def one_problem(path: Path) -> str:
    rs = load_rules(path)
    assert len(rs.problems) == 1, rs.problems
    return str(rs.problems[0])


def test_the_shipped_rule_set_loads_cleanly() -> None:
    rs = load_rules()
    assert rs.problems == ()
    assert [p.name for p in default_rule_files()] == ["default.yaml"]
    assert len(rs) == 14


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "rules:\n" + GOOD + "  - id: broken\n    title: [unclosed\n")
    msg = one_problem(p)
    assert "rules.yaml:7: YAML does not parse" in msg
    assert "began at line 6" in msg


@pytest.mark.parametrize(
    ("rule", "line", "needle"),
    [
        ("    condition: 'series.valeu() > 0'\n", 4, "Did you mean series.value?"),
        ("    condition: 'instrument.held_for(\"x\") > 6'\n", 4, "write a duration"),
        ("    condition: 'series.value() >'\n", 4, "column 17"),
        ("    condition: 'series.value()'\n", 4, "must be true or false"),
        ("    condition: 'x > 1'\n    window: 6 months\n", 5, "window '6 months'"),
        ("    condition: 'series.value() > 0'\n    window: 0d\n", 5, "at least one day"),
        ("    condition: 'series.value() > 0'\n    kind: advice\n", 5, "kind 'advice'"),
        ("    condtion: 'series.value() > 0'\n", 4, "Did you mean condition?"),
        (
            "    condition: 'series.value() > 0'\n    used_when: 'instrument.state(1) == 2'\n",
            5,
            "used_when:",
        ),
        (
            "    condition: 'series.value() > 0'\n    evidence: ['series.percentile(history=x)']\n",
            5,
            "evidence:",
        ),
    ],
)
def test_bad_rule_named_by_file_line_and_id_while_others_load(
    tmp_path: Path, rule: str, line: int, needle: str
) -> None:
    text = "rules:\n  - id: bad_one\n    title: Bad\n" + rule + GOOD
    p = write(tmp_path, text)
    rs = load_rules(p)
    assert [r.id for r in rs] == ["good_one"]
    problem = next(x for x in rs.problems if needle in x.message)
    assert problem.rule_id == "bad_one"
    assert problem.file.endswith("rules.yaml")
    assert problem.line == line, problem
    assert needle in problem.message, problem.message
    assert str(problem).endswith(problem.message) and "rule bad_one:" in str(problem)


def test_missing_keys_bad_ids_and_duplicates(tmp_path: Path) -> None:
    text = (
        "rules:\n"
        "  - id: no_condition\n    title: X\n"
        "  - id: Bad-Id\n    title: X\n    condition: '1 < 2'\n"
        + GOOD
        + GOOD
        + "  - just a string\n"
    )
    rs = load_rules(write(tmp_path, text))
    assert [r.id for r in rs] == ["good_one"]
    messages = [(p.rule_id, p.line, p.message) for p in rs.problems]
    assert ("no_condition", 2, "missing 'condition'.") in messages
    assert any(m[0] == "Bad-Id" and "lower_snake_case" in m[2] for m in messages)
    assert any(m[0] == "good_one" and m[1] == 10 and "already used" in m[2] for m in messages)
    assert any("each rule is a mapping" in m[2] for m in messages)


def test_definitions_are_checked_and_usable(tmp_path: Path) -> None:
    text = (
        "definitions:\n"
        '  frozen: \'instrument.state("dialogue") == "frozen"\'\n'
        "  broken: 'series.value( > 0'\n"
        "rules:\n"
        "  - id: uses_def\n    title: X\n    condition: 'frozen and not broken'\n"
        "  - id: uses_good_def\n    title: Y\n    condition: 'not frozen'\n"
    )
    rs = load_rules(write(tmp_path, text))
    assert [r.id for r in rs] == ["uses_good_def"]
    lines = sorted((p.line, p.rule_id) for p in rs.problems)
    assert lines == [(3, None), (7, "uses_def")]
    assert "Did you mean" in str(rs.problems[1]) or "unknown name 'broken'" in str(rs.problems[1])


def test_file_level_problems(tmp_path: Path) -> None:
    assert "empty" in one_problem(write(tmp_path, "", "empty.yaml"))
    assert "mapping" in one_problem(write(tmp_path, "- id: x\n", "list.yaml"))
    assert "no `rules:` list" in one_problem(write(tmp_path, "version: 1\n", "norules.yaml"))
    assert "Did you mean rules?" in str(
        load_rules(write(tmp_path, "rule:\n" + GOOD, "typo.yaml")).problems[0]
    )
    assert "USA-MEX" in one_problem(write(tmp_path, "dyad: USAMEX\nrules: []\n", "dyad.yaml"))
    # An unknown country is named, as --dyad names it in every command.
    unknown = one_problem(write(tmp_path, "dyad: USA-XYZ\nrules: []\n", "xyz.yaml"))
    assert "xyz.yaml:1" in unknown and "unknown country code 'XYZ'" in unknown
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"rules:\n  - id: x\n    title: caf\xe9\n")
    assert "cannot read" in one_problem(bad)


def test_directories_and_several_files_and_cross_file_duplicates(tmp_path: Path) -> None:
    write(tmp_path, "rules:\n" + GOOD, "a.yaml")
    write(tmp_path, "rules:\n" + GOOD, "b.yml")
    rs = load_rules(tmp_path)
    assert [r.id for r in rs] == ["good_one"]
    (p,) = rs.problems
    assert p.file.endswith("b.yml") and "a.yaml:2" in p.message
    with pytest.raises(RuleError, match="does not exist"):
        load_rules(tmp_path / "missing.yaml")


def test_file_citation_and_dyad_flow_into_rules(tmp_path: Path) -> None:
    text = "dyad: usa-can\ncitation: A. Author, 'T', P, 2020\nrules:\n" + GOOD
    (r,) = load_rules(write(tmp_path, text)).rules
    assert r.dyad == "USA-CAN" and r.citation == "A. Author, 'T', P, 2020"
    assert r.line == 4


def test_get_unknown_and_failed_rules(tmp_path: Path) -> None:
    text = "rules:\n" + GOOD + "  - id: failed\n    title: F\n    condition: 'nope()'\n"
    rs = load_rules(write(tmp_path, text))
    with pytest.raises(RuleError, match="did not load"):
        rs.get("failed")
    with pytest.raises(RuleError, match="Did you mean good_one"):
        rs.get("good_on")


def test_cli_check_metrics_and_with_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dyadwatch.present.cli.main import main

    good = write(tmp_path, "rules:\n" + GOOD, "good.yaml")
    bad = write(
        tmp_path,
        "rules:\n  - id: x\n    title: X\n    condition: 'series.percentil() > 0'\n",
        "bad.yaml",
    )
    assert main(["rules", "check", "--rules", str(good)]) == 0
    assert "1 rule(s) loaded, 0 problem(s)" in capsys.readouterr().err
    assert main(["rules", "check", "--rules", str(good), "--with-default"]) == 0
    assert "15 rule(s) loaded" in capsys.readouterr().err
    assert main(["rules", "check", "--rules", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.yaml:4: rule x: condition: unknown metric 'series.percentil'" in out
    assert "Did you mean series.percentile?" in out
    assert main(["rules", "metrics", "--json"]) == 0
    import json

    names = [m["metric"] for m in json.loads(capsys.readouterr().out)]
    assert "events.count" in names and "instrument.held_for" in names


_YAML_PIECES = st.sampled_from(
    [
        "rules:\n",
        "definitions:\n",
        "  - id: a\n",
        "    title: T\n",
        "    condition: '1 < 2'\n",
        "    condition: [1, 2]\n",
        "    window: 6m\n",
        "    window: {a: 1}\n",
        "    evidence: x\n",
        "    evidence: ['series.n()']\n",
        "  d: 'series.n() > 0'\n",
        "  - [1, 2]\n",
        "  - null\n",
        "dyad: 3\n",
        "version: 1\n",
        "- x\n",
        "&a x\n",
        "*a\n",
        "!!binary abc\n",
        "'\n",
        "{\n",
        "    id: {x: 1}\n",
        "    kind: repair\n",
        "\t\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_YAML_PIECES, max_size=12))
def test_any_rule_file_loads_or_reports_problems(pieces: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz.yaml"
        p.write_text("".join(pieces), encoding="utf-8")
        rs = load_rules(p)
    for problem in rs.problems:
        assert problem.file.endswith("fuzz.yaml") and problem.message


def test_deeply_nested_yaml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    p = write(tmp_path, "rules: " + "[" * 5000 + "]" * 5000 + "\n")
    rs = load_rules(p)
    assert rs.rules == () and rs.problems


def test_definitions_are_bounded(tmp_path: Path) -> None:
    defs = "".join(f"  d{i}: '1 < 2'\n" for i in range(120))
    rs = load_rules(write(tmp_path, "definitions:\n" + defs + "rules:\n" + GOOD))
    assert [r.id for r in rs] == ["good_one"]
    assert [p.message for p in rs.problems] == ["more than 100 definitions."]


def test_a_repeated_rules_key_is_reported_and_the_last_list_is_read(tmp_path: Path) -> None:
    # Found by Hypothesis: the first `rules:` node was paired with the last list's items.
    text = "rules:\n  - id: first_one\n    title: First\nrules:\n" + GOOD
    rs = load_rules(write(tmp_path, text))
    assert [r.id for r in rs] == ["good_one"]
    assert [(p.line, p.message) for p in rs.problems] == [(4, "key 'rules' appears twice.")]
