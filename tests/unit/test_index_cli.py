"""``dyadwatch index`` and its subcommands: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dyadwatch.model import Event
from dyadwatch.pipeline import ingest
from dyadwatch.present.cli.main import main
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store

from .test_index import HAND, ev

pytestmark = pytest.mark.unit


@pytest.fixture()
def store_path(tmp_path: Path) -> str:
    events: list[Event] = [*HAND]
    # A step in net cooperation for turning points: six months up, six down.
    for m in range(1, 13):
        for k in range(2):
            events.append(ev(f"s{m}-{k}", date(2019, m, 3 + k), "036" if m <= 6 else "173"))
    store = Store.init(tmp_path / "store")
    src = MemorySource()
    src.add("cli", events)
    assert ingest(src, src.discover(), store).ok
    return str(store.root)


def test_index_json(store_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["index", "--store", store_path, "--since", "2020-11", "--measure", "net_coop"]
    assert main([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["period"] for r in rows] == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert rows[1]["net_coop"] == -1.0 and rows[1]["source"] == "fused"
    assert rows[1]["contributions"][0]["source"] == "curated"


def test_index_table_and_csv(store_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    cameo = ["--measure", "net_coop"]
    argv = ["index", "--store", store_path, "--freq", "year", "--source", "curated", *cameo]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["source", "period", "n"]
    assert "2020" in out and "curated" in out
    assert main(["index", "--store", store_path, "--freq", "year", "--csv", *cameo]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("source,period,period_start")
    assert "contributions" not in lines[0]


def test_the_default_is_the_relationship_series_with_n_and_intervals(
    store_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["index", "--store", store_path, "--freq", "quarter", "--window", "2", "--json"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["series"] for r in rows} == {"relationship"}
    by_period = {r["period"]: r for r in rows}
    ok = by_period["2019Q2"]  # six meetings in 2019Q1-Q2 (two a month), all cooperative
    assert ok["status"] == "ok" and ok["n"] == 12 and ok["lo"] <= ok["value"] <= ok["hi"]
    thin = by_period["2020Q2"]  # nothing in 2020Q1-Q2
    assert thin["value"] is None and "insufficient evidence" in thin["reason"]
    assert main(["index", "--store", store_path, "--freq", "quarter", "--window", "2"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == ["source", "period", "window", "n", "value", "lo", "hi", "status", "reason"]


def test_subcommands(store_path: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cameo = ["--measure", "net_coop"]
    assert main(["index", "lowest-since", "2020-12", "--store", store_path, *cameo]) == 0
    assert "lowest" in capsys.readouterr().out
    assert main(["index", "evidence", "2020-12", "--store", store_path, "--json", *cameo]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["cameo_code"] == "173"
    argv = ["index", "turning-points", "--store", store_path, "--until", "2019-12-31", "--json"]
    assert main([*argv, *cameo]) == 0
    tps = json.loads(capsys.readouterr().out)
    assert [t["period"] for t in tps] == ["2019-07"]
    assert tps[0]["events"]
    for name in ("chart.png", "chart.svg"):
        path = tmp_path / name
        assert main(["index", "chart", "--store", store_path, "-o", str(path)]) == 0
        assert path.stat().st_size > 1000
    assert (tmp_path / "chart.svg").read_text().lstrip().startswith("<?xml")


def test_options_before_the_subcommand_apply(
    store_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", "--freq", "year", "lowest-since", "2020", "--store", store_path]) == 0
    assert "in 2020 is" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message", "status"),
    [
        (["index", "lowest-since", "2020-13"], "not a real month", 2),
        (["index", "lowest-since", "2021-01", "--measure", "net_coop"], "no value in 2021-01", 1),
        (["index", "lowest-since", "2021-01"], "insufficient evidence", 1),
        (["index", "--source", "gdlet"], "no events from source 'gdlet'", 2),
        (["index", "--weights", "curated"], "SOURCE=NUMBER", 2),
        (["index", "chart", "-o", "x.pdf"], "must end in .svg or .png", 2),
        (["index", "turning-points", "--penalty", "-2"], "penalty must be a positive number", 2),
    ],
)
def test_errors_are_one_line(
    store_path: str,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
    status: int,
) -> None:
    # 1: the command ran and failed; 2: it was given wrong (dyadwatch.present.cli.main)
    assert main([*argv, "--store", store_path]) == status
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_bad_choice_is_a_usage_error(store_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--freq", "fortnight", "--store", store_path]) == 2
    assert "fortnight" in capsys.readouterr().err
