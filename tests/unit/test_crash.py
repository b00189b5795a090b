"""Kill an ingest at random moments; the store must always be as before some artifact.

An ingest process writes several CSV artifacts into a store and is SIGKILLed after a random
delay drawn across the whole run. After each kill: the manifest lists only files that exist
and read; each artifact is either wholly present or wholly absent; the next writer sweeps
leftovers and marks the interrupted run. Finally a rerun completes the store exactly.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dyadwatch.pipeline import ingest
from dyadwatch.sources import get_source
from dyadwatch.store import Store, events

pytestmark = [pytest.mark.unit, pytest.mark.slow]

N_ARTIFACTS = 5
ROWS = 3000
KILLS = 24

SCRIPT = """
import sys
from pathlib import Path
from dyadwatch.pipeline import ingest
from dyadwatch.sources import get_source
from dyadwatch.store import Store
store = Store.open(sys.argv[1], create=True)
src = get_source("file")
paths = [Path(p) for p in sys.argv[2:]]
print("start", flush=True)
ingest(src, src.artifacts_for_paths(paths), store)
print("done", flush=True)
"""


def _write_artifacts(tmp: Path) -> list[Path]:
    paths = []
    for a in range(N_ARTIFACTS):
        p = tmp / f"artifact-{a}.csv"
        lines = ["source_key,event_date,actor1_country,actor2_country,cameo_code"]
        for i in range(ROWS):
            month = 1 + (i % 12)
            lines.append(
                f"a{a}-{i},2020-{month:02d}-{1 + i % 28:02d},USA,MEX,{'036' if i % 2 else '173'}"
            )
        p.write_text("\n".join(lines) + "\n")
        paths.append(p)
    return paths


def _run(store_dir: Path, paths: list[Path], kill_after: float | None) -> tuple[int, float]:
    """Run the ingest in a child; kill it ``kill_after`` seconds into the ingest (None: let it
    finish). Returns its exit code and how long the ingest ran (imports not counted)."""
    with subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(store_dir), *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    ) as proc:
        assert proc.stdout is not None
        proc.stdout.readline()  # "start": imports are done, the ingest begins now
        began = time.monotonic()
        if kill_after is None:
            proc.stdout.read()
            proc.wait(300)
            return proc.returncode, time.monotonic() - began
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
        return proc.returncode, time.monotonic() - began


def _check_consistent(store_dir: Path) -> set[str]:
    store = Store.open(store_dir)
    snap = store.snapshot()
    for part in snap.parts:
        path = store_dir / part.path
        assert path.exists(), f"manifest lists a missing file {part.path}"
        assert pq.read_metadata(path).num_rows == part.rows
    keys = events(store, snapshot=snap).column("source_key").to_pylist()
    assert len(keys) == len(set(keys)), "duplicate events"
    present = {k.split("-")[0] for k in keys}
    for a in present:
        n = sum(1 for k in keys if k.startswith(f"{a}-"))
        assert n == ROWS, f"artifact {a} is partly present ({n} of {ROWS} rows)"
    return present


def test_killed_ingests_leave_the_store_consistent(tmp_path: Path) -> None:
    paths = _write_artifacts(tmp_path)
    reference = tmp_path / "reference"
    Store.init(reference)
    code, full = _run(reference, paths, None)
    assert code == 0
    expected = sorted(events(Store.open(reference)).column("source_key").to_pylist())
    assert len(expected) == N_ARTIFACTS * ROWS

    rng = random.Random(20210119)
    store_dir = tmp_path / "store"
    outcomes: list[int] = []
    # Kill points are drawn over the ingest's duration. On a loaded machine a run can finish
    # before its kill point; then the range shrinks, and runs go on until KILLS runs were made
    # and a third of them were killed (at most 3 * KILLS runs).
    while len(outcomes) < 3 * KILLS and (
        len(outcomes) < KILLS or outcomes.count(-signal.SIGKILL) < KILLS // 3
    ):
        catalog = store_dir / "catalog.duckdb"
        complete = catalog.exists() and len(_check_consistent(store_dir)) == N_ARTIFACTS
        if store_dir.exists() and (complete or rng.random() < 0.5):
            # Often start from scratch, so that every kill point stays reachable; otherwise
            # kill again while the writer resumes an interrupted store.
            shutil.rmtree(store_dir)
        code, _ = _run(store_dir, paths, rng.uniform(0.0, full))
        outcomes.append(code)
        if code != -signal.SIGKILL:
            full *= 0.7
        if (store_dir / "catalog.duckdb").exists():
            _check_consistent(store_dir)
            # The next writer recovers: no run is left "running", no stray files remain.
            store = Store.open(store_dir)
            with store.writer():
                pass
            running = (
                store.catalog_query("SELECT count(*) FROM ingest_log WHERE status = 'running'")
                .column(0)[0]
                .as_py()
            )
            assert running == 0
            listed = {p.path for p in store.snapshot().parts}
            on_disk = (
                {
                    str(p.relative_to(store_dir))
                    for p in (store_dir / "events").rglob("*")
                    if p.is_file()
                }
                if (store_dir / "events").exists()
                else set()
            )
            assert on_disk == listed
    assert outcomes.count(-signal.SIGKILL) >= KILLS // 3, f"too few runs were killed: {outcomes}"

    # A rerun completes the store exactly.
    src = get_source("file")
    ingest(src, src.artifacts_for_paths(paths), Store.open(store_dir, create=True))
    got = sorted(events(Store.open(store_dir)).column("source_key").to_pylist())
    assert got == expected
