"""Indicator series as a reader browses them: named, grouped, searched, with their latest values.

:func:`indicator_catalog` reads every series the store holds as known at a date in two
queries — one for what each series is (unit, scope, periods, vintages), one for its values
(for each period, the latest release public by the date) — instead of one query per series:
after ``ingest cdc_vsrr`` a store holds about 520 series, and a page that asked for each in
turn took seventeen seconds. What was public by a date is :mod:`dyadwatch.visibility`'s rule;
"latest vintage" is :func:`dyadwatch.policy.indicators.indicator_series`'s.

Each series gets a name a person reads: the knowledge base's own (``indicators/*.yaml``), or
for a statistics source, the figure and the place its id and scope name
(``cdc_vsrr_heroin_t40_1_al`` with scope "Alabama, 12 months …" → "Heroin (T40.1), Alabama").
Series are grouped by the knowledge base's file (extraditions, homicides …) or by the source
that published them.

Examples
--------
>>> cat = indicator_catalog(store, date(2021, 1, 19))
>>> [e.name for e in find_series(cat, "fentanyl")][:1]
['US overdose deaths involving synthetic opioids other than methadone (T40.4; mainly fentanyl)']
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.knowledge.loader import data_root, read_yaml_records
from dyadwatch.knowledge.schema import SeriesRecord
from dyadwatch.model import INDICATOR_SCHEMA
from dyadwatch.policy.indicators import indicator_names
from dyadwatch.store.store import Snapshot, Store
from dyadwatch.visibility import bound, visible_sql

log = logging.getLogger(__name__)

KB_GROUPS: Mapping[str, str] = {
    "extraditions": "Extraditions and transfers",
    "homicides": "Homicides in Mexico",
    "merida": "Mérida Initiative funding",
    "overdoses": "US overdose deaths",
    "presence": "US agents in Mexico",
    "seizures": "Drug seizures and laboratories",
}
"""The knowledge base's indicator files (``indicators/<stem>.yaml``), as group titles."""

_ICD = re.compile(r"\b([a-z])(\d{2}) (\d)\b")
"""ICD-10 multiple-cause codes in CDC series ids (``t40_4`` → T40.4; NCHS VSRR technical
notes list them)."""


@dataclass(frozen=True, slots=True)
class Value:
    """One figure of a series: its period, value, release and when it became public."""

    period_start: date
    period_end: date
    value: float | None
    vintage: str
    known_at: datetime


@dataclass(frozen=True, slots=True)
class SeriesEntry:
    """One indicator series as known at a date: what it is, and its values."""

    indicator: str
    name: str
    group: str
    group_title: str
    unit: str
    scope: str | None
    description: str | None
    sources: tuple[str, ...]
    periods: int
    vintages: int
    first_period: date
    last_period: date
    last_known_at: datetime
    values: tuple[Value, ...]
    """For each period, the latest release public by the date, ordered by period."""

    @property
    def latest(self) -> Value | None:
        """The most recent period's figure (None if every value is blank)."""
        known = [v for v in self.values if v.value is not None]
        return max(known, key=lambda v: (v.period_end, v.period_start)) if known else None

    def text(self) -> str:
        """Everything a search matches: id, name, group, unit and scope, lower-cased."""
        parts = (self.indicator, self.name, self.group_title, self.unit, self.scope or "")
        return " ".join(parts).lower()


@dataclass(frozen=True, slots=True)
class KbSeries:
    name: str
    group: str
    description: str | None


@functools.cache
def _kb_series(root: str | None) -> Mapping[str, KbSeries]:
    """Series id → name, group (file stem) and description from the knowledge base."""
    base = Path(root) if root is not None else data_root()
    out: dict[str, KbSeries] = {}
    problems: list[Any] = []
    for path in sorted((base / "indicators").glob("*.yaml")):
        for located in read_yaml_records(path, SeriesRecord, problems):
            rec = located.record
            desc = " ".join(rec.description.split()) if rec.description else None
            out[rec.id] = KbSeries(" ".join(rec.name.split()), path.stem, desc)
    if problems:
        log.warning(
            "indicator names: %d problem(s) in %s (kb validate lists them)", len(problems), base
        )
    return out


def humanise(text: str) -> str:
    """An id's words: underscores become spaces, the first letter a capital, ICD codes dotted.

    >>> humanise("synthetic_opioids_excl_methadone_t40_4")
    'Synthetic opioids excl methadone (T40.4)'
    """
    words = " ".join(text.replace("_", " ").split())
    words = _ICD.sub(lambda m: f"({m[1].upper()}{m[2]}.{m[3]})", words)
    words = re.sub(r"\) \(", ", ", words)
    return words[:1].upper() + words[1:]


def derived_name(indicator: str, sources: Sequence[str], scope: str | None) -> str:
    """A readable name for a series the knowledge base does not describe.

    The source's prefix is dropped; a trailing place code (two or three letters) becomes the
    place the scope names first; "predicted" moves to the end.

    >>> derived_name("cdc_vsrr_heroin_t40_1_predicted_al", ["cdc_vsrr"],
    ...              "Alabama, 12 months ending in the month, provisional, predicted")
    'Heroin (T40.1), Alabama, predicted'
    """
    rest = indicator
    for src in sources:
        if rest.startswith(f"{src}_"):
            rest = rest[len(src) + 1 :]
            break
    place = scope.split(",")[0].strip() if scope else ""
    head, _, tail = rest.rpartition("_")
    if place and head and tail.isalpha() and len(tail) <= 3:
        rest = head
    else:
        place = ""
    predicted = rest.endswith("_predicted")
    rest = rest.removesuffix("_predicted")
    parts = [humanise(rest), place, "predicted" if predicted else ""]
    return ", ".join(p for p in parts if p)


def _source_title(titles: Iterable[str | None], source: str) -> str:
    """A source's title without the file name stored after it ("… (CDC/NCHS) (file.csv)")."""
    for title in titles:
        if title:
            return re.sub(r"\s*\([^()]*\.[A-Za-z0-9]{2,4}\)\s*$", "", title).strip()
    return humanise(source)


def _values(store: Store, as_of: date | datetime | None, snapshot: Snapshot | None) -> pa.Table:
    """For every series and period, the latest release public by ``as_of``."""
    where, params = "TRUE", {}
    if as_of is not None:
        where, params = visible_sql("known_at", "$as_of"), {"as_of": bound(as_of)}
    con = store.connect(snapshot)
    try:
        return con.sql(
            "SELECT indicator, period_start, period_end, value, vintage, known_at, "
            f"source_title FROM indicators WHERE {where} "
            "QUALIFY row_number() OVER (PARTITION BY indicator, period_start, period_end "
            "ORDER BY known_at DESC, vintage DESC) = 1 "
            "ORDER BY indicator, period_start, period_end",
            params=params,
        ).to_arrow_table()
    finally:
        con.close()


def indicator_catalog(
    store: Store,
    as_of: date | datetime | None = None,
    *,
    snapshot: Snapshot | None = None,
    kb_root: Path | None = None,
) -> tuple[SeriesEntry, ...]:
    """Every indicator series public by ``as_of``, with its values, ordered by group (the
    knowledge base's first) and name.

    Parameters
    ----------
    store
        The store holding the ``indicators`` dataset.
    as_of
        Knowledge cut-off (end of the day, UTC); None: everything stored.
    kb_root
        The knowledge base whose names and groups to use (default: the one shipped).

    Examples
    --------
    >>> cat = indicator_catalog(store, date(2021, 1, 19))
    >>> sorted({e.group for e in cat})
    ['extraditions', 'homicides', 'merida', 'overdoses', 'presence']
    >>> deaths = next(e for e in cat if e.indicator == "us_overdose_deaths_all")
    >>> deaths.name, deaths.last_period, deaths.values[-1].value
    ('US drug overdose deaths, all drugs', datetime.date(2018, 12, 31), 67367.0)
    """
    meta = indicator_names(store, as_of, snapshot=snapshot).to_pylist()
    if not meta:
        return ()
    frame = pl.from_arrow(_values(store, as_of, snapshot))
    assert isinstance(frame, pl.DataFrame)
    by_series: dict[str, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        by_series.setdefault(row["indicator"], []).append(row)
    kb = _kb_series(str(kb_root) if kb_root is not None else None)
    out = []
    for m in meta:
        rows = by_series.get(m["indicator"], [])
        sources = tuple(s for s in (m["sources"] or "").split(";") if s)
        known = kb.get(m["indicator"])
        if known is not None:
            name, group = known.name, known.group
            group_title = KB_GROUPS.get(group, humanise(group))
        else:
            name = derived_name(m["indicator"], sources, m["scope"])
            group = sources[0] if sources else "other"
            group_title = _source_title((r["source_title"] for r in rows), group)
        out.append(
            SeriesEntry(
                indicator=m["indicator"],
                name=name,
                group=group,
                group_title=group_title,
                unit=m["unit"],
                scope=m["scope"],
                description=known.description if known else None,
                sources=sources,
                periods=int(m["periods"]),
                vintages=int(m["vintages"]),
                first_period=m["first_period"],
                last_period=m["last_period"],
                last_known_at=m["last_known_at"],
                values=tuple(
                    Value(
                        r["period_start"], r["period_end"], r["value"], r["vintage"], r["known_at"]
                    )
                    for r in rows
                ),
            )
        )
    # The knowledge base's own groups first (the series its editors chose), then each source.
    out.sort(
        key=lambda e: (e.group not in KB_GROUPS, e.group_title.lower(), e.name.lower(), e.indicator)
    )
    return tuple(out)


def find_series(
    catalog: Sequence[SeriesEntry], q: str | None = None, group: str | None = None
) -> list[SeriesEntry]:
    """The series of ``group`` (None: all) whose id, name, unit or scope contain every word
    of ``q`` (case-insensitive).

    >>> e = SeriesEntry("x_al", "Heroin, Alabama", "cdc", "CDC", "deaths", None, None, (), 1, 1,
    ...                 date(2018, 1, 1), date(2018, 12, 31), datetime(2019, 1, 1), ())
    >>> [s.name for s in find_series([e], "alabama HEROIN")], find_series([e], "texas")
    (['Heroin, Alabama'], [])
    """
    words = (q or "").lower().split()
    return [
        e
        for e in catalog
        if (group is None or e.group == group) and all(w in e.text() for w in words)
    ]


def groups(catalog: Sequence[SeriesEntry]) -> list[tuple[str, str, int]]:
    """``(group, title, series)`` for each group of ``catalog``, in the catalogue's order."""
    seen: dict[str, tuple[str, int]] = {}
    for e in catalog:
        title, n = seen.get(e.group, (e.group_title, 0))
        seen[e.group] = (title, n + 1)
    return [(g, t, n) for g, (t, n) in seen.items()]


def indicator_releases(
    store: Store,
    indicator: str,
    as_of: date | datetime | None = None,
    *,
    snapshot: Snapshot | None = None,
) -> pa.Table:
    """Every release (vintage) of every period of ``indicator`` public by ``as_of``: what a
    chart of its revisions draws. Ordered by when each became public, then period.

    Raises
    ------
    UsageError
        If the store holds no series of that id (with a did-you-mean).
    """
    where = "indicator = $id"
    params: dict[str, Any] = {"id": indicator}
    if as_of is not None:
        where += f" AND {visible_sql('known_at', '$as_of')}"
        params["as_of"] = bound(as_of)
    con = store.connect(snapshot)
    try:
        table = con.sql(
            f"SELECT * FROM indicators WHERE {where} "
            "ORDER BY known_at, vintage, period_start, period_end",
            params=params,
        ).to_arrow_table()
        if table.num_rows == 0:
            names = [r[0] for r in con.sql("SELECT DISTINCT indicator FROM indicators").fetchall()]
            if indicator not in names:
                raise UsageError(
                    f"Unknown indicator '{indicator}'.{did_you_mean(indicator, names)} "
                    "List the series with `dyadwatch indicators`."
                )
    finally:
        con.close()
    return table.cast(INDICATOR_SCHEMA)


__all__ = [
    "KB_GROUPS",
    "SeriesEntry",
    "Value",
    "derived_name",
    "find_series",
    "groups",
    "humanise",
    "indicator_catalog",
    "indicator_releases",
]
