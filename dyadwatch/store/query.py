"""Point-in-time queries over the store's events.

Every query takes ``as_of``: an event is visible as of D only if ``known_at <= D`` (end of
day D, UTC). ``since``/``until`` bound the *event date*, which is a different axis: an event
dated 2020-12 may only have become public in 2021-01.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pyarrow as pa

from dyadwatch.errors import UsageError
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


def parse_dyad(dyad: str) -> tuple[str, str]:
    """``"USA-MEX"`` → ``("USA", "MEX")``."""
    parts = dyad.strip().upper().split("-")
    if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() for p in parts):
        raise UsageError(f"{dyad!r} is not a dyad like USA-MEX.")
    return parts[0], parts[1]


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
    >>> events(store, EventFilter(dyad="USA-MEX", as_of=date(2021, 1, 31)))  # doctest: +SKIP
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
    """How many events match ``flt``."""
    flt = flt or EventFilter()
    where, params = flt.where()
    con = store.connect()
    try:
        row = con.execute(f"SELECT count(*) FROM events WHERE {where}", params).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0
