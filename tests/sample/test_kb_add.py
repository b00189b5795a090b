"""``kb add``: an event appended from flags or prompts, validated before anything is written."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from dyadwatch.errors import KnowledgeBaseError
from dyadwatch.knowledge.add import add_event, event_yaml
from dyadwatch.knowledge.loader import load
from dyadwatch.knowledge.schema import EventRecord
from dyadwatch.knowledge.validate import errors, validate
from dyadwatch.present.cli.main import cli, main

pytestmark = pytest.mark.sample


def small_kb(root: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "_kb_validate_helpers", Path(__file__).with_name("test_kb_validate.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made: Path = module.make_kb(
        root,
        {
            "episodes/example.yaml": (
                "- id: example-affair\n  name: An example affair\n"
                "  summary: Several steps of one example affair.\n"
            )
        },
    )
    return made


NEW = {
    "id": "2021-01-15-file-released",
    "date": date(2021, 1, 15),
    "source": "MEX:SRE",
    "target": "USA:DEA",
    "cameo": "111",
    "instruments": ["mlat"],
    "summary": "Mexico's foreign ministry published the US evidence file: quoted 'text' and all.",
    "sources": [
        {
            "url": "https://example.org/file",
            "title": 'The "file", released',
            "publisher": "Example: News",
            "published": date(2021, 1, 15),
        }
    ],
    "verified": True,
    "relation_effect": -7,
    "effect_rationale": "Publishing the partner's confidential file broke trust: a rupture step.",
    "episode": "example-affair",
    "note": "A note: with a colon.",
}


def test_add_appends_a_block_that_reads_back_and_validates(tmp_path: Path) -> None:
    root = small_kb(tmp_path)
    path = root / "events" / "events.yaml"
    before = path.read_text()
    located = add_event(NEW, "events.yaml", root=root)
    after = path.read_text()
    assert after.startswith(before.rstrip("\n"))
    assert located.record.id == NEW["id"] and located.file == path
    assert after.splitlines()[located.line - 1] == f"- id: {NEW['id']}"
    kb = load(root)
    assert kb.event(str(NEW["id"])) is not None
    assert errors(validate(kb)) == []


def test_add_refuses_an_invalid_event_and_leaves_the_file_alone(tmp_path: Path) -> None:
    root = small_kb(tmp_path)
    path = root / "events" / "events.yaml"
    before = path.read_bytes()
    bad = {**NEW, "target": "USA:NOPE", "cameo": "999", "instruments": ["nope"]}
    with pytest.raises(KnowledgeBaseError) as info:
        add_event(bad, "events.yaml", root=root)
    text = str(info.value)
    assert "unknown actor 'USA:NOPE'" in text and "'999'" in text and "'nope'" in text
    assert path.read_bytes() == before
    with pytest.raises(KnowledgeBaseError, match="duplicate event id"):
        add_event({**NEW, "id": "2020-12-15-law-passed"}, "events.yaml", root=root)
    with pytest.raises(KnowledgeBaseError, match="date"):
        add_event({**NEW, "date": "2021-02-30"}, "events.yaml", root=root)
    assert path.read_bytes() == before


def test_add_refuses_a_file_outside_events(tmp_path: Path) -> None:
    root = small_kb(tmp_path)
    with pytest.raises(KnowledgeBaseError, match="not in"):
        add_event(NEW, tmp_path / "elsewhere.yaml", root=root)


def test_event_yaml_round_trips_awkward_text() -> None:
    record = EventRecord.model_validate({**NEW, "known_at": date(2021, 1, 16)})
    text = event_yaml(record)
    assert "known_at: 2021-01-16\n" in text
    import yaml

    (data,) = yaml.safe_load(text)
    data["known_at"] = str(data["known_at"])
    assert EventRecord.model_validate(data) == record


def test_cli_add_from_flags(tmp_path: Path) -> None:
    root = small_kb(tmp_path)
    args = [
        "kb", "add", "--root", str(root), "--file", "events.yaml", "--no-interactive",
        "--id", "2021-01-16-example", "--date", "2021-01-16", "--source", "MEX:SRE",
        "--target", "USA:DEA", "--cameo", "111", "--instrument", "mlat",
        "--summary", "An example event added from flags.", "--url", "https://example.org/x",
        "--title", "Example", "--outlet", "Example", "--published", "2021-01-16",
        "--verified", "--effect", "-2", "--rationale", "Words of friction, no act.",
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "added 2021-01-16-example at" in result.output
    assert load(root).event("2021-01-16-example") is not None


def test_cli_add_reports_problems_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = small_kb(tmp_path)
    args = [
        "kb", "add", "--root", str(root), "--file", "events.yaml", "--no-interactive",
        "--id", "2021-01-16-example", "--date", "2021-01-16", "--source", "MEX:SRE",
        "--cameo", "1111", "--summary", "An example event with a bad code.",
        "--url", "https://example.org/x", "--title", "Example", "--unverified",
    ]  # fmt: skip
    assert main(args) == 1
    assert "'1111' is not a CAMEO event code" in capsys.readouterr().err
    assert load(root).event("2021-01-16-example") is None


def test_cli_add_interactively(tmp_path: Path) -> None:
    root = small_kb(tmp_path)
    answers = "\n".join(
        [
            "events.yaml",
            "2021-01-17-asked",
            "2021-01-17",
            "day",
            "MEX:SRE",
            "USA:DEA",
            "036",
            "mlat, dialogue",
            "Mexico asked for a meeting, typed at the prompts.",
            "https://example.org/asked",
            "Asked",
            "Example News",
            "2021-01-17",
            "y",
            "2",
            "A meeting asked for: cooperative words, no deliverable.",
        ]
    )
    result = CliRunner().invoke(
        cli, ["kb", "add", "--root", str(root), "--interactive"], input=answers + "\n"
    )
    assert result.exit_code == 0, result.output
    e = load(root).event("2021-01-17-asked")
    assert e is not None and e.record.instruments == ["mlat", "dialogue"] and e.record.verified
