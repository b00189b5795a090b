"""What may be shown or shared as of a date: stored events as a reader at D sees them, and
what a partner release may carry.

A stored event keeps every page that ever reported it — the founding of the 1997 vetted unit
cites an April 2022 article that recounts it. As of D an event is shown with the pages public
by the end of D only (:func:`dyadwatch.visibility.visible_citations`): :func:`shown_events`
does that to a table of events, :func:`shown_urls` to rows that name events by id.

A partner release carries the public-handling events known by its day, each with the pages
public by then (:func:`releasable_events`), and is computed from a store holding only those
(:func:`releasable_store`); every copy made is entered in the store's register
(:func:`release_register`). The package itself is written by
:mod:`dyadwatch.present.release`.

Examples
--------
>>> released, withheld = releasable_events(store, "USA-MEX", date(2021, 1, 31))
>>> unit = released.filter(pc.equal(released.column("source_key"), "1997-dea-siu-program-mexico"))
>>> unit.num_rows, [u for u in unit.column("source_urls")[0].as_py() if "2022" in u]
(1, [])
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.analyse.listing import CITATION_COLUMNS, events_by_id, reader_event
from dyadwatch.sources.base import Artifact
from dyadwatch.store import EventFilter, Store, events
from dyadwatch.store.query import parse_dyad
from dyadwatch.visibility import visible_mask


def shown_events(table: pa.Table, as_of: date | datetime | None) -> pa.Table:
    """``table`` (event rows) with each event's citation columns cut to the pages public by
    the end of ``as_of``; the rows, columns and their order are kept.

    >>> t = pa.table({"known_at": [date(2021, 1, 10)], "source_urls": [["a", "b"]],
    ...               "source_published": [[date(2021, 1, 9), date(2022, 4, 20)]]})
    >>> shown_events(t, date(2021, 1, 19)).column("source_urls").to_pylist()
    [['a']]
    """
    if as_of is None or "source_urls" not in table.column_names:
        return table
    late = _late_rows(table, as_of)
    if not late:
        return table
    columns = [c for c in CITATION_COLUMNS if c in table.column_names]
    values = {c: table.column(c).to_pylist() for c in columns}
    known = table.column("known_at").to_pylist() if "known_at" in table.column_names else None
    for i in late:
        row = {c: values[c][i] for c in columns}
        row["known_at"] = known[i] if known is not None else None
        seen = reader_event(row, as_of)
        for c in columns:
            values[c][i] = seen[c]
    for c in columns:
        field = table.schema.field(c)
        table = table.set_column(
            table.column_names.index(c), field, pa.array(values[c], field.type)
        )
    return table


def _late_rows(table: pa.Table, as_of: date | datetime) -> list[int]:
    """The rows of ``table`` citing a page dated after ``as_of`` (the others stay as they are).

    A page without a date of its own is dated by its event, which is public by ``as_of`` in
    any table read as of it; with no ``source_published`` column every row is looked at.
    """
    if "source_published" not in table.column_names:
        return list(range(table.num_rows))
    dates = table.column("source_published").combine_chunks()
    days = pc.list_flatten(dates)
    if len(days) == 0:
        return []
    late = pc.and_(pc.is_valid(days), pc.invert(visible_mask(pa.table({"known_at": days}), as_of)))
    parents = pc.filter(pc.list_parent_indices(dates), late)
    return sorted(set(parents.to_pylist()))


def shown_urls(
    store: Store, rows: Sequence[dict[str, Any]], as_of: date | datetime | None
) -> list[dict[str, Any]]:
    """``rows`` naming events by ``event_id``, each ``source_urls`` cut to the pages of that
    event public by ``as_of`` (an event not yet public then shows none).

    >>> found = shown_urls(store, [{"event_id": "x", "source_urls": ["u"]}], date(2021, 1, 1))
    >>> found[0]["source_urls"]
    []
    """
    if as_of is None:
        return list(rows)
    seen = events_by_id(store, [r["event_id"] for r in rows], as_of)
    out = []
    for r in rows:
        event = seen.get(r["event_id"])
        out.append({**r, "source_urls": event["source_urls"] if event else []})
    return out


# --- partner releases ------------------------------------------------------------------------


def releasable_events(store: Store, dyad: str, as_of: date) -> tuple[pa.Table, int]:
    """The public-handling events of ``dyad`` known by ``as_of`` (with the pages public by
    then), and how many sensitive-handling events were held back."""
    known = events(store, EventFilter(dyad=dyad, as_of=as_of))
    public = pc.equal(pc.fill_null(known.column("handling"), "public"), "public")
    released = known.filter(public)
    return shown_events(released, as_of), known.num_rows - released.num_rows


def releasable_store(root: Path, store: Store, dyad: str, as_of: date) -> Store:
    """A new store at ``root`` holding only what a release of ``dyad`` as of ``as_of`` may
    show: its public-handling events, the indicators, the instrument states and the two
    countries' volume. Whatever is computed from it cannot betray a withheld event.

    >>> public = releasable_store(tmp / "store", store, "USA-MEX", date(2021, 1, 31))
    ... # doctest: +SKIP
    """
    released, _ = releasable_events(store, dyad, as_of)
    return store_of(Path(root), store, released, dyad)


def store_of(root: Path, source: Store, released: pa.Table, dyad: str) -> Store:
    """A new store at ``root`` with ``released`` as its events, and the indicators, the
    instrument states and the dyad's volume of ``source`` (none of which carries a handling
    mark)."""
    store = Store.init(root)
    countries = pa.array(list(parse_dyad(dyad)))
    volume = source.table("volume")
    volume = volume.filter(pc.is_in(volume.column("country"), countries))
    with store.writer() as writer:
        for dataset, table in (
            ("events", released),
            ("indicators", source.table("indicators")),
            ("instrument_states", source.table("instrument_states")),
            ("volume", volume),
        ):
            if table.num_rows == 0:
                continue
            run = writer.begin(Artifact("release", dataset, secrets.token_hex(8)))
            run.rows_read = table.num_rows
            run.write(dataset, table)
            run.commit("partner release: the releasable part of the store")
    return store


def release_register(store: Store) -> pa.Table:
    """The release register: every copy made from this store, newest first.

    >>> release_register(store).num_rows
    0
    """
    try:
        return store.catalog_query("SELECT * FROM releases ORDER BY created_at DESC")
    except duckdb.CatalogException:  # a store made before the register, not yet migrated
        return pa.table({"copy_id": pa.array([], pa.string())})


__all__ = [
    "releasable_events",
    "releasable_store",
    "release_register",
    "shown_events",
    "shown_urls",
    "store_of",
]
