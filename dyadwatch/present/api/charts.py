"""The dashboard's charts, drawn by the one chart module (:mod:`dyadwatch.present.charts`).

Inline SVG, drawn as text on the server: no script, no font or file from the network, so a
page renders before any script runs and the dashboard works offline. Periods without a value
are gaps in the line, never zeros. These three functions keep the signatures the pages call;
new pages call :mod:`dyadwatch.present.charts` directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dyadwatch.present.charts import (
    SeriesText,
    series_scene,
    series_text,
    spark_scene,
    strip_scene,
    to_svg,
)


def index_svg(
    rows: Sequence[Mapping[str, Any]],
    turning: Sequence[Mapping[str, Any]] = (),
    *,
    measure: str = "net_coop",
    width: int = 960,
    height: int = 330,
    title: str = "",
    background: Sequence[Mapping[str, Any]] = (),
    links: Sequence[str | None] = (),
    lang: str = "en",
) -> str:
    """A chart of ``rows`` (one series) with its turning points and ``n``.

    Rows of a named series (with ``value``, ``lo``, ``hi``) are drawn with their interval
    band; rows of a CAMEO-based measure by the ``measure`` column, without one.
    ``background`` is accepted for older callers and not drawn (the named series already
    pools a window of periods). ``links``, one per row, make each point a link.

    Examples
    --------
    >>> svg = index_svg([{"period": "2020", "period_start": "2020-01-01", "net_coop": 0.5}])
    >>> svg.startswith("<svg")
    True
    """
    del background
    named = any("value" in r for r in rows)
    base = series_text("relationship" if named else measure, lang, title)
    text = SeriesText(
        title=title,
        y_label=base.y_label,
        n_label=base.n_label,
        band_label=base.band_label,
        value_label=base.value_label,
        low_label=base.low_label,
        empty_label="no periods to draw",
    )
    scene = series_scene(
        rows,
        turning,
        text=text,
        value="value" if named else measure,
        band=named,
        width=width,
        height=height,
        links=links,
        dots=True,
    )
    return to_svg(scene)


def sparkline_svg(
    points: Sequence[Mapping[str, Any]], *, width: int = 160, height: int = 40, unit: str = ""
) -> str:
    """A small chart of an indicator's ``value`` over ``period_start``, with its first and
    last values.

    >>> sparkline_svg([]).startswith("<svg")
    True
    """
    return to_svg(
        spark_scene(points, unit=unit, width=width, height=height), cls="spark", sized=True
    )


def status_strip(months: Sequence[Mapping[str, Any]], *, cell: int = 4, height: int = 14) -> str:
    """One coloured cell per backtest month (met / not met / unknown), lever use as a dark
    tick under the month.

    >>> status_strip([{"as_of": "2021-01-31", "status": "met", "lever_in_use": True}])[:4]
    '<svg'
    """
    return to_svg(strip_scene(months, cell=cell, height=height), cls="strip", sized=True)


__all__ = ["index_svg", "sparkline_svg", "status_strip"]
