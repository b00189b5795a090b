"""What the curated record covers, and how well its facts are sourced (``kb coverage``).

Gaps show as thin years and instruments; weak sourcing shows as the share of citations by
quality class (:mod:`~dyadwatch.knowledge.quality`), the count of each citation flag, and the
events that rely only on aggregator copies.

Examples
--------
>>> report = coverage()
>>> report["events"] > 0 and set(report["citations_by_class"]) == set(QUALITY_CLASSES)
True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from dyadwatch.knowledge.loader import KnowledgeBase, load
from dyadwatch.knowledge.quality import (
    FLAG_KINDS,
    QUALITY_CLASSES,
    QualityLists,
    citation_class,
    citation_flags,
    load_quality,
)

NO_INSTRUMENT = "(none)"
"""The key under which ``events_by_instrument`` counts events that list no instrument."""


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def coverage(
    kb: KnowledgeBase | None = None,
    *,
    files: Iterable[str] | None = None,
    quality: QualityLists | None = None,
) -> dict[str, Any]:
    """Counts of what the knowledge base covers and how its events are sourced.

    Parameters
    ----------
    kb
        A loaded knowledge base (default: the shipped one).
    files
        Only events from these event files (names such as ``1985-2016.yaml``, or paths
        ending in them); default: every event.
    quality
        The citation quality lists (default: the shipped ``quality.yaml``).

    Returns
    -------
    dict
        ``events``, ``events_verified``, ``events_with_effect``, ``events_by_year``,
        ``events_by_instrument`` (``"(none)"`` for none), ``citations``,
        ``citations_by_class`` and ``citation_share_by_class`` (``original``, ``official``,
        ``archive``, ``aggregator``), ``placeholder_titles``, ``titles_not_seen``, ``flags``
        (citations carrying each flag), ``events_with_flags`` (a flag other than
        ``missing_published``), ``events_only_aggregator`` with its share and ids,
        ``aggregator_only_max_share`` and ``files``.

    Examples
    --------
    >>> coverage(files=["no-such-file.yaml"])["events"]
    0
    """
    kb = kb if kb is not None else load()
    quality = quality or load_quality()
    wanted = None if files is None else [str(f) for f in files]
    located = [
        e for e in kb.events if wanted is None or any(str(e.file).endswith(w) for w in wanted)
    ]
    events = [e.record for e in located]
    by_year = Counter(e.date.year for e in events)
    by_instrument = Counter(i for e in events for i in (e.instruments or [NO_INSTRUMENT]))
    classes: Counter[str] = Counter({c: 0 for c in QUALITY_CLASSES})
    flags: Counter[str] = Counter({k: 0 for k in FLAG_KINDS})
    flagged_events = 0
    only_copies: list[str] = []
    citations = 0
    for e in events:
        event_flagged = False
        event_classes = [citation_class(source.url, quality) for source in e.sources]
        classes.update(event_classes)
        citations += len(event_classes)
        for source in e.sources:
            kinds = {f.kind for f in citation_flags(source, e, quality)}
            flags.update(kinds)
            event_flagged = event_flagged or bool(kinds - {"missing_published"})
        flagged_events += event_flagged
        if all(c == "aggregator" for c in event_classes):
            only_copies.append(e.id)
    return {
        "files": sorted({e.file.name for e in located}),
        "events": len(events),
        "events_verified": sum(e.verified for e in events),
        "events_with_effect": sum(e.relation_effect is not None for e in events),
        "events_by_year": {str(y): by_year[y] for y in sorted(by_year)},
        "events_by_instrument": dict(sorted(by_instrument.items())),
        "citations": citations,
        "citations_by_class": {c: classes[c] for c in QUALITY_CLASSES},
        "citation_share_by_class": {c: _share(classes[c], citations) for c in QUALITY_CLASSES},
        "placeholder_titles": flags["placeholder_title"],
        "titles_not_seen": flags["title_not_seen"],
        "flags": {k: flags[k] for k in FLAG_KINDS},
        "events_with_flags": flagged_events,
        "events_only_aggregator": len(only_copies),
        "share_events_only_aggregator": _share(len(only_copies), len(events)),
        "aggregator_only_max_share": quality.aggregator_only_max_share,
        "events_only_aggregator_ids": only_copies,
    }


__all__ = ["NO_INSTRUMENT", "coverage"]
