"""Alerts: is the latest period unusual for this dyad, and which events make it so?

A journalist's question — "what happened this week, and is it unusual?" — asked of the index:
for each of the most recent periods, each measure whose z-score against the series' own
rolling baseline (the preceding ``baseline`` periods, current one excluded; see
``docs/index.md``) is at least ``threshold`` in size is an alert, with the events that
contribute most to that period's value.

The measures watched are ``net_coop`` (more cooperative or more conflictual than usual),
``goldstein_net`` (the same, weighted by Goldstein scores) and ``n`` (more or fewer events
than usual: attention, not tone). Periods whose baseline is too short for a z-score (fewer
than half the baseline periods with a value) raise no alert.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from dyadwatch.analyse.index.core import IndexSession, run_index, session_connection, to_frame
from dyadwatch.analyse.index.evidence import evidence_between
from dyadwatch.analyse.index.spec import (
    FUSED,
    IndexSpec,
    make_spec,
    positive_number,
    whole_number,
)
from dyadwatch.analyse.index.turning import EVENT_FIELDS
from dyadwatch.store.store import Store

WATCHED: tuple[tuple[str, str, str, str], ...] = (
    ("net_coop", "z_net_coop", "more cooperative than usual", "more conflictual than usual"),
    (
        "goldstein_net",
        "z_goldstein_net",
        "more cooperative than usual (Goldstein)",
        "more conflictual than usual (Goldstein)",
    ),
    ("n", "z_n", "more events than usual", "fewer events than usual"),
)
"""(measure, its z-score column, reading when high, reading when low)."""


def _schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("source", pa.string()),
            pa.field("period", pa.string()),
            pa.field("period_start", pa.date32()),
            pa.field("measure", pa.string()),
            pa.field("value", pa.float64()),
            pa.field("z", pa.float64()),
            pa.field("baseline_periods", pa.int64()),
            pa.field("reading", pa.string()),
            pa.field("events", pa.list_(pa.struct([]))),
        ]
    )


def alerts(
    store: Store,
    spec: IndexSpec | None = None,
    *,
    source: str = FUSED,
    threshold: float = 2.0,
    recent: int = 1,
    events: int = 5,
    output: str = "arrow",
    session: IndexSession | None = None,
    **params: Any,
) -> Any:
    """Unusual values among the most recent periods of an index series, with their events.

    Parameters
    ----------
    source
        The series: ``fused`` (default) or a source label.
    threshold
        Smallest ``|z|`` that raises an alert (> 0; default 2).
    recent
        How many of the latest periods to look at (>= 1; default 1, the period holding
        ``as_of`` or the last period with data).
    events
        At most this many events per alert, largest contributions to the period's value first
        (for ``n``, contributions to ``net_coop``).

    Returns
    -------
    One row per alert, newest period first and then largest ``|z|``: ``source``, ``period``,
    ``period_start``, ``measure``, ``value``, ``z``, ``baseline_periods``, ``reading`` and
    ``events``. No rows: nothing unusual.

    Examples
    --------
    The week of the Cienfuegos arrest stands out:

    >>> from datetime import date
    >>> found = alerts(store, freq="week", as_of=date(2020, 10, 18)).to_pylist()
    >>> [(a["period"], a["reading"]) for a in found][:1]
    [('2020-W42', 'more events than usual')]
    """
    limit = positive_number("threshold", threshold)
    whole_number("recent", recent)
    whole_number("events", events)
    checked = make_spec(spec, params)
    run = run_index(store, checked, session=session)
    rows = run.series(source).to_pylist()[-recent:]
    found: list[dict[str, Any]] = []
    with session_connection(session) as con:
        for r in reversed(rows):
            hits = [
                (measure, r[zcol], high if r[zcol] > 0 else low)
                for measure, zcol, high, low in WATCHED
                if r[zcol] is not None and abs(r[zcol]) >= limit
            ]
            for measure, z, reading in sorted(hits, key=lambda h: -abs(h[1])):
                ev = evidence_between(
                    con,
                    run.scope,
                    r["period_start"],
                    r["period_start"],
                    source=source,
                    measure="net_coop" if measure == "n" else measure,
                    limit=events,
                )
                found.append(
                    {
                        "source": source,
                        "period": r["period"],
                        "period_start": r["period_start"],
                        "measure": measure,
                        "value": float(r[measure]),
                        "z": float(z),
                        "baseline_periods": r["baseline_periods"],
                        "reading": reading,
                        "events": ev.select(list(EVENT_FIELDS)).to_pylist(),
                    }
                )
    if not found:
        return to_frame(_schema().empty_table(), output)
    return to_frame(pa.Table.from_pylist(found), output)
