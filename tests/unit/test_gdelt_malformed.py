"""GDELT inputs that once raised tracebacks or lost whole files (issue 20), through the CLI.

Each case is a real ingest into a fresh store: a number too large for its column, a file
name whose stamp is not a time, a field of megabytes. Each must end as one clear line or as
one quarantined row with its reason, and never cost the file's valid rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dyadwatch.present.cli.main import main
from dyadwatch.store import Store
from tests.unit.test_gdelt_reader import row

pytestmark = pytest.mark.unit

VALID = 50


def write(path: Path, bad: str, at: int = VALID) -> Path:
    lines = [row(key=str(i)) for i in range(1, VALID + 1)]
    lines.insert(at, bad)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest(path: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["ingest", "gdelt", str(path), "--store", str(store), "--json"])
    return code, capsys.readouterr().err


def kept_and_quarantined(store: Path) -> tuple[int, list[tuple[int | None, str]]]:
    s = Store.open(store)
    con = s.connect()
    try:
        kept = con.sql("SELECT count(*) FROM events").fetchall()[0][0]
    finally:
        con.close()
    rows = s.catalog_query("SELECT line, reason FROM quarantine ORDER BY line").to_pylist()
    return kept, [(r["line"], r["reason"]) for r in rows]


@pytest.mark.parametrize(
    ("field", "value", "type_name"),
    [
        ("NumMentions", "99999999999999", "int32"),
        ("NumArticles", "2147483648", "int32"),
        ("NumSources", "-2147483649", "int32"),
        ("QuadClass", "300", "int8"),
    ],
)
def test_a_number_too_large_for_its_column_quarantines_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: str, type_name: str
) -> None:
    path = write(tmp_path / "20180101000000.export.CSV", row(key="999", **{field: value}))
    code, err = ingest(path, tmp_path / "store", capsys)
    assert code == 0, err
    assert "Traceback" not in err and "ArrowInvalid" not in err
    kept, quarantined = kept_and_quarantined(tmp_path / "store")
    assert kept == VALID
    assert quarantined == [
        (
            VALID + 1,
            f"{field} '{value}' is out of range for {type_name} "
            f"({'-2147483648…2147483647' if type_name == 'int32' else '-128…127'})",
        )
    ]


@pytest.mark.parametrize(
    "name",
    ["20180104006000.export.CSV", "20180132000000.export.CSV", "20181301.export.CSV"],
)
def test_a_file_named_with_an_impossible_stamp_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = write(tmp_path / name, row(key="999"))
    code, err = ingest(path, tmp_path / "store", capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "is not a real date and time" in lines[0]
    assert "Traceback" not in err and "ValueError" not in err


@pytest.mark.parametrize(
    ("field", "at"),
    [("Actor1Name", 0), ("SOURCEURL", 0), ("SOURCEURL", 25), ("ActionGeo_FullName", VALID)],
)
def test_one_oversized_field_quarantines_its_row_and_keeps_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, at: int
) -> None:
    huge = "x" * (10 << 20)
    path = write(tmp_path / "20180101000000.export.CSV", row(key="999", **{field: huge}), at)
    code, err = ingest(path, tmp_path / "store", capsys)
    assert code == 0, err[:500]
    kept, quarantined = kept_and_quarantined(tmp_path / "store")
    assert kept == VALID
    assert len(quarantined) == 1
    line, reason = quarantined[0]
    assert line == at + 1
    assert reason.startswith(f"{field} is {10 << 20} bytes, longer than any GDELT field")
    assert len(reason) < 200, "the reason must not carry the field itself"
