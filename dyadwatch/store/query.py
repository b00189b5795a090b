"""Point-in-time queries over the store's events, and the one check of a dyad.

Every query takes ``as_of``: an event is visible as of D only if ``known_at <= D`` (end of
day D, UTC). ``since``/``until`` bound the *event date*, which is a different axis: an event
dated 2020-12 may only have become public in 2021-01.

:func:`parse_dyad` (and :func:`parse_country`) is where a dyad or country code given by a
person is checked against the CAMEO codebook, once for every command and API route: an
unknown code is one :class:`~dyadwatch.errors.UsageError` with a did-you-mean, never an
empty answer. :func:`why_empty` says why a filter matched no event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

import pyarrow as pa

from dyadwatch.codebooks.cameo import cameo
from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.model import EVENT_SCHEMA, as_of_timestamp
from dyadwatch.store.store import Snapshot, Store

Direction = Literal["both", "ab", "ba"]


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events: by source, event-date range, knowledge cut-off, dyad and direction."""

    sources: Sequence[str] | None = None
    since: date | None = None
    until: date | None = None
    as_of: date | datetime | None = None
    dyad: str | None = None
    direction: Direction = "both"
    instrument: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """SQL WHERE clause (over the ``events`` view) and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.sources:
            clauses.append(f"source IN ({', '.join('?' for _ in self.sources)})")
            params.extend(self.sources)
        if self.since:
            clauses.append("event_date >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("event_date <= ?")
            params.append(self.until)
        if self.as_of is not None:
            clauses.append("known_at <= ?")
            params.append(as_of_timestamp(self.as_of))
        if self.dyad:
            a, b = parse_dyad(self.dyad)
            ab = "(actor1_country = ? AND actor2_country = ?)"
            if self.direction == "ab":
                clauses.append(ab)
                params.extend([a, b])
            elif self.direction == "ba":
                clauses.append(ab)
                params.extend([b, a])
            else:
                clauses.append(f"({ab} OR {ab})")
                params.extend([a, b, b, a])
        if self.instrument:
            clauses.append("list_contains(instruments, ?)")
            params.append(self.instrument)
        return (" AND ".join(clauses) or "TRUE"), params


COUNTRY_HELP = (
    "Country codes are CAMEO's three letters, mostly ISO 3166 alpha-3 (USA, MEX, CAN, GTM, "
    "COL); the list is dyadwatch/codebooks/data/cameo_countries.csv."
)


def parse_country(code: str, *, context: str = "") -> str:
    """A CAMEO country code, upper-cased; an unknown one is a :class:`UsageError`.

    The message names the code, suggests the nearest CAMEO code (or the CAMEO code of a
    FIPS two-letter code such as ``MX``) and says where the list is. ``context`` names what
    held the code (``" in dyad 'USA-XYZ'"``).

    >>> parse_country("mex")
    'MEX'
    >>> try:
    ...     parse_country("MXE")
    ... except UsageError as exc:
    ...     print(str(exc).split("? ")[0] + "?")
    unknown country code 'MXE'. Did you mean MEX?
    """
    text = str(code).strip().upper()
    book = cameo()
    if book.is_country(text):
        return text
    fips = book.fips_to_cameo(text) if len(text) == 2 else None
    hint = f" Did you mean {fips}?" if fips else did_you_mean(text, book.countries)
    raise UsageError(
        f"unknown country code {text!r}{context}."
        + (hint or " No CAMEO country code is close to it.")
        + f" {COUNTRY_HELP}"
    )


def parse_dyad(dyad: str) -> tuple[str, str]:
    """``"USA-MEX"`` → ``("USA", "MEX")``: two different CAMEO country codes.

    The one check of a dyad: the CLI's ``--dyad``, the API's ``dyad`` parameter, the index,
    the rules and the brief all come here (directly or through :class:`EventFilter` and the
    index spec), so ``USA-XYZ`` is the same one-line error everywhere — a
    :class:`UsageError` naming the code, with a did-you-mean — rather than an empty table.

    >>> parse_dyad("usa-mex")
    ('USA', 'MEX')
    >>> try:
    ...     parse_dyad("USA-MXE")
    ... except UsageError as exc:
    ...     print(str(exc).split("? ")[0] + "?")
    unknown country code 'MXE' in dyad 'USA-MXE'. Did you mean MEX?
    """
    text = str(dyad).strip().upper()
    parts = text.split("-")
    if len(parts) != 2 or not all(len(p) in (2, 3) and p.isalpha() for p in parts):
        raise UsageError(f"{dyad!r} is not a dyad like USA-MEX: two country codes joined by '-'.")
    where = f" in dyad {text!r}"
    a, b = (parse_country(p, context=where) for p in parts)
    if a == b:
        raise UsageError(f"dyad {text!r} names {a} twice: a dyad is two countries, e.g. USA-MEX.")
    return a, b


def events(
    store: Store,
    flt: EventFilter | None = None,
    *,
    limit: int | None = None,
    snapshot: Snapshot | None = None,
) -> pa.Table:
    """The events matching ``flt``, ordered by event date then id, as an Arrow table.

    Examples
    --------
    >>> t = events(store, EventFilter(dyad="USA-MEX", since=date(2020, 10, 15),
    ...                                until=date(2020, 10, 16), as_of=date(2021, 1, 31)))
    >>> "2020-10-15-cienfuegos-arrest" in t["source_key"].to_pylist()
    True
    """
    flt = flt or EventFilter()
    where, params = flt.where()
    sql = f"SELECT * FROM events WHERE {where} ORDER BY event_date, event_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    con = store.connect(snapshot)
    try:
        return con.sql(sql, params=params).to_arrow_table().cast(EVENT_SCHEMA)
    finally:
        con.close()


def count_events(store: Store, flt: EventFilter | None = None) -> int:
    """How many events match ``flt``.

    >>> count_events(store, EventFilter(dyad="USA-MEX", as_of=date(1985, 1, 1)))
    0
    """
    flt = flt or EventFilter()
    where, params = flt.where()
    con = store.connect()
    try:
        row = con.execute(f"SELECT count(*) FROM events WHERE {where}", params).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def why_empty(store: Store, flt: EventFilter) -> str:
    """Why ``flt`` matches no event, in one sentence a person can act on.

    Looked for in order: the store holds no events; none of the sources asked for; none of
    the dyad, direction, sources and instrument asked for (at any date); the period lies
    before the first or after the last such event; nothing was public by ``as_of``;
    otherwise the period and ``as_of`` together exclude them.

    Examples
    --------
    >>> why_empty(store, EventFilter(until=date(1970, 12, 31)))  # doctest: +ELLIPSIS
    'the period asked (… to 1970-12-31) is before the first record: events run 1985-02-07 to ...'
    """
    if count_events(store) == 0:
        return (
            "the store holds no events yet (dyadwatch run builds it from what ships; "
            "dyadwatch ingest SOURCE FILE adds files)."
        )
    events_of = " ".join(["events", *_described(flt)])
    where, params = replace(flt, since=None, until=None, as_of=None).where()
    con = store.connect()
    try:
        rows = con.sql(
            f"SELECT count(*), min(event_date), max(event_date), min(known_at) "
            f"FROM events WHERE {where}",
            params=params,
        ).fetchall()
        stored = sorted(r[0] for r in con.sql("SELECT DISTINCT source FROM events").fetchall())
    finally:
        con.close()
    n, first, last, public = rows[0] if rows else (0, None, None, None)
    if not n:
        if flt.sources and not set(flt.sources) & set(stored):
            return (
                f"the store holds no events of source {', '.join(flt.sources)} "
                f"(it holds: {', '.join(stored)})."
            )
        return f"the store holds no {events_of} at any date."
    span = f"{events_of} run {first} to {last}"
    asked = f"{flt.since or '…'} to {flt.until or '…'}"
    if flt.until is not None and flt.until < first:
        return f"the period asked ({asked}) is before the first record: {span}."
    if flt.since is not None and flt.since > last:
        return f"the period asked ({asked}) is after the last record: {span}."
    if flt.as_of is not None and as_of_timestamp(flt.as_of) < public:
        day = flt.as_of.date() if isinstance(flt.as_of, datetime) else flt.as_of
        return (
            f"none of the {events_of} was public by the end of {day}: the first became "
            f"public on {public.date()}."
        )
    return f"no event matches the period and --as-of together ({span})."


def _described(flt: EventFilter) -> list[str]:
    """The filters other than dates, in words: ``["between USA and MEX", "of source gdelt"]``."""
    words = []
    if flt.dyad:
        a, b = parse_dyad(flt.dyad)
        way = {"ab": f"from {a} to {b}", "ba": f"from {b} to {a}"}
        words.append(way.get(flt.direction, f"between {a} and {b}"))
    if flt.sources:
        words.append(f"of source {', '.join(flt.sources)}")
    if flt.instrument:
        words.append(f"bearing on {flt.instrument}")
    return words


def quarantine_entries(
    store: Store, source: str | None = None, *, limit: int = 50, history: bool = False
) -> pa.Table:
    """What was set aside, newest first: open entries, or with ``history`` every entry.

    An entry is resolved when a later version of its artifact was ingested
    (``resolved_at``, ``resolved_by``: that run's id); it stays as history.

    Examples
    --------
    >>> quarantine_entries(store, "file", limit=20).column_names[:3]
    ['source', 'artifact', 'line']
    """
    columns = 'source, artifact, line, "column", reason, raw, quarantined_at'
    where: list[str] = [] if history else ["resolved_at IS NULL"]
    params: list[Any] = []
    if history:
        columns += ", resolved_at, resolved_by"
    if source:
        where.append("source = ?")
        params.append(source)
    sql = f"SELECT {columns} FROM quarantine"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY quarantined_at DESC, artifact, line LIMIT {int(limit)}"
    return store.catalog_query(sql, params)
