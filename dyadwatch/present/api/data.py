"""What the API and the dashboard show, computed once per store generation and "as of" date.

:class:`StoreView` wraps a :class:`~dyadwatch.store.Store` and answers every question the
JSON API and the pages ask, as JSON-ready Python values (dates as ISO strings, no NaN). Each
answer is cached under ``(store generation, question, parameters)``: a page is computed once
per as-of date until the next ingest commits, and concurrent requests for the same cold page
compute it once (:class:`~dyadwatch.present.api.cache.SingleFlightCache`).
"""

from __future__ import annotations

import importlib
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pyarrow as pa

from dyadwatch.analyse.index import (
    FUSED,
    IndexSpec,
    alerts,
    evidence,
    lowest_since,
    parse_weights,
    run_index,
    turning_points,
)
from dyadwatch.analyse.index.core import make_spec
from dyadwatch.errors import DyadwatchError, UsageError, did_you_mean
from dyadwatch.model import EVENT_SCHEMA, as_of_timestamp
from dyadwatch.policy.indicators import indicator_names, indicator_series
from dyadwatch.policy.instruments import states_from_table
from dyadwatch.present.api.cache import SingleFlightCache
from dyadwatch.store import EventFilter, Snapshot, Store

log = logging.getLogger(__name__)

T = TypeVar("T")

EVENT_ORDER = ("asc", "desc")


class FeatureUnavailable(DyadwatchError):
    """A part of dyadwatch the request needs is not installed in this build (e.g. rules)."""


def jsonable(value: Any) -> Any:
    """``value`` with dates as ISO strings, NaN/inf as None, tuples as lists, dataclasses as dicts.

    >>> jsonable({"d": date(2021, 1, 19), "x": float("nan"), "t": (1, 2)})
    {'d': '2021-01-19', 'x': None, 't': [1, 2]}
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        as_dict = getattr(value, "as_dict", None)
        return jsonable(as_dict() if callable(as_dict) else asdict(value))
    if isinstance(value, pa.Table):
        return jsonable(value.to_pylist())
    return str(value)


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (as FastAPI's JSONResponse renders it).

    >>> encode_json({"d": date(2021, 1, 19)})
    b'{"d":"2021-01-19"}'
    """
    return json.dumps(
        jsonable(value), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class IndexQuery:
    """The index parameters the API accepts (hashable, so it can key the cache)."""

    dyad: str = "USA-MEX"
    direction: str = "both"
    freq: str = "quarter"
    as_of: date | None = None
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] | None = None
    dedupe: str = "phoenix"
    min_confidence: float = 0.0
    baseline: int | None = None
    weights: str | None = None

    def spec(self) -> IndexSpec:
        """The checked :class:`IndexSpec`; a :class:`UsageError` names any bad field."""
        return make_spec(
            None,
            {
                "dyad": self.dyad,
                "direction": self.direction,
                "freq": self.freq,
                "as_of": self.as_of,
                "since": self.since,
                "until": self.until,
                "sources": list(self.sources) if self.sources else None,
                "dedupe": self.dedupe,
                "min_confidence": self.min_confidence,
                "baseline": self.baseline,
                "weights": parse_weights(self.weights) if self.weights else {},
            },
        )

    def describe(self) -> dict[str, Any]:
        return jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Filters of the events listing (API ``/api/events`` and the timeline page)."""

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    dyad: str | None = None
    direction: str = "both"
    instrument: str | None = None
    actor: str | None = None
    q: str | None = None
    order: str = "asc"

    def where(self) -> tuple[str, list[Any]]:
        if self.since and self.until and self.since > self.until:
            raise UsageError(f"since {self.since} is after until {self.until}.")
        if self.order not in EVENT_ORDER:
            raise UsageError(f"order {self.order!r} is not one of asc, desc.")
        flt = EventFilter(
            sources=list(self.sources) or None,
            since=self.since,
            until=self.until,
            as_of=self.as_of,
            dyad=self.dyad,
            direction=self.direction,  # type: ignore[arg-type]
            instrument=self.instrument,
        )
        where, params = flt.where()
        if self.actor:
            where += (
                " AND (contains(lower(coalesce(actor1_code, '') || ' ' || coalesce(actor1_name, '')"
                " || ' ' || coalesce(actor2_code, '') || ' ' || coalesce(actor2_name, '')),"
                " lower(?)))"
            )
            params.append(self.actor.strip())
        if self.q:
            where += (
                " AND contains(lower(coalesce(summary, '') || ' ' || source_key || ' '"
                " || coalesce(actor1_name, '') || ' ' || coalesce(actor2_name, '')"
                " || ' ' || coalesce(array_to_string(source_titles, ' '), '')), lower(?))"
            )
            params.append(self.q.strip())
        return where, params


@dataclass(slots=True)
class StoreView:
    """Cached, JSON-ready answers over one store.

    Examples
    --------
    >>> view = StoreView(Store.open(".dyadwatch"))  # doctest: +SKIP
    >>> view.index(IndexQuery(freq="year"))["rows"][0]["period"]  # doctest: +SKIP
    '1985'
    """

    store: Store
    cache: SingleFlightCache = field(default_factory=lambda: SingleFlightCache(512))
    bodies: SingleFlightCache = field(default_factory=lambda: SingleFlightCache(128))

    # --- plumbing ----------------------------------------------------------------------------

    def generation(self) -> int:
        return self.store.generation()

    def cached(self, name: str, args: tuple[Any, ...], compute: Callable[[], T]) -> T:
        return self.cache.get((self.generation(), name, args), compute)

    def body(self, key: tuple[Any, ...], compute: Callable[[], bytes]) -> bytes:
        """An encoded response body, cached like the answers (fewer entries: they are big)."""
        return self.bodies.get((self.generation(), key), compute)

    def snapshot(self) -> Snapshot:
        return self.cached("snapshot", (), self.store.snapshot)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        con = self.store.connect(self.snapshot())
        try:
            return con.sql(sql, params=list(params)).to_arrow_table()
        finally:
            con.close()

    # --- store -------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            snap = self.snapshot()
            rows = self._query(
                "SELECT source, count(*) AS events, min(event_date) AS first, "
                "max(event_date) AS last, max(known_at) AS known_by FROM events "
                "GROUP BY source ORDER BY source"
            )
            return {
                "generation": snap.generation,
                "sources": jsonable(rows.to_pylist()),
                "datasets": sorted({p.dataset for p in snap.parts}),
            }

        return self.cached("status", (), compute)

    def event_sources(self) -> list[str]:
        return self.snapshot().sources("events")

    def instrument_ids(self) -> list[str]:
        return self.cached(
            "instrument_ids",
            (),
            lambda: sorted(
                set(
                    self.store.table("instrument_states", self.snapshot())["instrument"].to_pylist()
                )
            ),
        )

    # --- events ------------------------------------------------------------------------------

    def events(self, query: EventQuery, limit: int, offset: int) -> dict[str, Any]:
        """One page of events and the total matching, newest or oldest first."""

        def compute() -> dict[str, Any]:
            where, params = query.where()
            direction = "DESC" if query.order == "desc" else "ASC"
            total = self._query(f"SELECT count(*) AS n FROM events WHERE {where}", params)
            rows = self._query(
                f"SELECT * FROM events WHERE {where} "
                f"ORDER BY event_date {direction}, event_id {direction} "
                f"LIMIT {int(limit)} OFFSET {int(offset)}",
                params,
            )
            return {
                "total": int(total.column("n")[0].as_py()),
                "events": [event_json(r) for r in rows.cast(EVENT_SCHEMA).to_pylist()],
            }

        return self.cached("events", (query, limit, offset), compute)

    def event(self, event_id: str, as_of: date | None) -> dict[str, Any] | None:
        def compute() -> dict[str, Any] | None:
            clauses, params = "event_id = ?", [event_id]
            if as_of is not None:
                clauses += " AND known_at <= ?"
                params.append(as_of_timestamp(as_of))  # type: ignore[arg-type]
            rows = self._query(f"SELECT * FROM events WHERE {clauses} LIMIT 1", params)
            return event_json(rows.cast(EVENT_SCHEMA).to_pylist()[0]) if rows.num_rows else None

        return self.cached("event", (event_id, as_of), compute)

    def events_by_key(self, keys: Sequence[str], as_of: date | None) -> dict[str, dict[str, Any]]:
        """Curated events by their knowledge-base id (instrument evidence), visible as of."""
        keys = tuple(dict.fromkeys(keys))
        if not keys:
            return {}

        def compute() -> dict[str, dict[str, Any]]:
            marks = ", ".join("?" for _ in keys)
            sql = f"SELECT * FROM events WHERE source_key IN ({marks})"
            params: list[Any] = list(keys)
            if as_of is not None:
                sql += " AND known_at <= ?"
                params.append(as_of_timestamp(as_of))
            rows = self._query(sql, params).cast(EVENT_SCHEMA).to_pylist()
            return {r["source_key"]: event_json(r) for r in rows}

        return self.cached("events_by_key", (keys, as_of), compute)

    # --- index -------------------------------------------------------------------------------

    def index(self, query: IndexQuery, series: str | None = None) -> dict[str, Any]:
        """Index rows (every series, or one) with the spec they were computed from."""

        def compute() -> dict[str, Any]:
            run = run_index(self.store, query.spec(), self.snapshot())
            table = run.series(series) if series is not None else run.table
            return {
                "query": query.describe(),
                "series": [*run.scope.series, FUSED],
                "rows": jsonable(table.to_pylist()),
            }

        return self.cached("index", (query, series), compute)

    def turning_points(
        self,
        query: IndexQuery,
        *,
        series: str = FUSED,
        measure: str = "net_coop",
        penalty: float | None = None,
        model: str = "l2",
        min_size: int = 2,
        window: int = 1,
        events: int = 5,
    ) -> list[dict[str, Any]]:
        args = (query, series, measure, penalty, model, min_size, window, events)

        def compute() -> list[dict[str, Any]]:
            table = turning_points(
                self.store,
                query.spec(),
                source=series,
                measure=measure,
                penalty=penalty,
                model=model,
                min_size=min_size,
                window=window,
                events=events,
            )
            return jsonable(table.to_pylist())

        return self.cached("turning", args, compute)

    def alerts(
        self,
        query: IndexQuery,
        *,
        series: str = FUSED,
        threshold: float = 2.0,
        recent: int = 1,
        events: int = 5,
    ) -> list[dict[str, Any]]:
        args = (query, series, threshold, recent, events)

        def compute() -> list[dict[str, Any]]:
            table = alerts(
                self.store,
                query.spec(),
                source=series,
                threshold=threshold,
                recent=recent,
                events=events,
            )
            return jsonable(table.to_pylist())

        return self.cached("alerts", args, compute)

    def lowest_since(
        self, query: IndexQuery, period: str, *, series: str = FUSED, measure: str = "net_coop"
    ) -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            answer = lowest_since(self.store, period, query.spec(), source=series, measure=measure)
            return jsonable(answer.as_dict())

        return self.cached("lowest", (query, period, series, measure), compute)

    def evidence(
        self,
        query: IndexQuery,
        period: str,
        *,
        series: str = FUSED,
        measure: str = "net_coop",
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        def compute() -> list[dict[str, Any]]:
            table = evidence(
                self.store, period, query.spec(), source=series, measure=measure, limit=limit
            )
            return jsonable(table.to_pylist())

        return self.cached("evidence", (query, period, series, measure, limit), compute)

    # --- instruments -------------------------------------------------------------------------

    def instruments(self, as_of: date | None) -> list[dict[str, Any]]:
        """Every instrument with its state on ``as_of`` and its history as known then."""

        def compute() -> list[dict[str, Any]]:
            table = self.store.table("instrument_states", self.snapshot())
            day = as_of or today()
            out = []
            for inst in states_from_table(table, as_of):
                current = next((s for s in inst.states if s.holds_on(day)), None)
                out.append(
                    {
                        "id": inst.id,
                        "name": inst.name,
                        "description": inst.description,
                        "state": current.state if current else None,
                        "since": jsonable(current.valid_from) if current else None,
                        "states": [jsonable(asdict(s)) for s in inst.states],
                    }
                )
            return out

        return self.cached("instruments", (as_of,), compute)

    def instrument(self, instrument_id: str, as_of: date | None) -> dict[str, Any] | None:
        """One instrument's state history with the evidence events of each state."""
        found = next((i for i in self.instruments(as_of) if i["id"] == instrument_id), None)
        if found is None:
            return None
        keys = [k for s in found["states"] for k in s["evidence"]]
        events = self.events_by_key(keys, as_of)
        states = []
        for s in found["states"]:
            ev = [events[k] for k in s["evidence"] if k in events]
            states.append({**s, "evidence_events": ev})
        return {**found, "states": states}

    # --- indicators --------------------------------------------------------------------------

    def indicators(self, as_of: date | None) -> list[dict[str, Any]]:
        return self.cached(
            "indicators",
            (as_of,),
            lambda: jsonable(
                indicator_names(self.store, as_of, snapshot=self.snapshot()).to_pylist()
            ),
        )

    def indicator_ids(self) -> list[str]:
        return [r["indicator"] for r in self.indicators(None)]

    def indicator(self, indicator: str, as_of: date | None, vintage: str) -> list[dict[str, Any]]:
        return self.cached(
            "indicator",
            (indicator, as_of, vintage),
            lambda: jsonable(
                indicator_series(
                    self.store, indicator, as_of, vintage, snapshot=self.snapshot()
                ).to_pylist()
            ),
        )

    # --- rules, backtest, overview (later stages, imported when first asked for) --------------

    def rule_findings(self, as_of: date | None) -> list[Any]:
        """The default rule set evaluated as of ``as_of`` (default today), as Finding records."""
        day = as_of or today()

        def compute() -> list[Any]:
            rules = _rules()
            return list(rules.evaluate(self.store, rules.load_rules(), day))

        return self.cached("rule_findings", (day,), compute)

    def findings(self, as_of: date | None, rule_ids: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Findings as JSON, optionally only those of ``rule_ids``."""
        rules = _rules()
        out = [jsonable(rules.finding_dict(f)) for f in self.rule_findings(as_of)]
        if rule_ids:
            known = {f["rule_id"] for f in out}
            unknown = [r for r in rule_ids if r not in known]
            if unknown:
                hint = did_you_mean(unknown[0], known)
                raise UsageError(f"no rule {unknown[0]!r} in the default rule set.{hint}")
        return [f for f in out if not rule_ids or f["rule_id"] in rule_ids]

    def backtest(self, start: str | None, end: str | None) -> dict[str, Any]:
        """Every rule at every month's end from ``start`` (YYYY-MM, default 2018-01) to ``end``."""

        def compute() -> dict[str, Any]:
            rules = _rules()
            first = _month(start) if start else BACKTEST_START
            last = _month(end) if end else None
            result = rules.backtest(self.store, rules.load_rules(), first, last)
            return {
                "start": jsonable(result.start),
                "end": jsonable(result.end),
                "rules": jsonable(result.summary()),
                "monthly": jsonable(result.monthly()),
            }

        return self.cached("backtest", (start, end), compute)

    def overview(
        self, as_of: date | None, freq: str = "month", dyad: str = "USA-MEX"
    ) -> dict[str, Any]:
        """The overview record (:mod:`dyadwatch.present.overview`) as JSON."""
        day = as_of or today()

        def compute() -> dict[str, Any]:
            from dyadwatch.present.overview import overview

            try:
                findings: list[Any] | None = self.rule_findings(day)
            except FeatureUnavailable:
                findings = None
            record = overview(self.store, day, dyad=dyad, freq=freq, findings=findings)
            return jsonable(record.as_dict())

        return self.cached("overview", (day, freq, dyad), compute)


BACKTEST_START = date(2018, 1, 1)
"""Default first month of a backtest: the issue's "2018–today"."""


def _month(text: str) -> date:
    try:
        return date(int(text[:4]), int(text[5:7]), 1)
    except (ValueError, IndexError):
        raise UsageError(f"{text!r} is not a month (YYYY-MM).") from None


def event_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """An event row as JSON, with its sources as ``[{url, title}]`` pairs."""
    out: dict[str, Any] = jsonable(dict(row))
    urls = row.get("source_urls") or []
    titles = row.get("source_titles") or []
    out["sources"] = [
        {"url": u, "title": titles[i] if i < len(titles) else None} for i, u in enumerate(urls)
    ]
    return out


def _rules() -> Any:
    try:
        return importlib.import_module("dyadwatch.policy.rules")
    except ImportError as exc:
        raise FeatureUnavailable(
            f"rules are not available in this build of dyadwatch ({exc}); "
            "update dyadwatch to evaluate findings."
        ) from None


__all__ = [
    "EventQuery",
    "FeatureUnavailable",
    "IndexQuery",
    "StoreView",
    "event_json",
    "jsonable",
]
