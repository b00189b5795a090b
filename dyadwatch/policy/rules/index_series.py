"""The one place rules read the relationship index: a named series, as known on a date.

Conditions never pool raw events across sources to judge the relationship; they read one of
the index's named series (docs/measurement.md, "Fusion"): ``relationship`` (state-to-state
events, their relational effect, fused over sources; the default) or ``environment``. Every
read goes through :func:`read_series`, so the rules follow the index when it changes.

Examples
--------
>>> SERIES_NAMES
('relationship', 'environment')
>>> table = read_series(store, "relationship", date(2021, 1, 31))  # doctest: +SKIP
>>> table.column_names[:4]  # doctest: +SKIP
['series', 'source', 'period', 'period_start']
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from dyadwatch.errors import RuleError
from dyadwatch.store.store import Store

SERIES_NAMES: tuple[str, ...] = ("relationship", "environment")
"""The named series of the index a condition may read (``series.*(name=…)``)."""

SERIES_COLUMNS: tuple[str, ...] = (
    "period",
    "period_start",
    "period_end",
    "value",
    "lo",
    "hi",
    "n",
    "status",
    "reason",
)
"""The columns rules use: one row per month, ``value`` null unless ``status`` is ``ok``."""


def read_series(
    store: Store, name: str, as_of: date, *, direction: str = "both", session: Any = None
) -> pa.Table:
    """The monthly named series ``name`` as known at the end of ``as_of``.

    Parameters
    ----------
    store
        The store to read.
    name
        ``relationship`` or ``environment``.
    as_of
        Knowledge cut-off: only events public by the end of that day count.
    direction
        ``both`` (default), ``ab`` or ``ba`` (A acts on B, B on A).

    Returns
    -------
    pyarrow.Table
        :data:`SERIES_COLUMNS`, one row per month up to ``as_of``.

    Raises
    ------
    RuleError
        When the index cannot give the series (the name is unknown, the store cannot be read).
    """
    try:
        # Until dyadwatch.analyse.index exports ``series`` (issue 12), read it from its module.
        from dyadwatch.analyse.index.named import series
    except ImportError as exc:  # the named series are not installed: say so, do not guess
        raise RuleError(f"the index's named series are not available: {exc}") from exc
    params: dict[str, Any] = {"freq": "month", "as_of": as_of}
    if direction != "both":
        params["direction"] = direction
    if session is not None:
        params["session"] = session
    try:
        table = series(store, name, **params)
    except RuleError:
        raise
    except Exception as exc:  # the index's own errors name what is wrong
        raise RuleError(f"the index series {name!r} could not be read: {exc}") from exc
    return table.select(list(SERIES_COLUMNS))


__all__ = ["SERIES_COLUMNS", "SERIES_NAMES", "read_series"]
