"""From a series' events to pooled windows: periods as integers, one event per group, windows.

A named series (:mod:`~dyadwatch.analyse.index.named`) reads each period's value from the
events of the ``window`` periods ending at it. This module holds the steps that do not depend
on which series is read: periods numbered so that consecutive ones differ by 1
(:func:`ordinal`), one event per duplicate group (:func:`representatives`), an episode
counted once per period and periods pooled into windows (:func:`pooled`), each window's
statistics (:func:`window_stats`), and the choice of a source's window (:func:`auto_window`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import polars as pl

WINDOWS: Mapping[str, tuple[int, ...]] = {
    "week": (1, 4, 13, 26, 52),
    "month": (1, 3, 6, 12, 24),
    "quarter": (1, 2, 4, 8),
    "year": (1, 2, 3, 5),
}
"""Trailing windows (in periods) a source may be read over: about a period, a quarter, half a
year, a year, two years."""

DENSE_SHARE = 0.5
"""A window is the finest at which at least this share of a source's periods reach MIN_N."""


_EPOCH_MONDAY = date(1970, 1, 5)


def ordinal(d: date, freq: str) -> int:
    """A period's position on an integer line (consecutive periods differ by 1).

    >>> ordinal(date(2021, 1, 19), "month") - ordinal(date(2020, 12, 1), "month")
    1
    """
    if freq == "month":
        return d.year * 12 + d.month - 1
    if freq == "quarter":
        return d.year * 4 + (d.month - 1) // 3
    if freq == "year":
        return d.year
    return (d - _EPOCH_MONDAY).days // 7


def start_of(k: int, freq: str) -> date:
    """The first day of the period at position ``k`` (inverse of :func:`ordinal`)."""
    if freq == "month":
        return date(k // 12, k % 12 + 1, 1)
    if freq == "quarter":
        return date(k // 4, 3 * (k % 4) + 1, 1)
    if freq == "year":
        return date(k, 1, 1)
    return _EPOCH_MONDAY + timedelta(days=7 * k)


def _ordinal_expr(column: str, freq: str) -> pl.Expr:
    c = pl.col(column)
    if freq == "month":
        return c.dt.year() * 12 + c.dt.month() - 1
    if freq == "quarter":
        return c.dt.year() * 4 + (c.dt.month() - 1) // 3
    if freq == "year":
        return c.dt.year().cast(pl.Int64)
    return ((c - pl.lit(_EPOCH_MONDAY)).dt.total_days() // 7).cast(pl.Int64)


def representatives(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per (series, duplicate group): the member first public, as the index counts.

    Ties on ``known_at`` go to the lowest quad class, then the lowest Goldstein score, then
    the event id (the index's ``REPRESENTATIVE`` order, made total).
    """
    key = pl.coalesce("dedupe_group", "event_id")
    return (
        frame.with_columns(_group=key)
        .sort(
            ["known_at", "quad_class", "goldstein", "event_id"],
            nulls_last=True,
        )
        .unique(subset=["src", "_group"], keep="first", maintain_order=True)
        .drop("_group")
    )


def pooled(frame: pl.DataFrame, freq: str, window: int, episodes: str) -> pl.DataFrame:
    """Per (src, target step): the events of the ``window`` periods ending at the target.

    With ``episodes == "once"`` an episode keeps only its strongest step in each *period*
    (largest |v|; ties: the earliest, then the lowest id) before periods are pooled into
    windows: a law passed, published and put in force in one month counts once that month,
    and an affair that runs over four months counts in each month it moved.
    """
    if frame.is_empty():
        return frame.with_columns(target=pl.lit(0, pl.Int64))
    out = frame.with_columns(p=_ordinal_expr("event_date", freq))
    if episodes == "once":
        out = (
            out.with_columns(_key=pl.coalesce("episode", "event_id"), _mag=pl.col("v").abs())
            .sort(
                ["_mag", "event_date", "event_id"], descending=[True, False, False], nulls_last=True
            )
            .unique(subset=["src", "p", "_key"], keep="first", maintain_order=True)
            .drop("_key", "_mag")
        )
    return (
        out.with_columns(k=pl.int_ranges(0, window))
        .explode("k")
        .with_columns(target=pl.col("p") + pl.col("k"))
        .drop("p", "k")
    )


def window_stats(events: pl.DataFrame) -> pl.DataFrame:
    """Per (src, target): n, mean, sd, counts of each sign, reliability, unscored."""
    return events.group_by("src", "target").agg(
        n=pl.col("v").count(),
        n_unscored=pl.col("v").is_null().sum(),
        mean=pl.col("v").mean(),
        sd=pl.col("v").std(ddof=1),
        pos=(pl.col("v") > 0).sum(),
        neg=(pl.col("v") < 0).sum(),
        reliability=pl.col("confidence").filter(pl.col("v").is_not_null()).mean(),
    )


def auto_window(frame: pl.DataFrame, freq: str, min_n: int, episodes: str) -> int:
    """The finest window at which at least half of the source's periods reach ``min_n``.

    The periods are those from the source's first event to its last (as of the query), so
    the choice does not depend on the range a reader asks to see.
    """
    windows = WINDOWS[freq]
    if frame.is_empty():
        return windows[-1]
    first = ordinal(frame["event_date"].min(), freq)  # type: ignore[arg-type]
    last = ordinal(frame["event_date"].max(), freq)  # type: ignore[arg-type]
    for w in windows:
        stats = window_stats(pooled(frame, freq, w, episodes))
        stats = stats.filter((pl.col("target") >= first) & (pl.col("target") <= last))
        periods = last - first + 1
        enough = stats.filter(pl.col("n") >= min_n).height
        if enough >= DENSE_SHARE * periods:
            return w
    return windows[-1]


__all__ = [
    "DENSE_SHARE",
    "WINDOWS",
    "auto_window",
    "ordinal",
    "pooled",
    "representatives",
    "start_of",
    "window_stats",
]
