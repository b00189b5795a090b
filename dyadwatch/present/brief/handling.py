"""Sensitive-handling events in a brief: marked where they appear, or left out entirely.

``mark`` (the default) keeps the brief as the office sees it and prefixes every line that
shows a sensitive-handling event — among the changes, the evidence of a finding, a turning
point — with :data:`MARK`, and says so in the notes. ``omit`` computes the whole brief (index,
turning points, findings, changes) from the releasable events only, as a partner release does
(:func:`dyadwatch.present.release.releasable_store`), so that no number in it moves because
of a withheld event.

Examples
--------
>>> ov = overview_for(store, date(2021, 1, 31), sensitive="omit")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date
from pathlib import Path
from typing import Literal

import pyarrow.compute as pc

from dyadwatch.errors import UsageError
from dyadwatch.present.overview import EventRef, Overview, overview
from dyadwatch.store import EventFilter, Store, events

SensitiveHandling = Literal["mark", "omit"]
CHOICES: tuple[str, ...] = ("mark", "omit")
MARK = "[SENSITIVE HANDLING]"


def sensitive_refs(store: Store, dyad: str, as_of: date) -> set[str]:
    """``source:source_key`` of the dyad's sensitive-handling events public by ``as_of``."""
    table = events(store, EventFilter(dyad=dyad, as_of=as_of))
    table = table.filter(pc.equal(pc.fill_null(table.column("handling"), "public"), "sensitive"))
    return {
        f"{s}:{k}"
        for s, k in zip(
            table.column("source").to_pylist(), table.column("source_key").to_pylist(), strict=True
        )
    }


def mark_sensitive(ov: Overview, refs: set[str]) -> Overview:
    """``ov`` with every line showing one of ``refs`` prefixed by :data:`MARK`."""
    if not refs:
        return ov
    shown = 0

    def event(e: EventRef) -> EventRef:
        nonlocal shown
        if f"{e.source}:{e.source_key}" not in refs:
            return e
        shown += 1
        return dataclasses.replace(e, summary=f"{MARK} {e.summary}")

    changes = dataclasses.replace(ov.changes, events=tuple(event(e) for e in ov.changes.events))
    turning = tuple(
        dataclasses.replace(t, events=tuple(event(e) for e in t.events)) for t in ov.turning_points
    )
    findings = []
    for f in ov.findings:
        items = []
        for item in f.evidence:
            if item.kind == "event" and item.ref in refs:
                shown += 1
                item = dataclasses.replace(item, text=f"{MARK} {item.text}")
            items.append(item)
        findings.append(dataclasses.replace(f, evidence=tuple(items)))
    note = (
        f"The figures of this brief are computed with {len(refs)} sensitive-handling event(s)"
        + (f" and shows {shown} line(s) about them, marked {MARK}" if shown else "")
        + "; do not pass it on as is (dyadwatch brief --sensitive omit leaves them out)."
    )
    return dataclasses.replace(
        ov,
        changes=changes,
        turning_points=turning,
        findings=tuple(findings),
        notes=(note, *ov.notes),
    )


def overview_for(
    store: Store,
    as_of: date,
    *,
    dyad: str = "USA-MEX",
    freq: str = "month",
    sensitive: str = "mark",
) -> Overview:
    """The overview a brief shows, with sensitive-handling events marked or left out."""
    if sensitive not in CHOICES:
        raise UsageError(f"sensitive must be one of {', '.join(CHOICES)}, not {sensitive!r}.")
    if sensitive == "mark":
        ov = overview(store, as_of, dyad=dyad, freq=freq)
        return mark_sensitive(ov, sensitive_refs(store, dyad, as_of))
    from dyadwatch.present.release import releasable_store

    with tempfile.TemporaryDirectory(prefix="dyadwatch-brief-") as tmp:
        public = releasable_store(Path(tmp) / "store", store, dyad, as_of)
        return overview(public, as_of, dyad=dyad, freq=freq)


__all__ = ["CHOICES", "MARK", "mark_sensitive", "overview_for", "sensitive_refs"]
