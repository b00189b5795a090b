"""``validate judgments``: the file is checked with file:line, and each verdict follows its rule."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from dyadwatch.analyse.index import read_judgments, validate_judgments
from dyadwatch.errors import UsageError
from dyadwatch.present.cli.main import cli, main
from tests.unit.test_named_series import month_of, store_of

pytestmark = pytest.mark.unit

HEADER = "date,judge,outlet,direction,horizon_months,claim,url,verified\n"


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "judgments.csv"
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2021-13-01,A,B,low,12,c,https://x.org,yes", r":2: date '2021-13-01'"),
        ("2021-01,A,B,sideways,12,c,https://x.org,yes", r":2: direction 'sideways'"),
        ("2021-01,A,B,low,twelve,c,https://x.org,yes", r":2: horizon_months 'twelve'"),
        ("2021-01,A,B,low,0,c,https://x.org,yes", r":2: horizon_months must be at least 1"),
        ("2021-01,A,B,low,12,c,https://x.org,maybe", r":2: verified"),
        ("2021-01,A,B,low,12,c", r":2: 6 fields, expected 8"),
    ],
)
def test_a_bad_row_is_refused_with_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "2020-05-01,A,B,low,12,c,https://x.org,yes", row.replace(":2:", ""))
    with pytest.raises(UsageError, match=message.replace(":2:", ":3:")):
        read_judgments(path)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "2021-01,A,B,low", header="date,judge,outlet,direction\n")
    with pytest.raises(UsageError, match=r"judgments.csv:1: missing column\(s\) horizon_months"):
        read_judgments(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(UsageError, match="empty file"):
        read_judgments(path)


def test_verdicts_follow_the_rules(tmp_path: Path) -> None:
    # 2021-01..04 cooperative, 2021-05..08 conflictual, one thin month after
    events = []
    for m in range(1, 5):
        events += month_of([3, 4, 3, 4, 3], month=m)
    for m in range(5, 9):
        events += month_of([-4, -5, -4, -5, -4], month=m)
    store = store_of(tmp_path, events)
    path = write(
        tmp_path,
        "2021-08-31,A,B,deteriorating,4,worse,https://x.org,yes",
        "2021-08-31,A,B,improving,4,better,https://x.org,yes",
        "2021-08-31,A,B,low,7,lowest,https://x.org,yes",
        "2021-08-31,A,B,high,7,highest,https://x.org,yes",
        "2021-08-31,A,B,mixed,4,no change,https://x.org,yes",
        "2020-06,A,B,improving,3,before anything,https://x.org,no",
    )
    result = validate_judgments(store, path, window=1)
    verdicts = [r.verdict for r in result.rows]
    assert verdicts == ["agree", "disagree", "agree", "disagree", "disagree", "insufficient"]
    assert result.n_agree == 2 and result.n_disagree == 3 and result.n_insufficient == 1
    assert result.agreement == pytest.approx(2 / 5)
    first = result.rows[0]
    assert first.value == pytest.approx(-4.4) and first.compared_with == pytest.approx(3.4)


def test_a_judgment_sees_only_what_was_public_at_its_date(tmp_path: Path) -> None:
    store = store_of(tmp_path, month_of([-5] * 5, month=6) + month_of([5] * 5, month=7))
    path = write(tmp_path, "2021-07-01,A,B,deteriorating,1,worse,https://x.org,yes")
    (row,) = validate_judgments(store, path, window=1).rows
    assert row.date == date(2021, 7, 1).isoformat()
    assert row.verdict == "insufficient"  # July's cooperative events were not yet public


def test_cli_prints_the_agreement_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_of(tmp_path, month_of([-5] * 5, month=6) + month_of([5] * 5, month=7))
    path = write(tmp_path, "2021-07-31,A,B,improving,1,better,https://x.org,yes")
    runner = CliRunner()
    text = runner.invoke(cli, ["validate", "judgments", str(path), "--store", str(store.root)])
    assert text.exit_code == 0, text.output
    assert text.output.strip().splitlines()[-1].startswith("agreement 1.00: 1 agree")
    js = runner.invoke(
        cli, ["validate", "judgments", str(path), "--store", str(store.root), "--json"]
    )
    data = json.loads(js.output)
    assert {"agreement", "n_agree", "n_disagree", "n_insufficient", "rows"} <= set(data)
    code = main(["validate", "judgments", str(tmp_path / "none.csv"), "--store", str(store.root)])
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and "cannot read the judgments file" in err
