"""Sensitive-handling events in a brief: marked where they appear, or left out entirely.

``mark`` (the default) keeps the brief as the office sees it and prefixes every line that
shows a sensitive-handling event — among the changes, the events behind the value, the
evidence of a finding — with the mark (:data:`MARK` in English, its translation in another
language), and says so in the notes. ``omit`` computes the whole brief (index, turning points,
findings, changes) from the releasable events only, as a partner release does
(:func:`dyadwatch.policy.disclosure.releasable_store`), so that no number in it moves because
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
from dyadwatch.policy.disclosure import releasable_store
from dyadwatch.present.labels import labels
from dyadwatch.present.overview import EventRef, Overview, overview
from dyadwatch.store import EventFilter, Store, events

SensitiveHandling = Literal["mark", "omit"]
CHOICES: tuple[str, ...] = ("mark", "omit")
MARK = labels("en").text("sensitive_mark")


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
    """``ov`` with every line showing one of ``refs`` prefixed by the mark, and a note."""
    if not refs:
        return ov
    lab = labels(ov.lang)
    mark = lab.text("sensitive_mark")
    shown = 0

    def event(e: EventRef) -> EventRef:
        nonlocal shown
        if f"{e.source}:{e.source_key}" not in refs and e.handling != "sensitive":
            return e
        shown += 1
        return dataclasses.replace(e, summary=f"{mark} {e.summary}")

    changes = dataclasses.replace(ov.changes, events=tuple(event(e) for e in ov.changes.events))
    drivers = tuple(event(e) for e in ov.drivers)
    turning = tuple(
        dataclasses.replace(t, events=tuple(event(e) for e in t.events)) for t in ov.turning_points
    )
    extra = lab.text("sensitive_shown", n=shown, mark=mark) if shown else ""
    note = lab.text("sensitive_note", n=len(refs), shown=extra)
    return dataclasses.replace(
        ov, changes=changes, drivers=drivers, turning_points=turning, notes=(note, *ov.notes)
    )


def overview_for(
    store: Store,
    as_of: date,
    *,
    dyad: str = "USA-MEX",
    freq: str = "month",
    sensitive: str = "mark",
    lang: str = "en",
    previous: date | None = None,
    stale_after_days: int | None = None,
) -> Overview:
    """The overview a brief shows, with sensitive-handling events marked or left out."""
    if sensitive not in CHOICES:
        raise UsageError(f"sensitive must be one of {', '.join(CHOICES)}, not {sensitive!r}.")
    kwargs = {
        "dyad": dyad,
        "freq": freq,
        "lang": lang,
        "previous": previous,
        "stale_after_days": stale_after_days,
    }
    if sensitive == "mark":
        ov = overview(store, as_of, **kwargs)  # type: ignore[arg-type]
        return mark_sensitive(ov, sensitive_refs(store, ov.dyad, ov.as_of))
    with tempfile.TemporaryDirectory(prefix="dyadwatch-brief-") as tmp:
        public = releasable_store(Path(tmp) / "store", store, dyad, as_of)
        return overview(public, as_of, **kwargs)  # type: ignore[arg-type]


__all__ = ["CHOICES", "MARK", "mark_sensitive", "overview_for", "sensitive_refs"]
