"""What rules read: events, instrument states and indicators, loaded once, viewed as of D.

:class:`RuleData` reads the three datasets a rule set needs in one pass (events restricted to
the dyad's countries, projected to the columns metrics use). :meth:`RuleData.at` gives the
view as of a date: every metric asks its :class:`View`, and the view sees only what was
public by the end of that day (:mod:`dyadwatch.visibility`): rows, an instrument state's
evidence events, and an event's cited pages. A backtest loads once and asks for many views,
which is why evaluating a month costs milliseconds, not a store query per metric.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from dyadwatch.errors import RuleError
from dyadwatch.model import Evidence, Instrument
from dyadwatch.policy.instruments import evidence_known_at, states_from_table
from dyadwatch.policy.rules.index_series import SeriesReader
from dyadwatch.store.query import parse_dyad
from dyadwatch.store.store import Store
from dyadwatch.visibility import bound, is_visible, visible_citations, visible_sql

EVENT_COLUMNS = (
    "event_id",
    "source",
    "source_key",
    "event_date",
    "known_at",
    "actor1_code",
    "actor1_country",
    "actor2_code",
    "actor2_country",
    "cameo_code",
    "quad_class",
    "goldstein",
    "instruments",
    "source_urls",
    "source_published",
    "summary",
    "dedupe_group",
    "confidence",
)

_EPOCH = date(1970, 1, 1)

SeriesFn = Callable[[str, date, str], pa.Table]
"""(name, as_of, direction) → the named series as known at as_of (:func:`read_series`)."""


def day_number(d: date) -> int:
    return (d - _EPOCH).days


def micros(ts: datetime) -> int:
    return int((ts - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which events a metric counts: every field is optional; lists mean "any of"."""

    instrument: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    quad: tuple[int, ...] = ()
    actor1: tuple[str, ...] = ()
    actor2: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    min_confidence: float = 0.0
    direction: str | None = None


LATER_PAGES = "(every page cited for this was published after {as_of}; none is shown)"
"""Added to an event's evidence text when none of its pages was public by the as-of date."""


class RuleData:
    """The store's rule-relevant data, loaded once.

    Parameters
    ----------
    store
        The store to read.
    dyad
        ``"USA-MEX"``: events are kept when either actor is of one of the two countries.
    until
        Knowledge cut-off of the load (None: everything); views after it see nothing newer.
    evidence_known
        When each instrument state's evidence id became public (default: the source keys of
        ``events``); see :func:`~dyadwatch.policy.instruments.states_from_table`.

    Examples
    --------
    >>> data = RuleData.load(store)
    >>> data.at(date(2021, 1, 31)).instrument("dialogue").state_on(date(2021, 1, 31)).state
    'frozen'
    """

    def __init__(
        self,
        events: pa.Table,
        states: pa.Table,
        indicators: pa.Table,
        *,
        dyad: str = "USA-MEX",
        series_reader: SeriesFn | None = None,
        evidence_known: Mapping[str, datetime | None] | None = None,
    ) -> None:
        self.dyad = "-".join(parse_dyad(dyad))
        self.series_reader = series_reader
        self._series: dict[tuple[str, str, date], list[dict[str, Any]] | RuleError] = {}
        self.country_a, self.country_b = parse_dyad(dyad)
        self.states = states
        self.indicator_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in indicators.to_pylist():
            self.indicator_rows[row["indicator"]].append(row)
        self.instrument_ids = frozenset(states.column("instrument").to_pylist())
        ev = events.to_pydict()
        self.events = ev
        self.n = events.num_rows
        self.date = np.array([day_number(d) for d in ev["event_date"]], dtype=np.int64)
        self.known = np.array([micros(t) for t in ev["known_at"]], dtype=np.int64)
        self.quad = np.array([q or 0 for q in ev["quad_class"]], dtype=np.int64)
        self.goldstein = np.array(
            [np.nan if g is None else g for g in ev["goldstein"]], dtype=np.float64
        )
        # As the read-time step min_confidence (dyadwatch.normalise.confidence): a missing
        # rating counts as 0, and ratings compare at their stored float32 precision.
        self.confidence = np.array(
            [0.0 if c is None else c for c in ev["confidence"]], dtype=np.float32
        )
        c1 = np.array(ev["actor1_country"], dtype=object)
        c2 = np.array(ev["actor2_country"], dtype=object)
        a, b = self.country_a, self.country_b
        self.ab = (c1 == a) & (c2 == b)
        self.ba = (c1 == b) & (c2 == a)
        # Phoenix deduplication, as the index does it: one event per dedupe group, the first
        # to become public. The earliest member is visible whenever any member is.
        first: dict[str, int] = {}
        for i in np.lexsort((np.array(ev["event_id"], dtype=object), self.known)):
            key = ev["dedupe_group"][i] or ev["event_id"][i]
            first.setdefault(key, int(i))
        self.unique = np.zeros(self.n, dtype=bool)
        self.unique[list(first.values())] = True
        self.by_key: dict[str, int] = {}
        for i, key in enumerate(ev["source_key"]):
            self.by_key.setdefault(key, i)
            self.by_key.setdefault(ev["event_id"][i], i)
        self._masks: dict[EventQuery, np.ndarray] = {}
        self.evidence_known: Mapping[str, datetime | None] = (
            evidence_known
            if evidence_known is not None
            else dict(zip(ev["source_key"], ev["known_at"], strict=True))
        )

    @classmethod
    def load(
        cls, store: Store, *, dyad: str = "USA-MEX", until: date | datetime | None = None
    ) -> RuleData:
        """Read events (of the dyad's countries), instrument states and indicators."""
        a, b = parse_dyad(dyad)
        where = "(actor1_country IN (?, ?) OR actor2_country IN (?, ?))"
        params: list[object] = [a, b, a, b]
        if until is not None:
            where += f" AND {visible_sql('known_at', '?')}"
            params.append(bound(until))
        con = store.connect()
        try:
            events = con.sql(
                f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE {where} "
                "ORDER BY event_date, event_id",
                params=params,
            ).to_arrow_table()
            states = con.sql("SELECT * FROM instrument_states").to_arrow_table()
            indicators = con.sql("SELECT * FROM indicators").to_arrow_table()
        finally:
            con.close()

        return cls(
            events,
            states,
            indicators,
            dyad=dyad,
            series_reader=SeriesReader(store),
            evidence_known=evidence_known_at(store, states),
        )

    def series(self, name: str, direction: str, as_of: date) -> list[dict[str, Any]]:
        """The index's named series as known at ``as_of``, one dict per month (cached).

        Raises :class:`RuleError` when no series can be read (data built without a store).
        """
        key = (name, direction, as_of)
        cached = self._series.get(key)
        if cached is None:
            if self.series_reader is None:
                cached = RuleError(
                    "no index series: this data was built without a store "
                    "(RuleData.load(store) reads them)."
                )
            else:
                try:
                    cached = self.series_reader(name, as_of, direction).to_pylist()
                except RuleError as exc:
                    cached = exc
            self._series[key] = cached
        if isinstance(cached, RuleError):
            raise cached
        return cached

    def mask(self, q: EventQuery) -> np.ndarray:
        """Rows matching ``q`` regardless of dates (cached: queries repeat every month)."""
        cached = self._masks.get(q)
        if cached is not None:
            return cached
        ev = self.events
        m = np.ones(self.n, dtype=bool)
        if q.instrument:
            want = set(q.instrument)
            m &= np.array([bool(want.intersection(x or ())) for x in ev["instruments"]], bool)
        if q.code:
            m &= np.array([bool(c) and c.startswith(q.code) for c in ev["cameo_code"]], bool)
        if q.quad:
            m &= np.isin(self.quad, q.quad)
        for side, wanted in (("actor1", q.actor1), ("actor2", q.actor2)):
            if wanted:
                m &= np.array(
                    [
                        _actor_matches(code, country, wanted)
                        for code, country in zip(
                            ev[f"{side}_code"], ev[f"{side}_country"], strict=True
                        )
                    ],
                    bool,
                )
        if q.source:
            m &= np.isin(np.array(ev["source"], dtype=object), q.source)
        if q.min_confidence > 0:
            m &= self.confidence >= np.float32(q.min_confidence)
        if q.direction == "ab":
            m &= self.ab
        elif q.direction == "ba":
            m &= self.ba
        elif q.direction == "both":
            m &= self.ab | self.ba
        self._masks[q] = m
        return m

    def at(self, as_of: date) -> View:
        """The data as known at the end of ``as_of`` (UTC)."""
        return View(self, as_of)

    def event_evidence(self, i: int, as_of: date) -> Evidence:
        """Event ``i`` as evidence: its cited pages are those public by ``as_of``."""
        ev = self.events
        text = ev["summary"][i] or f"{ev['source'][i]} event {ev['source_key'][i]}"
        pages = visible_citations(
            ev["source_urls"][i],
            published=ev["source_published"][i],
            as_of=as_of,
            known_at=ev["known_at"][i],
        )
        text = " ".join(str(text).split())
        if ev["source_urls"][i] and not pages:
            # The fact was public, but every page the record cites for it came out later.
            text += f" {LATER_PAGES.format(as_of=as_of)}"
        return Evidence(
            kind="event",
            ref=f"{ev['source'][i]}:{ev['source_key'][i]}",
            date=ev["event_date"][i],
            text=text,
            urls=tuple(c.url for c in pages),
        )


def _actor_matches(code: str | None, country: str | None, wanted: Sequence[str]) -> bool:
    for w in wanted:
        if ":" in w or len(w) != 3:
            if code == w:
                return True
        elif country == w:
            return True
    return False


@dataclass
class View:
    """:class:`RuleData` as of one date: what metrics see."""

    data: RuleData
    as_of: date
    _instruments: dict[str, Instrument] | None = field(default=None, repr=False)
    _latest: tuple[date | None] | None = field(default=None, repr=False)

    @property
    def cutoff(self) -> int:
        """The visibility bound (:func:`dyadwatch.visibility.bound`) in microseconds."""
        return micros(bound(self.as_of))

    def visible(self) -> np.ndarray:
        return self.data.known <= self.cutoff

    def window(self, start: date | None) -> np.ndarray:
        """Visible events dated after ``start`` (None: from the beginning) up to ``as_of``."""
        m = self.visible() & (self.data.date <= day_number(self.as_of))
        if start is not None:
            m &= self.data.date > day_number(start)
        return m

    def series(self, name: str, direction: str = "both") -> list[dict[str, Any]]:
        """The named series as known now (:meth:`RuleData.series`)."""
        return self.data.series(name, direction, self.as_of)

    def latest_event_day(self) -> date | None:
        """The date of the newest event between the dyad's countries known now (≤ as_of)."""
        if self._latest is None:
            m = self.window(None) & (self.data.ab | self.data.ba)
            days = self.data.date[m]
            self._latest = (_EPOCH + timedelta(days=int(days.max())),) if len(days) else (None,)
        return self._latest[0]

    def instruments(self) -> dict[str, Instrument]:
        if self._instruments is None:
            found = states_from_table(
                self.data.states, self.as_of, evidence_known=self.data.evidence_known
            )
            self._instruments = {i.id: i for i in found}
        return self._instruments

    def instrument(self, instrument_id: str) -> Instrument | None:
        return self.instruments().get(instrument_id)

    def indicator(self, indicator_id: str, vintage: str = "latest-known") -> list[dict[str, Any]]:
        """One row per period as known at ``as_of`` (as ``policy.indicators.indicator_series``)."""
        rows = [
            r
            for r in self.data.indicator_rows.get(indicator_id, ())
            if is_visible(r["known_at"], self.as_of)
        ]
        if vintage not in ("latest-known", "first-known"):
            rows = [r for r in rows if r["vintage"] == vintage]
        best: dict[tuple[date, date], dict[str, Any]] = {}
        for r in sorted(rows, key=lambda r: (r["known_at"], r["vintage"])):
            key = (r["period_start"], r["period_end"])
            if vintage == "first-known":
                best.setdefault(key, r)
            else:
                best[key] = r
        return [best[k] for k in sorted(best)]

    def evidence_events(self, ids: Sequence[str]) -> list[Evidence]:
        """Evidence for the events named by ``ids`` (source keys or event ids) visible now."""
        out = []
        cutoff = self.cutoff
        for ref in ids:
            i = self.data.by_key.get(ref)
            if i is not None and self.data.known[i] <= cutoff:
                out.append(self.data.event_evidence(i, self.as_of))
        return out


def glob_match(value: str, pattern: str) -> bool:
    """``fnmatch`` without case folding: ``active_*`` matches ``active_high_level_dialogue``."""
    return fnmatch.fnmatchcase(value, pattern)


__all__ = ["EventQuery", "RuleData", "SeriesFn", "View", "glob_match"]
