"""Full tier: every GDELT file in a directory named by ``DYADWATCH_GDELT_FULL`` (zipped or not).

Skipped unless the variable names a directory (for example a day of GDELT 2.0 downloads from
``dyadwatch update gdelt``'s cache). Checks what must hold for any real file: it reads, its
volume total equals the rows read less the rows set aside, and the dyad filter keeps only
dyad events.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.compute as pc
import pytest

from dyadwatch.sources.gdelt.canonical import Dyads, fips_table
from dyadwatch.sources.gdelt.reader import FileReader

pytestmark = pytest.mark.full

FULL = os.environ.get("DYADWATCH_GDELT_FULL")


def _files() -> list[Path]:
    if not FULL or not Path(FULL).is_dir():
        return []
    return sorted(
        p
        for p in Path(FULL).rglob("*")
        if p.is_file() and ".export." in p.name and not p.name.endswith((".part", ".md5"))
    )


@pytest.mark.skipif(not _files(), reason="set DYADWATCH_GDELT_FULL to a directory of GDELT files")
@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_real_file_reads_and_counts(path: Path) -> None:
    reader = FileReader(path, path.name, Dyads.parse(["USA-MEX"]), fips_table())
    chunks = list(reader.chunks())
    volume = next(c.table for c in chunks if c.dataset == "volume")
    rejected = sum(len(c.rejects) for c in chunks)
    total = pc.sum(volume.filter(pc.equal(volume["country"], "*"))["events"]).as_py() or 0
    assert total == reader.report.rows_valid <= reader.report.lines
    assert total + rejected >= reader.report.lines  # every line is counted or set aside
    for chunk in chunks:
        if chunk.dataset == "events" and chunk.table.num_rows:
            pairs = set(
                zip(
                    chunk.table["actor1_country"].to_pylist(),
                    chunk.table["actor2_country"].to_pylist(),
                    strict=True,
                )
            )
            assert pairs <= {("USA", "MEX"), ("MEX", "USA")}
