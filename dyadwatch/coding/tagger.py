"""Source and target actor spans: a token tagger over ConfliBERT's CAMEO NER scheme.

Each token gets one of ``B-S I-S B-T I-T B-R I-R O`` (source, target, an actor that is both,
outside) from a linear head over the token's word, affixes, shape, neighbours, its actor
dictionary match and where it stands relative to the first verb cue. Tags become spans by the
usual BIO reading (an ``I-`` after a different tag opens a span).

Examples
--------
>>> spans_of(["B-S", "I-S", "O", "B-T", "I-T", "I-S"])
[('S', 0, 2), ('T', 3, 5), ('S', 5, 6)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

TAGS = ("B-R", "B-S", "B-T", "I-R", "I-S", "I-T", "O")


def _shape(text: str) -> str:
    if text.isupper() and len(text) > 1:
        return "XX"
    if text[:1].isupper():
        return "Xx"
    if text[:1].isdigit():
        return "d"
    if text[:1].isalpha():
        return "x"
    return "p"


def token_bags(
    words: Sequence[str],
    norms: Sequence[str],
    dict_tags: Sequence[str],
    verb_at: int | None,
    context: bool = True,
) -> list[Counter[str]]:
    """Feature bags, one per token (see :func:`token_features`)."""
    return [Counter(f) for f in token_features(words, norms, dict_tags, verb_at, context)]


def token_features(
    words: Sequence[str],
    norms: Sequence[str],
    dict_tags: Sequence[str],
    verb_at: int | None,
    context: bool = True,
) -> list[list[str]]:
    """Feature names, one list per token.

    ``dict_tags`` names each token's actor-dictionary match (``inst``, ``ctry``, ``agt`` or
    ``-``); ``verb_at`` is the index of the first verb cue, or None. ``context=False`` keeps
    only the token's own word (the baseline tagger).
    """
    n = len(words)
    shapes = [_shape(w) for w in words]
    padded_norms = ["<s>", "<s>", *norms, "</s>", "</s>"]
    padded_dict = ["-", *dict_tags, "-"]
    padded_shape = ["-", *shapes, "-"]
    out = []
    for i in range(n):
        w = norms[i]
        if not context:
            out.append(["w=" + w])
            continue
        d = dict_tags[i]
        sh = shapes[i]
        if verb_at is None:
            side = "none"
        else:
            side = "before" if i < verb_at else "verb" if i == verb_at else "after"
        feats = [
            "w=" + w,
            "s3=" + w[-3:],
            "p3=" + w[:3],
            "sh=" + sh,
            "d=" + d,
            "w-2=" + padded_norms[i],
            "w-1=" + padded_norms[i + 1],
            "w1=" + padded_norms[i + 3],
            "w2=" + padded_norms[i + 4],
            "d-1=" + padded_dict[i],
            "sh-1=" + padded_shape[i],
            "d1=" + padded_dict[i + 2],
            "sh1=" + padded_shape[i + 2],
            "v=" + side,
            "pos=" + ("first" if i == 0 else "early" if i < 4 else "late"),
        ]
        if verb_at is not None:
            feats.append(f"v={side}|d={d}")
            feats.append(f"v={side}|sh={sh}")
        out.append(feats)
    return out


def spans_of(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """``(role, start, end)`` spans from BIO tags (role ``S``, ``T`` or ``R``)."""
    spans: list[tuple[str, int, int]] = []
    role: str | None = None
    start = 0
    for i, tag in enumerate([*tags, "O"]):
        kind, _, r = tag.partition("-")
        if role is not None and (kind != "I" or r != role):
            spans.append((role, start, i))
            role = None
        if kind == "B" or (kind == "I" and role is None):
            role, start = r, i
    return spans


_JOINERS = frozenset({"of", "de", "del", "for", "la", "the"})


def actor_spans(tags: Sequence[str], norms: Sequence[str]) -> list[tuple[str, int, int]]:
    """Actor spans as the coder reads them: runs of tagged tokens, one role per run.

    A greedy tagger often changes role or restarts inside one name ("Secretary of State
    Antony Blinken" → ``I-R O I-S I-T I-T``). Here a run is every token not tagged ``O``,
    bridged over one joining word (``of``, ``de``) between tagged tokens, and its role is
    the most frequent among its tokens (the first on a tie).

    >>> tags = ["I-R", "O", "I-S", "I-T", "I-T", "O", "B-S"]
    >>> actor_spans(tags, ["sec", "of", "state", "a", "b", "met", "x"])
    [('T', 0, 5), ('S', 6, 7)]
    """
    n = len(tags)
    inside = [t != "O" for t in tags]
    for i in range(1, n - 1):
        if not inside[i] and norms[i] in _JOINERS and inside[i - 1] and inside[i + 1]:
            inside[i] = True
    spans = []
    i = 0
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j < n and inside[j]:
            j += 1
        roles = [t.partition("-")[2] for t in tags[i:j] if t != "O"]
        counts = Counter(roles)
        best = max(counts.values())
        role = next(r for r in roles if counts[r] == best)
        spans.append((role, i, j))
        i = j
    return spans
