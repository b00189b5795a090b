"""The index as the JSON API and the dashboard answer with it: one request, one reading.

A :class:`SeriesRequest` says which measure to read — a named series (``relationship``, the
default reading; ``environment``; ``cameo``) or a CAMEO-based measure by its name
(``net_coop`` …) — of which dyad, at which step, as of when. It is hashable, so a server can
cache a computed :class:`~dyadwatch.analyse.index.SeriesRun` under it and answer the series,
its evidence, turning points, "lowest since" and alerts from that one run.

Named series are read through :mod:`dyadwatch.analyse.index` (``run_series`` and the
``series_*`` readers): every value with ``n``, a 90 % interval, ``status`` and ``reason``.
CAMEO-based measures keep their own frame (:func:`~dyadwatch.analyse.index.run_index`): a
line and ``n``, no interval. Turning points and alerts of a named series come with the events
behind them, as the CAMEO ones always did.

Examples
--------
>>> req = SeriesRequest(as_of=date(2021, 1, 19))
>>> req.named, req.query().name
(True, 'relationship')
>>> SeriesRequest(measure="net_coop").named
False
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dyadwatch.analyse.index import (
    FUSED,
    MIN_N,
    NAMED,
    IndexRun,
    IndexSpec,
    SeriesQuery,
    SeriesRun,
    alerts,
    evidence,
    load_series,
    lowest_since,
    make_query,
    parse_weights,
    read_judgments,
    run_index,
    run_series,
    series_alerts,
    series_evidence,
    series_lowest_since,
    series_turning_points,
    turning_points,
)
from dyadwatch.analyse.index.interval import DEFAULT_LEVEL
from dyadwatch.analyse.index.judgments import DIRECTIONS, Validation, score
from dyadwatch.analyse.index.measures import COLUMNS as CAMEO_COLUMNS
from dyadwatch.analyse.index.named import COLUMNS as SERIES_COLUMNS
from dyadwatch.analyse.index.spec import MEASURES, make_spec
from dyadwatch.analyse.listing import events_by_id
from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.store.store import Store

MEASURE_NAMES: tuple[str, ...] = (*NAMED, *MEASURES)
"""Named series first (the default reading), then the CAMEO-based measures."""

DEFAULT_MEASURE = "relationship"


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    """Which measure of which dyad, at which step, as of when (hashable: a cache key).

    Fields shared by every measure: ``dyad``, ``direction``, ``freq``, ``as_of``,
    ``since``, ``until``, ``sources``, ``dedupe``, ``min_confidence``, ``weights`` (text,
    ``curated=2,gdelt=1``). Named series only: ``window`` (periods pooled per value; None:
    each source's finest with evidence), ``episodes``, ``min_n``, ``level``. CAMEO-based
    measures only: ``baseline``.
    """

    measure: str = DEFAULT_MEASURE
    dyad: str = "USA-MEX"
    direction: str = "both"
    freq: str = "month"
    as_of: date | None = None
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] | None = None
    dedupe: str = "phoenix"
    min_confidence: float = 0.0
    weights: str | None = None
    window: int | None = None
    episodes: str = "once"
    min_n: int = MIN_N
    level: float = DEFAULT_LEVEL
    baseline: int | None = None

    @property
    def named(self) -> bool:
        return self.measure in NAMED

    def checked(self) -> SeriesRequest:
        """This request if it is valid; a :class:`UsageError` naming the first bad field."""
        if self.measure not in MEASURE_NAMES:
            raise UsageError(
                f"unknown measure {self.measure!r}.{did_you_mean(self.measure, MEASURE_NAMES)} "
                f"Measures: {', '.join(MEASURE_NAMES)}."
            )
        if self.named:
            self.query()
        else:
            self.spec()
        return self

    def query(self) -> SeriesQuery:
        """The checked named-series query."""
        return make_query(
            self.measure,
            {
                "dyad": self.dyad,
                "direction": self.direction,
                "freq": self.freq,
                "window": self.window,
                "as_of": self.as_of,
                "since": self.since,
                "until": self.until,
                "sources": list(self.sources) if self.sources else None,
                "dedupe": self.dedupe,
                "episodes": self.episodes,
                "min_confidence": self.min_confidence,
                "min_n": self.min_n,
                "level": self.level,
                "weights": parse_weights(self.weights) if self.weights else {},
            },
        )

    def spec(self) -> IndexSpec:
        """The checked CAMEO-based index spec."""
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
        """The fields that apply to this measure, by name."""
        own = {"window", "episodes", "min_n", "level"} if self.named else {"baseline"}
        shared = set(SeriesRequest.__dataclass_fields__) - {
            "window",
            "episodes",
            "min_n",
            "level",
            "baseline",
        }
        return {k: v for k, v in asdict(self).items() if k in shared | own}


def compute(store: Store, req: SeriesRequest) -> SeriesRun | IndexRun:
    """The run every answer about ``req`` reads: a named series' or the CAMEO frame."""
    req = req.checked()
    return run_series(store, req.query()) if req.named else run_index(store, req.spec())


def _labels(run: SeriesRun | IndexRun) -> list[str]:
    if isinstance(run, SeriesRun):
        return [*sorted(run.windows), FUSED]
    return [*run.scope.series, FUSED]


def _rows(run: SeriesRun | IndexRun, source: str) -> list[dict[str, Any]]:
    labels = _labels(run)
    if source != "all" and source not in labels:
        raise UsageError(
            f"no source {source!r} in this series.{did_you_mean(source, labels)} "
            f"Sources: {', '.join(labels)}, or all."
        )
    if isinstance(run, SeriesRun):
        table = run.table if source == "all" else run.source_rows(source)
    else:
        table = run.table if source == "all" else run.series(source)
    return table.to_pylist()


def _cited(store: Store, req: SeriesRequest, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CAMEO evidence rows with only the pages public at ``req.as_of``.

    The CAMEO frame lists every URL of an event's duplicate group, some of them published
    later than the event; a reader at D sees the event's own citations public by D.
    """
    if req.as_of is None:
        return rows
    seen = events_by_id(store, [r["event_id"] for r in rows], req.as_of)
    for r in rows:
        event = seen.get(r["event_id"])
        r["source_urls"] = event["source_urls"] if event else []
        r["sources"] = event["sources"] if event else []
    return rows


def series_answer(
    req: SeriesRequest, run: SeriesRun | IndexRun, source: str = FUSED
) -> dict[str, Any]:
    """The rows of ``source`` (``fused``, a source label, or ``all``) with what they mean.

    Every row has ``value``: for a named series the mean effect (null with ``status``
    ``insufficient`` and a ``reason`` when it rests on too few events), for a CAMEO measure
    that measure's column.
    """
    rows = _rows(run, source)
    if isinstance(run, SeriesRun):
        named = NAMED[req.measure]
        return {
            "measure": req.measure,
            "named": True,
            "title": named.title,
            "unit": named.unit,
            "sources": _labels(run),
            "windows": dict(run.windows),
            "min_n": run.query.min_n,
            "level": run.query.level,
            "columns": dict(SERIES_COLUMNS),
            "rows": rows,
        }
    for r in rows:
        r["value"] = r.get(req.measure)
    return {
        "measure": req.measure,
        "named": False,
        "title": req.measure,
        "unit": CAMEO_COLUMNS.get(req.measure, req.measure),
        "sources": _labels(run),
        "windows": {},
        "min_n": None,
        "level": None,
        "columns": {**CAMEO_COLUMNS, "value": f"the measure asked for ({req.measure})"},
        "rows": rows,
    }


def evidence_answer(
    store: Store,
    req: SeriesRequest,
    run: SeriesRun | IndexRun,
    period: str,
    *,
    source: str = FUSED,
    limit: int = 20,
    sign: int = 0,
) -> list[dict[str, Any]]:
    """The events behind the value of ``period``, largest contributions first.

    ``sign`` -1 (+1) keeps the events that pull a named series' value down (up).
    """
    if isinstance(run, SeriesRun):
        table = series_evidence(
            store, period, req.measure, source=source, limit=limit, sign=sign, run=run
        )
        return table.to_pylist()
    if sign:
        raise UsageError("sign applies to named series only (relationship, environment, cameo).")
    rows = evidence(store, period, req.spec(), source=source, measure=req.measure, limit=limit)
    return _cited(store, req, rows.to_pylist())


def turning_answer(
    store: Store,
    req: SeriesRequest,
    run: SeriesRun | IndexRun,
    *,
    source: str = FUSED,
    penalty: float | None = None,
    min_size: int = 2,
    model: str = "l2",
    events: int = 5,
) -> list[dict[str, Any]]:
    """Turning points of ``source``, each with the events behind the value where it turned.

    For a named series: PELT on independent values with enough evidence, each with ``z`` and
    ``sure`` (docs/index.md). ``model`` applies to CAMEO-based measures only.
    """
    if isinstance(run, SeriesRun):
        rows = series_turning_points(
            store, req.measure, source=source, penalty=penalty, min_size=min_size, run=run
        ).to_pylist()
        for r in rows:
            r["events"] = evidence_answer(store, req, run, r["period"], source=source, limit=events)
        return rows
    table = turning_points(
        store,
        req.spec(),
        source=source,
        measure=req.measure,
        penalty=penalty,
        model=model,
        min_size=min_size,
        events=events,
    )
    out: list[dict[str, Any]] = table.to_pylist()
    for r in out:
        r["events"] = _cited(store, req, r["events"])
    return out


def alerts_answer(
    store: Store,
    req: SeriesRequest,
    run: SeriesRun | IndexRun,
    *,
    source: str = FUSED,
    threshold: float = 2.0,
    recent: int = 1,
    events: int = 5,
) -> list[dict[str, Any]]:
    """The latest value(s) unusual against their own past, each with the events pulling it
    that way (for ``n``: the largest contributions)."""
    if isinstance(run, SeriesRun):
        rows = series_alerts(
            store, req.measure, source=source, threshold=threshold, recent=recent, run=run
        ).to_pylist()
        for r in rows:
            sign = 0 if r["measure"] == "n" else (-1 if r["z"] < 0 else 1)
            r["events"] = evidence_answer(
                store, req, run, r["period"], source=source, limit=events, sign=sign
            )
        return rows
    table = alerts(
        store,
        req.spec(),
        source=source,
        threshold=threshold,
        recent=recent,
        events=events,
    )
    found: list[dict[str, Any]] = table.to_pylist()
    for r in found:
        r["events"] = _cited(store, req, r["events"])
    return found


def lowest_answer(
    store: Store,
    req: SeriesRequest,
    run: SeriesRun | IndexRun,
    period: str,
    *,
    source: str = FUSED,
) -> dict[str, Any]:
    """How far back one must go for a value as low as ``period``'s, with a sentence."""
    if isinstance(run, SeriesRun):
        return series_lowest_since(store, period, req.measure, source=source, run=run).as_dict()
    answer = lowest_since(store, period, req.spec(), source=source, measure=req.measure)
    return answer.as_dict()


def judgments_answer(store: Store, path: Path, req: SeriesRequest) -> dict[str, Any]:
    """The judgments of ``path`` dated by ``req.as_of`` scored against the named series, each
    read as known at its own date (docs/index.md, "Validation against expert judgments").

    A reader at D can only check the judgments made by D: later rows are left out (and
    counted in ``later``). ``by_direction`` gives the agreement of each kind of claim.
    """
    if not req.named:
        raise UsageError(
            f"judgments are scored against a named series ({', '.join(NAMED)}), "
            f"not {req.measure!r}."
        )
    query = req.query()
    judgments = read_judgments(path)
    kept = [j for j in judgments if req.as_of is None or j.date <= req.as_of]
    data = load_series(store, query)
    result = Validation(tuple(score(data, j) for j in kept))
    by: dict[str, dict[str, Any]] = {}
    for direction in DIRECTIONS:
        part = Validation(tuple(r for r in result.rows if r.direction == direction))
        if part.rows:
            by[direction] = {
                "agreement": part.agreement,
                "n_agree": part.n_agree,
                "n_disagree": part.n_disagree,
                "n_insufficient": part.n_insufficient,
            }
    return {
        "measure": req.measure,
        "file": path.name,
        "later": len(judgments) - len(kept),
        **result.as_dict(),
        "by_direction": by,
    }


__all__ = [
    "DEFAULT_MEASURE",
    "MEASURE_NAMES",
    "SeriesRequest",
    "alerts_answer",
    "compute",
    "evidence_answer",
    "judgments_answer",
    "lowest_answer",
    "series_answer",
    "turning_answer",
]
