"""Loading the knowledge base never stops at the first problem: each bad file, record or row
becomes one Problem with its file and line, and loading goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from dyadwatch.knowledge.indicators import observation_rows
from dyadwatch.knowledge.loader import Problem, load, read_csv_records, read_yaml_records
from dyadwatch.knowledge.schema import OBSERVATION_COLUMNS, ActorRecord, Observation

pytestmark = pytest.mark.unit

ACTOR = "- code: MEX:SRE\n  name: Foreign Ministry\n  country: MEX\n  agent_type: GOV\n"


def yaml_problems(tmp_path: Path, text: str | bytes) -> tuple[list[str], list[Problem]]:
    path = tmp_path / "actors.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    problems: list[Problem] = []
    records = read_yaml_records(path, ActorRecord, problems)
    return [r.record.code for r in records], problems


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (b"- code: M\xe9X\n", None, "not UTF-8"),
        ("", 1, "empty file"),
        ("code: MEX:SRE\n", 1, "expected a list of records"),
        ("- [unclosed\n", 2, "YAML does not parse"),
        ("- 3\n", 1, "expected a record"),
        (ACTOR + "  name: Again\n", 5, "duplicate key 'name'"),
        (ACTOR.replace("country: MEX", "country: USA"), 1, "does not start with its country"),
        (ACTOR + "  colour: red\n", 5, "unknown field"),
        (ACTOR.replace("  agent_type: GOV\n", ""), 1, "required field is missing"),
        (ACTOR + "  valid_from: 2021-02-30\n", 5, "is not a date (use YYYY-MM-DD)"),
        (ACTOR + "  note: !!int abc\n", 1, "cannot read"),
    ],
)
def test_a_bad_yaml_file_or_record_is_one_problem_with_its_line(
    tmp_path: Path, text: str | bytes, line: int | None, needle: str
) -> None:
    _, problems = yaml_problems(tmp_path, text)
    assert any(needle in p.message and p.line == line for p in problems), problems
    assert all(str(p).startswith(p.file or "") for p in problems)


def test_good_records_around_a_bad_one_still_load(tmp_path: Path) -> None:
    text = ACTOR + "- 3\n" + ACTOR.replace("MEX:SRE", "MEX:FGR")
    codes, problems = yaml_problems(tmp_path, text)
    assert codes == ["MEX:SRE", "MEX:FGR"]
    assert [p.as_dict()["line"] for p in problems] == [5]


HEADER = ",".join(OBSERVATION_COLUMNS)
ROW = "deaths,2019,70630,deaths,United States,final,2021-02-28,https://example.org/d,Deaths,yes,"


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (b"indicator,p\xe9riod\n", None, "not UTF-8"),
        ("", 1, "empty file"),
        ("indicator,period,colour\n", 1, "missing column(s)"),
        (HEADER + ",colour\n", 1, "unknown column(s) colour"),
        (HEADER + "\n" + ROW + ",extra\n", 2, "expected 11 fields, found 12"),
        (HEADER + "\n" + ROW.replace("70630", "many") + "\n", 2, "value"),
    ],
)
def test_a_bad_csv_file_or_row_is_one_problem_with_its_line(
    tmp_path: Path, text: str | bytes, line: int | None, needle: str
) -> None:
    path = tmp_path / "deaths.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    problems: list[Problem] = []
    assert read_csv_records(path, Observation, problems) == []
    assert any(needle in p.message and p.line == line for p in problems), problems


def test_blank_csv_lines_are_skipped_and_rows_keep_their_line(tmp_path: Path) -> None:
    path = tmp_path / "deaths.csv"
    path.write_text(HEADER + "\n\n" + ROW + "\n", encoding="utf-8")
    problems: list[Problem] = []
    starts: list[int] = []
    (row,) = read_csv_records(path, Observation, problems, starts=starts)
    assert (row.line, starts, problems) == (3, [3], [])


def test_a_missing_directory_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    kb = load(tmp_path / "nowhere")
    assert [p.message for p in kb.problems] == ["knowledge base directory not found"]
    assert observation_rows(kb) == []


def test_rows_of_an_undefined_series_or_a_bad_period_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "indicators").mkdir()
    (tmp_path / "indicators" / "deaths.yaml").write_text(
        "- id: deaths\n  name: Deaths\n  unit: deaths\n  scope: United States\n"
        "  frequency: year\n  source: Example\n  description: Deaths in a year.\n",
        encoding="utf-8",
    )
    rows = [ROW, ROW.replace("deaths,2019", "births,2019"), ROW.replace(",2019,", ",2019-07,")]
    (tmp_path / "indicators" / "deaths.csv").write_text(
        HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    kb = load(tmp_path)
    assert len(kb.observations) == 3, kb.problems
    assert [r["period_start"].year for r in observation_rows(kb)] == [2019]
    assert kb.actor("MEX:SRE") is None and kb.instrument("merida") is None
