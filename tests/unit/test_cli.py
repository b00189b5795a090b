"""The CLI: a thin skin whose errors are one clear line and a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dyadwatch.present.cli.main import main

pytestmark = pytest.mark.unit

HEADER = "source_key,event_date,actor1_country,actor2_country,cameo_code,summary\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_events_status_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s")
    f = tmp_path / "ev.csv"
    f.write_text(
        HEADER
        + "a,2020-10-15,USA,MEX,173,arrest\n"
        + "b,2021-01-14,MEX,USA,111,criticism\n"
        + "c,2021-01-14,USA,CAN,036,elsewhere\n"
        + "d,2021-01-14,USA,MEX,9999,bad code\n"
    )
    code, out, err = run(capsys, "ingest", "file", str(f), "--store", store, "--json")
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["kept"] == 3 and rows[0]["quarantined"] == 1
    assert "quarantined 1" in err

    code, out, _ = run(capsys, "events", "--store", store, "--dyad", "USA-MEX", "--count")
    assert (code, out.strip()) == (0, "2")
    code, out, _ = run(
        capsys, "events", "--store", store, "--dyad", "usa-mex", "--as-of", "2020-12-31", "--csv"
    )
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "arrest" in lines[1]
    code, out, _ = run(capsys, "status", "--store", store)
    assert code == 0 and "events by source" in out and "quarantine" in out
    code, out, _ = run(capsys, "status", "--store", store, "--json")
    assert json.loads(out)["events_by_source"][0]["events"] == 3
    code, out, _ = run(capsys, "quarantine", "--store", store, "--json")
    assert "9999" in json.loads(out)[0]["reason"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ingest", "gdlet", "x.csv"], "Did you mean gdelt?"),
        (["events", "--since", "2021-13-01"], "is not a date"),
        (["events", "--dyad", "USAMEX"], "not a dyad like USA-MEX"),
        (["events", "--since", "2021-02-01", "--until", "2021-01-01"], "is after --until"),
        (["events", "--json", "--csv"], "choose one of --json and --csv"),
        (["evnts"], "Did you mean events?"),
    ],
)
def test_bad_arguments_get_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, _, err = run(capsys, *args, "--store", str(tmp_path / "s"))
    assert code != 0
    assert needle in err
    assert "Traceback" not in err


def test_missing_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "events", "--store", str(tmp_path / "nope"))
    assert code == 1
    assert err.startswith("error: no store at") and err.count("\n") == 1


def test_directory_that_is_not_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.txt").write_text("not a store")
    code, _, err = run(capsys, "status", "--store", str(tmp_path))
    assert code == 1 and "not a dyadwatch store" in err


def test_unreadable_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "ingest", "file", str(tmp_path / "missing.csv"), "--store", str(tmp_path / "s")
    )
    assert code == 1 and "no such file" in err


def test_failed_file_makes_a_nonzero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = run(capsys, "ingest", "file", str(empty), "--store", str(tmp_path / "s"))
    assert code == 1 and "1 failed" in err


def test_bad_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "dyadwatch.toml"
    cfg.write_text('stor = "x"\n')
    code, _, err = run(capsys, "status", "--config", str(cfg))
    assert code == 1 and "unknown setting 'stor'. Did you mean store?" in err


def test_python_dash_m_and_help_end_with_examples() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dyadwatch", "events", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Example:" in result.stdout
    assert "--as-of" in result.stdout


def test_sources_lists_registered_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sources", "--json")
    assert code == 0
    names = {r["name"] for r in json.loads(out)}
    assert {"file", "memory"} <= names
