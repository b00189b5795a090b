"""Point in time: what was public by the end of a day. The one place this rule is written.

A record — an event, an instrument state, an indicator value, a citation, a source page — is
**visible at D** if and only if it was public by the end of D (UTC): its ``known_at`` (for a
citation, the page's publication date) is at or before the last microsecond of D. Every
reader asks this module, in Python (:func:`is_visible`, :func:`visible_citations`), in Arrow
(:func:`visible_mask`) or in SQL (:func:`visible_sql`), so "as of D" means the same thing in
the index, the rules, the brief, the dashboard and the API.

An "as of" date in the future is refused everywhere (:func:`check_as_of`): nothing is known
about it yet, and answering would quietly mean "as of today".

Examples
--------
>>> from datetime import date, datetime, UTC
>>> is_visible(datetime(2021, 1, 19, 23, 0, tzinfo=UTC), date(2021, 1, 19))
True
>>> is_visible(datetime(2021, 1, 20, 0, 0, tzinfo=UTC), date(2021, 1, 19))
False
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.errors import UsageError
from dyadwatch.model import TS, as_of_timestamp, end_of_day


def is_visible(known_at: datetime | date | None, as_of: date | datetime | None) -> bool:
    """Was a record that became public at ``known_at`` public by the end of ``as_of``?

    ``as_of`` None means "everything stored". A record without a ``known_at`` is never
    visible at a date (it cannot be placed in time).

    >>> is_visible(date(2021, 1, 19), date(2021, 1, 19)), is_visible(None, date(2021, 1, 19))
    (True, False)
    >>> is_visible(datetime(2021, 1, 20, 0, 0), date(2021, 1, 19))  # naive: read as UTC
    False
    >>> is_visible(None, None)  # as of "everything stored"
    True
    """
    if as_of is None:
        return True
    if known_at is None:
        return False
    if not isinstance(known_at, datetime):
        known_at = end_of_day(known_at)
    elif known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=UTC)
    return known_at <= as_of_timestamp(as_of)


def visible_mask(
    table: pa.Table, as_of: date | datetime | None, column: str = "known_at"
) -> pa.Array:
    """A boolean column: which rows of ``table`` are visible at ``as_of`` (null → not).

    >>> t = pa.table({"known_at": [date(2021, 1, 19), date(2021, 1, 20), None]})
    >>> visible_mask(t, date(2021, 1, 19)).to_pylist()
    [True, False, False]
    >>> visible_mask(t, None).to_pylist()
    [True, True, True]
    >>> t = pa.table({"known_at": pa.array([datetime(2021, 1, 19, 23, tzinfo=UTC)], TS)})
    >>> visible_mask(t, date(2021, 1, 19)).to_pylist()
    [True]
    """
    if as_of is None:
        return pa.array([True] * table.num_rows, pa.bool_())
    values = table.column(column)
    if pa.types.is_date(values.type):  # a day-precision date is public by the end of that day
        limit = pa.scalar(as_of_timestamp(as_of).date(), values.type)
    else:
        limit = pa.scalar(as_of_timestamp(as_of), TS)
    return pc.fill_null(pc.less_equal(values, limit), False)


def visible_sql(column: str = "known_at", parameter: str = "$as_of") -> str:
    """The visibility rule as a SQL predicate; bind ``parameter`` to :func:`bound`.

    >>> visible_sql()
    'known_at <= $as_of'
    """
    return f"{column} <= {parameter}"


def bound(as_of: date | datetime) -> datetime:
    """The timestamp a SQL visibility predicate compares with: the end of ``as_of`` (UTC)."""
    return as_of_timestamp(as_of)


def check_as_of(as_of: date | datetime | None, today: date | None = None) -> date | datetime | None:
    """``as_of`` unless it is after today (UTC): then a :class:`UsageError`, the same everywhere.

    >>> check_as_of(date(2021, 1, 19), today=date(2026, 12, 6))
    datetime.date(2021, 1, 19)
    """
    if as_of is None:
        return None
    today = today or datetime.now(UTC).date()
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    if day > today:
        raise UsageError(
            f"as-of date {day.isoformat()} is in the future: nothing is known about it yet "
            f"(the latest is today, {today.isoformat()})."
        )
    return as_of


@dataclass(frozen=True, slots=True)
class Citation:
    """One cited page as shown to a reader: where, what, by whom, when."""

    url: str
    title: str | None = None
    outlet: str | None = None
    published: date | None = None


_DATED_PATH = (
    re.compile(r"/((?:19|20)\d\d)[/-](\d\d)(?:[/-](\d\d))?(?=[/._-]|$)"),
    re.compile(r"/((?:19|20)\d\d)(\d\d)(\d\d)(?=[/._-]|$)"),
)


def address_date(url: str) -> date | None:
    """The publication date a page's own address carries, or None.

    News sites put the day (``/2021/01/15/``, ``/20220419-…``) or the month (``/2021/01/``)
    of publication in the path. A page whose date the editor could not find is never shown
    before the date its address gives: the day when the path has one, else the last day of
    the month (the latest the page can be). Addresses of web archives (``…/http://…``) are
    not read: their dates are capture times, not publication dates.

    >>> address_date("https://www.theyucatantimes.com/2021/01/as-of-today-limitations/")
    datetime.date(2021, 1, 31)
    >>> address_date("https://sputniknews.com/20220419/mexico-disbands-unit-1094899413.html")
    datetime.date(2022, 4, 19)
    >>> address_date("https://web.archive.org/web/20090509235807/http://gpo.gov/3CFR.htm") is None
    True
    """
    parts = urlsplit(url)
    if "http:" in parts.path or "https:" in parts.path:
        return None
    for pattern in _DATED_PATH:
        m = pattern.search(parts.path)
        if m is None:
            continue
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            continue
        last = calendar.monthrange(year, month)[1]
        day = int(m.group(3)) if m.group(3) else last
        if 1 <= day <= last:
            return date(year, month, day)
    return None


def visible_citations(
    urls: Sequence[str] | None,
    titles: Sequence[str | None] | None = None,
    published: Sequence[date | None] | None = None,
    outlets: Sequence[str | None] | None = None,
    *,
    as_of: date | datetime | None = None,
    known_at: datetime | date | None = None,
) -> list[Citation]:
    """The citations of a record that a reader at ``as_of`` could have seen.

    A page is shown if its publication date is visible at ``as_of``. A page whose date is
    unknown is dated by the record it supports (``known_at``): the editor found it for that
    fact, and no later date can be shown for it; nor is it shown before the date its own
    address carries (:func:`address_date`), whoever stored it.

    >>> days = [date(2020, 1, 1), date(2022, 4, 1)]
    >>> [c.url for c in visible_citations(["a", "b"], published=days, as_of=date(2021, 1, 31))]
    ['a']
    >>> late = "https://example.org/2021/02/the-law-in-force/"
    >>> visible_citations([late], as_of=date(2021, 1, 31), known_at=date(2020, 12, 19))
    []
    """
    urls = list(urls or ())
    out = []
    for i, url in enumerate(urls):
        title = titles[i] if titles is not None and i < len(titles) else None
        day = published[i] if published is not None and i < len(published) else None
        outlet = outlets[i] if outlets is not None and i < len(outlets) else None
        if as_of is not None:
            if day is not None:
                shown = is_visible(day, as_of)
            else:
                dated = address_date(url)
                shown = is_visible(known_at, as_of) and (dated is None or is_visible(dated, as_of))
            if not shown:
                continue
        out.append(Citation(url, title, outlet, day))
    return out


__all__ = [
    "Citation",
    "address_date",
    "bound",
    "check_as_of",
    "is_visible",
    "visible_citations",
    "visible_mask",
    "visible_sql",
]
