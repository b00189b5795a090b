"""``rules validate``: rule files are checked, not trusted. One file per kind of mistake, each
reported once with its file and line; the shipped set passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dyadwatch.policy.rules import load_rules
from dyadwatch.policy.rules.catalogue import default_catalogue
from dyadwatch.present.cli.main import main

pytestmark = pytest.mark.sample

HEAD = "calibration: 2007-01..2019-12\nrules:\n  - id: the_rule\n    title: T\n"


def problems(tmp_path: Path, body: str, head: str = HEAD) -> list[str]:
    p = tmp_path / "mine.yaml"
    p.write_text(head + body, encoding="utf-8")
    rs = load_rules(p)
    assert not rs.rules
    return [str(x) for x in rs.problems]


def one(tmp_path: Path, body: str, line: int, needle: str, head: str = HEAD) -> str:
    found = problems(tmp_path, body, head)
    assert len(found) == 1, found
    (msg,) = found
    assert f"mine.yaml:{line}:" in msg, msg
    assert needle in msg, msg
    return msg


def test_the_shipped_rule_set_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "validate"]) == 0
    assert "14 rule(s) valid, 0 problem(s)" in capsys.readouterr().err


def test_every_shipped_lever_has_a_direction_and_every_threshold_a_basis() -> None:
    for r in load_rules():
        if r.lever:
            assert r.lever_by and r.lever_on and r.lever_by != r.lever_on, r.id
        assert r.thresholds in ("history", "calibrated", "none"), r.id
        if r.thresholds == "calibrated":
            assert r.calibration is not None and r.calibration[1].isoformat() < "2020-10-01"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        # a pattern no state of the instrument can match: "never used" by construction
        ('    condition: \'instrument.state("merida") like "*suspendd*"\'\n', "matches no state"),
        ('    condition: \'instrument.state("cannabis") like "*imports_barrd*"\'\n', "can be in"),
        ('    condition: \'instrument.state("dialogue") == "froze"\'\n', "Did you mean frozen"),
        (
            '    condition: \'instrument.state("targeting") in '
            '["middle", "high_value_targeting_renewed"]\'\n',
            "'middle' is not a state targeting can be in",
        ),
        ('    condition: \'instrument.ever("indictments", "*droped*")\'\n', "matches no state"),
    ],
)
def test_a_state_pattern_outside_the_vocabulary_is_an_error(
    tmp_path: Path, body: str, needle: str
) -> None:
    one(tmp_path, body, 5, needle)


def test_an_unknown_instrument_indicator_or_series_is_an_error(tmp_path: Path) -> None:
    one(tmp_path, '    condition: \'instrument.state("meridaa") == "x"\'\n', 5, "no instrument")
    one(
        tmp_path,
        "    condition: 'indicator.value(\"homicides\", horizon=2y) > 0'\n"
        "    thresholds: calibrated\n",
        5,
        "no indicator series 'homicides'",
    )
    one(
        tmp_path,
        "    condition: 'series.percentile(name=\"relations\") < 20'\n    thresholds: history\n",
        5,
        "Did you mean relationship",
    )


@pytest.mark.parametrize(
    ("lever", "needle"),
    [
        ("merida", "needs its direction (who acts on whom)"),
        ("{instrument: merida, by: USA}", "missing target"),
        ("{instrument: merida, by: USA, target: USA}", "cannot act on itself"),
        ("{instrument: merida, by: USA, target: CAN}", "not a country of USA-MEX"),
        ("{instrument: merida, by: MEX, target: USA}", "USA acts on MEX"),
        # the essay's "stop handing back suspects": the US returning them, not Mexico
        # extraditing them - the wrong instrument is named by its direction
        ("{instrument: extradition, by: USA, target: MEX}", "MEX acts on USA"),
        ("{instrument: meridaa, by: USA, target: MEX}", "Did you mean merida"),
        ("{instrument: merida, by: USA, target: MEX, via: x}", "unknown key 'via'"),
    ],
)
def test_a_lever_must_say_who_acts_on_whom(tmp_path: Path, lever: str, needle: str) -> None:
    body = f'    lever: {lever}\n    condition: \'instrument.state("merida") == "active"\'\n'
    one(tmp_path, body, 5, needle)


def test_an_unknown_key_is_one_error_with_its_line(tmp_path: Path) -> None:
    body = '    condition: \'instrument.state("merida") == "active"\'\n    levr: merida\n'
    one(tmp_path, body, 6, "Did you mean lever?")


def test_a_cycle_between_definitions_is_one_error(tmp_path: Path) -> None:
    head = (
        "definitions:\n"
        '  a: \'b and instrument.state("merida") == "active"\'\n'
        "  b: 'not a'\n"
        '  c: \'instrument.state("dialogue") == "frozen"\'\n'
        "rules:\n"
        "  - id: uses_c\n    title: C\n    condition: 'c'\n"
        "  - id: the_rule\n    title: T\n"
    )
    p = tmp_path / "mine.yaml"
    p.write_text(head + "    condition: 'a'\n", encoding="utf-8")
    rs = load_rules(p)
    assert [r.id for r in rs] == ["uses_c"]
    cycles = [str(x) for x in rs.problems if "cycle" in x.message]
    assert len(cycles) == 1 and "mine.yaml:2:" in cycles[0] and "a → b → a" in cycles[0]


def test_definitions_may_refer_forward(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text(
        "definitions:\n"
        "  later_used: 'base and true'\n"
        '  base: \'instrument.state("dialogue") == "frozen"\'\n'
        "rules:\n  - id: r\n    title: R\n    condition: 'later_used'\n",
        encoding="utf-8",
    )
    rs = load_rules(p)
    assert rs.problems == () and [r.id for r in rs] == ["r"]


def test_an_unparsable_expression_is_one_error_with_its_line(tmp_path: Path) -> None:
    one(tmp_path, "    condition: 'instrument.state(\"merida\") =='\n", 5, "column")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "    condition: 'series.value() < -1'\n",
            "say where they come from",
        ),
        (
            "    condition: 'series.value() < -1'\n    thresholds: history\n",
            "does not compare a measure with its own past",
        ),
        (
            '    condition: \'instrument.state("merida") == "active"\'\n    thresholds: history\n',
            "tests no fixed number",
        ),
        (
            "    condition: 'series.value() < -1'\n    thresholds: guessed\n",
            "not one of history, calibrated, none",
        ),
    ],
)
def test_thresholds_say_where_they_come_from(tmp_path: Path, body: str, needle: str) -> None:
    assert any(needle in p for p in problems(tmp_path, body)), problems(tmp_path, body)


def test_calibration_must_end_before_the_crisis_it_judges(tmp_path: Path) -> None:
    head = "calibration: 2007-01..2021-06\nrules:\n  - id: the_rule\n    title: T\n"
    body = "    condition: 'series.value() < -1'\n    thresholds: calibrated\n"
    found = problems(tmp_path, body, head)
    assert any("mine.yaml:1:" in p and "must end before 2020-10-01" in p for p in found)
    no_window = "rules:\n  - id: the_rule\n    title: T\n"
    assert any("declares no `calibration` window" in p for p in problems(tmp_path, body, no_window))


def test_counts_compared_with_zero_or_one_are_not_thresholds(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text(
        "rules:\n  - id: r\n    title: R\n"
        "    condition: 'events.count(window=6m) >= 1 and series.n() == 0'\n",
        encoding="utf-8",
    )
    assert load_rules(p).problems == ()


def test_cli_validate_fails_with_file_and_line_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        HEAD
        + '    lever: merida\n    condition: \'instrument.state("merida") == "active"\'\n'
        + "  - id: other\n    title: O\n"
        + '    condition: \'instrument.state("merida") like "*zz*"\'\n',
        encoding="utf-8",
    )
    assert main(["rules", "validate", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "bad.yaml:5: rule the_rule: lever 'merida' needs its direction" in out
    assert "bad.yaml:9: rule other: condition:" in out and "matches no state" in out
    assert "0 rule(s) valid, 2 problem(s)" in err
    assert main(["rules", "validate", str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert {(p["line"], p["rule"]) for p in data["problems"]} == {(5, "the_rule"), (9, "other")}


def test_the_catalogue_reads_the_knowledge_base() -> None:
    cat = default_catalogue()
    assert "mexico_homicides_inegi" in cat.indicators
    assert cat.instruments["extradition"].parties() == ("MEX", "USA")
    assert cat.instruments["dialogue"].parties() is None  # mutual
    assert "middle_layer_sweeps" in (cat.instruments["targeting"].vocabulary or ())
