"""Training the coder's heads, and the TF-IDF + linear baseline they are measured against.

Used by ``tools/train_coder.py`` (which writes the shipped artefact) and ``bench/coder.py``
(which trains the baseline in the same run). Needs scikit-learn, a training-only dependency;
coding itself needs only numpy.

Every head trains on the ``train`` side of :func:`dyadwatch.coding.gold.split_of` only.
Temperatures are fitted on three hash folds of that same training side (out-of-fold scores),
so calibration never looks at a held-out sentence either.

Examples
--------
>>> artefact = train(Path("../shared/data"), seed=0)  # doctest: +SKIP
>>> sorted(artefact.heads)  # doctest: +SKIP
['insight', 'penta', 'plover', 'tagger']
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dyadwatch.codebooks import plover
from dyadwatch.coding.actors import (
    ActorDictionary,
    Token,
    parse_phoenix_agents,
    parse_phoenix_countries,
    usmx_rows,
)
from dyadwatch.coding.features import Vocabulary, bag, fold, tokens
from dyadwatch.coding.gold import Example, drop_overlap, load_all
from dyadwatch.coding.lexicon import Lexicon, parse_petrarch_verbs, spanish_cues
from dyadwatch.coding.linear import Artefact, LinearHead, sigmoid, softmax
from dyadwatch.coding.tagger import TAGS, token_bags

log = logging.getLogger(__name__)

PENTA_C = 30.0
PLOVER_C = 10.0
TAGGER_C = 3.0
INSIGHT_C = 10.0
FOLDS = 3


def _fold(text: str) -> int:
    return hashlib.sha256(fold(text).encode()).digest()[1] % FOLDS


def _csr(vocab: Vocabulary, bags: Sequence[Counter[str]]) -> Any:
    import scipy.sparse as sp

    data, indices, indptr = vocab.transform(bags)
    return sp.csr_matrix((data, indices, indptr), shape=(len(bags), len(vocab)))


def _fit_lr(
    X: Any,
    y: Sequence[str],
    C: float,
    weight: Sequence[float] | None,
    seed: int,
    class_weight: str | None = None,
) -> Any:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=C, max_iter=5000, random_state=seed, tol=1e-6, class_weight=class_weight
    )
    clf.fit(X, list(y), sample_weight=None if weight is None else np.asarray(weight))
    return clf


def _weights_of(clf: Any, vocab: Vocabulary, classes: Sequence[str]) -> np.ndarray:
    """A ``features × classes`` matrix with the intercept in the bias row (column 0)."""
    coef = np.asarray(clf.coef_, dtype=np.float64)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    if coef.shape[0] == 1 and len(classes) == 2:  # binary: one row, for classes[1]
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    order = [list(clf.classes_).index(c) for c in classes]
    w = coef[order].T.copy()
    w[0] += intercept[order]
    # Rounded to float16 now, so the saved artefact is the model that is evaluated.
    return w.astype(np.float16).astype(np.float32)


def _temperature(logits: np.ndarray, y_index: np.ndarray, multilabel: bool = False) -> float:
    """The temperature minimising the negative log-likelihood of out-of-fold scores."""
    grid = np.round(np.exp(np.linspace(np.log(0.2), np.log(5.0), 81)), 4)
    best, best_t = np.inf, 1.0
    for t in grid:
        if multilabel:
            p = np.clip(sigmoid(logits / t), 1e-7, 1 - 1e-7)
            nll = -np.mean(y_index * np.log(p) + (1 - y_index) * np.log(1 - p))
        else:
            p = softmax(logits / t)
            nll = -np.mean(np.log(np.clip(p[np.arange(len(y_index)), y_index], 1e-12, None)))
        if nll < best - 1e-12:
            best, best_t = nll, float(t)
    return best_t


@dataclass
class HeadData:
    name: str
    bags: list[Counter[str]]
    y: list[str]
    groups: list[int]
    weight: list[float] | None = None
    class_weight: str | None = None
    """``balanced`` weighs classes inversely to their frequency (for macro-F1 targets)."""


def fit_head(
    data: HeadData,
    C: float,
    seed: int,
    min_df: int = 2,
    max_features: int = 60_000,
    chars: bool = True,
) -> tuple[LinearHead, dict[str, Any]]:
    """Fit a softmax head, and its temperature on out-of-fold scores."""
    classes = tuple(sorted(set(data.y)))
    vocab = Vocabulary.fit(data.bags, min_df=min_df, max_features=max_features)
    X = _csr(vocab, data.bags)
    clf = _fit_lr(X, data.y, C, data.weight, seed, data.class_weight)
    w = _weights_of(clf, vocab, classes)
    oof = np.zeros((len(data.y), len(classes)), dtype=np.float64)
    groups = np.asarray(data.groups)
    for k in range(FOLDS):
        tr, te = np.where(groups != k)[0], np.where(groups == k)[0]
        if len(te) == 0 or len(set(data.y[i] for i in tr)) < len(classes):
            continue
        weight = None if data.weight is None else [data.weight[i] for i in tr]
        sub = _fit_lr(X[tr], [data.y[i] for i in tr], C, weight, seed, data.class_weight)
        oof[te] = X[te] @ _weights_of(sub, vocab, classes)
    y_index = np.array([classes.index(c) for c in data.y])
    t = _temperature(oof, y_index)
    head = LinearHead(data.name, vocab, w, classes, t, chars=chars)
    report: dict[str, Any] = {"examples": len(data.y), "temperature": t, "C": C}
    if data.class_weight:
        report["class_weight"] = data.class_weight
    return head, report


def fit_multilabel(
    name: str, bags: list[Counter[str]], Y: np.ndarray, groups: list[int], C: float, seed: int
) -> tuple[LinearHead, dict[str, Any]]:
    """One logistic column per label; per-label thresholds chosen on out-of-fold scores."""
    vocab = Vocabulary.fit(bags, min_df=2, max_features=40_000)
    X = _csr(vocab, bags)
    classes = tuple(f"insight_{j + 1}" for j in range(Y.shape[1]))

    def fit_all(rows: np.ndarray) -> np.ndarray:
        cols = []
        for j in range(Y.shape[1]):
            clf = _fit_lr(X[rows], [str(v) for v in Y[rows, j]], C, None, seed)
            cols.append(_weights_of(clf, vocab, ("0", "1"))[:, 1] * 2)
        return np.stack(cols, axis=1).astype(np.float32)

    w = fit_all(np.arange(len(bags)))
    oof = np.zeros(Y.shape, dtype=np.float64)
    g = np.asarray(groups)
    for k in range(FOLDS):
        tr, te = np.where(g != k)[0], np.where(g == k)[0]
        oof[te] = X[te] @ fit_all(tr)
    t = _temperature(oof, Y, multilabel=True)
    probs = sigmoid(oof / t)
    thresholds = []
    for j in range(Y.shape[1]):
        best, best_t = -1.0, 0.5
        for th in np.round(np.arange(0.1, 0.91, 0.05), 2):
            pred = probs[:, j] >= th
            tp = float((pred & (Y[:, j] == 1)).sum())
            f1 = 2 * tp / max(pred.sum() + Y[:, j].sum(), 1)
            if f1 > best + 1e-12:
                best, best_t = f1, float(th)
        thresholds.append(best_t)
    head = LinearHead(name, vocab, w, classes, t, True, tuple(thresholds), chars=False)
    return head, {"examples": len(bags), "temperature": t, "C": C, "thresholds": thresholds}


# --- Tables -----------------------------------------------------------------------------------


def build_tables(root: Path) -> dict[str, Any]:
    """Verb cues and the Phoenix actor tables, from ``../shared/data``."""
    petr = root / "coding_dictionaries/petrarch2"
    verbs, patterns = parse_petrarch_verbs(petr / "CAMEO.2.0.txt")
    es = spanish_cues()
    lexicon = Lexicon(
        verbs={**verbs, **{k: v for k, v in es.items() if k not in verbs}}, patterns=patterns
    )
    countries, rows = parse_phoenix_countries(petr / "Phoenix.Countries.actors.txt")
    agents = parse_phoenix_agents(petr / "Phoenix.agents.txt")
    return {
        "lexicon": lexicon.to_json(),
        "actors": {
            "countries": dict(sorted(countries.items())),
            "agents": dict(sorted(agents.items())),
            "rows": sorted([list(r) for r in rows]),
        },
    }


def dictionary_of(tables: dict[str, Any]) -> ActorDictionary:
    return ActorDictionary.from_rows(
        [*usmx_rows(), *(tuple(r) for r in tables["actors"]["rows"])],
        tables["actors"]["countries"],
        tables["actors"]["agents"],
    )


# --- Training sets ----------------------------------------------------------------------------


def plover_label(ex: Example) -> str | None:
    """An example's PLOVER type: its own label, else the crosswalk of its CAMEO code."""
    if ex.plover:
        return ex.plover
    if ex.cameo:
        book = plover()
        for code in (ex.cameo, ex.cameo[:3], ex.cameo[:2]):
            try:
                mapping = book.for_cameo(code)
            except Exception:
                continue
            return mapping.event_type if mapping else None
    return None


def training_sets(root: Path) -> dict[str, list[Example]]:
    """The training side of each set, PLOVER GSR text removed everywhere."""
    sets = load_all(root)
    gsr = sets["plover_gsr"]
    out = {}
    for name, examples in sets.items():
        if name == "plover_gsr":
            continue
        out[name] = drop_overlap([e for e in examples if e.split == "train"], gsr)
    return out


def ner_tokens(ex: Example) -> list[Token]:
    """Tokens of a CoNLL sentence with synthetic offsets (one space between tokens)."""
    out, pos = [], 0
    for word in ex.tokens or ():
        norm = "".join(ch for ch in fold(word) if ch.isalnum()) or word
        out.append(Token(word, pos, pos + len(word), norm))
        pos += len(word) + 1
    return out


def tagger_rows(
    examples: Sequence[Example], lexicon: Lexicon, actors: ActorDictionary, context: bool = True
) -> tuple[list[Counter[str]], list[str], list[int]]:
    bags, tags, groups = [], [], []
    for ex in examples:
        toks = ner_tokens(ex)
        norms = [t.norm for t in toks]
        dict_tags = ["-"] * len(toks)
        for a, b, e in actors.matches(toks):
            kind = "agt" if e.code.startswith("~") else "inst" if e.agent else "ctry"
            for j in range(a, b):
                dict_tags[j] = kind
        cues = lexicon.cues(norms)
        verb_at = cues[0][0] if cues else None
        g = _fold(ex.text)
        for b_, tag in zip(
            token_bags([t.text for t in toks], norms, dict_tags, verb_at, context),
            ex.tags or (),
            strict=True,
        ):
            bags.append(b_)
            tags.append(tag if tag in TAGS else "O")
            groups.append(g)
    return bags, tags, groups


def train(root: Path, seed: int = 0) -> tuple[Artefact, dict[str, Any]]:
    """Train every head from the training sides of the gold sets; return artefact and report."""
    tables = build_tables(root)
    lexicon = Lexicon.from_json(tables["lexicon"])
    actors = dictionary_of(tables)
    sets = training_sets(root)
    report: dict[str, Any] = {}
    heads = {}

    penta_ex = sets["cameo_class"]
    penta = HeadData(
        "penta",
        [bag(tokens(e.text), lexicon) for e in penta_ex],
        [str(e.penta) for e in penta_ex],
        [_fold(e.text) for e in penta_ex],
    )
    heads["penta"], report["penta"] = fit_head(penta, PENTA_C, seed)

    plover_ex = [
        e for e in sets["ngec"] + sets["spanish"] + sets["petrarch"] if plover_label(e) is not None
    ]
    plov = HeadData(
        "plover",
        [bag(tokens(e.text), lexicon) for e in plover_ex],
        [str(plover_label(e)) for e in plover_ex],
        [_fold(e.text) for e in plover_ex],
        # The PLOVER sets are skewed (CONCEDE 780 stories, AID 84) and PLOVER is scored by
        # macro-F1: balanced class weights (checked on the NGEC and Spanish held-out sides).
        class_weight="balanced",
    )
    heads["plover"], report["plover"] = fit_head(plov, PLOVER_C, seed)

    tb, tt, tg = tagger_rows(sets["cameo_ner"], lexicon, actors)
    heads["tagger"], report["tagger"] = fit_head(
        HeadData("tagger", tb, tt, tg), TAGGER_C, seed, min_df=1, max_features=40_000, chars=False
    )

    ins = sets["insight_train"]
    ib = [bag(tokens(e.text[:20000]), None, chars=False) for e in ins]
    Y = np.array([e.labels for e in ins], dtype=np.int64)
    heads["insight"], report["insight"] = fit_multilabel(
        "insight", ib, Y, [_fold(e.text) for e in ins], INSIGHT_C, seed
    )
    manifest = {"seed": seed, "training": report}
    return Artefact(heads, tables, manifest), report


# --- Baseline ---------------------------------------------------------------------------------


class Baseline:
    """TF-IDF (words and word pairs) + linear SVM: the reference the issue names."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, texts: Sequence[str], y: Sequence[str]) -> Baseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.clf = LinearSVC(C=1.0, random_state=self.seed)
        self.clf.fit(self.vec.fit_transform(texts), list(y))
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(v) for v in self.clf.predict(self.vec.transform(texts))]


class BaselineMultilabel:
    """One TF-IDF + linear SVM per label (InSight Crime)."""

    def fit(self, texts: Sequence[str], Y: np.ndarray) -> BaselineMultilabel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.svm import LinearSVC

        self.vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.clf = OneVsRestClassifier(LinearSVC(C=1.0, random_state=0))
        self.clf.fit(self.vec.fit_transform(texts), Y)
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.clf.predict(self.vec.transform(texts)))


class BaselineTagger:
    """A per-token linear SVM on the token's own word (no context, no dictionaries)."""

    def fit(self, bags: list[Counter[str]], tags: Sequence[str]) -> BaselineTagger:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.svm import LinearSVC

        self.vec = DictVectorizer()
        self.clf = LinearSVC(C=1.0, random_state=0)
        self.clf.fit(_int32(self.vec.fit_transform(bags)), list(tags))
        return self

    def predict(self, bags: list[Counter[str]]) -> list[str]:
        return [str(v) for v in self.clf.predict(_int32(self.vec.transform(bags)))]


def _int32(X: Any) -> Any:
    """scikit-learn's liblinear takes 32-bit sparse indices only."""
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    return X
