"""Indicator series as of a date, vintage by vintage.

The store keeps every release of a figure (``vintage``) with the moment it became public
(``known_at``); a revision never overwrites. :func:`indicator_series` answers "what did the
series look like on D": for each period, the latest vintage public by D. As of a date before
a revision you get the figure as first published; after it, the revised one.

Examples
--------
The last year of US overdose deaths a reader could see in September 2020, and a year later:

>>> t = indicator_series(store, "us_overdose_deaths_all", as_of=date(2020, 9, 1))
>>> t.select(["period_start", "value", "vintage"]).to_pylist()[-1]
{'period_start': datetime.date(2018, 1, 1), 'value': 67367.0, 'vintage': 'final'}
>>> t = indicator_series(store, "us_overdose_deaths_all", as_of=date(2021, 9, 1))
>>> t.select(["period_start", "value", "vintage"]).to_pylist()[-1]
{'period_start': datetime.date(2019, 1, 1), 'value': 70630.0, 'vintage': 'final'}
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.model import INDICATOR_SCHEMA, IndicatorPoint, as_of_timestamp
from dyadwatch.store.store import Snapshot, Store

LATEST_KNOWN = "latest-known"
FIRST_KNOWN = "first-known"


def indicator_names(
    store: Store, as_of: date | datetime | None = None, *, snapshot: Snapshot | None = None
) -> pa.Table:
    """One row per series in ``store``: unit, scope, sources, periods and vintages known by D.

    Examples
    --------
    >>> indicator_names(store).column_names[:4]
    ['indicator', 'unit', 'scope', 'sources']
    >>> "us_overdose_deaths_all" in indicator_names(store).column("indicator").to_pylist()
    True
    """
    where, params = _cutoff(as_of)
    con = store.connect(snapshot)
    try:
        return con.sql(
            "SELECT indicator, any_value(unit) AS unit, any_value(scope) AS scope, "
            "string_agg(DISTINCT source, ';') AS sources, "
            "count(DISTINCT period_start) AS periods, min(period_start) AS first_period, "
            "max(period_end) AS last_period, count(DISTINCT vintage) AS vintages, "
            "max(known_at) AS last_known_at "
            f"FROM indicators WHERE {where} GROUP BY indicator ORDER BY indicator",
            params=params,
        ).to_arrow_table()
    finally:
        con.close()


def _cutoff(as_of: date | datetime | None) -> tuple[str, list[object]]:
    if as_of is None:
        return "TRUE", []
    return "known_at <= ?", [as_of_timestamp(as_of)]


def indicator_series(
    store: Store,
    indicator: str,
    as_of: date | datetime | None = None,
    vintage: str = LATEST_KNOWN,
    *,
    snapshot: Snapshot | None = None,
) -> pa.Table:
    """The values of ``indicator``, one per period, as known ``as_of``.

    Parameters
    ----------
    store
        The store holding the ``indicators`` dataset.
    indicator
        A series id (``dyadwatch indicators`` lists them).
    as_of
        Knowledge cut-off: a date means the end of that day (UTC). None: all that is stored.
    vintage
        ``"latest-known"`` (default): for each period, the latest release public by
        ``as_of``. ``"first-known"``: the first release (real-time analysis). Any other
        value: only that release.

    Returns
    -------
    pyarrow.Table
        Rows of ``model.INDICATOR_SCHEMA`` ordered by period.

    Raises
    ------
    UsageError
        If the store has no series of that id (with a did-you-mean).

    Examples
    --------
    >>> t = indicator_series(store, "cbp_fentanyl_seized_nationwide", date(2022, 1, 1))
    >>> t.select(["period_start", "value", "unit"]).to_pylist()[-1]
    {'period_start': datetime.date(2020, 10, 1), 'value': 11200.0, 'unit': 'pounds'}
    >>> indicator_series(store, "cbp_fentanyl_seized_nationwde")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dyadwatch.errors.UsageError: ... Did you mean cbp_fentanyl_seized_nationwide? ...
    """
    con = store.connect(snapshot)
    try:
        names = [r[0] for r in con.execute("SELECT DISTINCT indicator FROM indicators").fetchall()]
        if indicator not in names:
            raise UsageError(
                f"Unknown indicator '{indicator}'.{did_you_mean(indicator, names)} "
                "List the series with `dyadwatch indicators`."
            )
        where, params = _cutoff(as_of)
        if vintage in (LATEST_KNOWN, FIRST_KNOWN):
            order = "DESC" if vintage == LATEST_KNOWN else "ASC"
            sql = (
                f"SELECT * FROM indicators WHERE indicator = ? AND {where} "
                "QUALIFY row_number() OVER (PARTITION BY period_start, period_end "
                f"ORDER BY known_at {order}, vintage {order}) = 1 "
                "ORDER BY period_start, period_end"
            )
            args: list[object] = [indicator, *params]
        else:
            sql = (
                f"SELECT * FROM indicators WHERE indicator = ? AND vintage = ? AND {where} "
                "ORDER BY period_start, period_end"
            )
            args = [indicator, vintage, *params]
        return con.sql(sql, params=args).to_arrow_table().cast(INDICATOR_SCHEMA)
    finally:
        con.close()


def indicator_points(
    store: Store,
    indicator: str,
    as_of: date | datetime | None = None,
    vintage: str = LATEST_KNOWN,
) -> list[IndicatorPoint]:
    """:func:`indicator_series` as :class:`~dyadwatch.model.IndicatorPoint` records."""
    return [
        IndicatorPoint(**row)
        for row in indicator_series(store, indicator, as_of, vintage).to_pylist()
    ]


__all__ = [
    "FIRST_KNOWN",
    "LATEST_KNOWN",
    "indicator_names",
    "indicator_points",
    "indicator_series",
]
