"""ICEWS, Phoenix and ACLED samples read in place from ../shared/data; POLECAT and ACLED-Mexico
from the synthetic files with real headers (tests/source_fixtures.py)."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dyadwatch.pipeline import ingest
from dyadwatch.present.cli.main import main
from dyadwatch.sources import get_source, source_names
from dyadwatch.sources.lookups import build_tables
from dyadwatch.sources.phoenix import COLUMNS as PHOENIX_COLUMNS
from dyadwatch.sources.polecat import COLUMNS as POLECAT_COLUMNS
from dyadwatch.store import Store
from tests.source_fixtures import (
    ACLED_NAME,
    POLECAT_NAME,
    acled_rows,
    polecat_rows,
    polecat_text,
    write_acled,
    write_polecat,
)

pytestmark = pytest.mark.sample

ICEWS = "icews/andybega_icews_events.2018.sample.tab"
PHOENIX = "phoenix/tworavens_samplePhox.csv"
ACLED_MMR = "acled/fscm_acled_myanmar_2021_explosions_remote_violence.csv"


def rows(store: Path, sql: str = "SELECT * FROM events ORDER BY source, source_key") -> list[Any]:
    con = Store.open(store).connect()
    try:
        cur = con.sql(sql)
        names = cur.columns
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def quarantine(store: Path) -> list[dict[str, Any]]:
    return (
        Store.open(store)
        .catalog_query("SELECT artifact, line, reason FROM quarantine ORDER BY artifact, line")
        .to_pylist()
    )


def run(source: str, paths: list[Path], store: Path, **options: Any) -> Any:
    src = get_source(source, **options)
    return ingest(src, src.artifacts_for_paths(paths), Store.open(store, create=True))


def test_sources_lists_the_event_datasets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "--json"]) == 0
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    for name in ("icews", "polecat", "phoenix", "acled"):
        assert name in listed and name in source_names()
    assert "Dataverse" in listed["icews"]["about"]
    assert "research and education" in listed["polecat"]["about"]
    assert "Terms of Use" in listed["acled"]["about"]


def test_the_shipped_lookup_tables_are_what_the_shared_data_builds(shared_data: Path) -> None:
    data = Path(__file__).resolve().parents[2] / "dyadwatch" / "sources" / "data"
    for name, text in build_tables(shared_data / "icews" / "lookups").items():
        assert (data / name).read_text(encoding="utf-8") == text, name


def test_cli_ingest_icews_keeps_the_us_mexico_events_with_their_sectors(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    code = main(["ingest", "icews", str(shared_data / ICEWS), "--store", str(store), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report[0]["read"] == 3705 and report[0]["quarantined"] == 0
    events = rows(store)
    expected = []
    with (shared_data / ICEWS).open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if {r["Source Country"], r["Target Country"]} == {"United States", "Mexico"}:
                expected.append(r)
    assert sorted(e["source_key"] for e in events) == sorted(r["Event ID"] for r in expected)
    by_key = {e["source_key"]: e for e in events}
    for r in expected:
        e = by_key[r["Event ID"]]
        assert e["source"] == "icews" and e["cameo_code"] == r["CAMEO Code"]
        assert e["goldstein"] == pytest.approx(float(r["Intensity"]))
        attrs = json.loads(e["attributes"])
        assert attrs["source_sectors"] == (
            None if r["Source Sectors"] == "NA" else r["Source Sectors"]
        )
    assert any(e["actor1_agent"] == "GOV" or e["actor2_agent"] == "GOV" for e in events)
    assert {e["effect_basis"] for e in events} <= {"cameo", "rule:not-state-to-state"}
    volume = rows(store, "SELECT country, sum(events) AS n FROM volume GROUP BY 1")
    assert {v["country"]: v["n"] for v in volume}["*"] == 3705


def test_icews_known_at_is_the_release_stamp_in_the_file_name(
    shared_data: Path, tmp_path: Path
) -> None:
    named = tmp_path / "events.2018.20200427084805.tab"
    shutil.copyfile(shared_data / ICEWS, named)
    run("icews", [named], tmp_path / "store")
    known = {e["known_at"] for e in rows(tmp_path / "store")}
    assert known == {datetime(2020, 4, 27, 8, 48, 5, tzinfo=UTC)}


def test_icews_files_with_only_event_text_get_their_codes_from_the_labels(
    shared_data: Path, tmp_path: Path
) -> None:
    lines = (shared_data / ICEWS).read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    drop = header.index("CAMEO Code")
    text_only = tmp_path / "text-only.tab"
    text_only.write_text(
        "\n".join("\t".join(f for i, f in enumerate(ln.split("\t")) if i != drop) for ln in lines)
        + "\n",
        encoding="utf-8",
    )
    zipped = tmp_path / "sample.tab.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(shared_data / ICEWS, "events.tab")
    run("icews", [shared_data / ICEWS], tmp_path / "a")
    run("icews", [text_only], tmp_path / "b")
    run("icews", [zipped], tmp_path / "c")
    codes = [{(e["source_key"], e["cameo_code"]) for e in rows(tmp_path / s)} for s in "abc"]
    assert codes[0] == codes[1] == codes[2] and codes[0]


def test_phoenix_sample_and_its_headerless_daily_form(shared_data: Path, tmp_path: Path) -> None:
    summary = run("phoenix", [shared_data / PHOENIX], tmp_path / "a")
    assert summary.rows_read == 5000 and summary.rows_quarantined == 0
    events = rows(tmp_path / "a")
    assert len(events) == 14  # PROVENANCE.md: 14 USA–MEX dyads
    assert all(len(e["cameo_code"]) >= 3 and e["cameo_root"] == e["cameo_code"][:2] for e in events)
    assert all(e["known_at"].date() > e["event_date"] for e in events)
    assert all("penta_class" in json.loads(e["attributes"]) for e in events)
    # The same events as a daily file: tab-separated, 26 columns, no header.
    with (shared_data / PHOENIX).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        daily = ["\t".join(r[c] if r[c] != "NA" else "" for c in PHOENIX_COLUMNS) for r in reader]
    path = tmp_path / "events.full.20150101.txt"
    path.write_text("\n".join(daily) + "\n", encoding="utf-8")
    run("phoenix", [path], tmp_path / "b")
    again = rows(tmp_path / "b")
    assert [(e["source_key"], e["cameo_code"]) for e in again] == [
        (e["source_key"], e["cameo_code"]) for e in events
    ]


def test_acled_keeps_fatalities_inter_codes_and_civilian_targeting(
    shared_data: Path, tmp_path: Path
) -> None:
    summary = run("acled", [shared_data / ACLED_MMR], tmp_path / "mmr", dyads=["USA-MMR"])
    assert summary.rows_kept == 2734 and summary.rows_quarantined == 0
    with (shared_data / ACLED_MMR).open(encoding="utf-8", newline="") as fh:
        total = sum(int(r["fatalities"]) for r in csv.DictReader(fh))
    stored = rows(tmp_path / "mmr", "SELECT sum(fatalities) AS n FROM events")[0]["n"]
    assert stored == total
    path = write_acled(tmp_path / ACLED_NAME)
    run("acled", [path], tmp_path / "mex")
    events = {e["source_key"]: e for e in rows(tmp_path / "mex")}
    assert set(events) == {r["event_id_cnty"] for r in acled_rows()}
    abduction = events["MEX90002"]
    attrs = json.loads(abduction["attributes"])
    assert attrs["civilian_targeting"] == "Civilian targeting"
    assert (attrs["inter1"], attrs["inter2"]) == ("3", "7")
    assert (abduction["actor1_agent"], abduction["actor2_country"]) == ("CRM", "USA")
    assert abduction["cameo_code"] == "181" and abduction["plover_mode"] == "abduct"
    assert events["MEX90001"]["fatalities"] == 3
    assert events["MEX90004"]["date_precision"] == "month"
    assert events["MEX90003"]["known_at"] == datetime(2021, 1, 15, tzinfo=UTC)


def test_polecat_fixture_and_its_malformed_releases(tmp_path: Path) -> None:
    good = write_polecat(tmp_path / POLECAT_NAME)
    run("polecat", [good], tmp_path / "good")
    events = rows(tmp_path / "good")
    assert len(events) == 5  # the sixth event is within Mexico: volume only
    first = next(e for e in events if e["source_key"] == "9000001")
    assert first["actor1_name"] == "Secretaría de Relaciones Exteriores"
    assert (first["plover_type"], first["plover_mode"], first["cameo_code"]) == (
        "CONSULT",
        "visit",
        "042",
    )
    assert first["actor1_agent"] == "GOV" and first["relation_effect"] is not None

    # A header with a Headline column its rows do not have: read by the other names.
    headline = write_polecat(
        tmp_path / "headline.txt",
        polecat_text(header=[*POLECAT_COLUMNS[:3], "Headline", *POLECAT_COLUMNS[3:]]),
    )
    run("polecat", [headline], tmp_path / "headline")
    assert [(e["source_key"], e["cameo_code"]) for e in rows(tmp_path / "headline")] == [
        (e["source_key"], e["cameo_code"]) for e in events
    ]

    # Stray tabs: empty extra fields are dropped (with a note); text in them is set aside.
    base = polecat_rows()
    lines = polecat_text(base).splitlines()
    lines[1] += "\t\t"
    lines[2] += "\tspill"
    stray = write_polecat(tmp_path / "stray.txt", "\n".join(lines) + "\n")
    run("polecat", [stray], tmp_path / "stray")
    kept = {e["source_key"]: e for e in rows(tmp_path / "stray")}
    assert "9000002" not in kept and "9000001" in kept
    assert json.loads(kept["9000001"]["attributes"])["repaired"].startswith("empty trailing")
    assert [(q["line"], q["reason"].split(":")[0]) for q in quarantine(tmp_path / "stray")] == [
        (3, f"{len(POLECAT_COLUMNS) + 1} field(s), expected {len(POLECAT_COLUMNS)}")
    ]

    # The same file in UTF-8 (not the documented ISO-8859-1) reads the same names.
    utf8 = write_polecat(tmp_path / "utf8.txt", encoding="utf-8")
    run("polecat", [utf8], tmp_path / "utf8")
    assert {e["actor1_name"] for e in rows(tmp_path / "utf8")} == {e["actor1_name"] for e in events}
