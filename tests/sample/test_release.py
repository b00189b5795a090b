"""Partner releases on the real knowledge base, with sensitive-handling events mixed in."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from dyadwatch.analyse.index import dyad_index
from dyadwatch.errors import UsageError
from dyadwatch.model import Actor
from dyadwatch.pipeline import ingest
from dyadwatch.policy.rules import evaluate, load_rules
from dyadwatch.present.cli.main import main
from dyadwatch.present.release import (
    DROPPED_FIELDS,
    MARK_COLUMN,
    Release,
    build_release,
    identify,
    register,
    verify,
)
from dyadwatch.sources import get_source
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store
from tests.conftest import make_event

pytestmark = pytest.mark.sample

AS_OF = date(2021, 1, 31)
SENSITIVE = [
    make_event(
        f"s{i}",
        source="analyst",
        event_date=date(2020, 10 + i % 3, 5 + i),
        known_at=datetime(2020, 10 + i % 3, 6 + i, tzinfo=UTC),
        actor1=Actor(code="USAGOV", country="USA", agent_type="GOV"),
        actor2=Actor(code="MEXMIL", country="MEX", agent_type="MIL"),
        cameo_code="173",  # an arrest: material conflict
        summary=f"a sensitive report {i}",
        handling="sensitive",
    )
    for i in range(6)
]


def _kb(root: Path) -> Store:
    store = Store.init(root)
    src = get_source("curated")
    assert ingest(src, src.discover(), store).ok
    return store


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Store]:
    """The KB alone, and the KB plus six sensitive-handling events."""
    base = tmp_path_factory.mktemp("release")
    plain = _kb(base / "plain")
    mixed = _kb(base / "mixed")
    mem = MemorySource()
    mem.add("analyst-notes", SENSITIVE)
    assert ingest(mem, mem.discover(), mixed).ok
    return plain, mixed


@pytest.fixture(scope="module")
def two_copies(
    stores: tuple[Store, Store], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Release, Release]:
    _, mixed = stores
    out = tmp_path_factory.mktemp("out")
    first = build_release(mixed, "Partner desk", as_of=AS_OF, out_dir=out)
    second = build_release(mixed, "Another  partner ", as_of=AS_OF, out_dir=out)
    return first, second


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_package_holds_public_events_without_the_dropped_fields(
    stores: tuple[Store, Store], two_copies: tuple[Release, Release]
) -> None:
    plain, _ = stores
    rel = two_copies[0]
    names = sorted(p.name for p in rel.directory.iterdir())
    assert names == [
        "README.txt",
        "events.csv",
        "events.parquet",
        "findings.csv",
        "index-month.csv",
        "manifest.json",
    ]
    events = pq.read_table(rel.directory / "events.parquet")
    assert not set(DROPPED_FIELDS) & set(events.column_names)
    assert events.column_names[0] == MARK_COLUMN
    assert set(events.column(MARK_COLUMN).to_pylist()) == {rel.copy_id}
    summaries = events.column("summary").to_pylist()
    assert not any(s and s.startswith("a sensitive report") for s in summaries)
    assert rel.withheld == len(SENSITIVE)
    from dyadwatch.store import EventFilter
    from dyadwatch.store import events as stored

    kb = stored(plain, EventFilter(dyad="USA-MEX", as_of=AS_OF))
    # The same events, each under this copy's own pseudonym, never its stored id.
    assert events.num_rows == kb.num_rows
    released_ids = set(events.column("event_id").to_pylist())
    assert len(released_ids) == kb.num_rows
    assert not released_ids & set(kb["event_id"].to_pylist())
    meta = json.loads(events.schema.metadata[b"dyadwatch.release"])
    assert meta == {"copy_id": rel.copy_id, "recipient": "Partner desk", "as_of": "2021-01-31"}
    csv_rows = _rows(rel.directory / "events.csv")
    assert len(csv_rows) == events.num_rows
    assert [r["event_id"] for r in csv_rows] == events.column("event_id").to_pylist()
    assert list(csv_rows[0]) == events.column_names
    readme = (rel.directory / "README.txt").read_text()
    assert readme.startswith(f"RELEASED TO Partner desk - COPY {rel.copy_id}")
    # The package says nothing about what was withheld (the register does).
    manifest = json.loads((rel.directory / "manifest.json").read_text())
    for text in (readme, json.dumps(manifest)):
        assert "sensitive" not in text.lower() and "withheld" not in text.lower()
    with zipfile.ZipFile(rel.archive) as zf:
        files = [n.split("/", 1)[1] for n in zf.namelist() if not n.endswith("/")]
        assert sorted(files) == names


def test_the_index_and_findings_never_see_withheld_events(
    stores: tuple[Store, Store], two_copies: tuple[Release, Release]
) -> None:
    plain, _ = stores
    rel = two_copies[0]
    released = pacsv.read_csv(rel.directory / "index-month.csv")
    want = dyad_index(plain, freq="month", as_of=AS_OF)
    pairs = lambda t: list(  # noqa: E731
        zip(t["source"].to_pylist(), t["period"].to_pylist(), t["n"].to_pylist(), strict=True)
    )
    assert pairs(released) == pairs(want)
    # With the sensitive arrests counted, late 2020 would look different: check it would.
    _, mixed = stores
    assert pairs(dyad_index(mixed, freq="month", as_of=AS_OF)) != pairs(want)
    findings = _rows(rel.directory / "findings.csv")
    expected = evaluate(plain, load_rules(), AS_OF)
    assert [(r["rule_id"], r["status"]) for r in findings] == [
        (f.rule_id, f.status) for f in expected
    ]


def test_every_copy_is_registered_and_traceable(
    stores: tuple[Store, Store], two_copies: tuple[Release, Release], tmp_path: Path
) -> None:
    _, mixed = stores
    first, second = two_copies
    reg = {r["copy_id"]: r for r in register(mixed).to_pylist()}
    assert {first.copy_id, second.copy_id} <= set(reg)
    assert reg[second.copy_id]["recipient"] == "Another partner"
    assert reg[first.copy_id]["withheld"] == len(SENSITIVE)

    for rel in (first, second):
        path = rel.directory / "events.csv"
        found = identify(mixed, path)
        (match,) = found.matches
        assert (match.copy_id, match.confidence) == (rel.copy_id, "certain")
        assert "marking column" in match.how and "keyed event ids" in match.how
        assert found.conflicts == ()

    # Strip the marking column and keep 12 rows: the keyed ids and the row order name the
    # copy; the two copies order and name the same events differently.
    rows = _rows(first.directory / "events.csv")
    first_ids = [r["event_id"] for r in rows]
    second_ids = [r["event_id"] for r in _rows(second.directory / "events.csv")]
    assert not set(first_ids) & set(second_ids)
    assert [r["summary"] for r in rows] != [
        r["summary"] for r in _rows(second.directory / "events.csv")
    ]
    stripped = tmp_path / "forwarded.csv"
    with stripped.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["event_id", "summary"])
        writer.writeheader()
        for r in rows[5:17]:
            writer.writerow({"event_id": r["event_id"], "summary": r["summary"]})
    (match,) = identify(mixed, stripped).matches
    assert match.copy_id == first.copy_id and match.confidence == "certain"
    assert "row order: 12 of 12" in match.how
    # Ids that no copy issued, in sorted order, match no copy.
    shuffled = tmp_path / "sorted.csv"
    shuffled.write_text("event_id\n" + "\n".join(f"{i:032x}" for i in range(12)) + "\n")
    assert not identify(mixed, shuffled).matches


def test_verify_finds_changed_missing_and_extra_files(
    stores: tuple[Store, Store], tmp_path: Path
) -> None:
    _, mixed = stores
    rel = build_release(mixed, "Checker", as_of=AS_OF, out_dir=tmp_path, freq="year")
    assert (rel.directory / "index-year.csv").exists()
    assert verify(rel.directory) == []
    (rel.directory / "findings.csv").write_text("rule_id,status\nx,met\n")
    (rel.directory / "README.txt").unlink()
    (rel.directory / "notes.txt").write_text("added later")
    assert verify(rel.directory) == [
        "findings.csv: changed since release (SHA-256 differs)",
        "README.txt: missing",
        "notes.txt: not in the manifest",
    ]
    (rel.directory / "manifest.json").write_text("{not json")
    assert verify(rel.directory)[0].startswith("manifest.json cannot be read")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"recipient": "   "}, "needs a recipient"),
        ({"drop_fields": ("sumary",)}, "not an event field"),
        ({"drop_fields": ("event_id",)}, "event_id cannot be dropped"),
        ({"as_of": date(1960, 1, 1)}, "nothing to release"),
        ({"dyad": "USA"}, "USA"),
    ],
)
def test_bad_release_requests_are_clear_errors(
    stores: tuple[Store, Store], tmp_path: Path, kwargs: dict[str, object], needle: str
) -> None:
    _, mixed = stores
    args: dict[str, object] = {"recipient": "Desk", "as_of": AS_OF, "out_dir": tmp_path}
    args.update(kwargs)
    recipient = args.pop("recipient")
    with pytest.raises(UsageError, match=needle):
        build_release(mixed, recipient, **args)  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_identify_rejects_what_it_cannot_read(stores: tuple[Store, Store], tmp_path: Path) -> None:
    _, mixed = stores
    binary = tmp_path / "x.parquet"
    binary.write_bytes(b"\x00\x01 not parquet")
    with pytest.raises(UsageError, match="cannot read"):
        identify(mixed, binary)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(UsageError, match="nothing to identify a copy by"):
        identify(mixed, other)
    one = tmp_path / "one.csv"
    one.write_text("event_id\nabc\n")
    found = identify(mixed, one)
    assert not found.matches
    assert any(n.startswith("1 row(s) have an event_id no copy issued") for n in found.notes)


def test_the_cli_creates_lists_identifies_and_verifies(
    stores: tuple[Store, Store], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, mixed = stores
    store = str(mixed.root)
    out = tmp_path / "out"
    code = main(
        [
            "release",
            "create",
            "--to",
            "CLI desk",
            "--as-of",
            "2021-01-31",
            "--out",
            str(out),
            "--store",
            store,
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    (directory,) = [p for p in out.iterdir() if p.is_dir()]
    copy_id = directory.name.rsplit("-", 1)[1]
    assert f"release {copy_id} for CLI desk" in text
    assert main(["release", "list", "--json", "--store", store]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert copy_id in {r["copy_id"] for r in listed}
    assert main(["release", "identify", str(directory / "events.csv"), "--store", store]) == 0
    assert "CLI desk" in capsys.readouterr().out
    assert main(["release", "verify", str(directory)]) == 0
    capsys.readouterr()
    (directory / "events.csv").write_text("tampered\n")
    assert main(["release", "verify", str(directory)]) == 1
    assert "events.csv: changed since release" in capsys.readouterr().err
    unrelated = tmp_path / "u.csv"
    unrelated.write_text("event_id\n" + "".join(f"id-{i:02d}\n" for i in range(10)))
    assert main(["release", "identify", str(unrelated), "--store", store]) == 1
    assert "matches no copy" in capsys.readouterr().err
    assert main(["release", "create", "--as-of", "2021-01-31", "--store", store]) == 2
    assert "--to" in capsys.readouterr().err
