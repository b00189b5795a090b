"""``dyadwatch sources``: the list, and one source in full with its licence or terms
(issue 15 follow-up); ``ingest --known-at`` names every source that takes it."""

from __future__ import annotations

import json

import pytest

from dyadwatch.present.cli.main import main
from dyadwatch.sources import source_class, source_names, sources_taking

pytestmark = pytest.mark.unit


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_list_says_which_sources_update_and_json_carries_their_terms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "sources", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == set(source_names())
    assert {n for n, r in rows.items() if r["update"] == "yes"} == {
        "gdelt",
        "icews",
        "polecat",
        "acled",
    }
    for name, row in rows.items():
        about = source_class(name).about
        assert row["about"] == (about or row["summary"]), name
    code, out, err = run(capsys, "sources")
    assert code == 0 and "update" in out.splitlines()[0]
    assert "'dyadwatch sources NAME' shows a source's licence or terms." in err


@pytest.mark.parametrize("name", ["acled", "polecat", "icews", "gdelt", "cdc_vsrr", "curated"])
def test_one_source_in_full_shows_its_terms(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, _ = run(capsys, "sources", name, "--json")
    assert code == 0
    detail = json.loads(out)
    assert detail["name"] == name and detail["terms"] == source_class(name).about != ""
    code, out, _ = run(capsys, "sources", name)
    assert code == 0 and source_class(name).about in out  # the text view keeps it whole


def test_the_detail_names_credential_settings_never_their_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYADWATCH_ACLED_PASSWORD", "hunter2-hunter2")
    code, out, _ = run(capsys, "sources", "acled", "--json")
    assert code == 0
    detail = json.loads(out)
    assert "acled_username, acled_password" in detail["credentials"]
    assert "Terms of Use" in detail["terms"] and detail["update"] == "dyadwatch update acled"
    assert "[--known-at DATE]" in detail["ingest"]
    assert "hunter2" not in out
    code, out, _ = run(capsys, "sources", "polecat", "--json")
    assert code == 0
    detail = json.loads(out)
    assert "dataverse_token" in detail["credentials"]
    assert "research and education" in detail["terms"]
    code, out, _ = run(capsys, "sources", "file", "--json")
    assert code == 0
    detail = json.loads(out)
    assert detail["update"] == "" and "credentials" not in detail
    assert "--known-at" not in detail["ingest"]


def test_an_unknown_source_is_one_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sources", "gdlet")
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith("error: Unknown source 'gdlet'. Did you mean gdelt?")


def test_ingest_known_at_help_names_every_source_that_takes_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "ingest", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "Statistics sources only" not in text
    for name in sources_taking("known_at"):
        assert name in text, name
