"""Release tracing against a partner who edits a file before passing it on (issue 20).

The adversarial run forged the marking column to name another partner, blanked and zeroed
it, swapped 22 adjacent pairs of rows, re-saved with semicolons, and recovered the withheld
source keys from the released ids by hashing candidates. Each of those is a case here.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dyadwatch.model import Actor, event_id_for
from dyadwatch.pipeline import ingest
from dyadwatch.present.cli.main import main
from dyadwatch.present.release import (
    DROPPED_FIELDS,
    KEY_FILE,
    MARK_COLUMN,
    Release,
    build_release,
    identify,
    release_key,
)
from dyadwatch.sources import get_source
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import EventFilter, Store, events
from tests.conftest import make_event

pytestmark = pytest.mark.sample

AS_OF = date(2021, 1, 31)
FILE_KEYS = ["row-1", "row-2", "row-3"]
GDELT_KEYS = [str(498761245 + i) for i in range(12)]


def _machine_events() -> list[object]:
    """Events whose source keys an attacker could guess: file rows and GDELT ids."""
    made = []
    for i, key in enumerate(FILE_KEYS):
        made.append(make_event(key, source="file", event_date=date(2020, 11, 2 + i)))
    for i, key in enumerate(GDELT_KEYS):
        made.append(
            make_event(
                key,
                source="gdelt2",
                event_date=date(2020, 12, 1 + i),
                known_at=datetime(2020, 12, 1 + i, 12, tzinfo=UTC),
                actor1=Actor(code="USAGOV", country="USA", agent_type="GOV"),
                actor2=Actor(code="MEXGOV", country="MEX", agent_type="GOV"),
                cameo_code="042",
                summary=None,
                source_urls=(f"https://news.example/{i}",),
            )
        )
    return made


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("tracing") / "store"
    store = Store.init(root)
    curated = get_source("curated")
    assert ingest(curated, curated.discover(), store).ok
    mem = MemorySource()
    mem.add("machine", _machine_events())  # type: ignore[arg-type]
    mem.add(
        "sensitive",
        [make_event("s1", source="analyst", summary="a sensitive report", handling="sensitive")],
    )
    assert ingest(mem, mem.discover(), store).ok
    return store


@pytest.fixture(scope="module")
def copies(store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Release]:
    out = tmp_path_factory.mktemp("copies")
    return {
        name: build_release(store, name, as_of=AS_OF, out_dir=out)
        for name in ("Alpha desk", "Bravo desk", "Charlie desk")
    }


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, delimiter=delimiter, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- ids that reveal nothing -----------------------------------------------------------------


def test_source_keys_cannot_be_recovered_by_hashing_candidates(
    store: Store, copies: dict[str, Release]
) -> None:
    """The attack that recovered 3/3 file keys and 12/12 GDELT ids now finds none."""
    released: set[str] = set()
    for rel in copies.values():
        released |= set(pq.read_table(rel.directory / "events.parquet")["event_id"].to_pylist())
    sources = ["file", "gdelt2", "gdelt1", "gdelt", "curated", "memory", "demo", "analyst"]
    candidates = [*FILE_KEYS, *GDELT_KEYS, *(str(498761245 + i) for i in range(-5000, 5000))]
    candidates += [f"row-{i}" for i in range(1000)]
    guesses = set()
    for source in sources:
        for key in candidates:
            guesses.add(event_id_for(source, key))
            guesses.add(hashlib.blake2b(key.encode(), digest_size=16).hexdigest())
    assert not released & guesses
    # The true stored ids are nowhere in any package file either, nor any source key.
    stored = events(store, EventFilter(dyad="USA-MEX", as_of=AS_OF))
    secrets = set(stored["event_id"].to_pylist()) | set(GDELT_KEYS)
    for rel in copies.values():
        for path in rel.directory.iterdir():
            text = path.read_bytes().decode("utf-8", "replace")
            assert not [s for s in secrets if s in text], path.name


def test_each_copy_names_the_same_event_differently_and_stably(
    store: Store, copies: dict[str, Release]
) -> None:
    alpha, bravo = copies["Alpha desk"], copies["Bravo desk"]
    a = pq.read_table(alpha.directory / "events.parquet")
    b = pq.read_table(bravo.directory / "events.parquet")
    assert a.num_rows == b.num_rows
    assert not set(a["event_id"].to_pylist()) & set(b["event_id"].to_pylist())
    assert a.column_names[:2] == [MARK_COLUMN, "event_id"] == b.column_names[:2]
    assert a.column_names != b.column_names and sorted(a.column_names) == sorted(b.column_names)
    assert not set(DROPPED_FIELDS) & set(a.column_names)
    key = (store.root / KEY_FILE).stat()
    assert key.st_mode & 0o077 == 0  # the key is readable by its owner only
    assert release_key(store) == release_key(store, create=True)


# --- tracing that survives edits --------------------------------------------------------------


def _edit(case: str, alpha: Release, bravo: Release, tmp: Path) -> Path:
    header, rows = _read(alpha.directory / "events.csv")
    rng = random.Random(20)
    out = tmp / f"{case}.csv"
    if case == "as released":
        return _write(out, header, rows)
    if case == "marking forged to another partner":
        return _write(out, header, [dict(r, release_copy=bravo.copy_id) for r in rows])
    if case == "marking blanked":
        return _write(out, header, [dict(r, release_copy="") for r in rows])
    if case == "marking zeroed":
        return _write(out, header, [dict(r, release_copy="0" * 16) for r in rows])
    if case == "marking removed":
        return _write(out, header[1:], rows)
    if case == "22 adjacent pairs swapped, marking blanked":
        swapped = list(rows)
        for i in range(0, 44, 2):
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        return _write(out, header, [dict(r, release_copy="") for r in swapped])
    if case == "rows removed and the rest shuffled":
        kept = rng.sample(rows, 25)
        return _write(out, header, kept)
    if case == "re-saved with semicolons":
        return _write(out, header, rows, ";")
    if case == "re-saved with tabs, marking removed":
        return _write(out, header[1:], rows, "\t")
    if case == "ids and marking removed, rows shuffled":
        shuffled = rng.sample(rows, len(rows))
        return _write(out, header[2:], shuffled)
    if case == "ids rewritten, marking removed, columns sorted":
        renamed = [dict(r, event_id=f"{i:032x}") for i, r in enumerate(rows)]
        return _write(out, sorted(header[1:]), renamed[30:90])
    if case == "Parquet re-saved without its metadata or marking":
        table = pq.read_table(alpha.directory / "events.parquet").drop_columns([MARK_COLUMN])
        out = tmp / f"{case}.parquet"
        pq.write_table(table.replace_schema_metadata({}), out)
        return out
    raise AssertionError(case)


CASES = [
    "as released",
    "marking forged to another partner",
    "marking blanked",
    "marking zeroed",
    "marking removed",
    "22 adjacent pairs swapped, marking blanked",
    "rows removed and the rest shuffled",
    "re-saved with semicolons",
    "re-saved with tabs, marking removed",
    "ids and marking removed, rows shuffled",
    "ids rewritten, marking removed, columns sorted",
    "Parquet re-saved without its metadata or marking",
]


@pytest.mark.parametrize("case", CASES)
def test_an_edited_copy_is_still_named_with_certainty(
    store: Store, copies: dict[str, Release], tmp_path: Path, case: str
) -> None:
    alpha, bravo = copies["Alpha desk"], copies["Bravo desk"]
    found = identify(store, _edit(case, alpha, bravo, tmp_path))
    (match,) = found.matches
    assert (match.copy_id, match.recipient) == (alpha.copy_id, "Alpha desk"), case
    assert match.confidence == "certain"
    assert any(s.hidden for s in match.signals)
    if case in ("marking forged to another partner", "marking zeroed"):
        assert found.conflicts, case
    else:
        assert found.conflicts == (), (case, found.conflicts)
    if case == "marking forged to another partner":
        assert bravo.copy_id in found.conflicts[0] and "rewritten" in found.conflicts[0]


def test_a_file_combining_two_copies_names_both_and_says_so(
    store: Store, copies: dict[str, Release], tmp_path: Path
) -> None:
    alpha, bravo = copies["Alpha desk"], copies["Bravo desk"]
    header, a_rows = _read(alpha.directory / "events.csv")
    _, b_rows = _read(bravo.directory / "events.csv")
    mixed = _write(tmp_path / "mixed.csv", header, a_rows[:40] + b_rows[:40])
    found = identify(store, mixed)
    assert {m.copy_id for m in found.matches} == {alpha.copy_id, bravo.copy_id}
    assert any("more than one copy" in c for c in found.conflicts)


def test_what_identify_cannot_establish(
    store: Store, copies: dict[str, Release], tmp_path: Path
) -> None:
    """Rows shuffled, columns in the canonical order, no ids, no marking: nothing survives."""
    alpha = copies["Alpha desk"]
    header, rows = _read(alpha.directory / "events.csv")
    canonical = [c for c in events(store).column_names if c in header and c != "event_id"]
    rng = random.Random(3)
    laundered = _write(tmp_path / "laundered.csv", canonical, rng.sample(rows, len(rows)))
    found = identify(store, laundered)
    assert found.matches == ()
    # The visible marking alone is a claim, not proof: the index carries only that.
    index = identify(store, alpha.directory / "index-month.csv")
    (match,) = index.matches
    assert (match.copy_id, match.confidence) == (alpha.copy_id, "claimed")
    assert match.chance_of_error == "unknown"


def test_the_cli_reports_confidence_and_conflicts(
    store: Store, copies: dict[str, Release], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alpha, bravo = copies["Alpha desk"], copies["Bravo desk"]
    forged = _edit("marking forged to another partner", alpha, bravo, tmp_path)
    code = main(["release", "identify", str(forged), "--json", "--store", str(store.root)])
    assert code == 0
    captured = capsys.readouterr()
    (row,) = json.loads(captured.out)
    assert (row["recipient"], row["confidence"], row["chance_of_error"]) == (
        "Alpha desk",
        "certain",
        "< 1e-30",
    )
    assert "conflict: the marking column names copy " + bravo.copy_id in captured.err


# --- what a package holds and says -----------------------------------------------------------


def test_drop_field_adds_to_the_defaults_and_replacing_them_warns(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = str(store.root)
    out = tmp_path / "out"
    args = ["release", "create", "--to", "Desk", "--as-of", "2021-01-31", "--out", str(out)]
    assert main([*args, "--drop-field", "summary", "--store", root]) == 0
    (first,) = [p for p in out.iterdir() if p.is_dir()]
    columns = pq.read_table(first / "events.parquet").column_names
    assert "summary" not in columns and not set(DROPPED_FIELDS) & set(columns)
    with caplog.at_level(logging.WARNING, logger="dyadwatch.present.release"):
        code = main([*args, "--drop-field", "summary", "--replace-drop-list", "--store", root])
    assert code == 0
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert "ships field(s) every release drops by default: source_key" in warning
    second = next(p for p in out.iterdir() if p.is_dir() and p != first)
    assert "source_key" in pq.read_table(second / "events.parquet").column_names


def test_withheld_events_are_disclosed_only_when_asked(store: Store, tmp_path: Path) -> None:
    quiet = build_release(store, "Quiet", as_of=AS_OF, out_dir=tmp_path)
    told = build_release(store, "Told", as_of=AS_OF, out_dir=tmp_path, disclose_withheld=True)
    assert quiet.withheld == told.withheld == 1  # the office always knows
    for rel, said in ((quiet, False), (told, True)):
        readme = (rel.directory / "README.txt").read_text()
        manifest = json.loads((rel.directory / "manifest.json").read_text())
        assert ("1 sensitive-handling events" in readme) is said
        assert ("withheld_sensitive_events" in manifest) is said
