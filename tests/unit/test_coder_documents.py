"""Documents in: formats, bad input kept with its reason, sentences and language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.coding import documents
from dyadwatch.coding.documents import (
    Document,
    Rejected,
    detect_language,
    parse_published,
    read_documents,
    split_sentences,
)

pytestmark = pytest.mark.unit


def _read(path: Path, **kw: object) -> list[Document | Rejected]:
    return list(read_documents([path], **kw))  # type: ignore[arg-type]


def test_plain_text_is_one_document_with_its_published_line(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("published: 2021-01-15T10:00:00-06:00\nThe DEA met Mexican officials.\n")
    (doc,) = _read(p)
    assert isinstance(doc, Document)
    assert doc.text.strip() == "The DEA met Mexican officials."
    assert doc.published is not None and doc.published.isoformat() == "2021-01-15T16:00:00+00:00"


def test_lines_mode_gives_one_document_per_non_blank_line(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("The army attacked the rebels.\n\n   \nLa policía detuvo a dos hombres.\n")
    docs = _read(p, lines=True)
    assert [d.line for d in docs] == [1, 4]
    assert all(isinstance(d, Document) for d in docs)


def test_bad_input_is_rejected_in_order_with_reasons(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    rows = [
        json.dumps(
            {"id": "ok", "text": "The police arrested the suspects.", "published": "2021-02-01"}
        ),
        json.dumps({"id": "empty", "text": "   "}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "num", "text": 42}),
        json.dumps({"id": "date", "text": "The army withdrew.", "published": "yesterday"}),
        json.dumps({"id": "fr", "text": "Le gouvernement a annoncé des mesures et des sanctions."}),
        json.dumps({"id": "digits", "text": "123 456 !!!"}),
    ]
    p.write_text("\n".join(rows) + "\n")
    out = _read(p)
    assert [type(d).__name__ for d in out] == ["Document"] + ["Rejected"] * 7
    reasons = [d.reason for d in out if isinstance(d, Rejected)]
    assert "empty" in reasons[0]
    assert "not JSON" in reasons[1]
    assert "not a JSON object" in reasons[2]
    assert "int" in reasons[3]
    assert "published" in reasons[4]
    assert "language" in reasons[5]
    assert "no letters" in reasons[6]
    assert [d.line for d in out] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_forcing_the_language_codes_what_detection_refuses(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_text(json.dumps({"text": "Le gouvernement a annoncé des mesures et des sanctions."}))
    (doc,) = _read(p, lang="en")
    assert isinstance(doc, Document) and doc.lang == "en"


def test_binary_empty_and_huge_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02PK" * 100)
    empty = tmp_path / "e.txt"
    empty.write_text("")
    huge = tmp_path / "h.txt"
    huge.write_text("The police arrested the men. " * 50)
    monkeypatch.setattr(documents, "MAX_DOC_CHARS", 100)
    out = list(read_documents([binary, empty, huge]))
    assert [type(d).__name__ for d in out] == ["Rejected"] * 3
    assert "binary" in out[0].reason  # type: ignore[union-attr]
    assert "empty" in out[1].reason  # type: ignore[union-attr]
    assert "over the limit" in out[2].reason  # type: ignore[union-attr]


def test_windows_1252_is_read_and_noted(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_bytes("La policía detuvo a los sospechosos en la ciudad.".encode("cp1252"))
    (doc,) = _read(p)
    assert isinstance(doc, Document)
    assert "policía" in doc.text
    assert any("Windows-1252" in n for n in doc.notes)


def test_csv_needs_a_text_column_and_keeps_row_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("title,body\na,b\n")
    good = tmp_path / "good.csv"
    good.write_text(
        "id,text,published,url\n"
        "d1,The army attacked the rebels.,2020-05-01,https://example.org/1\n"
        "d2,,2020-05-02,\n"
        "d3,too,many,fields,here\n"
    )
    out = list(read_documents([bad, good]))
    assert isinstance(out[0], Rejected) and "no 'text' column" in out[0].reason
    assert isinstance(out[1], Document) and out[1].url == "https://example.org/1"
    assert isinstance(out[2], Rejected) and out[2].line == 3
    assert isinstance(out[3], Rejected) and "fields" in out[3].reason


def test_sentences_and_abbreviations() -> None:
    text = "Gen. Cienfuegos was arrested in the U.S. on Thursday. Mexico protested!\n\nOtra frase."
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "Gen. Cienfuegos was arrested in the U.S. on Thursday.",
        "Mexico protested!",
        "Otra frase.",
    ]


def test_language_and_dates() -> None:
    assert (
        detect_language("El gobierno de México rechazó la propuesta de los Estados Unidos.") == "es"
    )
    assert detect_language("The government of Mexico rejected the proposal.") == "en"
    assert parse_published("2021-01-15") is not None
    with pytest.raises(ValueError):
        parse_published("15/01/2021")


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=400), suffix=st.sampled_from([".txt", ".jsonl", ".csv"]))
def test_any_bytes_give_documents_or_reasons_never_an_exception(raw: bytes, suffix: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"x{suffix}"
        path.write_bytes(raw)
        out = list(read_documents([path]))
        assert out, "every file gives at least one document or one reason"
        assert all(isinstance(d, Document | Rejected) for d in out)
        assert all(d.reason for d in out if isinstance(d, Rejected))
