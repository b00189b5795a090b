"""Indicator series of the knowledge base as canonical rows (``model.INDICATOR_SCHEMA``).

A series (``indicators/*.yaml``) fixes the unit, the scope and the frequency; each CSV row is
one value of one series for one period in one *vintage* (a release). A revised figure is a new
row with a new vintage and a later ``known_at``, so "as of D" can give the figure that was
public on D (see :func:`dyadwatch.policy.indicators.indicator_series`).

Examples
--------
>>> rows = observation_rows(load())
>>> sorted(rows[0])[:3]
['indicator', 'known_at', 'note']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dyadwatch.knowledge.loader import KnowledgeBase, Located, load
from dyadwatch.knowledge.schema import Observation, SeriesRecord, period_bounds
from dyadwatch.model import IndicatorPoint

SOURCE = "curated"


def observation_row(obs: Observation, series: SeriesRecord, source: str = SOURCE) -> dict[str, Any]:
    """One observation as a row of ``INDICATOR_SCHEMA``; raises ValueError on a bad period.

    >>> from datetime import date
    >>> s = SeriesRecord(id="x", name="X", unit="deaths", scope="US", frequency="year")
    >>> o = Observation(indicator="x", period="2020", value=1, unit="deaths", scope="US",
    ...     vintage="final-2021", known_at=date(2021, 12, 22), source_url="https://e.org",
    ...     source_title="T", verified="yes")
    >>> observation_row(o, s)["period_end"]
    datetime.date(2020, 12, 31)
    """
    start, end = period_bounds(obs.period, series.frequency)
    return {
        "indicator": obs.indicator,
        "period_start": start,
        "period_end": end,
        "value": obs.value,
        "unit": obs.unit,
        "scope": obs.scope,
        "vintage": obs.vintage,
        "known_at": obs.known_at,
        "source": source,
        "source_url": obs.source_url,
        "source_title": obs.source_title,
        "verified": obs.verified,
        "note": obs.note,
    }


def observation_rows(
    kb: KnowledgeBase | None = None, observations: Iterable[Located[Observation]] | None = None
) -> list[dict[str, Any]]:
    """Rows for ``observations`` (default: all of ``kb``) whose series and period are valid."""
    kb = kb if kb is not None else load()
    series = {s.record.id: s.record for s in kb.series}
    rows = []
    for o in observations if observations is not None else kb.observations:
        s = series.get(o.record.indicator)
        if s is None:
            continue
        try:
            rows.append(observation_row(o.record, s))
        except ValueError:
            continue
    return rows


def points(kb: KnowledgeBase | None = None) -> list[IndicatorPoint]:
    """Every valid observation of ``kb`` as :class:`~dyadwatch.model.IndicatorPoint`."""
    return [IndicatorPoint(**row) for row in observation_rows(kb)]


__all__ = ["SOURCE", "observation_row", "observation_rows", "points"]
