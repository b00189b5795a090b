"""The coder: documents → sentences → events, with calibrated confidence.

For each sentence the coder

1. finds actor spans (the token tagger) and reads them with the actor dictionaries (country
   and sector; an unknown actor keeps its text and gets no sector);
2. classifies the action: the ``penta`` head (statement, verbal/material cooperation, verbal/
   material conflict), the ``plover`` head (PLOVER event type), and the verb cues, which give
   a full CAMEO code when they agree with the penta class;
3. emits one event when it has at least one actor, with the penta probability, calibrated on
   held-out folds, as its confidence.

A document's ``penta_class`` is the class with the largest summed probability over its
event sentences (all sentences when it has no event). Coding streams: documents go in and
come out one at a time, in order; ``workers=2`` codes on two processes.

Examples
--------
>>> coder = Coder.load()  # doctest: +SKIP
>>> doc = Document("d1", "The DEA arrested a Sinaloa Cartel leader.", "x.txt")
>>> coder.code_document(doc).events[0].cameo_root  # doctest: +SKIP
'17'
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dyadwatch.codebooks import cameo, plover
from dyadwatch.coding.actors import ActorDictionary, ResolvedActor, Token, usmx_rows
from dyadwatch.coding.documents import Document, Rejected, detect_language, split_sentences
from dyadwatch.coding.features import bag, tokens
from dyadwatch.coding.gold import PENTA_NAMES, ROOT_PENTA
from dyadwatch.coding.lexicon import Lexicon
from dyadwatch.coding.linear import Artefact, digest
from dyadwatch.coding.tagger import TAGS, spans_of, token_bags

log = logging.getLogger(__name__)

CODER_NAME = "dyadwatch-coder"
CODER_VERSION = "1.0"
MIN_TOKENS = 3
"""A sentence with fewer word tokens (a dateline, a byline) gives no event."""
BATCH = 64
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "que",
        "y",
        "o",
        "de",
        "del",
        "la",
        "el",
        "los",
        "las",
        "en",
        "por",
        "con",
        "para",
        "al",
        "un",
        "una",
    ]
)
PENTA_QUAD = {0: 1, 1: 1, 2: 2, 3: 3, 4: 4}
"""Penta class → CAMEO quad class (statements and appeals are verbal cooperation in CAMEO)."""


@dataclass(frozen=True, slots=True)
class CodedEvent:
    """One event found in one sentence."""

    sentence: int
    span: tuple[int, int]
    text: str
    penta_class: int
    confidence: float
    cameo_code: str | None
    cameo_root: str | None
    quad_class: int
    goldstein: float | None
    plover_type: str | None
    plover_mode: str | None
    plover_confidence: float
    source: ResolvedActor | None
    target: ResolvedActor | None
    lang: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence,
            "span": list(self.span),
            "text": self.text,
            "lang": self.lang,
            "penta_class": self.penta_class,
            "penta_label": PENTA_NAMES[self.penta_class],
            "confidence": round(self.confidence, 4),
            "cameo_code": self.cameo_code,
            "cameo_root": self.cameo_root,
            "quad_class": self.quad_class,
            "goldstein": self.goldstein,
            "plover_type": self.plover_type,
            "plover_mode": self.plover_mode,
            "plover_confidence": round(self.plover_confidence, 4),
            "source": _actor_dict(self.source),
            "target": _actor_dict(self.target),
        }


def _actor_dict(actor: ResolvedActor | None) -> dict[str, Any] | None:
    if actor is None:
        return None
    return {
        "text": actor.text,
        "span": [actor.start, actor.end],
        "code": actor.code,
        "country": actor.country,
        "sector": actor.agent,
        "name": actor.name,
    }


@dataclass(slots=True)
class CodedDocument:
    """A document and what the coder found in it (or why it was quarantined)."""

    doc_id: str
    file: str
    line: int | None
    published: datetime | None = None
    url: str | None = None
    lang: str | None = None
    sentences: int = 0
    penta_class: int | None = None
    events: list[CodedEvent] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    """Document-level InSight Crime labels (``insight_1`` … ``insight_7``) above threshold."""
    status: str = "ok"
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def event_date(self) -> date | None:
        return self.published.date() if self.published else None

    def to_dict(self) -> dict[str, Any]:
        known_at = self.published.isoformat() if self.published else None
        events = []
        for e in self.events:
            row = e.to_dict()
            row["date"] = self.event_date.isoformat() if self.event_date else None
            row["known_at"] = known_at
            events.append(row)
        return {
            "id": self.doc_id,
            "file": self.file,
            "line": self.line,
            "status": self.status,
            "reason": self.reason,
            "published": known_at,
            "url": self.url,
            "lang": self.lang,
            "sentences": self.sentences,
            "penta_class": self.penta_class,
            "penta_label": PENTA_NAMES[self.penta_class] if self.penta_class is not None else None,
            "labels": self.labels,
            "notes": self.notes,
            "events": events,
        }

    @classmethod
    def rejected(cls, item: Rejected) -> CodedDocument:
        return cls(item.doc_id, item.file, item.line, status="quarantined", reason=item.reason)


@dataclass
class Throughput:
    """Sentences coded and CPU seconds spent, for sentences per second per core."""

    sentences: int = 0
    seconds: float = 0.0
    workers: int = 1

    @property
    def per_core(self) -> float:
        return self.sentences / self.seconds if self.seconds > 0 else 0.0


class Coder:
    """A loaded artefact, ready to code. Build with :meth:`load`."""

    def __init__(self, artefact: Artefact, model_digest: str) -> None:
        self.artefact = artefact
        self.model_digest = model_digest
        tables = artefact.tables
        self.lexicon = Lexicon.from_json(tables["lexicon"])
        self.actors = ActorDictionary.from_rows(
            [*usmx_rows(), *(tuple(r) for r in tables["actors"]["rows"])],
            tables["actors"]["countries"],
            tables["actors"]["agents"],
        )
        self.penta = artefact.heads["penta"]
        self.plover_head = artefact.heads["plover"]
        self.tagger = artefact.heads["tagger"]
        self.insight = artefact.heads.get("insight")
        self.throughput = Throughput()

    @classmethod
    def load(cls, folder: Path | None = None) -> Coder:
        """The shipped coder, or one trained into ``folder`` by ``tools/train_coder.py``."""
        where = folder if folder is not None else resources.files("dyadwatch.coding") / "data/model"
        return cls(Artefact.load(where), digest(where))

    @property
    def version(self) -> str:
        """``dyadwatch-coder 1.0 sha256:<16 hex of the model digest>``: the ``coder`` column."""
        return f"{CODER_NAME} {CODER_VERSION} sha256:{self.model_digest[:16]}"

    @cached_property
    def _root_for_plover(self) -> dict[tuple[str, int], str]:
        """(PLOVER type, penta) → the CAMEO root the crosswalk maps to that type most often."""
        counts: Counter[tuple[str, int, str]] = Counter()
        book = plover()
        for code in cameo().events:
            mapping = book.for_cameo(code)
            if mapping is None:
                continue
            root = code[:2]
            counts[(mapping.event_type, ROOT_PENTA[root], root)] += 1
        best: dict[tuple[str, int], str] = {}
        for (ptype, penta, root), _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            best.setdefault((ptype, penta), root)
        return best

    # -- coding --------------------------------------------------------------------------

    def code_sentences(
        self, sentences: Sequence[str], day: date | None = None, langs: Sequence[str] | None = None
    ) -> list[CodedEvent | None]:
        """One event (or None) per sentence; ``sentence`` indices are positions in the list."""
        n = len(sentences)
        if n == 0:
            return []
        toks = [tokens(s) for s in sentences]
        bags = [bag(t, self.lexicon) for t in toks]
        penta = self.penta.proba(bags)
        plov = self.plover_head.proba(bags)
        out: list[CodedEvent | None] = []
        for i, text in enumerate(sentences):
            lang = langs[i] if langs else detect_language(text) or "en"
            out.append(self._event(i, text, toks[i], penta[i], plov[i], day, lang))
        return out

    def _event(
        self,
        index: int,
        text: str,
        words: list[str],
        penta: np.ndarray,
        plov: np.ndarray,
        day: date | None,
        lang: str,
    ) -> CodedEvent | None:
        if len(words) < MIN_TOKENS:
            return None
        toks = Token.split(text)
        source, target = self.actors_of(toks, day)
        if source is None and target is None:
            return None
        k = int(penta.argmax())
        cls = int(self.penta.classes[k])
        code = self._cameo_code([t.norm for t in toks], cls)
        ptype = self.plover_head.classes[int(plov.argmax())]
        root = code[:2] if code else self._root_for_plover.get((ptype, cls))
        book = cameo()
        event = book.events.get(code) if code else book.events.get(root) if root else None
        mode = None
        if code:
            mapping = plover().for_cameo(code)
            if mapping is not None and mapping.event_type == ptype:
                mode = mapping.mode
        return CodedEvent(
            sentence=index,
            span=(0, len(text)),
            text=text,
            penta_class=cls,
            confidence=float(penta[k]),
            cameo_code=code or root,
            cameo_root=root,
            quad_class=PENTA_QUAD[cls],
            goldstein=event.goldstein if event else None,
            plover_type=ptype,
            plover_mode=mode,
            plover_confidence=float(plov.max()),
            source=source,
            target=target,
            lang=lang,
        )

    def _cameo_code(self, norms: list[str], penta: int) -> str | None:
        """The first verb cue whose root agrees with the penta class, as a codebook code."""
        events = cameo().events
        for _, code in self.lexicon.cues(norms):
            if ROOT_PENTA.get(code[:2]) != penta:
                continue
            for candidate in (code, code[:3], code[:2]):
                if candidate in events:
                    return candidate
        return None

    def tag(self, toks: Sequence[Token], day: date | None = None) -> list[str]:
        """BIO actor tags for ``toks``."""
        if not toks:
            return []
        norms = [t.norm for t in toks]
        dict_tags = ["-"] * len(toks)
        for a, b, e in self.actors.matches(toks, day):
            kind = "agt" if e.code.startswith("~") else "inst" if e.agent else "ctry"
            for j in range(a, b):
                dict_tags[j] = kind
        cues = self.lexicon.cues(norms)
        verb_at = cues[0][0] if cues else None
        bags = token_bags([t.text for t in toks], norms, dict_tags, verb_at)
        probs = self.tagger.proba(bags)
        return [self.tagger.classes[int(j)] for j in probs.argmax(axis=1)]

    def actors_of(
        self, toks: Sequence[Token], day: date | None = None
    ) -> tuple[ResolvedActor | None, ResolvedActor | None]:
        """Source and target of a sentence: tagged spans first, dictionary matches after."""
        source = target = None
        for role, a, b in spans_of(self.tag(toks, day)):
            if not any(t.norm not in _FUNCTION_WORDS and t.norm.isalnum() for t in toks[a:b]):
                continue  # a span of only "and", "the" or punctuation names nobody
            actor = self.actors.resolve(toks, a, b, day)
            if role in ("S", "R") and source is None:
                source = actor
            elif role in ("T", "R") and target is None:
                target = actor
        if source is None or target is None:
            found = [
                (a, b) for a, b, e in self.actors.matches(toks, day) if not e.code.startswith("~")
            ]
            taken = [(x.start, x.end) for x in (source, target) if x is not None]
            for a, b in found:
                actor = self.actors.resolve(toks, a, b, day)
                if any(actor.start < end and start < actor.end for start, end in taken):
                    continue  # already part of a tagged actor
                if source is None:
                    source = actor
                elif target is None:
                    target = actor
                taken.append((actor.start, actor.end))
        return source, target

    def code_document(self, doc: Document) -> CodedDocument:
        """Code one document (as checked by :func:`~dyadwatch.coding.read_documents`)."""
        started = time.process_time()
        spans = split_sentences(doc.text)
        sentences = [doc.text[a:b] for a, b in spans]
        langs = [doc.lang or detect_language(s) or "" for s in sentences]
        doc_lang = doc.lang or _majority(langs)
        langs = [lang or doc_lang or "en" for lang in langs]
        day = doc.published.date() if doc.published else None
        result = CodedDocument(
            doc.doc_id,
            doc.file,
            doc.line,
            doc.published,
            doc.url,
            doc_lang,
            len(sentences),
            notes=list(doc.notes),
        )
        if len(set(langs)) > 1:
            result.notes.append("mixed languages: " + ", ".join(sorted(set(langs))))
        totals = np.zeros(len(self.penta.classes))
        fallback = np.zeros(len(self.penta.classes))
        for start in range(0, len(sentences), BATCH):
            chunk = sentences[start : start + BATCH]
            bags = [bag(tokens(s), self.lexicon) for s in chunk]
            probs = self.penta.proba(bags)
            plov = self.plover_head.proba(bags)
            fallback += probs.sum(axis=0)
            for j, text in enumerate(chunk):
                i = start + j
                event = self._event(i, text, tokens(text), probs[j], plov[j], day, langs[i])
                if event is None:
                    continue
                a, b = spans[i]
                event = _shift(event, a, b)
                result.events.append(event)
                totals += probs[j]
        best = totals if totals.any() else fallback
        result.penta_class = int(self.penta.classes[int(best.argmax())]) if best.any() else None
        if self.insight is not None:
            probs = self.insight.proba([bag(tokens(doc.text[:20000]), None, chars=False)])[0]
            thresholds = self.insight.thresholds or (0.5,) * len(probs)
            result.labels = [
                c for c, p, t in zip(self.insight.classes, probs, thresholds, strict=True) if p >= t
            ]
        self.throughput.sentences += len(sentences)
        self.throughput.seconds += time.process_time() - started
        return result

    def code_documents(
        self, items: Iterable[Document | Rejected], workers: int = 1
    ) -> Iterator[CodedDocument]:
        """Code a stream, in order; rejected inputs come out as quarantined documents."""
        if workers <= 1:
            for item in items:
                yield (
                    CodedDocument.rejected(item)
                    if isinstance(item, Rejected)
                    else self.code_document(item)
                )
            return
        ctx = multiprocessing.get_context("fork")
        self.throughput.workers = workers
        with ctx.Pool(workers, initializer=_init_worker, initargs=(self,)) as pool:
            for result, sentences, seconds in pool.imap(_work, items, chunksize=8):
                self.throughput.sentences += sentences
                self.throughput.seconds += seconds
                yield result


def _majority(langs: Sequence[str]) -> str | None:
    counts = Counter(lang for lang in langs if lang)
    return counts.most_common(1)[0][0] if counts else None


def _shift(event: CodedEvent, a: int, b: int) -> CodedEvent:
    def move(actor: ResolvedActor | None) -> ResolvedActor | None:
        if actor is None:
            return None
        return ResolvedActor(
            actor.text,
            actor.start + a,
            actor.end + a,
            actor.code,
            actor.country,
            actor.agent,
            actor.name,
        )

    from dataclasses import replace

    return replace(event, span=(a, b), source=move(event.source), target=move(event.target))


_WORKER: Coder | None = None


def _init_worker(coder: Coder) -> None:
    global _WORKER
    _WORKER = coder


def _work(item: Document | Rejected) -> tuple[CodedDocument, int, float]:
    assert _WORKER is not None
    if isinstance(item, Rejected):
        return CodedDocument.rejected(item), 0, 0.0
    before = (_WORKER.throughput.sentences, _WORKER.throughput.seconds)
    result = _WORKER.code_document(item)
    return (
        result,
        _WORKER.throughput.sentences - before[0],
        _WORKER.throughput.seconds - before[1],
    )


__all__ = ["TAGS", "CodedDocument", "CodedEvent", "Coder", "Throughput"]
