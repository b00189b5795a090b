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
from dyadwatch.coding.features import Featurizer, bag, csr_from_ids, scores, tokens
from dyadwatch.coding.gold import PENTA_NAMES, ROOT_PENTA
from dyadwatch.coding.lexicon import Lexicon
from dyadwatch.coding.linear import Artefact, digest
from dyadwatch.coding.tagger import TAGS, actor_spans, token_features

log = logging.getLogger(__name__)

CODER_NAME = "dyadwatch-coder"
CODER_VERSION = "1.0"
MIN_TOKENS = 3
"""A sentence with fewer word tokens (a dateline, a byline) gives no event."""
BATCH = 256
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
        self._penta_features = Featurizer(self.penta.vocab, self.lexicon, self.penta.chars)
        self._plover_features = Featurizer(
            self.plover_head.vocab, self.lexicon, self.plover_head.chars
        )

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
        items = [
            _Sentence(0, i, 0, len(s), s, langs[i] if langs else detect_language(s) or "en")
            for i, s in enumerate(sentences)
        ]
        events, _ = self._code(items, [day])
        return events

    def _code(
        self, items: Sequence[_Sentence], days: Sequence[date | None]
    ) -> tuple[list[CodedEvent | None], np.ndarray]:
        """Events and penta probabilities for sentences of several documents, in batches."""
        events: list[CodedEvent | None] = []
        probs = np.zeros((len(items), len(self.penta.classes)), dtype=np.float32)
        for lo in range(0, len(items), BATCH):
            batch = items[lo : lo + BATCH]
            words = [tokens(it.text) for it in batch]
            penta = self.penta.proba_csr(self._penta_features.transform(words))
            plov = self.plover_head.proba_csr(self._plover_features.transform(words))
            probs[lo : lo + len(batch)] = penta
            todo = [k for k, w in enumerate(words) if len(w) >= MIN_TOKENS]
            toks = [Token.split(batch[k].text) for k in todo]
            found = [
                self.actors.matches(t, days[batch[k].doc]) for k, t in zip(todo, toks, strict=True)
            ]
            cues = [self.lexicon.cues([x.norm for x in t]) for t in toks]
            tags = self._tags(toks, found, [c[0][0] if c else None for c in cues])
            out: list[CodedEvent | None] = [None] * len(batch)
            for j, k in enumerate(todo):
                it = batch[k]
                day = days[it.doc]
                source, target = self._actors(toks[j], found[j], tags[j], day)
                if source is None:  # _actors puts a lone actor first: no source, no actor
                    continue
                out[k] = self._event(it, penta[k], plov[k], cues[j], source, target)
            events.extend(out)
        return events, probs

    def _event(
        self,
        it: _Sentence,
        penta: np.ndarray,
        plov: np.ndarray,
        cues: list[tuple[int, str]],
        source: ResolvedActor,
        target: ResolvedActor | None,
    ) -> CodedEvent:
        k = int(penta.argmax())
        cls = int(self.penta.classes[k])
        code = self._cameo_code(cues, cls)
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
            sentence=it.index,
            span=(it.start, it.end),
            text=it.text,
            penta_class=cls,
            confidence=float(penta[k]),
            cameo_code=code or root,
            cameo_root=root,
            quad_class=PENTA_QUAD[cls],
            goldstein=event.goldstein if event else None,
            plover_type=ptype,
            plover_mode=mode,
            plover_confidence=float(plov.max()),
            source=_moved(source, it.start),
            target=_moved(target, it.start),
            lang=it.lang,
        )

    def _cameo_code(self, cues: list[tuple[int, str]], penta: int) -> str | None:
        """The first verb cue whose root agrees with the penta class, as a codebook code."""
        events = cameo().events
        for _, code in cues:
            if ROOT_PENTA.get(code[:2]) != penta:
                continue
            for candidate in (code, code[:3], code[:2]):
                if candidate in events:
                    return candidate
        return None

    def _tags(
        self,
        toks: Sequence[Sequence[Token]],
        found: Sequence[list[tuple[int, int, Any]]],
        verbs: Sequence[int | None],
    ) -> list[list[str]]:
        """BIO actor tags of several sentences, scored in one call."""
        index = self.tagger.vocab.index
        rows: list[list[int]] = []
        sizes = []
        for t, matches, verb_at in zip(toks, found, verbs, strict=True):
            dict_tags = ["-"] * len(t)
            for a, b, e in matches:
                kind = "agt" if e.code.startswith("~") else "inst" if e.agent else "ctry"
                for j in range(a, b):
                    dict_tags[j] = kind
            for feats in token_features(
                [x.text for x in t], [x.norm for x in t], dict_tags, verb_at
            ):
                rows.append([index[f] for f in feats if f in index])
            sizes.append(len(t))
        if not rows:
            return [[] for _ in toks]
        best = scores(csr_from_ids(self.tagger.vocab, rows), self.tagger.weights).argmax(axis=1)
        names = [self.tagger.classes[int(j)] for j in best]
        out, pos = [], 0
        for n in sizes:
            out.append(names[pos : pos + n])
            pos += n
        return out

    def tag(self, toks: Sequence[Token], day: date | None = None) -> list[str]:
        """BIO actor tags for ``toks``."""
        cues = self.lexicon.cues([t.norm for t in toks])
        found = self.actors.matches(toks, day)
        return self._tags([toks], [found], [cues[0][0] if cues else None])[0]

    def _actors(
        self,
        toks: Sequence[Token],
        found: list[tuple[int, int, Any]],
        tags: list[str],
        day: date | None,
    ) -> tuple[ResolvedActor | None, ResolvedActor | None]:
        """Source and target of a sentence: tagged spans first, dictionary matches after."""
        source = target = None
        for role, a, b in self._widen(actor_spans(tags, [t.norm for t in toks]), found):
            if not any(t.norm not in _FUNCTION_WORDS and t.norm.isalnum() for t in toks[a:b]):
                continue  # a span of only "and", "the" or punctuation names nobody
            actor = self.actors.resolve(toks, a, b, day)
            if role in ("S", "R") and source is None:
                source = actor
            elif role in ("T", "R") and target is None:
                target = actor
        if source is None or target is None:
            taken = [(x.start, x.end) for x in (source, target) if x is not None]
            for a, b, e in found:
                if e.code.startswith("~"):
                    continue
                actor = self.actors.resolve(toks, a, b, day)
                if any(actor.start < end and start < actor.end for start, end in taken):
                    continue  # already part of a tagged actor
                if source is None:
                    source = actor
                elif target is None:
                    target = actor
                taken.append((actor.start, actor.end))
        if source is None and target is not None:
            source, target = target, None
        return source, target

    @staticmethod
    def _widen(
        spans: list[tuple[str, int, int]], found: list[tuple[int, int, Any]]
    ) -> list[tuple[str, int, int]]:
        """Spans grown over dictionary matches they touch or cut ("US" + "Secretary of State")."""
        out = []
        for role, a, b in spans:
            for x, y, _ in found:
                if y == a or (x < a < y):
                    a = x
                if x == b or (x < b < y):
                    b = y
            out.append((role, a, b))
        return out

    def actors_of(
        self, toks: Sequence[Token], day: date | None = None
    ) -> tuple[ResolvedActor | None, ResolvedActor | None]:
        """Source and target of one tokenised sentence."""
        found = self.actors.matches(toks, day)
        return self._actors(toks, found, self.tag(toks, day), day)

    def code_document(self, doc: Document) -> CodedDocument:
        """Code one document (as checked by :func:`~dyadwatch.coding.read_documents`)."""
        return self._code_docs([doc])[0]

    def _code_docs(self, docs: Sequence[Document]) -> list[CodedDocument]:
        started = time.process_time()
        items: list[_Sentence] = []
        results = []
        for n, doc in enumerate(docs):
            spans = split_sentences(doc.text)
            langs = [doc.lang or detect_language(doc.text[a:b]) or "" for a, b in spans]
            doc_lang = doc.lang or _majority(langs)
            result = CodedDocument(
                doc.doc_id,
                doc.file,
                doc.line,
                doc.published,
                doc.url,
                doc_lang,
                len(spans),
                notes=list(doc.notes),
            )
            if len({lang for lang in langs if lang}) > 1:
                result.notes.append("mixed languages: " + ", ".join(sorted(set(langs) - {""})))
            items.extend(
                _Sentence(n, i, a, b, doc.text[a:b], lang or doc_lang or "en")
                for i, ((a, b), lang) in enumerate(zip(spans, langs, strict=True))
            )
            results.append(result)
        days = [d.published.date() if d.published else None for d in docs]
        events, probs = self._code(items, days)
        classes = self.penta.classes
        totals = np.zeros((len(docs), len(classes)))
        fallback = np.zeros((len(docs), len(classes)))
        for it, event, p in zip(items, events, probs, strict=True):
            fallback[it.doc] += p
            if event is not None:
                results[it.doc].events.append(event)
                totals[it.doc] += p
        for n, result in enumerate(results):
            best = totals[n] if totals[n].any() else fallback[n]
            result.penta_class = int(classes[int(best.argmax())]) if best.any() else None
        if self.insight is not None:
            ins = self.insight.proba([bag(tokens(d.text[:20000]), None, chars=False) for d in docs])
            thresholds = self.insight.thresholds or (0.5,) * ins.shape[1]
            for result, row in zip(results, ins, strict=True):
                result.labels = [
                    c
                    for c, p, t in zip(self.insight.classes, row, thresholds, strict=True)
                    if p >= t
                ]
        self.throughput.sentences += len(items)
        self.throughput.seconds += time.process_time() - started
        return results

    def code_documents(
        self, items: Iterable[Document | Rejected], workers: int = 1
    ) -> Iterator[CodedDocument]:
        """Code a stream, in order; rejected inputs come out as quarantined documents.

        Documents are coded in small groups (:data:`GROUP`), so output starts at once and
        memory stays bounded whatever the length of the stream.
        """
        groups = _groups(items)
        if workers <= 1:
            for group in groups:
                yield from self._code_group(group)
            return
        ctx = multiprocessing.get_context("fork")
        self.throughput.workers = workers
        with ctx.Pool(workers, initializer=_init_worker, initargs=(self,)) as pool:
            for results, sentences, seconds in pool.imap(_work, groups):
                self.throughput.sentences += sentences
                self.throughput.seconds += seconds
                yield from results

    def _code_group(self, group: list[Document | Rejected]) -> list[CodedDocument]:
        docs = [d for d in group if isinstance(d, Document)]
        coded = iter(self._code_docs(docs) if docs else [])
        return [
            CodedDocument.rejected(d) if isinstance(d, Rejected) else next(coded) for d in group
        ]


GROUP = 32
"""Documents coded together (their sentences share the classifiers' batches)."""


@dataclass(frozen=True, slots=True)
class _Sentence:
    doc: int
    index: int
    start: int
    end: int
    text: str
    lang: str


def _groups(items: Iterable[Document | Rejected]) -> Iterator[list[Document | Rejected]]:
    group: list[Document | Rejected] = []
    for item in items:
        group.append(item)
        if len(group) >= GROUP:
            yield group
            group = []
    if group:
        yield group


def _moved(actor: ResolvedActor | None, offset: int) -> ResolvedActor | None:
    if actor is None or offset == 0:
        return actor
    return ResolvedActor(
        actor.text,
        actor.start + offset,
        actor.end + offset,
        actor.code,
        actor.country,
        actor.agent,
        actor.name,
    )


def _majority(langs: Sequence[str]) -> str | None:
    counts = Counter(lang for lang in langs if lang)
    return counts.most_common(1)[0][0] if counts else None


_WORKER: Coder | None = None


def _init_worker(coder: Coder) -> None:
    global _WORKER
    _WORKER = coder


def _work(group: list[Document | Rejected]) -> tuple[list[CodedDocument], int, float]:
    assert _WORKER is not None
    before = (_WORKER.throughput.sentences, _WORKER.throughput.seconds)
    results = _WORKER._code_group(group)
    return (
        results,
        _WORKER.throughput.sentences - before[0],
        _WORKER.throughput.seconds - before[1],
    )


__all__ = ["TAGS", "CodedDocument", "CodedEvent", "Coder", "Throughput"]
