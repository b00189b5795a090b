"""The shipped coder on real and generated text: ``dyadwatch code`` and ``ingest text``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dyadwatch.coding import Coder, Document, read_documents
from dyadwatch.coding.gold import load_all, split_of
from dyadwatch.coding.linear import digest
from dyadwatch.present.cli.main import main
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

MODEL = Path(__file__).resolve().parents[2] / "dyadwatch" / "coding" / "data" / "model"

NEWS = [
    {
        "id": "n1",
        "text": "Mexican Foreign Minister Marcelo Ebrard met US Secretary of State Antony Blinken "
        "in Mexico City. The two governments agreed to resume the high-level security dialogue.",
        "published": "2021-10-08",
        "url": "https://example.org/n1",
    },
    {"id": "n2", "text": "", "published": "2021-10-09"},
    {
        "id": "n3",
        "text": "La Secretaría de Marina detuvo a tres presuntos integrantes del Cártel de "
        "Jalisco Nueva Generación en Michoacán.",
        "published": "2021-10-10T08:00:00-05:00",
    },
    {"id": "n4", "text": "The DEA arrested a Sinaloa Cartel leader in Arizona."},
]


@pytest.fixture(scope="module")
def coder() -> Coder:
    return Coder.load()


@pytest.fixture()
def news(tmp_path: Path) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps(n, ensure_ascii=False) for n in NEWS) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_artefact_is_small_and_its_digest_is_the_coder_version(coder: Coder) -> None:
    size = sum(p.stat().st_size for p in MODEL.iterdir())
    assert size <= 10_000_000
    assert coder.version.endswith(digest(MODEL)[:16])
    manifest = json.loads((MODEL / "manifest.json").read_text())
    assert {"seed", "inputs", "versions", "heads"} <= set(manifest)


def test_events_carry_the_canonical_fields(coder: Coder) -> None:
    text = NEWS[0]["text"]
    (doc,) = list(coder.code_documents([Document("n1", text, "t")]))
    assert doc.status == "ok" and doc.penta_class in range(5)
    assert doc.events, "a meeting of two ministers is an event"
    for e in doc.events:
        assert 0.0 <= e.confidence <= 1.0
        assert e.quad_class in (1, 2, 3, 4)
        assert e.plover_type
        assert text[e.span[0] : e.span[1]] == e.text
        for actor in (e.source, e.target):
            if actor is not None:
                assert text[actor.start : actor.end] == actor.text
    countries = {a.country for e in doc.events for a in (e.source, e.target) if a}
    assert {"MEX", "USA"} <= countries


def test_code_json_has_one_object_per_document_in_order(
    capsys: pytest.CaptureFixture[str], news: Path
) -> None:
    code, out, err = run(capsys, "code", str(news), "--json")
    assert code == 0, err
    docs = json.loads(out)
    assert [d["id"] for d in docs] == ["n1", "n2", "n3", "n4"]
    assert docs[1]["status"] == "quarantined" and "empty" in docs[1]["reason"]
    assert all("penta_class" in d and "events" in d for d in docs)
    assert docs[2]["lang"] == "es"
    assert docs[2]["events"] and docs[2]["events"][0]["known_at"] == "2021-10-10T13:00:00+00:00"
    assert "sentences/s per core" in err


def test_code_csv_and_table_and_two_workers(capsys: pytest.CaptureFixture[str], news: Path) -> None:
    code, one, _ = run(capsys, "code", str(news), "--csv")
    assert code == 0 and one.splitlines()[0].startswith("id,status,reason")
    code, two, _err = run(capsys, "code", str(news), "--csv", "--workers", "2")
    assert code == 0 and two == one, "two processes give the same output, in the same order"
    code, table, _ = run(capsys, "code", str(news))
    assert "QUARANTINED: empty document" in table


def test_a_binary_file_alone_fails_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"\x00\x01binary" * 50)
    code, out, _ = run(capsys, "code", str(path), "--json")
    assert code == 1
    assert "binary" in json.loads(out)[0]["reason"]


def test_ingest_text_stores_events_with_the_coder(
    capsys: pytest.CaptureFixture[str], news: Path, store_dir: Path, coder: Coder
) -> None:
    code, out, err = run(capsys, "ingest", "text", str(news), "--store", str(store_dir), "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["quarantined"] == 2  # the empty one and the one without a publication time
    events = Store.open(store_dir).table("events")
    assert events.num_rows >= 2
    assert set(events.column("coder").to_pylist()) == {coder.version}
    assert set(events.column("source").to_pylist()) == {"text"}
    again = run(capsys, "ingest", "text", str(news), "--store", str(store_dir), "--json")
    assert json.loads(again[1])[0]["status"] == "skipped"


def test_gold_sets_and_split(shared_data: Path) -> None:
    sets = load_all(shared_data)
    assert len(sets["cameo_class"]) == 1349 and len(sets["plover_gsr"]) == 322
    assert all(e.split == "heldout" for e in sets["plover_gsr"])
    held = sum(e.split == "heldout" for e in sets["cameo_class"]) / 1349
    assert 0.15 < held < 0.25
    assert all(e.split == split_of(e.text) for e in sets["spanish"])
    docs = list(read_documents([shared_data / "coding_gold/tabari/Validate.text"]))
    assert len(docs) == 1  # a real file of English prose reads as one document


def test_the_artefact_was_built_from_these_inputs(shared_data: Path) -> None:
    import hashlib

    manifest = json.loads((MODEL / "manifest.json").read_text())
    for rel, sha in manifest["inputs"].items():
        assert hashlib.sha256((shared_data / rel).read_bytes()).hexdigest() == sha, rel
