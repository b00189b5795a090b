"""Volume counts: events per day and actor country, before any dyad filter.

The index normalises a dyad's event counts by each country's total volume in the same
source (media volume grows over the years). Every source that filters to the watched dyads
counts, before filtering, each row with a valid day once for each actor country it names and
once under ``*`` (the total); :func:`finish_volume` sums a file's partial counts into rows of
the ``volume`` dataset (:data:`dyadwatch.model.VOLUME_SCHEMA`).

Examples
--------
>>> from datetime import UTC, date, datetime
>>> t = count_volume(pa.array([date(2018, 1, 1)] * 2), pa.array(["USA", "MEX"]),
...                  pa.array(["MEX", None]))
>>> v = finish_volume([t], "icews", "f", datetime(2018, 1, 2, tzinfo=UTC))
>>> v.select(["country", "events"]).to_pylist()  # doctest: +NORMALIZE_WHITESPACE
[{'country': '*', 'events': 2}, {'country': 'MEX', 'events': 2},
 {'country': 'USA', 'events': 1}]
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.model import TS, VOLUME_SCHEMA


def count_volume(day: Any, a1: Any, a2: Any) -> pa.Table:
    """Events per (day, country): once for each actor country an event names, once under
    ``*``. ``day`` is a date column; rows with a null day are not counted."""
    valid = pc.is_valid(day)
    second = pc.and_(pc.is_valid(a2), pc.invert(pc.fill_null(pc.equal(a1, a2), False)))
    parts = []
    for country, mask in ((a1, pc.is_valid(a1)), (a2, second)):
        counted = pa.table({"day": day, "country": country}).filter(pc.and_(mask, valid))
        parts.append(counted.group_by(["day", "country"]).aggregate([([], "count_all")]))
    days = pa.table({"day": day}).filter(valid)
    totals = days.group_by("day").aggregate([([], "count_all")])
    star = pa.array(["*"] * totals.num_rows, pa.string())
    parts.append(pa.table({"day": totals.column("day"), "country": star, "count_all": totals[1]}))
    return pa.concat_tables(
        [p.select(["day", "country", "count_all"]).cast(_PARTIAL) for p in parts]
    ).rename_columns(["day", "country", "events"])


_PARTIAL = pa.schema([("day", pa.date32()), ("country", pa.string()), ("count_all", pa.int64())])


def finish_volume(partials: list[pa.Table], source: str, artifact: str, known: Any) -> pa.Table:
    """Sum per-block counts into the ``volume`` dataset's rows for one artifact.

    Examples
    --------
    >>> finish_volume([], "gdelt2", "x", None).num_rows
    0
    """
    if not partials:
        return VOLUME_SCHEMA.empty_table()
    total = pa.concat_tables(partials).group_by(["day", "country"]).aggregate([("events", "sum")])
    total = total.sort_by([("day", "ascending"), ("country", "ascending")])
    n = total.num_rows
    return pa.table(
        {
            "source": pa.array([source] * n, pa.string()),
            "artifact": pa.array([artifact] * n, pa.string()),
            "day": total.column("day"),
            "country": total.column("country"),
            "events": pc.cast(total.column("events_sum"), pa.int64()),
            "known_at": pa.array([known] * n, TS),
        },
        schema=VOLUME_SCHEMA,
    )


__all__ = ["count_volume", "finish_volume"]
