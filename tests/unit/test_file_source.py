"""The generic file source: canonical CSV/Parquet in, bad rows and files quarantined."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dyadwatch.errors import ArtifactError, RowRejected
from dyadwatch.model import events_to_table
from dyadwatch.pipeline import ingest
from dyadwatch.sources import get_source
from dyadwatch.store import Store, events
from tests.conftest import make_event

pytestmark = pytest.mark.unit

HEADER = "source_key,event_date,known_at,actor1_country,actor2_country,cameo_code,summary\n"


def _ingest(store_dir: Path, *paths: Path, strictness: str = "quarantine"):  # type: ignore[no-untyped-def]
    store = Store.open(store_dir, create=True)
    src = get_source("file")
    return store, ingest(src, src.artifacts_for_paths(list(paths)), store, strictness=strictness)


def test_good_csv_is_ingested_with_defaults(tmp_path: Path, store_dir: Path) -> None:
    f = tmp_path / "ev.csv"
    f.write_text(
        HEADER
        + "k1,2021-01-15,,usa,MEX,036,met\nk2,2021-01-16,2021-01-17T10:00:00Z,MEX,USA,0874,x\n"
    )
    store, summary = _ingest(store_dir, f)
    assert summary.rows_kept == 2 and summary.rows_quarantined == 0
    t = events(store).to_pylist()
    assert [r["source"] for r in t] == ["file", "file"]
    assert t[0]["actor1_country"] == "USA"  # upper-cased by the actors step
    assert t[0]["quad_class"] == 1 and t[0]["cameo_root"] == "03"
    assert t[0]["known_at"].isoformat().startswith("2021-01-15T23:59:59")
    assert t[1]["known_at"].isoformat().startswith("2021-01-17T10:00:00")


def test_bad_rows_are_quarantined_with_line_and_reason(tmp_path: Path, store_dir: Path) -> None:
    f = tmp_path / "ev.csv"
    f.write_bytes(
        (
            HEADER
            + "k1,2021-01-15,,USA,MEX,036,good\n"
            + "k2,2021-02-30,,USA,MEX,036,bad date\n"
            + "k3,2021-01-15,,USA,MEX,999,bad code\n"
            + "k4,2021-01-15,,USA,MEX\n"
            + "k5,2021-01-15,,United States,MEX,036,bad country\n"
            + "k6,2021-01-15,2021-01-10,USA,MEX,036,known before it happened\n"
        ).encode()
        + b"k7,2021-01-15,,USA,MEX,036,caf\xe9 latin-1\n"
    )
    store, summary = _ingest(store_dir, f)
    assert summary.rows_kept == 1
    assert summary.rows_quarantined == 6
    q = store.catalog_query(
        'SELECT line, "column", reason FROM quarantine ORDER BY line'
    ).to_pylist()
    by_line = {r["line"]: r for r in q}
    assert "event_date" in by_line[3]["reason"]
    assert "'999' is not a CAMEO event code" in by_line[4]["reason"]
    assert by_line[5]["reason"] == "expected 7 fields, found 5"
    assert "three-letter" in by_line[6]["reason"]
    assert "before the event" in by_line[7]["reason"]
    assert by_line[8]["reason"] == "bytes that are not UTF-8"
    raw = store.catalog_query("SELECT raw FROM quarantine WHERE line = 8").column(0)[0].as_py()
    assert "\\xe9" in raw


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"event_date,cameo_code\n2021-01-01,036\n", "lacks required column"),
        (b"<html><body>404 Not Found</body></html>\n", "lacks required column"),
    ],
)
def test_unusable_files_fail_whole_and_the_run_goes_on(
    tmp_path: Path, store_dir: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "k1,2021-01-15,,USA,MEX,036,ok\n")
    store, summary = _ingest(store_dir, bad, good)
    assert [a.status for a in summary.artifacts] == ["failed", "done"]
    assert not summary.ok
    reason = store.catalog_query("SELECT reason FROM quarantine").column(0)[0].as_py()
    assert message in reason
    assert events(store).num_rows == 1


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="no such file"):
        list(get_source("file").artifacts_for_paths([tmp_path / "nope.csv"]))


def test_strict_raise_stops_at_first_bad_row_and_keeps_nothing(
    tmp_path: Path, store_dir: Path
) -> None:
    f = tmp_path / "ev.csv"
    f.write_text(HEADER + "k1,2021-01-15,,USA,MEX,036,ok\nk2,2021-01-15,,USA,MEX,999,bad\n")
    with pytest.raises(RowRejected, match="line 3"):
        _ingest(store_dir, f, strictness="raise")
    assert events(Store.open(store_dir)).num_rows == 0


def test_parquet_round_trip(tmp_path: Path, store_dir: Path) -> None:
    table = events_to_table([make_event(str(i)) for i in range(3)])
    path = tmp_path / "ev.parquet"
    pq.write_table(table, path)
    store, summary = _ingest(store_dir, path)
    assert summary.rows_kept == 3
    assert set(events(store).column("source").to_pylist()) == {"demo"}
    assert sorted(events(store).column("source_key").to_pylist()) == ["0", "1", "2"]


def test_not_parquet_is_quarantined(tmp_path: Path, store_dir: Path) -> None:
    path = tmp_path / "ev.parquet"
    path.write_bytes(b"PAR1 not really")
    _, summary = _ingest(store_dir, path)
    assert summary.artifacts[0].status == "failed"
    assert "Parquet" in (summary.artifacts[0].message or "")


@pytest.mark.parametrize("claimed", ["curated", "gdelt2", "GDELT1", "gdelt", "cbp_seizures"])
def test_a_file_cannot_pass_its_rows_off_as_a_reserved_source(
    tmp_path: Path, store_dir: Path, claimed: str
) -> None:
    f = tmp_path / "spoof.csv"
    f.write_text(
        "source,source_key,event_date,actor1_country,actor2_country,cameo_code\n"
        f"{claimed},k1,2021-01-15,USA,MEX,036\n"
        "my-list,k2,2021-01-15,USA,MEX,036\n"
        ",k3,2021-01-15,USA,MEX,036\n"
    )
    store, summary = _ingest(store_dir, f)
    assert (summary.rows_kept, summary.rows_quarantined) == (2, 1)
    assert sorted(events(store).column("source").to_pylist()) == ["file", "my-list"]
    (reason,) = store.catalog_query("SELECT reason FROM quarantine").column(0).to_pylist()
    assert reason.startswith(f"source {claimed!r} is reserved")
    # The same through Parquet.
    p = tmp_path / "spoof.parquet"
    table = events_to_table([make_event("k9", source=claimed)])
    pq.write_table(table, p)
    _, summary = _ingest(store_dir, p)
    assert (summary.rows_kept, summary.rows_quarantined) == (0, 1)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a\x00b.csv", "cannot hold a NUL byte"),
        ("x" * 256 + ".csv", "name is over 255 bytes"),
        ("/tmp/" + "d/" * 2100 + "e.csv", "over 4096"),
    ],
)
def test_impossible_paths_are_one_clear_error(path: str, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        list(get_source("file").artifacts_for_paths([Path(path)]))


@pytest.mark.parametrize("path", ["x" * 300 + ".csv", "d/" + "y" * 256 + "/e.csv"])
def test_the_cli_answers_impossible_paths_in_one_line(
    path: str, store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dyadwatch.present.cli.main import main

    assert main(["ingest", "file", path, "--store", str(store_dir)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
