"""Bringing your own events (issue 17, "Your own data"): the schema, and quarantine history."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dyadwatch.model import EVENT_COLUMN_MEANINGS, EVENT_SCHEMA
from dyadwatch.present.cli.main import main
from dyadwatch.present.cli.schema import event_columns, markdown
from dyadwatch.store import Store
from dyadwatch.store.migrations import LATEST, MIGRATIONS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
HEADER = "source_key,event_date,actor1_country,actor2_country,cameo_code,summary\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_column_has_a_meaning() -> None:
    assert list(EVENT_COLUMN_MEANINGS) == EVENT_SCHEMA.names
    assert all(m.strip() and "\n" not in m for m in EVENT_COLUMN_MEANINGS.values())


def test_schema_events_prints_name_type_required_meaning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "schema", "events", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["name"] for r in rows] == EVENT_SCHEMA.names
    assert {r["name"] for r in rows if r["required"] == "yes"} == {"source_key", "event_date"}
    date_row = next(r for r in rows if r["name"] == "event_date")
    assert date_row == {
        "name": "event_date",
        "type": "date",
        "required": "yes",
        "meaning": EVENT_COLUMN_MEANINGS["event_date"],
    }
    code, out, _ = run(capsys, "schema")
    assert code == 0 and out.splitlines()[0].split() == ["name", "type", "required", "meaning"]
    assert EVENT_COLUMN_MEANINGS["coder"] in out  # the meaning column is never cut


def test_docs_hold_the_same_table() -> None:
    text = (ROOT / "docs" / "events-schema.md").read_text()
    found = re.search(r"<!-- schema:begin[^>]*-->\n(.*?)<!-- schema:end -->", text, re.S)
    assert found, "docs/events-schema.md lost its schema markers"
    assert found.group(1) == markdown(event_columns()), (
        "docs/events-schema.md is out of date: rewrite its table with "
        "`dyadwatch schema events --markdown`"
    )


def test_ingest_file_names_the_missing_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "mine.csv"
    f.write_text("event_date,summary\n2020-10-15,x\n")
    code, out, _ = run(capsys, "ingest", "file", str(f), "--store", str(tmp_path / "s"), "--json")
    assert code == 1
    assert "header lacks required column(s) source_key;" in json.loads(out)[0]["message"]


def test_migration_4_adds_the_resolution_columns(tmp_path: Path) -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1)) and LATEST >= 4
    store = Store.open(tmp_path / "s", create=True)
    names = store.catalog_query("SELECT * FROM quarantine LIMIT 0").column_names
    assert {"resolved_at", "resolved_by"} <= set(names)


def test_a_corrected_file_resolves_its_quarantine_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s")
    f = tmp_path / "mine.csv"
    f.write_text(HEADER + "a,2020-10-15,USA,MEX,173,arrest\nb,2020-10-16,USA,MEX,9999,typo\n")
    assert run(capsys, "ingest", "file", str(f), "--store", store)[0] == 0
    _, out, _ = run(capsys, "quarantine", "--store", store, "--json")
    (entry,) = json.loads(out)
    assert "9999" in entry["reason"]

    f.write_text(HEADER + "a,2020-10-15,USA,MEX,173,arrest\nb,2020-10-16,USA,MEX,190,fixed\n")
    assert run(capsys, "ingest", "file", str(f), "--store", store)[0] == 0
    code, out, err = run(capsys, "quarantine", "--store", store, "--json")
    assert (code, json.loads(out)) == (0, [])
    assert "--all shows resolved entries" in err
    _, out, _ = run(capsys, "quarantine", "--all", "--store", store, "--json")
    (kept,) = json.loads(out)
    assert "9999" in kept["reason"] and kept["resolved_at"] and kept["resolved_by"]
    _, out, _ = run(capsys, "status", "--store", store, "--json")
    assert json.loads(out)["quarantine"] == []


def test_a_failed_file_is_resolved_by_its_clean_ingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s")
    f = tmp_path / "mine.csv"
    f.write_text("a,b\n1,2\n")
    assert run(capsys, "ingest", "file", str(f), "--store", store)[0] == 1
    f.write_text(HEADER + "a,2020-10-15,USA,MEX,173,arrest\n")
    assert run(capsys, "ingest", "file", str(f), "--store", store)[0] == 0
    _, out, _ = run(capsys, "quarantine", "--store", store, "--json")
    assert json.loads(out) == []
    _, out, _ = run(capsys, "quarantine", "--all", "--store", store, "--json")
    assert [e["line"] for e in json.loads(out)] == [None]  # the whole file, kept as history
