"""The conformance suite: every source keeps the same promises, tested the same way.

Parametrised over gdelt1, gdelt2, curated, file, memory, icews, polecat, phoenix and acled
(:mod:`tests.conformance.cases` says how to feed each):

1. the stored events have the canonical schema and types, unique ids and the source's name;
2. point in time: every event has a ``known_at`` no earlier than its own day, and an "as of"
   query sees an event exactly from its ``known_at``;
3. re-ingesting the same input changes nothing;
4. the stored events do not depend on how the input is split into files or ordered;
5. each malformed input of the source (wrong column count, wrong encoding, truncated
   archive, empty file, unknown codes, dates out of range) is quarantined with a reason —
   the row, or the whole file — and nothing already stored is lost;
6. a SIGKILL in the middle of an ingest leaves the store as it was before some artifact:
   each artifact wholly present or wholly absent, the next writer recovers, a rerun completes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from dyadwatch.model import EVENT_SCHEMA
from dyadwatch.pipeline import IngestSummary, ingest
from dyadwatch.store import EventFilter, Store, count_events, events
from tests.conformance.cases import APPLICABLE, CASE_NAMES, Case, case
from tests.conftest import REPO

pytestmark = pytest.mark.sample

IGNORED = ("ingested_at",)
"""Columns that may differ between two ingests of the same records (the time of the run)."""


@pytest.fixture(params=CASE_NAMES)
def kase(request: pytest.FixtureRequest, shared_data: Path) -> Case:
    return case(request.param)


def run(kase: Case, paths: list[Path], store: Path) -> IngestSummary:
    source = kase.make_source()
    return ingest(source, kase.artifacts(source, paths), Store.open(store, create=True))


def stored(store: Path) -> pa.Table:
    table = events(Store.open(store))
    keep = [c for c in table.column_names if c not in IGNORED]
    return table.select(keep).sort_by("event_id")


def test_schema_types_point_in_time_and_idempotent_reingest(kase: Case, tmp_path: Path) -> None:
    store = tmp_path / "store"
    paths = kase.base(tmp_path)
    first = run(kase, paths, store)
    assert first.ok and first.rows_kept > 0, first.describe()
    assert first.rows_quarantined == 0, (
        Store.open(store).catalog_query("SELECT line, reason FROM quarantine").to_pylist()
    )

    table = events(Store.open(store))
    for f in EVENT_SCHEMA:
        assert f.name in table.column_names, f.name
        assert table.schema.field(f.name).type == f.type, (f.name, table.schema.field(f.name).type)
    assert set(table.column("source").to_pylist()) <= set(kase.stored)
    ids = table.column("event_id").to_pylist()
    assert len(ids) == len(set(ids))
    for name in ("source_key", "event_date", "known_at"):
        assert table.column(name).null_count == 0, name

    # Point in time: public no earlier than its own day began; visible exactly from known_at.
    for day, known in zip(
        table.column("event_date").to_pylist(), table.column("known_at").to_pylist(), strict=True
    ):
        assert known >= datetime.combine(day, dtime.min, tzinfo=UTC)
    s = Store.open(store)
    earliest = pc.min(table.column("known_at")).as_py()
    latest = pc.max(table.column("known_at")).as_py()
    assert count_events(s, EventFilter(as_of=earliest - timedelta(microseconds=1))) == 0
    assert count_events(s, EventFilter(as_of=earliest)) >= 1
    assert count_events(s, EventFilter(as_of=latest)) == table.num_rows

    # Re-ingest: the same artifacts are skipped, and nothing changes.
    before = stored(store)
    again = run(kase, paths, store)
    assert again.count("skipped") == len(again.artifacts) and again.rows_kept == 0
    assert stored(store).equals(before)


def test_invariant_under_splitting_and_reordering(kase: Case, tmp_path: Path) -> None:
    whole, split = tmp_path / "whole", tmp_path / "split"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run(kase, kase.base(tmp_path / "a"), whole)
    run(kase, kase.split(tmp_path / "b", seed=20210119, parts=2), split)
    a, b = stored(whole), stored(split)
    assert a.num_rows > 0 and a.num_rows == b.num_rows
    for name in a.column_names:
        assert a.column(name).equals(b.column(name)), name
    volume = "SELECT source, day, country, sum(events) FROM volume GROUP BY ALL ORDER BY ALL"
    con_a, con_b = Store.open(whole).connect(), Store.open(split).connect()
    try:
        assert con_a.sql(volume).fetchall() == con_b.sql(volume).fetchall()
    finally:
        con_a.close()
        con_b.close()


FAULT_PARAMS = [(name, fault) for name in CASE_NAMES for fault in APPLICABLE[name]]


@pytest.mark.parametrize(("name", "fault"), FAULT_PARAMS, ids=[f"{n}-{f}" for n, f in FAULT_PARAMS])
def test_bad_input_is_quarantined_with_a_reason_and_nothing_stored_is_lost(
    name: str, fault: str, shared_data: Path, tmp_path: Path
) -> None:
    kase = case(name)
    store = tmp_path / "store"
    base = run(kase, kase.base(tmp_path), store)
    assert base.ok
    before = stored(store)
    made = kase.fault(fault, tmp_path)
    assert made is not None, f"{name} declares {fault} but cannot write it"
    paths, expect = made
    summary = run(kase, paths, store)
    quarantined = (
        Store.open(store).catalog_query("SELECT artifact, line, reason FROM quarantine").to_pylist()
    )
    result = summary.artifacts[-1]
    if expect.whole:
        assert result.status == "failed", (result, quarantined)
        assert expect.reason.lower() in (result.message or "").lower(), result.message
        assert any(expect.reason.lower() in q["reason"].lower() for q in quarantined)
    elif expect.adds_nothing:
        assert summary.ok and summary.rows_kept == 0
    else:
        assert result.status == "done", result
        assert result.rows_quarantined >= 1, quarantined
        mine = [q for q in quarantined if expect.reason.lower() in q["reason"].lower()]
        assert mine, quarantined
        if expect.line is not None:
            assert expect.line in [q["line"] for q in mine], quarantined
    # Nothing already stored is lost (a failed new version leaves the old one in place).
    after = stored(store)
    assert set(before.column("event_id").to_pylist()) <= set(after.column("event_id").to_pylist())


KILL_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from dyadwatch.pipeline import ingest
from dyadwatch.store import Store
from tests.conformance.cases import case
kase = case(sys.argv[2])
store = Store.open(sys.argv[3], create=True)
source = kase.make_source()
artifacts = kase.artifacts(source, [Path(p) for p in sys.argv[4:]])
print("start", flush=True)
ingest(source, artifacts, store)
print("done", flush=True)
"""


def _ids_by_artifact(store: Path) -> dict[str, set[str]]:
    s = Store.open(store)
    out: dict[str, set[str]] = {}
    for part in s.snapshot().parts:
        if part.dataset != "events":
            continue
        ids = pq.read_table(store / part.path, columns=["event_id"]).column(0).to_pylist()
        out.setdefault(part.artifact, set()).update(ids)
    return out


def test_sigkill_mid_ingest_leaves_the_store_consistent(kase: Case, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    paths = kase.split(inputs, seed=7, parts=4)
    reference = tmp_path / "reference"
    started = time.monotonic()
    run(kase, paths, reference)
    full = time.monotonic() - started
    expected = _ids_by_artifact(reference)
    assert len(expected) >= 2

    store = tmp_path / "store"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(REPO), kase.name, str(store), *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=REPO,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"start"
        time.sleep(random.Random(kase.name).uniform(0.0, full))
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)

    if (store / "catalog.duckdb").exists():
        s = Store.open(store)
        snap = s.snapshot()
        for part in snap.parts:
            assert (store / part.path).exists(), part.path
            assert pq.read_metadata(store / part.path).num_rows == part.rows
        got = _ids_by_artifact(store)
        for artifact, ids in got.items():
            assert ids == expected[artifact], f"{artifact} is partly present"
        with s.writer():
            pass
        running = s.catalog_query("SELECT count(*) FROM ingest_log WHERE status = 'running'")
        assert running.column(0)[0].as_py() == 0
        listed = {p.path for p in s.snapshot().parts}
        on_disk = {
            str(p.relative_to(store))
            for folder in ("events", "volume", "mentions")
            if (store / folder).exists()
            for p in (store / folder).rglob("*")
            if p.is_file()
        }
        assert on_disk == listed

    # A rerun completes the store exactly.
    run(kase, paths, store)
    final = stored(store).column("event_id").to_pylist()
    assert sorted(final) == sorted(set().union(*expected.values()))
