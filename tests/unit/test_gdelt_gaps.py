"""The list of GDELT gaps kept for the next run: file format, merging, bounds, the lock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dyadwatch.pipeline import IngestSummary
from dyadwatch.present.cli.update import UpdateResult, record_gaps
from dyadwatch.sources.base import Artifact
from dyadwatch.sources.gdelt import FetchResult
from dyadwatch.sources.gdelt.discovery import RemoteFile, classify
from dyadwatch.sources.gdelt.gaps import (
    GAPS_FILE,
    GapFileError,
    PendingGap,
    due_gaps,
    load_gaps,
    merge_gaps,
    save_gaps,
    set_aside,
)
from dyadwatch.store import Store

pytestmark = pytest.mark.unit

NOW = datetime(2018, 1, 2, 12, 0, tzinfo=UTC)
MAX_AGE = timedelta(days=14)


def remote(name: str, base: str = "http://mirror.test") -> RemoteFile:
    kind = classify(name)
    assert kind is not None
    stream, start, end = kind
    return RemoteFile(name, f"{base}/gdeltv2/{name}", stream, start, end, 1234, "a" * 32)


def pending(name: str, attempts: int = 1, first: datetime = NOW) -> PendingGap:
    return PendingGap(remote(name), "HTTP 500 (after 3 attempts)", attempts, first, first)


EXPORT = "20180101001500.export.CSV.zip"
MENTIONS = "20180101001500.mentions.CSV.zip"
LATER = "20180101003000.export.CSV.zip"


def test_save_then_load_round_trips_every_field(tmp_path: Path) -> None:
    path = tmp_path / GAPS_FILE
    gaps = [pending(LATER, attempts=3), pending(EXPORT, first=NOW - timedelta(days=1))]
    save_gaps(path, gaps)
    loaded = load_gaps(path)
    # Written in interval order, read back equal (times in UTC, size and MD5 kept).
    assert loaded == [gaps[1], gaps[0]]
    assert [p.name for p in tmp_path.iterdir()] == [GAPS_FILE]  # no temporary file left
    doc = json.loads(path.read_text())
    assert doc["format"] == "dyadwatch-gdelt-gaps" and doc["version"] == 1


def test_a_missing_file_is_an_empty_list(tmp_path: Path) -> None:
    assert load_gaps(tmp_path / GAPS_FILE) == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "Expecting property name"),
        ('["a list"]', "not a 'dyadwatch-gdelt-gaps' document"),
        ('{"format": "dyadwatch-gdelt-gaps", "version": 9, "gaps": []}', "version 9"),
        ('{"format": "dyadwatch-gdelt-gaps", "version": 1, "gaps": {}}', "'gaps' is not a list"),
        ('{"format": "dyadwatch-gdelt-gaps", "version": 1, "gaps": [3]}', "int, not an object"),
    ],
)
def test_an_unreadable_file_raises_gap_file_error_naming_the_file(
    tmp_path: Path, text: str, why: str
) -> None:
    path = tmp_path / GAPS_FILE
    path.write_text(text)
    with pytest.raises(GapFileError) as info:
        load_gaps(path)
    assert str(path) in str(info.value) and why in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("attempts", 0, "attempts 0"),
        ("attempts", "2", "attempts '2'"),
        ("size", "big", "size 'big'"),
        ("start", "2018-01-01T00:15:00", "no time zone"),
        ("start", "yesterday", "yesterday"),
        ("url", "", "url ''"),
        ("name", None, "name None"),
    ],
)
def test_a_bad_entry_raises_gap_file_error(
    tmp_path: Path, field: str, value: object, why: str
) -> None:
    path = tmp_path / GAPS_FILE
    save_gaps(path, [pending(EXPORT)])
    doc = json.loads(path.read_text())
    doc["gaps"][0][field] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(GapFileError, match="not a valid GDELT gaps file") as info:
        load_gaps(path)
    assert why in str(info.value)


def test_set_aside_keeps_the_content_under_a_dated_name(tmp_path: Path) -> None:
    path = tmp_path / GAPS_FILE
    path.write_text("garbage")
    moved = set_aside(path, NOW)
    assert not path.exists()
    assert moved.name == f"{GAPS_FILE}.corrupt-20180102T120000Z"
    assert moved.read_text() == "garbage"


def test_merge_removes_filled_counts_failures_and_adds_new_ones() -> None:
    first = NOW - timedelta(days=2)
    current = [pending(EXPORT, 1, first), pending(MENTIONS, 2, first), pending(LATER, 1, first)]
    new = remote("20180101004500.export.CSV.zip")
    update = merge_gaps(
        current,
        failed={
            "20180101001500.mentions.CSV": (remote(MENTIONS), "MD5 mismatch"),
            "20180101004500.export.CSV": (new, "timed out"),
        },
        ingested={"20180101001500.export.CSV"},
        now=NOW,
        max_age=MAX_AGE,
    )
    assert [g.file.name for g in update.filled] == [EXPORT]
    by_name = {g.file.name: g for g in update.gaps}
    assert set(by_name) == {MENTIONS, LATER, new.name}
    # A file that failed again keeps its history: one more attempt, first failure unchanged.
    again = by_name[MENTIONS]
    assert (again.attempts, again.first_failed, again.last_failed) == (3, first, NOW)
    assert again.reason == "MD5 mismatch"
    assert [g.file.name for g in update.failed_again] == [MENTIONS]
    # Not tried this run: unchanged.
    assert by_name[LATER] == current[2]
    assert [(g.file.name, g.attempts, g.first_failed) for g in update.added] == [(new.name, 1, NOW)]
    assert not update.given_up


def test_merge_gives_up_after_max_attempts_or_max_age() -> None:
    current = [
        pending(EXPORT, attempts=4),
        pending(MENTIONS, attempts=1, first=NOW - timedelta(days=15)),
        pending(LATER, attempts=1, first=NOW - timedelta(days=13)),
    ]
    update = merge_gaps(
        current,
        failed={"20180101001500.export.CSV": (remote(EXPORT), "HTTP 500")},
        ingested=set(),
        now=NOW,
        max_attempts=5,
        max_age=MAX_AGE,
    )
    assert [(g.file.name, why) for g, why in update.given_up] == [
        (EXPORT, "failed in 5 run(s)"),
        (MENTIONS, "first failed 2017-12-18 12:00 UTC, over 14 day(s) ago"),
    ]
    assert [g.file.name for g in update.gaps] == [LATER]


def test_due_gaps_skips_other_streams_ingested_and_given_up_files_and_rebases() -> None:
    gaps = [
        pending(LATER),
        pending(MENTIONS),
        pending(EXPORT),
        pending("20180101010000.export.CSV.zip", attempts=5),
        pending("20180101011500.export.CSV.zip", first=NOW - MAX_AGE),
        pending("20180101013000.export.CSV.zip"),
        pending("20180101014500.translation.export.CSV.zip"),
    ]
    due = due_gaps(
        gaps,
        streams=["events", "mentions"],
        done={"20180101013000.export.CSV"},
        now=NOW,
        max_attempts=5,
        max_age=MAX_AGE,
        base_url="http://127.0.0.1:9",
    )
    # Interval order, events before the mentions of the same interval.
    assert [f.name for f in due] == [EXPORT, MENTIONS, LATER]
    assert due[0].url == f"http://127.0.0.1:9/gdeltv2/{EXPORT}"
    assert (due[0].size, due[0].md5) == (1234, "a" * 32)


def _result() -> UpdateResult:
    return UpdateResult(fetch=FetchResult(), ingest=IngestSummary(), after=None)


def test_recording_rereads_the_file_under_the_lock_and_keeps_other_runs_entries(
    tmp_path: Path,
) -> None:
    store = Store.init(tmp_path / "store")
    with store.writer() as writer:
        writer.begin(Artifact("gdelt", "20180101001500.export.CSV", "c1")).commit()
    # Written by another run after this run read the (then empty) list.
    path = store.root / GAPS_FILE
    save_gaps(path, [pending(EXPORT), pending(LATER)])
    result = _result()
    failed = {"20180101001500.mentions.CSV": (remote(MENTIONS), "timed out")}
    record_gaps(store, result, failed, now=NOW, max_attempts=5, max_age=MAX_AGE, lock_wait=0)
    # The other run's LATER is kept, EXPORT (ingested meanwhile) is removed, MENTIONS added.
    assert [g.file.name for g in load_gaps(path)] == [MENTIONS, LATER]
    assert result.pending == 2 and not result.warnings
    assert result.gaps is not None and [g.file.name for g in result.gaps.filled] == [EXPORT]


def test_recording_while_another_writer_holds_the_lock_warns_and_changes_nothing(
    tmp_path: Path,
) -> None:
    store = Store.init(tmp_path / "store")
    path = store.root / GAPS_FILE
    save_gaps(path, [pending(LATER)])
    before = path.read_bytes()
    result = _result()
    failed = {"20180101001500.mentions.CSV": (remote(MENTIONS), "timed out")}
    with store.writer():
        record_gaps(store, result, failed, now=NOW, max_attempts=5, max_age=MAX_AGE, lock_wait=0)
    assert path.read_bytes() == before
    assert result.gaps is None and result.pending is None
    assert len(result.warnings) == 1
    assert "not recorded for the next run" in result.warnings[0]
    assert "--since/--until" in result.warnings[0]


def test_recording_over_an_unreadable_file_sets_it_aside_and_starts_a_new_list(
    tmp_path: Path,
) -> None:
    store = Store.init(tmp_path / "store")
    path = store.root / GAPS_FILE
    path.write_text("{half a file")
    result = _result()
    failed = {"20180101001500.mentions.CSV": (remote(MENTIONS), "timed out")}
    record_gaps(store, result, failed, now=NOW, max_attempts=5, max_age=MAX_AGE, lock_wait=0)
    assert [g.file.name for g in load_gaps(path)] == [MENTIONS]
    moved = store.root / f"{GAPS_FILE}.corrupt-20180102T120000Z"
    assert moved.read_text() == "{half a file"
    assert result.warnings == [
        f"moved the unreadable {GAPS_FILE} to {moved.name}; started a new list."
    ]
