"""What the API and the dashboard show, computed once per store generation and "as of" date.

:class:`StoreView` wraps a :class:`~dyadwatch.store.Store` and answers every question the
JSON API and the pages ask, as JSON-ready Python values (dates as ISO strings, no NaN). It
reads through the stages below (:mod:`dyadwatch.analyse.listing` for events,
:mod:`dyadwatch.analyse.answers` for the index, :mod:`dyadwatch.policy.catalog` for
indicators, the rules and the overview): no SQL here, and what was public by a date is
decided there (:mod:`dyadwatch.visibility`). Each answer is cached under ``(store
generation, question, parameters)``: a page is computed once per as-of date until the next
ingest commits, and concurrent requests for the same cold page compute it once
(:class:`~dyadwatch.present.api.cache.SingleFlightCache`).
"""

from __future__ import annotations

import importlib
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from dyadwatch.analyse.answers import (
    SeriesRequest,
    alerts_answer,
    compute,
    evidence_answer,
    judgments_answer,
    lowest_answer,
    series_answer,
    turning_answer,
)
from dyadwatch.analyse.index import FUSED
from dyadwatch.analyse.listing import (
    EventSearch,
    event_by_id,
    events_by_key,
    search_events,
)
from dyadwatch.analyse.records import source_summary
from dyadwatch.errors import DyadwatchError, UsageError, did_you_mean
from dyadwatch.knowledge.loader import data_root
from dyadwatch.policy.catalog import (
    SeriesEntry,
    find_series,
    indicator_catalog,
    indicator_releases,
)
from dyadwatch.policy.indicators import indicator_series
from dyadwatch.policy.instruments import instrument_states
from dyadwatch.present.api.cache import SingleFlightCache
from dyadwatch.store import Snapshot, Store

log = logging.getLogger(__name__)

T = TypeVar("T")


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


@dataclass(slots=True)
class StoreView:
    """Cached, JSON-ready answers over one store.

    Examples
    --------
    >>> view = StoreView(Store.open(".dyadwatch"))  # doctest: +SKIP
    >>> view.series(SeriesRequest(freq="year"))["rows"][0]["period"]  # doctest: +SKIP
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

    # --- store -------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            snap = self.snapshot()
            return {
                "generation": snap.generation,
                "sources": jsonable(source_summary(self.store, snapshot=snap)),
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

    def events(self, search: EventSearch, limit: int, offset: int) -> dict[str, Any]:
        """One page of events and the total matching, newest or oldest first."""

        def compute() -> dict[str, Any]:
            page = search_events(self.store, search, limit, offset, snapshot=self.snapshot())
            return {"total": page.total, "events": [jsonable(e) for e in page.events]}

        return self.cached("events", (search, limit, offset), compute)

    def event(self, event_id: str, as_of: date | None) -> dict[str, Any] | None:
        def compute() -> dict[str, Any] | None:
            found = event_by_id(self.store, event_id, as_of, snapshot=self.snapshot())
            return jsonable(found) if found is not None else None

        return self.cached("event", (event_id, as_of), compute)

    def events_by_key(self, keys: Sequence[str], as_of: date | None) -> dict[str, dict[str, Any]]:
        """Curated events by their knowledge-base id (instrument evidence), visible as of."""
        wanted = tuple(dict.fromkeys(keys))

        def compute() -> dict[str, dict[str, Any]]:
            found = events_by_key(self.store, wanted, as_of, snapshot=self.snapshot())
            return {k: jsonable(e) for k, e in found.items()}

        return self.cached("events_by_key", (wanted, as_of), compute) if wanted else {}

    # --- the index ---------------------------------------------------------------------------

    def run(self, req: SeriesRequest) -> Any:
        """The computed series (named) or index frame (CAMEO) every answer about ``req`` reads."""
        checked = req.checked()
        return self.cached("run", (checked,), lambda: compute(self.store, checked))

    def series(self, req: SeriesRequest, source: str = FUSED) -> dict[str, Any]:
        """The rows of one source (or ``all``) of the measure asked for, with their meaning."""

        def compute_() -> dict[str, Any]:
            answer = series_answer(req, self.run(req), source)
            return jsonable({"query": {**req.describe(), "source": source}, **answer})

        return self.cached("series", (req, source), compute_)

    def evidence(
        self,
        req: SeriesRequest,
        period: str,
        *,
        source: str = FUSED,
        limit: int = 20,
        sign: int = 0,
    ) -> list[dict[str, Any]]:
        return self.cached(
            "evidence",
            (req, period, source, limit, sign),
            lambda: jsonable(
                evidence_answer(
                    self.store, req, self.run(req), period, source=source, limit=limit, sign=sign
                )
            ),
        )

    def turning_points(
        self,
        req: SeriesRequest,
        *,
        source: str = FUSED,
        penalty: float | None = None,
        min_size: int = 2,
        model: str = "l2",
        events: int = 5,
    ) -> list[dict[str, Any]]:
        return self.cached(
            "turning",
            (req, source, penalty, min_size, model, events),
            lambda: jsonable(
                turning_answer(
                    self.store,
                    req,
                    self.run(req),
                    source=source,
                    penalty=penalty,
                    min_size=min_size,
                    model=model,
                    events=events,
                )
            ),
        )

    def alerts(
        self,
        req: SeriesRequest,
        *,
        source: str = FUSED,
        threshold: float = 2.0,
        recent: int = 1,
        events: int = 5,
    ) -> list[dict[str, Any]]:
        return self.cached(
            "alerts",
            (req, source, threshold, recent, events),
            lambda: jsonable(
                alerts_answer(
                    self.store,
                    req,
                    self.run(req),
                    source=source,
                    threshold=threshold,
                    recent=recent,
                    events=events,
                )
            ),
        )

    def lowest_since(self, req: SeriesRequest, period: str, *, source: str = FUSED) -> Any:
        return self.cached(
            "lowest",
            (req, period, source),
            lambda: jsonable(lowest_answer(self.store, req, self.run(req), period, source=source)),
        )

    def judgments(self, req: SeriesRequest, path: Path | None = None) -> dict[str, Any]:
        """The shipped judgments (or ``path``) scored against the named series as of the date."""
        file = path or judgments_file()
        return self.cached(
            "judgments",
            (req, str(file)),
            lambda: jsonable(judgments_answer(self.store, file, req)),
        )

    # --- instruments -------------------------------------------------------------------------

    def instruments(self, as_of: date | None) -> list[dict[str, Any]]:
        """Every instrument with its state on ``as_of`` and its history as known then.

        A state's ``evidence`` lists only the events public by ``as_of``
        (:func:`~dyadwatch.policy.instruments.instrument_states` decides).
        """

        def compute_() -> list[dict[str, Any]]:
            day = as_of or today()
            out = []
            for inst in instrument_states(self.store, as_of, snapshot=self.snapshot()):
                current = next((s for s in inst.states if s.holds_on(day)), None)
                states = [jsonable(asdict(s)) for s in inst.states]
                out.append(
                    {
                        "id": inst.id,
                        "name": inst.name,
                        "description": inst.description,
                        "state": current.state if current else None,
                        "since": jsonable(current.valid_from) if current else None,
                        "states": states,
                    }
                )
            return out

        return self.cached("instruments", (as_of,), compute_)

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

    def catalog(self, as_of: date | None) -> tuple[SeriesEntry, ...]:
        """Every indicator series public by ``as_of``, with its values (one read per date)."""
        return self.cached(
            "catalog",
            (as_of,),
            lambda: indicator_catalog(self.store, as_of, snapshot=self.snapshot()),
        )

    def indicators(
        self, as_of: date | None, q: str | None = None, group: str | None = None
    ) -> list[dict[str, Any]]:
        """One row per series (name, group, unit, scope, periods, vintages, latest value)."""

        def compute_() -> list[dict[str, Any]]:
            return [series_row(e) for e in find_series(self.catalog(as_of), q, group)]

        return self.cached("indicators", (as_of, q, group), compute_)

    def indicator_ids(self) -> list[str]:
        return self.cached("indicator_ids", (), lambda: [e.indicator for e in self.catalog(None)])

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

    def releases(self, indicator: str, as_of: date | None) -> list[dict[str, Any]]:
        """Every release of every period of ``indicator`` public by ``as_of``."""
        return self.cached(
            "releases",
            (indicator, as_of),
            lambda: jsonable(
                indicator_releases(self.store, indicator, as_of, snapshot=self.snapshot())
            ),
        )

    # --- rules, backtest, overview (later stages, imported when first asked for) --------------

    def rule_findings(self, as_of: date | None) -> list[Any]:
        """The default rule set evaluated as of ``as_of`` (default today), as Finding records."""
        day = as_of or today()

        def compute_() -> list[Any]:
            rules = _rules()
            return list(rules.evaluate(self.store, rules.load_rules(), day))

        return self.cached("rule_findings", (day,), compute_)

    def findings(self, as_of: date | None, rule_ids: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Findings as JSON, optionally only those of ``rule_ids``.

        An evidence item's ``urls`` are the pages public by ``as_of``: the rules decide
        (:mod:`dyadwatch.policy.rules.data`), as they do for the CLI and the brief.
        """
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

        def compute_() -> dict[str, Any]:
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

        return self.cached("backtest", (start, end), compute_)

    def overview(
        self, as_of: date | None, freq: str = "month", dyad: str = "USA-MEX"
    ) -> dict[str, Any]:
        """The overview record (:mod:`dyadwatch.present.overview`) as JSON."""
        day = as_of or today()

        def compute_() -> dict[str, Any]:
            from dyadwatch.present.overview import overview

            try:
                findings: list[Any] | None = self.rule_findings(day)
            except FeatureUnavailable:
                findings = None
            record = overview(self.store, day, dyad=dyad, freq=freq, findings=findings)
            return jsonable(record.as_dict())

        return self.cached("overview", (day, freq, dyad), compute_)


def series_row(entry: SeriesEntry) -> dict[str, Any]:
    """An indicator series as a JSON row: what it is and its latest figure (no values)."""
    latest = entry.latest
    return jsonable(
        {
            "indicator": entry.indicator,
            "name": entry.name,
            "group": entry.group,
            "group_title": entry.group_title,
            "unit": entry.unit,
            "scope": entry.scope,
            "sources": ";".join(entry.sources),
            "periods": entry.periods,
            "first_period": entry.first_period,
            "last_period": entry.last_period,
            "vintages": entry.vintages,
            "last_known_at": entry.last_known_at,
            "latest": asdict(latest) if latest else None,
        }
    )


def judgments_file() -> Path:
    """The judgments file shipped with the knowledge base."""
    return data_root() / "judgments.csv"


BACKTEST_START = date(2018, 1, 1)
"""Default first month of a backtest: the issue's "2018–today"."""


def _month(text: str) -> date:
    try:
        return date(int(text[:4]), int(text[5:7]), 1)
    except (ValueError, IndexError):
        raise UsageError(f"{text!r} is not a month (YYYY-MM).") from None


def _rules() -> Any:
    try:
        return importlib.import_module("dyadwatch.policy.rules")
    except ImportError as exc:
        raise FeatureUnavailable(
            f"rules are not available in this build of dyadwatch ({exc}); "
            "update dyadwatch to evaluate findings."
        ) from None


__all__ = [
    "FeatureUnavailable",
    "StoreView",
    "encode_json",
    "jsonable",
    "series_row",
    "today",
]
