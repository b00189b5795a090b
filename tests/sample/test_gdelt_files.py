"""Every real file in ../shared/data/gdelt, read with the counts its PROVENANCE.md states."""

from __future__ import annotations

import zipfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dyadwatch.errors import ArtifactError
from dyadwatch.sources.gdelt.canonical import Dyads, fips_table
from dyadwatch.sources.gdelt.discovery import (
    gap_report,
    parse_filelist,
    parse_v1_lists,
)
from dyadwatch.sources.gdelt.reader import FileReader

pytestmark = pytest.mark.sample

BASE = "http://data.gdeltproject.org"

# file → (format, rows, rows naming USA, rows naming MEX, USA–MEX dyad rows); PROVENANCE.md.
EVENTS = {
    "v2_events/20151027220000.export.CSV": ("events-2.0", 2116, 609, 8, 2),
    "v2_events/20180101000000.export.CSV": ("events-2.0", 2420, 653, 22, 10),
    "v2_events/aamend_20150218230000.export.head100.CSV": ("events-2.0", 100, 8, 0, 0),
    "v2_events/aamend_20150218224500.translation.export.head100.CSV": (
        "events-2.0",
        100,
        30,
        0,
        0,
    ),
}
MENTIONS = {
    "v2_mentions/aamend_20150218230000.mentions.head100.CSV": 100,
    "v2_mentions/aamend_20150218224500.translation.mentions.head100.CSV": 100,
    "v2_mentions/gdeltPyR_mentionssamp_20170701234500_processed.csv": 1635,
}


def read_all(path: Path, dyads: tuple[str, ...] = ()) -> tuple[FileReader, dict[str, pa.Table]]:
    reader = FileReader(path, path.name, Dyads.parse(dyads), fips_table())
    tables: dict[str, list[pa.Table]] = {}
    for chunk in reader.chunks():
        tables.setdefault(chunk.dataset, []).append(chunk.table)
    return reader, {k: pa.concat_tables(v) for k, v in tables.items()}


def country_total(volume: pa.Table, country: str) -> int:
    rows = volume.filter(pc.equal(volume["country"], country))
    return int(pc.sum(rows["events"]).as_py() or 0)


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_v2_events_row_and_country_counts(shared_data: Path, name: str) -> None:
    fmt, rows, usa, mex, dyad = EVENTS[name]
    reader, tables = read_all(shared_data / "gdelt" / name)
    assert reader.report.format == fmt
    assert reader.report.lines == rows and reader.report.rejects == 0
    assert tables["events"].num_rows == rows
    volume = tables["volume"]
    assert country_total(volume, "*") == rows
    assert (country_total(volume, "USA"), country_total(volume, "MEX")) == (usa, mex)
    _, kept = read_all(shared_data / "gdelt" / name, ("USA-MEX",))
    assert kept["events"].num_rows == dyad
    assert kept["volume"].to_pylist() == volume.to_pylist()  # counted before filtering


def test_v2_dateadded_becomes_known_at(shared_data: Path) -> None:
    _, tables = read_all(shared_data / "gdelt/v2_events/20180101000000.export.CSV")
    known = set(tables["events"]["known_at"].to_pylist())
    assert known == {datetime(2018, 1, 1, tzinfo=UTC)}
    days = tables["events"]["event_date"]
    assert (pc.min(days).as_py(), pc.max(days).as_py()) == (date(2017, 1, 1), date(2018, 1, 1))
    for dyads in ((), ("USA-MEX",)):  # full read, and the filtered first pass
        _, tables = read_all(shared_data / "gdelt/v2_events/20151027220000.export.CSV", dyads)
        stamps = set(tables["volume"]["known_at"].to_pylist())
        assert stamps == {datetime(2015, 10, 27, 22, 0, tzinfo=UTC)}


def test_v1_mixed_57_and_58_column_files(shared_data: Path) -> None:
    reader, tables = read_all(
        shared_data / "gdelt/v1_events/reed9999_gdelt1_events_1982_and_20160728_sample.CSV"
    )
    events = tables["events"]
    assert reader.report.lines == 710 and events.num_rows == 710
    assert set(events["source"].to_pylist()) == {"gdelt1"}
    historical = events.filter(pc.is_null(events["source_urls"]))
    assert historical.num_rows == 201  # the 57-column backfile rows have no SOURCEURL
    years = Counter(d.year for d in historical["event_date"].to_pylist())
    assert set(years) == {1982}
    assert country_total(tables["volume"], "MEX") == 7

    reader, tables = read_all(
        shared_data / "gdelt/v1_events/aamend_gdelt1_events_mixed.head100.CSV"
    )
    assert reader.report.lines == 100 and tables["events"].num_rows == 100
    assert pc.sum(pc.is_null(tables["events"]["source_urls"])).as_py() == 40


@pytest.mark.parametrize("name", sorted(MENTIONS))
def test_mentions_row_counts(shared_data: Path, name: str) -> None:
    reader, tables = read_all(shared_data / "gdelt" / name)
    assert reader.report.format == "mentions-2.0"
    assert tables["mentions"].num_rows == MENTIONS[name] == reader.report.rows_valid


@pytest.mark.parametrize(
    ("events", "mentions", "joined"),
    [
        (
            "aamend_20150218230000.export.head100.CSV",
            "aamend_20150218230000.mentions.head100.CSV",
            52,
        ),
        (
            "aamend_20150218224500.translation.export.head100.CSV",
            "aamend_20150218224500.translation.mentions.head100.CSV",
            37,
        ),
    ],
)
def test_mentions_join_their_events(
    shared_data: Path, events: str, mentions: str, joined: int
) -> None:
    _, ev = read_all(shared_data / "gdelt/v2_events" / events)
    _, me = read_all(shared_data / "gdelt/v2_mentions" / mentions)
    ids = set(ev["events"]["source_key"].to_pylist())
    keys = set(me["mentions"]["source_key"].to_pylist())
    assert len(ids & keys) == joined


def test_zipped_and_plain_copies_read_the_same(shared_data: Path, tmp_path: Path) -> None:
    plain = shared_data / "gdelt/v2_events/20151027220000.export.CSV"
    zipped = tmp_path / "20151027220000.export.CSV.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain, plain.name)
    _, a = read_all(plain, ("USA-MEX",))
    _, b = read_all(zipped, ("USA-MEX",))
    assert a["events"].to_pylist() == b["events"].to_pylist()
    assert a["volume"]["events"].to_pylist() == b["volume"]["events"].to_pylist()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("malformed/narayave_20190121220000.export2_excel_semicolon_mangled.CSV", "semicolon"),
        ("v1_reduced/moxious_GDELT_reduced_1979_sample.tsv", "reduced"),
    ],
)
def test_files_that_are_not_raw_gdelt_are_refused(
    shared_data: Path, name: str, reason: str
) -> None:
    with pytest.raises(ArtifactError, match=reason):
        read_all(shared_data / "gdelt" / name)


def test_masterfilelist_excerpt_and_lastupdate(shared_data: Path) -> None:
    lists = shared_data / "gdelt/filelists"
    files = parse_filelist(
        (lists / "gdeltPyR_masterfilelist_excerpt_2015-02.txt").read_text(), BASE
    )
    assert len(files) == 1000
    assert Counter(f.stream for f in files) == {"events": 334, "mentions": 333, "gkg": 333}
    assert files[0].name == "20150218230000.export.CSV.zip"
    assert files[-1].name == "20150222121500.export.CSV.zip"
    report = gap_report(files, ["events"], None, None)
    assert report.expected - report.available == len(report.gaps)
    assert all(g.reason == "not in the GDELT file list" for g in report.gaps)
    last = parse_filelist((lists / "DIAS-GDELT_lastupdate_20180328050000.txt").read_text(), BASE)
    assert [f.stream for f in last] == ["events", "mentions", "gkg"]
    assert last[0].size == 116513 and last[0].md5 == "71c3d5b0987d441b11455bdb51250801"


def test_gdelt1_file_index_and_its_real_gaps(shared_data: Path) -> None:
    lists = shared_data / "gdelt/filelists"
    files = parse_v1_lists(
        (lists / "jdrumgoole_gdelt1_events_filesizes.txt").read_text(),
        (lists / "jdrumgoole_gdelt1_events_md5sums.txt").read_text(),
        BASE,
    )
    # 2940 lines: 2939 event files and the unsupported MASTERREDUCEDV2 archive.
    assert len(files) == 2939
    assert Counter(f.stream for f in files) == {"v1-daily": 2825, "v1-monthly": 87, "v1-yearly": 27}
    assert all(f.size is not None and f.md5 is not None for f in files)
    report = gap_report(files, ["v1-yearly", "v1-monthly", "v1-daily"], None, None)
    assert [g.start.date() for g in report.gaps] == [
        date(2014, 1, 23),
        date(2014, 1, 24),
        date(2014, 1, 25),
        date(2014, 3, 19),
    ]
