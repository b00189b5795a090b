"""Step ``dates``: every event has a plausible date and a ``known_at`` no earlier than it.

``known_at`` defaults to the end of the event's day (UTC) — for a curated event, its date is
when it became public. An event cannot be public before it happened, so ``known_at`` earlier
than the event's day sets the row aside; so do dates outside 1900–2100 (typos and spreadsheet
serials, such as GDELT's ``2.02E+13`` after a round-trip through Excel).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.model import TS
from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)


def dates(table: pa.Table, ctx: StepContext) -> StepResult:
    """Require an event date; default ``known_at``; reject impossible dates."""
    rejects = []
    missing = pc.is_null(table.column("event_date"))
    result = set_aside(table, missing, "event_date is missing", "event_date")
    table, rejects = result.table, result.rejects

    ed = table.column("event_date")
    out_of_range = pc.or_(pc.less(ed, pa.scalar(EARLIEST)), pc.greater(ed, pa.scalar(LATEST)))
    result = set_aside(table, out_of_range, "event_date outside 1900-2100", "event_date")
    table = result.table
    rejects += result.rejects

    ed = table.column("event_date")
    # The last microsecond of each day, computed over the whole column (1M rows: no loop).
    day_us = pc.cast(pc.cast(ed, pa.timestamp("us")), pa.int64())
    last_us = pc.add(day_us, pa.scalar(86_400_000_000 - 1, pa.int64()))
    end_of_day = pc.cast(pc.cast(last_us, pa.timestamp("us")), TS)
    known = pc.coalesce(table.column("known_at"), end_of_day)
    table = replace_column(table, "known_at", known)

    start_of_day = pc.cast(pc.cast(ed, pa.timestamp("us")), pa.timestamp("us"))
    known_naive = pc.cast(pc.cast(known, pa.timestamp("us", tz="UTC")), pa.int64())
    before = pc.less(known_naive, pc.cast(start_of_day, pa.int64()))
    result = set_aside(table, before, "known_at is before the event's date", "known_at")
    return StepResult(result.table, rejects + result.rejects)
