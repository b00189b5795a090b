"""Coding: text → candidate events (CAMEO and PLOVER), in English and Spanish.

The stage between sources and normalise (DESIGN.md, "Data flow"). Its parts, in the order
text goes through them:

- :mod:`~dyadwatch.coding.documents` — files in (text, JSONL, CSV), bad input set aside with
  its reason, sentences and language;
- :mod:`~dyadwatch.coding.features` and :mod:`~dyadwatch.coding.lexicon` — words, character
  n-grams and verb cues;
- :mod:`~dyadwatch.coding.actors` and :mod:`~dyadwatch.coding.tagger` — who acts on whom;
- :mod:`~dyadwatch.coding.coder` — the trained heads (:mod:`~dyadwatch.coding.linear`)
  applied, events assembled with calibrated confidence;
- :mod:`~dyadwatch.coding.ingest` — coded documents as canonical event rows (``ingest text``).

Training (:mod:`~dyadwatch.coding.train`, :mod:`~dyadwatch.coding.gold`) needs scikit-learn
and ``../shared/data``; coding needs only numpy and the shipped artefact. See docs/coder.md.

>>> coder = Coder.load()  # doctest: +SKIP
>>> [d.penta_class for d in coder.code_documents(read_documents([Path("a.txt")]))]  # doctest: +SKIP
[4]
"""

from dyadwatch.coding.coder import CodedDocument, CodedEvent, Coder, Throughput
from dyadwatch.coding.documents import Document, Rejected, read_documents, split_sentences

__all__ = [
    "CodedDocument",
    "CodedEvent",
    "Coder",
    "Document",
    "Rejected",
    "Throughput",
    "read_documents",
    "split_sentences",
]
