"""The one place rules read the relationship index: a named series, as known on a date.

Conditions never pool raw events across sources to judge the relationship; they read one of
the index's named series (docs/measurement.md, "Fusion"): ``relationship`` (state-to-state
events, their relational effect, fused over sources; the default) or ``environment``. Every
read goes through this module, so the rules follow the index when it changes:
:func:`read_series` for one date, :class:`SeriesReader` for many (a backtest reads the
store's rows once per series and computes each month as known then).

Examples
--------
>>> SERIES_NAMES
('relationship', 'environment')
>>> table = read_series(store, "relationship", date(2021, 1, 31))
>>> table.column_names[:3]
['period', 'period_start', 'period_end']
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import pyarrow as pa

from dyadwatch.analyse.index import FUSED, load_series, make_query, series
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

T = TypeVar("T")


def _params(direction: str) -> dict[str, Any]:
    return {"freq": "month", **({"direction": direction} if direction != "both" else {})}


def _guard(name: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except RuleError:
        raise
    except Exception as exc:  # the index's own errors name what is wrong
        raise RuleError(f"the index series {name!r} could not be read: {exc}") from exc


def read_series(store: Store, name: str, as_of: date, *, direction: str = "both") -> pa.Table:
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
        When the index cannot give the series (unknown name, unreadable store).

    Examples
    --------
    >>> read_series(store, "relationshp", date(2021, 1, 31))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dyadwatch.errors.RuleError: the index series 'relationshp' could not be read: ...
    """
    table = _guard(name, lambda: series(store, name, as_of=as_of, **_params(direction)))
    return table.select(list(SERIES_COLUMNS))


class SeriesReader:
    """Reads a store's named series for many dates: rows once per series, each date as known.

    Calling it as ``reader(name, as_of, direction)`` answers what :func:`read_series` answers.

    Examples
    --------
    >>> reader = SeriesReader(store)
    >>> t = reader("relationship", date(2021, 1, 31), "both")
    >>> t.slice(t.num_rows - 1).select(["period", "status"]).to_pylist()
    [{'period': '2021-01', 'status': 'ok'}]
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loaded: dict[tuple[str, str], Any] = {}

    def __call__(self, name: str, as_of: date, direction: str = "both") -> pa.Table:
        key = (name, direction)
        if key not in self._loaded:
            query = _guard(name, lambda: make_query(name, _params(direction)))
            self._loaded[key] = _guard(name, lambda: load_series(self.store, query))
        data = self._loaded[key]
        table = _guard(name, lambda: data.at(as_of).source_rows(FUSED))
        return table.select(list(SERIES_COLUMNS))


__all__ = ["SERIES_COLUMNS", "SERIES_NAMES", "SeriesReader", "read_series"]
