"""Stored events as a reader sees them as of a date: by id, by curated key, newly public.

The readers above this stage (the brief, the dashboard, the API) ask here instead of writing
SQL: every query applies :mod:`dyadwatch.visibility` (an event is shown as of D only if it was
public by the end of D, and each of its citations only if its page was), and "one event per
duplicate group" is the index's own rule (:func:`dyadwatch.analyse.index.pooling.
representatives`), so what a brief lists is what the index counts.

Examples
--------
>>> facts = events_by_key(store, ["2021-01-14-foreign-agent-law-guidelines"], date(2021, 1, 19))
>>> facts["2021-01-14-foreign-agent-law-guidelines"].event_date
datetime.date(2021, 1, 14)
>>> new = newly_public(store, "USA-MEX", date(2020, 12, 19), date(2021, 1, 19))
>>> "2021-01-15-cienfuegos-file-released" in [e.source_key for e in new]
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
import pyarrow as pa

from dyadwatch.analyse.index.pooling import representatives
from dyadwatch.model import EVENT_SCHEMA
from dyadwatch.store.query import EventFilter
from dyadwatch.store.store import Snapshot, Store
from dyadwatch.visibility import Citation, bound, visible_citations, visible_sql


@dataclass(frozen=True, slots=True)
class EventFact:
    """One stored event as a reader at ``as_of`` may see it: only its visible citations."""

    event_id: str
    source: str
    source_key: str
    event_date: date
    known_at: datetime
    actor1: str
    actor2: str
    actor1_country: str | None
    actor2_country: str | None
    cameo_code: str | None
    quad_class: int | None
    goldstein: float | None
    relation_effect: float | None
    effect_basis: str | None
    effect_rationale: str | None
    episode: str | None
    instruments: tuple[str, ...]
    summary: str
    language: str
    """The language the summary was recorded in (``en``, ``es``; see :func:`summary_language`)."""
    handling: str
    citations: tuple[Citation, ...]
    contribution: float | None = None
    """The event's share of an index value it is evidence for (None: not evidence)."""

    @property
    def ref(self) -> str:
        """``source:source_key``: how rules and handling lists name the event."""
        return f"{self.source}:{self.source_key}"


_SPANISH = frozenset(
    (
        "el", "la", "los", "las", "del", "de", "que", "por", "para", "con", "una", "un",
        "en", "se", "al", "su", "sus", "como", "más", "pero", "fue", "es",
    )
)  # fmt: skip
_ENGLISH = frozenset(
    (
        "the", "of", "and", "to", "in", "a", "was", "were", "is", "that", "for", "with",
        "on", "by", "as", "at", "from", "his", "her", "its", "be",
    )
)  # fmt: skip


def summary_language(summary: str, attributes: str | None = None) -> str:
    """The language a summary was written in: the event's ``attributes`` say so when the
    source or coder recorded it (``{"lang": "es"}``); otherwise the more frequent of Spanish
    and English function words decides (English on a tie: the knowledge base is edited in
    English).

    >>> summary_language("El gobierno de México publicó la ley"), summary_language("A law")
    ('es', 'en')
    >>> summary_language("A law", '{"lang": "es"}')  # what the coder recorded wins
    'es'
    """
    if attributes:
        try:
            data = json.loads(attributes)
        except (TypeError, ValueError):
            data = None
        if isinstance(data, dict):
            lang = data.get("lang") or data.get("language")
            if isinstance(lang, str) and lang.strip():
                return lang.strip().lower()[:2]
    words = re.findall(r"[a-záéíóúñü]+", summary.lower())
    es = sum(w in _SPANISH for w in words)
    en = sum(w in _ENGLISH for w in words)
    return "es" if es > en else "en"


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def event_fact(row: Mapping[str, Any], as_of: date | datetime | None) -> EventFact:
    """An :class:`EventFact` from a stored row (the ``events`` view's columns)."""

    def actor(prefix: str) -> str:
        return str(
            row.get(f"{prefix}_name")
            or row.get(f"{prefix}_code")
            or row.get(f"{prefix}_country")
            or ""
        )

    summary = " ".join(str(row.get("summary") or "").split())
    cites = visible_citations(
        row.get("source_urls"),
        row.get("source_titles"),
        row.get("source_published"),
        row.get("source_outlets"),
        as_of=as_of,
        known_at=row.get("known_at"),
    )
    return EventFact(
        event_id=row["event_id"],
        source=row["source"],
        source_key=row["source_key"],
        event_date=row["event_date"],
        known_at=row["known_at"],
        actor1=actor("actor1"),
        actor2=actor("actor2"),
        actor1_country=row.get("actor1_country"),
        actor2_country=row.get("actor2_country"),
        cameo_code=row.get("cameo_code"),
        quad_class=row.get("quad_class"),
        goldstein=_num(row.get("goldstein")),
        relation_effect=_num(row.get("relation_effect")),
        effect_basis=row.get("effect_basis"),
        effect_rationale=row.get("effect_rationale"),
        episode=row.get("episode"),
        instruments=tuple(row.get("instruments") or ()),
        summary=summary,
        language=summary_language(summary, row.get("attributes")),
        handling=str(row.get("handling") or "public"),
        citations=tuple(c for c in cites if c.url.strip()),
    )


def _rows(
    store: Store, where: str, params: Mapping[str, Any], snapshot: Snapshot | None
) -> list[dict[str, Any]]:
    con = store.connect(snapshot)
    try:
        table = con.sql(f"SELECT * FROM events WHERE {where}", params=dict(params))
        return table.to_arrow_table().cast(EVENT_SCHEMA).to_pylist()
    finally:
        con.close()


def _visible(as_of: date | datetime | None) -> tuple[str, dict[str, Any]]:
    if as_of is None:
        return "TRUE", {}
    return visible_sql("known_at", "$as_of"), {"as_of": bound(as_of)}


def events_by_id(
    store: Store,
    ids: Sequence[str],
    as_of: date | datetime | None,
    *,
    snapshot: Snapshot | None = None,
) -> dict[str, EventFact]:
    """The events of ``ids`` public by ``as_of`` (an id not yet public is absent).

    >>> key = "2021-01-14-foreign-agent-law-guidelines"
    >>> fact = events_by_key(store, [key], None)[key]
    >>> fact.ref
    'curated:2021-01-14-foreign-agent-law-guidelines'
    >>> events_by_id(store, [fact.event_id], date(2021, 1, 13))  # not yet public
    {}
    >>> list(events_by_id(store, [fact.event_id], date(2021, 1, 14))) == [fact.event_id]
    True
    """
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    seen, params = _visible(as_of)
    params["ids"] = ids
    rows = _rows(store, f"list_contains($ids, event_id) AND {seen}", params, snapshot)
    return {r["event_id"]: event_fact(r, as_of) for r in rows}


def events_by_key(
    store: Store,
    keys: Sequence[str],
    as_of: date | datetime | None,
    *,
    source: str = "curated",
    snapshot: Snapshot | None = None,
) -> dict[str, EventFact]:
    """Events of ``source`` by their source key (a knowledge-base id), public by ``as_of``."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    seen, params = _visible(as_of)
    params.update(keys=keys, source=source)
    where = f"source = $source AND list_contains($keys, source_key) AND {seen}"
    return {r["source_key"]: event_fact(r, as_of) for r in _rows(store, where, params, snapshot)}


@dataclass(frozen=True, slots=True)
class Extent:
    """How much of a dyad's record was public by a date."""

    events: int
    first: date | None
    last: date | None
    """The newest event date public by the date: how fresh the evidence is."""
    last_known_at: datetime | None


def extent(
    store: Store, dyad: str, as_of: date | datetime, *, snapshot: Snapshot | None = None
) -> Extent:
    """Count, first and last event date of ``dyad``'s events public by ``as_of``.

    >>> extent(store, "USA-MEX", date(1985, 1, 1))
    Extent(events=0, first=None, last=None, last_known_at=None)
    >>> extent(store, "USA-MEX", date(1985, 3, 1)).first
    datetime.date(1985, 2, 7)
    """
    where, params = EventFilter(dyad=dyad, as_of=as_of).where()
    con = store.connect(snapshot)
    try:
        rows = con.sql(
            "SELECT count(*), min(event_date), max(event_date), max(known_at) "
            f"FROM events WHERE {where}",
            params=params,
        ).fetchall()
    finally:
        con.close()
    if not rows:
        return Extent(0, None, None, None)
    row = rows[0]
    return Extent(int(row[0]), row[1], row[2], row[3])


def newly_public(
    store: Store,
    dyad: str,
    since: date | datetime,
    until: date | datetime,
    *,
    snapshot: Snapshot | None = None,
) -> list[EventFact]:
    """The dyad's events that became public after ``since`` and by ``until`` — what a reader
    of a brief as of ``since`` had not seen — one per duplicate group, as the index counts.

    >>> newly_public(store, "USA-MEX", date(1980, 1, 1), date(1984, 12, 31))
    []
    """
    where, params = EventFilter(dyad=dyad, as_of=until).where()
    con = store.connect(snapshot)
    try:
        table = con.sql(
            f"SELECT * FROM events WHERE {where} AND NOT ({visible_sql('known_at', '?')})",
            params=[*params, bound(since)],
        ).to_arrow_table()
    finally:
        con.close()
    if table.num_rows == 0:
        return []
    frame = pl.from_arrow(table.cast(EVENT_SCHEMA))
    assert isinstance(frame, pl.DataFrame)
    kept = representatives(frame.with_columns(src=pl.col("source")))
    return [event_fact(r, until) for r in kept.drop("src").to_arrow().to_pylist()]


def events_page(
    store: Store,
    flt: EventFilter,
    limit: int,
    offset: int = 0,
    *,
    descending: bool = False,
    snapshot: Snapshot | None = None,
) -> tuple[int, pa.Table]:
    """One page of the events matching ``flt`` (by event date, then id) and the total.

    >>> flt = EventFilter(dyad="USA-MEX", as_of=date(2021, 1, 19))
    >>> total, page = events_page(store, flt, limit=3, descending=True)
    >>> page.num_rows, total > 3, page["event_date"][0].as_py() <= date(2021, 1, 19)
    (3, True, True)
    """
    where, params = flt.where()
    order = "DESC" if descending else "ASC"
    con = store.connect(snapshot)
    try:
        total = con.sql(f"SELECT count(*) FROM events WHERE {where}", params=params).fetchall()
        page = con.sql(
            f"SELECT * FROM events WHERE {where} ORDER BY event_date {order}, event_id {order} "
            f"LIMIT {int(limit)} OFFSET {int(offset)}",
            params=params,
        ).to_arrow_table()
    finally:
        con.close()
    return (int(total[0][0]) if total else 0), page.cast(EVENT_SCHEMA)


def source_summary(store: Store, *, snapshot: Snapshot | None = None) -> list[dict[str, Any]]:
    """Per source: events stored, first and last event date, and the latest ``known_at``."""
    con = store.connect(snapshot)
    try:
        return (
            con.sql(
                "SELECT source, count(*) AS events, min(event_date) AS first, "
                "max(event_date) AS last, max(known_at) AS known_by FROM events "
                "GROUP BY source ORDER BY source"
            )
            .to_arrow_table()
            .to_pylist()
        )
    finally:
        con.close()


__all__ = [
    "EventFact",
    "Extent",
    "event_fact",
    "events_by_id",
    "events_by_key",
    "events_page",
    "extent",
    "newly_public",
    "source_summary",
    "summary_language",
]
