"""Issue 20's follow-ups in the sources: paths no file system holds, events dated after
their publication.

* Every source that reads local files checks the path first (``sources.base.check_local_path``,
  called by ``file_artifact``): a name over 255 bytes is one ``error:`` line, exit 1, for
  ``ingest gdelt``, the statistics sources and the event datasets alike — not
  ``OSError: File name too long`` from ``Path.exists``.
* GDELT passes each event's DATEADDED as its publication time (``_published``), so the
  ``ranges`` step sets aside an event dated more than its tolerance (one day) after the file
  published it, although the reader raises ``known_at`` to the event's own day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dyadwatch.errors import ArtifactError
from dyadwatch.present.cli.main import main
from dyadwatch.sources import get_source
from dyadwatch.sources.base import PUBLISHED_COLUMN, check_local_path, file_artifact
from dyadwatch.store import Store
from tests.unit.test_gdelt_reader import row

pytestmark = pytest.mark.unit

LONG = "x" * 256 + ".CSV"


@pytest.mark.parametrize("source", ["gdelt", "cdc_vsrr", "cbp_seizures", "icews", "acled", "file"])
def test_a_name_over_255_bytes_is_one_error_line_for_every_file_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    path = tmp_path / LONG
    code = main(["ingest", source, str(path), "--store", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "name is over 255 bytes" in lines[0]
    assert "Traceback" not in err and "OSError" not in err


def test_curated_and_file_artifact_check_the_path_too(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="over 255 bytes"):
        list(get_source("curated").artifacts_for_paths([tmp_path / LONG]))
    with pytest.raises(ArtifactError, match="NUL byte"):
        file_artifact("file", "a\x00b.csv")
    assert check_local_path("ok.csv") == Path("ok.csv")


def _ingest(tmp_path: Path, lines: list[str]) -> Store:
    path = tmp_path / "20180101000000.export.CSV"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    assert main(["ingest", "gdelt", str(path), "--store", str(store), "--json"]) == 0
    return Store.open(store)


def test_gdelt_event_dated_after_its_dateadded_beyond_the_tolerance_is_quarantined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = "20180101000000"
    lines = [row(key=str(i), added=added) for i in range(1, 11)]
    lines.append(row(key="101", day="20180102", added=added))  # within the one-day tolerance
    lines.append(row(key="102", day="20180103", added=added))  # two days after: impossible
    lines.append(row(key="103", day="20180601", added=added))  # months after
    store = _ingest(tmp_path, lines)
    capsys.readouterr()
    quarantined = store.catalog_query(
        'SELECT line, "column" AS field, reason FROM quarantine ORDER BY line'
    ).to_pylist()
    assert [(q["line"], q["field"]) for q in quarantined] == [
        (12, "event_date"),
        (13, "event_date"),
    ]
    for q in quarantined:
        assert "after the source's publication stamp" in q["reason"], q["reason"]
        assert "2018-01-01 00:00:00" in q["reason"]
    con = store.connect()
    try:
        kept = dict(con.sql("SELECT source_key, known_at FROM events").fetchall())
        columns = [c[0] for c in con.sql("DESCRIBE events").fetchall()]
    finally:
        con.close()
    assert len(kept) == 11 and PUBLISHED_COLUMN not in columns
    # The tolerated row is public from the start of its own day, not before (point in time).
    assert kept["101"] == datetime(2018, 1, 2, tzinfo=UTC)
    assert kept["1"] == datetime(2018, 1, 1, tzinfo=UTC)


def test_gdelt_chunks_carry_dateadded_as_the_publication_time(tmp_path: Path) -> None:
    path = tmp_path / "20180101000000.export.CSV"
    path.write_text(row(key="7", day="20180102", added="20180101234500") + "\n")
    source = get_source("gdelt")
    (artifact,) = source.artifacts_for_paths([path])
    events = next(c for c in source.read(artifact) if c.dataset == "events")
    assert events.table.column(PUBLISHED_COLUMN).to_pylist() == [
        datetime(2018, 1, 1, 23, 45, tzinfo=UTC)
    ]
    assert events.table.column("known_at").to_pylist() == [datetime(2018, 1, 2, tzinfo=UTC)]
    assert events.table.column("event_date").to_pylist() == [date(2018, 1, 2)]
