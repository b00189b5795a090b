"""``index compare`` on a store holding curated, GDELT, ICEWS and Phoenix events."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from dyadwatch.analyse.index import dyad_index
from dyadwatch.analyse.index.compare import compare_sources, pearson
from dyadwatch.errors import UsageError
from dyadwatch.pipeline import ingest
from dyadwatch.present.cli.main import main
from dyadwatch.sources import get_source
from dyadwatch.sources.curated import CuratedSource
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

SOURCES = ["curated", "gdelt", "icews", "phoenix"]


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compare") / "store"
    s = Store.open(root, create=True)
    files = {
        "gdelt": [
            shared_data / "gdelt/v2_events/20151027220000.export.CSV",
            shared_data / "gdelt/v2_events/20180101000000.export.CSV",
        ],
        "icews": [shared_data / "icews/andybega_icews_events.2018.sample.tab"],
        "phoenix": [shared_data / "phoenix/tworavens_samplePhox.csv"],
    }
    for name, paths in files.items():
        src = get_source(name)
        assert ingest(src, src.artifacts_for_paths(paths), s).ok
    curated = CuratedSource()
    assert ingest(curated, curated.discover(), s).ok
    return root


def test_compare_lines_up_each_source_and_explains_the_largest_gaps(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--sources", ",".join(SOURCES), "--freq", "year", "--top", "3", "--events", "2"]
    code = main(["index", "compare", *args, "--store", str(store), "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["series"] == SOURCES and out["measure"] == "net_coop" and out["freq"] == "year"

    # The values are the index's own, source by source.
    frame = dyad_index(Store.open(store), freq="year", sources=SOURCES)
    for label in SOURCES:
        rows = frame.filter(pc.equal(frame.column("source"), label)).to_pylist()
        mine = {r["period"]: r[label] for r in out["values"] if r[label] is not None}
        theirs = {r["period"]: r["net_coop"] for r in rows if r["net_coop"] is not None}
        assert mine == pytest.approx(theirs), label
    both = {
        r["period"] for r in out["values"] if r["curated"] is not None and r["phoenix"] is not None
    }
    assert both == {"2014", "2015", "2016"}

    pairs = {(c["a"], c["b"]): c for c in out["correlations"]}
    assert len(pairs) == 6
    cp = pairs[("curated", "phoenix")]
    xs = [r["curated"] for r in out["values"] if r["period"] in both]
    ys = [r["phoenix"] for r in out["values"] if r["period"] in both]
    assert cp["periods"] == 3 and cp["r"] == pytest.approx(pearson(xs, ys))
    assert (
        pairs[("icews", "phoenix")]["r"] is None
        and "needed" in pairs[("icews", "phoenix")]["reason"]
    )

    worst = out["disagreements"]
    assert len(worst) == 3
    assert [d["spread"] for d in worst] == sorted((d["spread"] for d in worst), reverse=True)
    for d in worst:
        present = {k: v for k, v in d["values"].items() if v is not None}
        assert d["spread"] == pytest.approx(max(present.values()) - min(present.values()))
        shown = {e["series"] for e in d["events"]}
        assert shown == set(present), d["period"]
        assert all(str(e["event_date"]).startswith(d["period"]) for e in d["events"])


def test_compare_text_and_its_mistakes(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "compare", "--sources", "curated,phoenix", "--store", str(store)]) == 0
    text = capsys.readouterr().out
    assert "curated vs phoenix" in text and "largest disagreements" in text
    assert main(["index", "compare", "--sources", "curated", "--store", str(store)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "two or more sources" in err[0]
    with pytest.raises(UsageError, match="measure"):
        compare_sources(Store.open(store), SOURCES, measure="mood")
    result = compare_sources(
        Store.open(store), ["curated", "icews"], freq="quarter", measure="goldstein_net"
    )
    assert result.measure == "goldstein_net" and result.freq == "quarter"
    assert result.values.num_rows > 0
