"""Events as a reader browses them: filtered, searched and paged, as of a date.

The dashboard's timeline and the JSON API's ``/api/events`` read events here instead of
writing SQL of their own. What was public by a date is decided by :mod:`dyadwatch.visibility`
(an event is listed as of D only if it was public by the end of D), and so is each citation:
an event public at D that a later page also reports is shown with the pages public at D only.

Examples
--------
>>> found = EventSearch(dyad="USA-MEX", q="Cienfuegos", as_of=date(2020, 10, 16))
>>> page = search_events(store, found, limit=10)
>>> arrest = next(e for e in page.events if e["source_key"] == "2020-10-15-cienfuegos-arrest")
>>> arrest["event_date"], sorted(arrest["sources"][0])
(datetime.date(2020, 10, 15), ['outlet', 'published', 'title', 'url'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from dyadwatch.errors import UsageError
from dyadwatch.model import EVENT_SCHEMA
from dyadwatch.store.query import EventFilter
from dyadwatch.store.store import Snapshot, Store
from dyadwatch.visibility import bound, visible_citations, visible_sql

ORDERS: tuple[str, ...] = ("asc", "desc")

CITATION_COLUMNS: tuple[str, ...] = (
    "source_urls",
    "source_titles",
    "source_published",
    "source_outlets",
)
"""The aligned list columns of an event that describe its cited pages."""


@dataclass(frozen=True, slots=True)
class EventSearch:
    """Which events a reader asks for: the store's filters plus words and an order.

    ``actor`` matches an actor's code or name (either side); ``q`` the summary, the source
    key, the actor names and the cited pages' titles. Both are case-insensitive substrings.

    Examples
    --------
    >>> EventSearch(order="sideways").where()
    Traceback (most recent call last):
    ...
    dyadwatch.errors.UsageError: order 'sideways' is not one of asc, desc.
    """

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    dyad: str | None = None
    direction: Literal["both", "ab", "ba"] = "both"
    instrument: str | None = None
    actor: str | None = None
    q: str | None = None
    order: str = "asc"

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition over the ``events`` view and its parameters (checked first)."""
        if self.since and self.until and self.since > self.until:
            raise UsageError(f"since {self.since} is after until {self.until}.")
        if self.order not in ORDERS:
            raise UsageError(f"order {self.order!r} is not one of {', '.join(ORDERS)}.")
        flt = EventFilter(
            sources=list(self.sources) or None,
            since=self.since,
            until=self.until,
            as_of=self.as_of,
            dyad=self.dyad,
            direction=self.direction,
            instrument=self.instrument,
        )
        where, params = flt.where()
        if self.actor:
            where += (
                " AND contains(lower(coalesce(actor1_code, '') || ' ' || coalesce(actor1_name, '')"
                " || ' ' || coalesce(actor2_code, '') || ' ' || coalesce(actor2_name, '')),"
                " lower(?))"
            )
            params.append(self.actor.strip())
        if self.q:
            where += (
                " AND contains(lower(coalesce(summary, '') || ' ' || source_key || ' '"
                " || coalesce(actor1_name, '') || ' ' || coalesce(actor2_name, '')"
                " || ' ' || coalesce(array_to_string(source_titles, ' '), '')), lower(?))"
            )
            params.append(self.q.strip())
        return where, params


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of events and how many match in all."""

    total: int
    events: tuple[dict[str, Any], ...]


def reader_event(row: Mapping[str, Any], as_of: date | datetime | None) -> dict[str, Any]:
    """A stored event as a reader at ``as_of`` sees it: only the pages public by then.

    The four citation columns keep only the visible pages (still aligned), and ``sources``
    lists them as ``{url, title, outlet, published}``.

    >>> row = {"known_at": datetime(2021, 1, 10), "source_urls": ["a", "b"],
    ...        "source_titles": ["A", "B"], "source_published": [date(2021, 1, 9),
    ...        date(2022, 4, 1)], "source_outlets": ["AP", None]}
    >>> [s["url"] for s in reader_event(row, date(2021, 1, 19))["sources"]]
    ['a']
    """
    cites = visible_citations(
        row.get("source_urls"),
        row.get("source_titles"),
        row.get("source_published"),
        row.get("source_outlets"),
        as_of=as_of,
        known_at=row.get("known_at"),
    )
    out = dict(row)
    out["source_urls"] = [c.url for c in cites]
    out["source_titles"] = [c.title for c in cites]
    out["source_published"] = [c.published for c in cites]
    out["source_outlets"] = [c.outlet for c in cites]
    out["sources"] = [
        {"url": c.url, "title": c.title, "outlet": c.outlet, "published": c.published}
        for c in cites
    ]
    return out


def _rows(
    store: Store, sql: str, params: Sequence[Any] | Mapping[str, Any], snapshot: Snapshot | None
) -> list[dict[str, Any]]:
    con = store.connect(snapshot)
    try:
        table = con.sql(sql, params=params if isinstance(params, Mapping) else list(params))
        return table.to_arrow_table().cast(EVENT_SCHEMA).to_pylist()
    finally:
        con.close()


def search_events(
    store: Store,
    search: EventSearch,
    limit: int = 50,
    offset: int = 0,
    *,
    snapshot: Snapshot | None = None,
) -> EventPage:
    """The events matching ``search``, ordered by event date then id, one page of them.

    Examples
    --------
    >>> len(search_events(store, EventSearch(as_of=date(2021, 1, 19)), limit=5).events)
    5
    >>> search_events(store, EventSearch(as_of=date(1985, 1, 1))).total
    0
    """
    if limit < 0 or offset < 0:
        raise UsageError("limit and offset must be 0 or more.")
    where, params = search.where()
    direction = "DESC" if search.order == "desc" else "ASC"
    con = store.connect(snapshot)
    try:
        total = con.sql(f"SELECT count(*) FROM events WHERE {where}", params=params).fetchall()
    finally:
        con.close()
    rows = _rows(
        store,
        f"SELECT * FROM events WHERE {where} "
        f"ORDER BY event_date {direction}, event_id {direction} "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        params,
        snapshot,
    )
    return EventPage(
        int(total[0][0]) if total else 0,
        tuple(reader_event(r, search.as_of) for r in rows),
    )


def _visible(as_of: date | datetime | None) -> tuple[str, dict[str, Any]]:
    if as_of is None:
        return "TRUE", {}
    return visible_sql("known_at", "$as_of"), {"as_of": bound(as_of)}


def event_by_id(
    store: Store,
    event_id: str,
    as_of: date | datetime | None = None,
    *,
    snapshot: Snapshot | None = None,
) -> dict[str, Any] | None:
    """The event ``event_id`` as a reader at ``as_of`` sees it; None if not public by then."""
    seen, params = _visible(as_of)
    params["id"] = event_id
    rows = _rows(
        store, f"SELECT * FROM events WHERE event_id = $id AND {seen} LIMIT 1", params, snapshot
    )
    return reader_event(rows[0], as_of) if rows else None


def events_by_id(
    store: Store,
    ids: Sequence[str],
    as_of: date | datetime | None = None,
    *,
    snapshot: Snapshot | None = None,
) -> dict[str, dict[str, Any]]:
    """The events of ``ids`` public by ``as_of`` (an id not yet public is absent)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    seen, params = _visible(as_of)
    params["ids"] = ids
    rows = _rows(
        store,
        f"SELECT * FROM events WHERE list_contains($ids, event_id) AND {seen}",
        params,
        snapshot,
    )
    return {r["event_id"]: reader_event(r, as_of) for r in rows}


def events_by_key(
    store: Store,
    keys: Sequence[str],
    as_of: date | datetime | None = None,
    *,
    snapshot: Snapshot | None = None,
) -> dict[str, dict[str, Any]]:
    """Events by their source key (a knowledge-base id), those public by ``as_of`` only.

    A key whose event was not yet public is absent: evidence that cites it is shown without it.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    seen, params = _visible(as_of)
    params["keys"] = keys
    rows = _rows(
        store,
        f"SELECT * FROM events WHERE list_contains($keys, source_key) AND {seen} "
        "ORDER BY event_date, event_id",
        params,
        snapshot,
    )
    return {r["source_key"]: reader_event(r, as_of) for r in rows}


def visible_urls(
    store: Store, as_of: date | datetime, *, snapshot: Snapshot | None = None
) -> frozenset[str]:
    """Every page a reader at ``as_of`` could have seen cited: the visible citations of the
    events public by then, and the pages of the indicator figures public by then.

    What a later stage cites by URL alone (a rule's evidence) is shown as of D only if it is
    one of these.
    """
    seen, params = _visible(as_of)
    con = store.connect(snapshot)
    try:
        rows = con.sql(
            "SELECT source_urls, source_titles, source_published, source_outlets, known_at "
            f"FROM events WHERE {seen} AND len(source_urls) > 0",
            params=params,
        ).fetchall()
        figures = con.sql(
            f"SELECT DISTINCT source_url FROM indicators WHERE {seen} AND source_url IS NOT NULL",
            params=params,
        ).fetchall()
    finally:
        con.close()
    urls = {
        c.url
        for urls_, titles, published, outlets, known in rows
        for c in visible_citations(urls_, titles, published, outlets, as_of=as_of, known_at=known)
    }
    return frozenset(urls | {u for (u,) in figures})


__all__ = [
    "CITATION_COLUMNS",
    "ORDERS",
    "EventPage",
    "EventSearch",
    "event_by_id",
    "events_by_id",
    "events_by_key",
    "reader_event",
    "search_events",
    "visible_urls",
]
