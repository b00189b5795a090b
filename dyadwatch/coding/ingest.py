"""Coded documents as rows of canonical events: what ``dyadwatch ingest text`` stores.

:class:`TextCoding` is the object the ``text`` source (``dyadwatch.sources.text``) is given:
for one file it yields, document by document, either the document's event rows (dicts of
canonical columns, ``dyadwatch.model.EVENT_COLUMNS``) or the reason it cannot be stored.
Each row carries the coder's version and model digest in ``coder``, so a store can be recoded
when the model changes, and the sentence, its span, language and penta class in
``attributes``.

Examples
--------
>>> coding = TextCoding()  # doctest: +SKIP
>>> for line, rows, reason in coding.file_rows(Path("news.jsonl")):  # doctest: +SKIP
...     print(line, len(rows), reason)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dyadwatch.coding.coder import CodedDocument, Coder
from dyadwatch.coding.documents import read_documents

SUMMARY_CHARS = 500


class TextCoding:
    """Documents of a file → canonical event rows, with the coder that made them."""

    def __init__(self, coder: Coder | None = None, lang: str | None = None, lines: bool = False):
        self._coder = coder
        self.lang = lang
        self.lines = lines

    @property
    def coder(self) -> Coder:
        if self._coder is None:
            self._coder = Coder.load()
        return self._coder

    @property
    def version(self) -> str:
        return self.coder.version

    def file_rows(
        self, path: Path
    ) -> Iterator[tuple[int | None, list[dict[str, Any]], str | None]]:
        """``(line, rows, reason)`` per document of ``path``; ``reason`` is set when it fails."""
        docs = read_documents([path], lang=self.lang, lines=self.lines)
        for coded in self.coder.code_documents(docs):
            if coded.status != "ok":
                yield coded.line, [], f"{coded.doc_id}: {coded.reason}"
                continue
            if coded.published is None:
                yield (
                    coded.line,
                    [],
                    f"{coded.doc_id}: no publication time; give JSONL/CSV with a 'published' "
                    "field, or start the text with a line 'published: YYYY-MM-DD'",
                )
                continue
            yield coded.line, self.rows(coded), None

    def rows(self, doc: CodedDocument) -> list[dict[str, Any]]:
        """The canonical event rows of one coded document."""
        assert doc.published is not None
        rows = []
        for e in doc.events:
            digest = hashlib.sha256(e.text.encode("utf-8")).hexdigest()[:12]
            row: dict[str, Any] = {
                "source": "text",
                "source_key": f"{doc.doc_id}#{e.sentence}:{digest}",
                "event_date": doc.published.date(),
                "known_at": doc.published,
                "cameo_code": e.cameo_code,
                "cameo_root": e.cameo_root,
                "quad_class": e.quad_class,
                "goldstein": e.goldstein,
                "plover_type": e.plover_type,
                "plover_mode": e.plover_mode,
                "confidence": e.confidence,
                "summary": e.text[:SUMMARY_CHARS],
                "source_urls": [doc.url] if doc.url else [],
                "source_published": [doc.published.date()] if doc.url else [],
                "coder": self.version,
                "attributes": json.dumps(
                    {
                        "document": doc.doc_id,
                        "sentence": e.sentence,
                        "span": list(e.span),
                        "lang": e.lang,
                        "penta_class": e.penta_class,
                        "plover_confidence": round(e.plover_confidence, 4),
                    },
                    sort_keys=True,
                    ensure_ascii=False,
                ),
            }
            for prefix, actor in (("actor1", e.source), ("actor2", e.target)):
                row[f"{prefix}_code"] = actor.code if actor else None
                row[f"{prefix}_name"] = (actor.name or actor.text) if actor else None
                row[f"{prefix}_country"] = actor.country if actor else None
                row[f"{prefix}_agent"] = actor.agent if actor else None
            rows.append(row)
        return rows
