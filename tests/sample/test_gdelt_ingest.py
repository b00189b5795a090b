"""Ingesting real GDELT files: the store, quarantine, idempotency (zip/unzipped, overlaps)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from dyadwatch import pipeline
from dyadwatch.present.cli.main import main
from dyadwatch.sources.gdelt import GdeltSource
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

V2 = ("20151027220000.export.CSV", "20180101000000.export.CSV")


def zipped(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{src.name}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(src, src.name)
    return out


def counts(store: Store) -> dict[str, object]:
    con = store.connect()
    try:
        return {
            "events": con.sql(
                "SELECT source, count(*) FROM events GROUP BY 1 ORDER BY 1"
            ).fetchall(),
            "distinct": con.sql("SELECT count(DISTINCT event_id) FROM events").fetchall()[0][0],
            "volume": con.sql("SELECT count(*), sum(events) FROM volume").fetchall()[0],
            "mentions": con.sql("SELECT count(*) FROM mentions").fetchall()[0][0],
        }
    finally:
        con.close()


@pytest.fixture()
def v2_files(shared_data: Path) -> list[Path]:
    return [shared_data / "gdelt/v2_events" / n for n in V2]


def test_cli_ingest_keeps_the_dyad_and_the_volume(v2_files: list[Path], tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    code = main(["ingest", "gdelt", *map(str, v2_files), "--store", str(store_dir), "--json"])
    assert code == 0
    store = Store.open(store_dir)
    con = store.connect()
    try:
        per_file = con.sql(
            "SELECT artifact, sum(events) FILTER (country = 'USA'), "
            "sum(events) FILTER (country = 'MEX'), sum(events) FILTER (country = '*') "
            "FROM volume GROUP BY 1 ORDER BY 1"
        ).fetchall()
        dyad = con.sql(
            "SELECT count(*) FROM events WHERE source = 'gdelt2' AND "
            "((actor1_country = 'USA' AND actor2_country = 'MEX') OR "
            " (actor1_country = 'MEX' AND actor2_country = 'USA'))"
        ).fetchall()[0][0]
        total = con.sql("SELECT count(*) FROM events").fetchall()[0][0]
        row = con.sql(
            "SELECT cameo_root, quad_class, goldstein, known_at, source_urls, action_country "
            "FROM events WHERE source_key = (SELECT min(source_key) FROM events)"
        ).fetchall()[0]
    finally:
        con.close()
    assert per_file == [
        ("20151027220000.export.CSV", 609, 8, 2116),
        ("20180101000000.export.CSV", 653, 22, 2420),
    ]
    assert dyad == total == 12  # PROVENANCE: 2 + 10 USA–MEX rows
    assert row[0] is not None and row[1] in (1, 2, 3, 4) and row[3] is not None and row[4]


def test_zipped_unzipped_and_repeated_ingests_add_nothing(
    v2_files: list[Path], tmp_path: Path
) -> None:
    store = Store.init(tmp_path / "store")
    source = GdeltSource(dyads=("USA-MEX",))
    first = pipeline.ingest(source, list(source.artifacts_for_paths(v2_files)), store)
    assert first.ok and first.rows_kept == 12
    before = counts(store)
    again = pipeline.ingest(source, list(source.artifacts_for_paths(v2_files)), store)
    zips = [zipped(p, tmp_path / "zips") for p in v2_files]
    as_zip = pipeline.ingest(source, list(source.artifacts_for_paths(zips)), store)
    assert {a.status for a in again.artifacts} == {"skipped"}
    assert {a.status for a in as_zip.artifacts} == {"skipped"}  # same content, same key
    assert counts(store) == before
    assert before["distinct"] == 12


def test_zip_first_then_plain_and_overlapping_files(v2_files: list[Path], tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    source = GdeltSource(dyads=("USA-MEX",))
    zips = [zipped(p, tmp_path / "zips") for p in v2_files]
    pipeline.ingest(source, list(source.artifacts_for_paths(zips)), store)
    before = counts(store)
    pipeline.ingest(source, list(source.artifacts_for_paths(v2_files)), store)
    assert counts(store) == before
    # An overlapping file: another interval that repeats half of one file's events.
    lines = v2_files[1].read_bytes().splitlines(keepends=True)
    overlap = tmp_path / "20180101001500.export.CSV"
    overlap.write_bytes(b"".join(lines[5:]))
    result = pipeline.ingest(source, list(source.artifacts_for_paths([overlap])), store)
    after = counts(store)
    assert after["events"] == before["events"] and after["distinct"] == before["distinct"]
    assert result.rows_duplicate > 0


def test_bad_files_are_quarantined_and_the_run_goes_on(
    shared_data: Path, v2_files: list[Path], tmp_path: Path
) -> None:
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    html = bad_dir / "20180101003000.export.CSV"
    html.write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    empty = bad_dir / "20180101004500.export.CSV"
    empty.write_bytes(b"")
    truncated = bad_dir / "20180101010000.export.CSV.zip"
    truncated.write_bytes(zipped(v2_files[0], tmp_path / "z").read_bytes()[:5000])
    corrupt = bad_dir / "20180101011500.export.CSV.zip"
    data = bytearray(zipped(v2_files[1], tmp_path / "z2").read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte of the compressed stream
    corrupt.write_bytes(bytes(data))
    ragged = bad_dir / "20180101013000.export.CSV"
    lines = v2_files[1].read_bytes().splitlines(keepends=True)
    ragged.write_bytes(b"".join([lines[0][:200] + b"\n", *lines[1:50], b"\xff\xfe bad\n"]))
    mangled = (
        shared_data / "gdelt/malformed/narayave_20190121220000.export2_excel_semicolon_mangled.CSV"
    )
    store_dir = tmp_path / "store"
    paths = [v2_files[0], html, empty, truncated, corrupt, ragged, mangled]
    code = main(["ingest", "gdelt", *map(str, paths), "--store", str(store_dir), "--json"])
    assert code == 1  # files failed as a whole
    store = Store.open(store_dir)
    log = {
        r["artifact"]: r["status"]
        for r in store.catalog_query("SELECT artifact, status FROM ingest_log").to_pylist()
    }
    assert log == {
        "20151027220000.export.CSV": "done",
        "20180101003000.export.CSV": "failed",
        "20180101004500.export.CSV": "failed",
        "20180101010000.export.CSV": "failed",
        "20180101011500.export.CSV": "failed",
        "20180101013000.export.CSV": "done",
        "narayave_20190121220000.export2_excel_semicolon_mangled.CSV": "failed",
    }
    reasons = {
        (r["artifact"], r["line"]): r["reason"]
        for r in store.catalog_query("SELECT artifact, line, reason FROM quarantine").to_pylist()
    }
    assert "HTML" in reasons[("20180101003000.export.CSV", None)]
    assert "empty" in reasons[("20180101004500.export.CSV", None)]
    assert "zip" in reasons[("20180101010000.export.CSV", None)]
    assert (
        "zip" in reasons[("20180101011500.export.CSV", None)]
        or "CRC" in reasons[("20180101011500.export.CSV", None)]
    )
    assert "field(s), expected 61" in reasons[("20180101013000.export.CSV", 1)]
    assert "UTF-8" in reasons[("20180101013000.export.CSV", 51)]
    assert (
        "semicolon"
        in reasons[("narayave_20190121220000.export2_excel_semicolon_mangled.CSV", None)]
    )
    volume = store.catalog_query(
        "SELECT rows_read, rows_quarantined FROM ingest_log WHERE artifact = ?",
        ["20180101013000.export.CSV"],
    ).to_pylist()[0]
    assert volume == {"rows_read": 51, "rows_quarantined": 2}


def test_mentions_of_kept_events_are_kept_and_linked(v2_files: list[Path], tmp_path: Path) -> None:
    events = v2_files[1]
    keys = []
    for line in events.read_bytes().decode().splitlines():
        f = line.split("\t")
        if {f[7], f[17]} == {"USA", "MEX"}:
            keys.append(f[0])
    assert len(keys) == 10
    mention = "{key}\t20180101000000\t20180101000000\t1\texample.com\thttp://example.com/{key}\t1\t-1\t10\t20\t1\t50\t1000\t-2.5\t\t"
    lines = [mention.format(key=k) for k in [*keys, "1", "2", "3"]]
    mentions = tmp_path / "20180101000000.mentions.CSV"
    mentions.write_text("\n".join(lines) + "\n")
    store = Store.init(tmp_path / "store")
    source = GdeltSource(dyads=("USA-MEX",))
    summary = pipeline.ingest(source, list(source.artifacts_for_paths([mentions, events])), store)
    assert [a.artifact for a in summary.artifacts] == [
        "20180101000000.export.CSV",
        "20180101000000.mentions.CSV",
    ]
    con = store.connect()
    try:
        joined = con.sql(
            "SELECT count(*), count(DISTINCT e.event_id) "
            "FROM mentions m JOIN events e USING (event_id)"
        ).fetchall()[0]
        total = con.sql("SELECT count(*) FROM mentions").fetchall()[0][0]
    finally:
        con.close()
    assert total == 10 and joined == (10, 10)


def test_cli_ingest_reads_zipped_and_unzipped_files_alike(
    shared_data: Path, v2_files: list[Path], tmp_path: Path
) -> None:
    v1 = shared_data / "gdelt/v1_events/reed9999_gdelt1_events_1982_and_20160728_sample.CSV"
    plain = [*v2_files, v1]
    zips = [zipped(p, tmp_path / "zips") for p in plain]
    a, b = tmp_path / "plain", tmp_path / "zipped"
    assert main(["ingest", "gdelt", *map(str, plain), "--store", str(a), "--json"]) == 0
    assert main(["ingest", "gdelt", *map(str, zips), "--store", str(b), "--json"]) == 0
    got_a, got_b = counts(Store.open(a)), counts(Store.open(b))
    assert got_a == got_b
    assert got_a["events"] == [("gdelt1", 1), ("gdelt2", 12)]
    # Mixed: the zipped copies after the plain files change nothing.
    assert main(["ingest", "gdelt", *map(str, zips), "--store", str(a), "--json"]) == 0
    assert counts(Store.open(a)) == got_a
