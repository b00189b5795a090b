"""Text → sparse features, the same at training and at coding time.

A sentence becomes a bag of named features: words (``w:``) and word pairs (``b:``), character
3–5-grams inside words (``c:``; they carry Spanish and English inflections and misspellings
that whole words miss), and verb cues from :mod:`dyadwatch.coding.lexicon` (``v:`` code,
``r:`` root, ``p:`` penta class). Text is compared in lower case without accents, so
``detención`` and ``DETENCION`` are one feature.

:class:`Vocabulary` turns bags into the rows of a CSR matrix: sublinear term frequency times
inverse document frequency, L2-normalised per row, plus a constant bias feature — the
TF-IDF weighting of scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``, written out so
that coding needs only numpy.

Examples
--------
>>> tokens("La Detención de 'El Chapo'")
['la', 'detencion', 'de', 'el', 'chapo']
>>> sorted(f for f in bag(["la", "detencion"], None) if f.startswith("w:"))
['w:detencion', 'w:la']
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dyadwatch.coding.lexicon import Lexicon

_TOKEN = re.compile(r"[a-z0-9]+")
_ROOT_PENTA = {
    "01": "0",
    "02": "0",
    "03": "1",
    "04": "1",
    "05": "1",
    "06": "2",
    "07": "2",
    "08": "2",
    "09": "3",
    "10": "3",
    "11": "3",
    "12": "3",
    "13": "3",
    "14": "4",
    "15": "4",
    "16": "3",
    "17": "4",
    "18": "4",
    "19": "4",
    "20": "4",
}
BIAS = "__bias__"


def fold(text: str) -> str:
    """Lower case, accents removed (``Ñ`` → ``n``); other characters kept.

    >>> fold("Extradición ÑANDÚ")
    'extradicion nandu'
    """
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Word tokens of ``text``: runs of letters and digits after :func:`fold`."""
    return _TOKEN.findall(fold(text))


def bag(toks: Sequence[str], lexicon: Lexicon | None, chars: bool = True) -> Counter[str]:
    """The feature counts of one token sequence."""
    feats: Counter[str] = Counter()
    feats.update("w:" + t for t in toks)
    feats.update(f"b:{a}_{b}" for a, b in itertools.pairwise(toks))
    if chars:
        for t in toks:
            if len(t) < 3 or t.isdigit():
                continue
            padded = f"<{t}>"
            n = len(padded)
            for size in (3, 4, 5):
                for i in range(n - size + 1):
                    feats["c:" + padded[i : i + size]] += 1
    if lexicon is not None:
        for _, code in lexicon.cues(toks):
            root = code[:2]
            feats["v:" + code[:3]] += 1
            feats["r:" + root] += 1
            penta = _ROOT_PENTA.get(root)
            if penta is not None:
                feats["p:" + penta] += 1
    return feats


@dataclass(frozen=True)
class Vocabulary:
    """Feature name → column, with each column's inverse document frequency."""

    index: Mapping[str, int]
    idf: np.ndarray

    @classmethod
    def fit(
        cls, bags: Iterable[Counter[str]], min_df: int = 2, max_features: int = 60_000
    ) -> Vocabulary:
        """Keep features seen in at least ``min_df`` rows, the ``max_features`` most frequent.

        Ties in frequency are broken by name, so the vocabulary does not depend on the order
        in which rows arrive.
        """
        df: Counter[str] = Counter()
        n = 0
        for b in bags:
            n += 1
            df.update(b.keys())
        kept = sorted((f for f, c in df.items() if c >= min_df), key=lambda f: (-df[f], f))
        kept = sorted(kept[:max_features])
        names = [BIAS, *kept]
        idf = np.array(
            [1.0] + [math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept], dtype=np.float32
        )
        return cls({f: i for i, f in enumerate(names)}, idf)

    @property
    def names(self) -> list[str]:
        return sorted(self.index, key=self.index.__getitem__)

    def __len__(self) -> int:
        return len(self.index)

    def transform(self, bags: Sequence[Counter[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays ``(data, indices, indptr)`` of the weighted, normalised rows.

        Every row ends with the bias column (weight 1), so no row is empty.
        """
        index = self.index
        cols: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for b in bags:
            for f, c in b.items():
                j = index.get(f)
                if j is not None:
                    cols.append(j)
                    counts.append(c)
            cols.append(0)
            counts.append(1)
            indptr.append(len(cols))
        col = np.asarray(cols, dtype=np.int32)
        ptr = np.asarray(indptr, dtype=np.int64)
        w = (1.0 + np.log(np.asarray(counts, dtype=np.float32))) * self.idf[col]
        bias = ptr[1:] - 1
        w[bias] = 0.0
        norm = np.sqrt(np.add.reduceat(w * w, ptr[:-1])) if len(bags) else np.zeros(0)
        norm[norm == 0] = 1.0
        w = (w / np.repeat(norm, np.diff(ptr))).astype(np.float32)
        w[bias] = 1.0
        return w, col, ptr


def scores(csr: tuple[np.ndarray, np.ndarray, np.ndarray], weights: np.ndarray) -> np.ndarray:
    """Rows × classes scores: the sparse rows times a dense ``features × classes`` matrix.

    >>> w = np.array([[0.5, 0.0], [1.0, -1.0]], dtype=np.float32)
    >>> scores((np.array([1.0, 2.0], np.float32), np.array([0, 1]), np.array([0, 2])), w)
    array([[ 2.5, -2. ]], dtype=float32)
    """
    data, indices, indptr = csr
    if len(indptr) <= 1:
        return np.zeros((0, weights.shape[1]), dtype=np.float32)
    contrib = weights[indices] * data[:, None]
    return np.add.reduceat(contrib, indptr[:-1], axis=0).astype(np.float32, copy=False)


class Featurizer:
    """The coding-time path of :func:`bag` + :meth:`Vocabulary.transform` for one vocabulary.

    It gives the same rows (up to float rounding) but never builds feature strings twice:
    each distinct word's known columns (its ``w:`` feature and character n-grams) are cached,
    and the counting is done by numpy over the whole batch.
    """

    CACHE_WORDS = 200_000

    def __init__(self, vocab: Vocabulary, lexicon: Lexicon | None, chars: bool = True) -> None:
        self.vocab = vocab
        self.lexicon = lexicon
        self.chars = chars
        self._cache: dict[str, tuple[int, ...]] = {}

    def _word(self, t: str) -> tuple[int, ...]:
        ids = self._cache.get(t)
        if ids is not None:
            return ids
        index = self.vocab.index
        found = [index.get("w:" + t)]
        if self.chars and len(t) >= 3 and not t.isdigit():
            padded = f"<{t}>"
            n = len(padded)
            for size in (3, 4, 5):
                found.extend(index.get("c:" + padded[i : i + size]) for i in range(n - size + 1))
        ids = tuple(j for j in found if j is not None)
        if len(self._cache) >= self.CACHE_WORDS:
            self._cache.clear()
        self._cache[t] = ids
        return ids

    def ids(self, toks: Sequence[str]) -> list[int]:
        """The known columns of one token sequence, repeated as often as the feature occurs."""
        index = self.vocab.index
        out: list[int] = []
        for t in toks:
            out.extend(self._word(t))
        for a, b in itertools.pairwise(toks):
            j = index.get(f"b:{a}_{b}")
            if j is not None:
                out.append(j)
        if self.lexicon is not None:
            for _, code in self.lexicon.cues(toks):
                root = code[:2]
                penta = _ROOT_PENTA.get(root)
                for name in ("v:" + code[:3], "r:" + root, f"p:{penta}" if penta else ""):
                    j = index.get(name)
                    if j is not None:
                        out.append(j)
        return out

    def transform(self, rows: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays of token sequences, as :meth:`Vocabulary.transform` of their bags."""
        return csr_from_ids(self.vocab, [self.ids(toks) for toks in rows])


def csr_from_ids(
    vocab: Vocabulary, lists: Sequence[Sequence[int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays of rows given as column lists (a column repeated = a feature counted twice).

    The same weighting as :meth:`Vocabulary.transform`; the counting is done by numpy.
    """
    size = len(vocab)
    lengths = np.fromiter((len(x) + 1 for x in lists), dtype=np.int64, count=len(lists))
    flat = np.fromiter(
        itertools.chain.from_iterable([0, *x] for x in lists),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    row = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
    keys, counts = np.unique(row * size + flat, return_counts=True)
    r = keys // size
    col = (keys % size).astype(np.int32)
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=len(lists)), out=ptr[1:])
    w = (1.0 + np.log(counts.astype(np.float32))) * vocab.idf[col]
    bias = ptr[:-1]  # column 0 sorts first in every row
    w[bias] = 0.0
    norm = np.sqrt(np.add.reduceat(w * w, ptr[:-1])) if len(lists) else np.zeros(0)
    norm[norm == 0] = 1.0
    w = (w / np.repeat(norm, np.diff(ptr))).astype(np.float32)
    w[bias] = 1.0
    return w, col, ptr
