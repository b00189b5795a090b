"""Step ``story_dedupe``: merge near-duplicate reports of one story into one ``dedupe_group``.

:func:`~dyadwatch.normalise.dedupe.phoenix_dedupe` groups events with the same source actor,
target actor, CAMEO code and day. Machine coders also turn one wire story into several
events that differ in those fields: the same article re-coded with a sibling code (``192`` and
``193``, both root ``19``), the same text syndicated under another actor code (``USA`` and
``USACVL``), the AMP or ``?utm=`` copy of one URL. This step links two events when they are

- from the same source, on the same day, between the same two countries in the same
  direction, with the same CAMEO root, **and**
- either they share a URL *stem* (:func:`url_stem`: host without ``www.``/``m.``/``amp.``,
  path without query, fragment, trailing slash, ``/amp`` or ``index.html``), or their
  summaries are near-identical (:func:`summary_key` equal after case, punctuation and
  whitespace folding, or word-set Jaccard similarity of at least :data:`SUMMARY_JACCARD`;
  summaries of fewer than :data:`MIN_SUMMARY_WORDS` words are too generic to link).

Events already in one ``dedupe_group`` of the same source are linked too. Each connected
component gets one group: the smallest of its members' groups (``event_id`` where a member
has none). Rows are never dropped; the index counts one event per group.

The step is pure and idempotent: a second run finds the same components, whose smallest
group is already every member's group. It is *not* in :data:`~dyadwatch.normalise.DEFAULT_STEPS`;
the index applies it at query time with ``dedupe="story"``, and a pipeline may add it after
``phoenix_dedupe``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from dyadwatch.normalise.base import StepContext, StepResult, replace_column

SUMMARY_JACCARD = 0.9
"""Word-set Jaccard similarity at or above which two summaries count as one story."""

MIN_SUMMARY_WORDS = 4
"""Shorter summaries ("Meeting.") are too generic to link stories by."""

_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_PATH_SUFFIXES = ("/amp", "/index.html", "/index.htm", "/index.php")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def url_stem(url: str | None) -> str | None:
    """The part of a URL that names the story: host and path, without decorations.

    >>> url_stem("https://www.example.com/world/story-1/amp?utm_source=x#top")
    'example.com/world/story-1'
    >>> url_stem("not a url") is None
    True
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host or "." not in host:
        return None
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix) :]
            break
    path = parts.path.rstrip("/")
    for suffix in _PATH_SUFFIXES:
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
    if not path:
        # A bare home page names no story: two events citing it are not one story.
        return None
    return f"{host}{path}"


def summary_key(text: str | None) -> str | None:
    """A summary folded for comparison: NFKC, case-folded, periods dropped (``U.S.`` is
    ``US``), other punctuation to spaces.

    >>> summary_key("  U.S. and Mexico agree; talks resume!  ")
    'us and mexico agree talks resume'
    """
    if not text:
        return None
    folded = unicodedata.normalize("NFKC", text).casefold().replace(".", "")
    words = _NON_WORD.sub(" ", folded).split()
    return " ".join(words) if len(words) >= MIN_SUMMARY_WORDS else None


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


class _Components:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


COLUMNS = (
    "event_id",
    "source",
    "event_date",
    "actor1_country",
    "actor2_country",
    "cameo_root",
    "source_urls",
    "summary",
    "dedupe_group",
)
"""The columns the step reads."""


def story_dedupe(table: pa.Table, ctx: StepContext | None = None) -> StepResult:
    """Merge the ``dedupe_group`` of near-duplicate stories (see the module docstring).

    Needs the :data:`COLUMNS`; returns the table with ``dedupe_group`` rewritten and nothing
    rejected.

    Examples
    --------
    Two reports of one story (the AMP copy of the same article) become one group:

    >>> from datetime import date
    >>> t = pa.table({
    ...     "event_id": ["e1", "e2"], "source": ["gdelt2"] * 2,
    ...     "event_date": [date(2021, 1, 5)] * 2, "actor1_country": ["USA"] * 2,
    ...     "actor2_country": ["MEX"] * 2, "cameo_root": ["04"] * 2,
    ...     "source_urls": [["https://www.example.com/a/story"],
    ...                     ["https://amp.example.com/a/story/amp"]],
    ...     "summary": [None, None], "dedupe_group": [None, None]})
    >>> story_dedupe(t).table["dedupe_group"].to_pylist()
    ['e1', 'e1']
    """
    n = table.num_rows
    if n == 0:
        return StepResult(table)
    col = {name: table.column(name).to_pylist() for name in COLUMNS}
    base = [g or e for g, e in zip(col["dedupe_group"], col["event_id"], strict=True)]
    comps = _Components(n)
    for members in _blocks(col, base, comps):
        if len(members) >= 2:
            _link_block(members, col, comps)
    smallest: dict[int, str] = {}
    for i in range(n):
        root = comps.find(i)
        if root not in smallest or base[i] < smallest[root]:
            smallest[root] = base[i]
    groups = [smallest[comps.find(i)] for i in range(n)]
    return StepResult(replace_column(table, "dedupe_group", pa.array(groups, type=pa.string())))


def _blocks(col: dict[str, list[Any]], base: list[str], comps: _Components) -> Iterable[list[int]]:
    """Rows that may be one story (source, day, countries, CAMEO root); links existing groups."""
    first_of: dict[tuple[object, ...], int] = {}
    blocks: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for i in range(len(base)):
        group_key = (col["source"][i], base[i])
        if group_key in first_of:
            comps.union(first_of[group_key], i)
        else:
            first_of[group_key] = i
        if col["cameo_root"][i] is None or col["event_date"][i] is None:
            continue
        block = (
            col["source"][i],
            col["event_date"][i],
            col["actor1_country"][i],
            col["actor2_country"][i],
            col["cameo_root"][i],
        )
        blocks[block].append(i)
    return blocks.values()


def _link_block(members: list[int], col: dict[str, list[Any]], comps: _Components) -> None:
    """Link the rows of one block that share a URL stem or a near-identical summary."""
    by_stem: dict[str, int] = {}
    by_summary: dict[str, int] = {}
    words: list[tuple[int, frozenset[str]]] = []
    for i in members:
        for url in col["source_urls"][i] or ():
            stem = url_stem(url)
            if stem is None:
                continue
            if stem in by_stem:
                comps.union(by_stem[stem], i)
            else:
                by_stem[stem] = i
        key = summary_key(col["summary"][i])
        if key is None:
            continue
        if key in by_summary:
            comps.union(by_summary[key], i)
        else:
            by_summary[key] = i
            words.append((i, frozenset(key.split())))
    for x in range(len(words)):
        for y in range(x + 1, len(words)):
            if _jaccard(words[x][1], words[y][1]) >= SUMMARY_JACCARD:
                comps.union(words[x][0], words[y][0])


__all__ = ["SUMMARY_JACCARD", "story_dedupe", "summary_key", "url_stem"]
