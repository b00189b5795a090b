"""``dyadwatch ingest SOURCE PATHS --known-at DATE``: a statistics file's publication date.

The file is the real INEGI-vs-SESNSP homicide table (years 1990-2017). It states no release
date; without ``--known-at`` dyadwatch assumes the end of 2017 plus 365 days (2018-12-31).
The dates given below are chosen for the tests (earlier than that assumption, so that what
the tests see can only come from the option), not the table's real publication date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from dyadwatch.policy.indicators import indicator_names, indicator_series
from dyadwatch.present.cli.main import main
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

SERIES = "inegi_homicides_registered"
KNOWN = date(2018, 2, 1)
END_OF_KNOWN = datetime.combine(KNOWN, time.max, tzinfo=UTC)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def table_path(shared_data: Path) -> Path:
    return shared_data / "statistics" / "mexico_sesnsp" / "diegovalle_table-inegi-sesnsp.csv"


def stored_known_at(store: Store) -> set[datetime]:
    return set(store.table("indicators").column("known_at").to_pylist())


def test_known_at_is_stored_as_the_end_of_that_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table_path: Path
) -> None:
    root = tmp_path / "s"
    code, _, err = run(
        capsys, "ingest", "inegi_sesnsp", str(table_path), "--known-at", "2018-02-01",
        "--store", str(root),
    )  # fmt: skip
    assert code == 0, err
    store = Store.open(root)
    table = store.table("indicators")
    assert table.num_rows > 0
    assert stored_known_at(store) == {END_OF_KNOWN}
    # A date given is no assumption: the rows carry no "known_at assumed" note.
    assert set(table.column("note").to_pylist()) == {None}

    before = indicator_series(store, SERIES, as_of=date(2018, 1, 31))
    on_the_day = indicator_series(store, SERIES, as_of=KNOWN)
    assert before.num_rows == 0
    assert indicator_names(store, as_of=date(2018, 1, 31)).num_rows == 0
    years = dict(
        zip(
            on_the_day.column("period_start").to_pylist(),
            on_the_day.column("value").to_pylist(),
            strict=True,
        )
    )
    assert years[date(1990, 1, 1)] == 14493
    assert max(years) == date(2016, 1, 1)
    assert set(on_the_day.column("known_at").to_pylist()) == {END_OF_KNOWN}


def test_datetime_with_offset_and_a_new_date_replaces_the_old(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table_path: Path
) -> None:
    root = str(tmp_path / "s")
    args = ["ingest", "inegi_sesnsp", str(table_path), "--store", root]
    code, _, err = run(capsys, *args, "--known-at", "2018-02-01")
    assert code == 0, err
    code, _, err = run(capsys, *args, "--known-at", "2018-03-01T09:30:00-05:00")
    assert code == 0, err
    store = Store.open(root)
    assert stored_known_at(store) == {datetime(2018, 3, 1, 14, 30, tzinfo=UTC)}
    assert indicator_series(store, SERIES, as_of=date(2018, 2, 28)).num_rows == 0
    assert indicator_series(store, SERIES, as_of=date(2018, 3, 1)).num_rows > 0


@pytest.mark.parametrize("bad", ["2021-13-01", "2021-02", "2021-02-01T09:00:00", "soon"])
def test_a_malformed_date_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table_path: Path, bad: str
) -> None:
    root = tmp_path / "s"
    code, out, err = run(
        capsys, "ingest", "inegi_sesnsp", str(table_path), "--known-at", bad, "--store", str(root)
    )
    assert code != 0
    errors = [line for line in err.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1
    assert f"'--known-at': '{bad}' is not a date (use YYYY-MM-DD" in errors[0]
    assert "Traceback" not in err and out == ""
    assert not root.exists()


def test_a_source_without_known_at_names_the_sources_that_take_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table_path: Path
) -> None:
    root = tmp_path / "s"
    code, out, err = run(
        capsys, "ingest", "file", str(table_path), "--known-at", "2018-02-01", "--store", str(root)
    )
    assert code == 2  # a usage error: the option does not apply to this source
    (line,) = err.splitlines()
    assert line.startswith(
        "error: Source 'file' does not take known_at; the sources that take it: "
    )
    named = line.rsplit(": ", 1)[1].rstrip(".").split(", ")
    assert named == sorted(named)
    assert {
        "cbp_seizures",
        "cdc_vsrr",
        "foreign_assistance",
        "inegi_sesnsp",
        "sesnsp_victims",
    } <= set(named)
    assert "file" not in named
    assert out == ""
    assert not root.exists()
