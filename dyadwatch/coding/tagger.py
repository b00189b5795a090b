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
    """Feature bags, one per token.

    ``dict_tags`` names each token's actor-dictionary match (``inst``, ``ctry``, ``agt`` or
    ``-``); ``verb_at`` is the index of the first verb cue, or None. ``context=False`` keeps
    only the token's own word (the baseline tagger).
    """
    n = len(words)
    out = []
    for i in range(n):
        w = norms[i]
        b: Counter[str] = Counter()
        b["w=" + w] += 1
        if not context:
            out.append(b)
            continue
        b["s3=" + w[-3:]] += 1
        b["p3=" + w[:3]] += 1
        b["sh=" + _shape(words[i])] += 1
        b["d=" + dict_tags[i]] += 1
        for off in (-2, -1, 1, 2):
            j = i + off
            tok = norms[j] if 0 <= j < n else ("<s>" if j < 0 else "</s>")
            b[f"w{off}={tok}"] += 1
            if off in (-1, 1):
                dt = dict_tags[j] if 0 <= j < n else "-"
                sh = _shape(words[j]) if 0 <= j < n else "-"
                b[f"d{off}={dt}"] += 1
                b[f"sh{off}={sh}"] += 1
        if verb_at is None:
            b["v=none"] += 1
        else:
            side = "before" if i < verb_at else "verb" if i == verb_at else "after"
            b["v=" + side] += 1
            b[f"v={side}|d={dict_tags[i]}"] += 1
            b[f"v={side}|sh={_shape(words[i])}"] += 1
        b["pos=" + ("first" if i == 0 else "early" if i < 4 else "late")] += 1
        out.append(b)
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
