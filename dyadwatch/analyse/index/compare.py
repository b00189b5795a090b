"""Where the datasets disagree: one index measure per source, side by side, with the events why.

ICEWS, POLECAT, Phoenix, GDELT, ACLED and the curated record code the same months from
different stories with different coders. :func:`compare_sources` reads each source's series
of one measure through the public index API (:func:`~dyadwatch.analyse.index.dyad_index`
with ``sources=[...]``), and reports:

- per period, each source's value and its ``n`` (the events counted), side by side;
- for each pair of sources, the Pearson correlation of their values over the periods where
  both have one (null, with the reason, below :data:`MIN_PERIODS` shared periods);
- the periods where they disagree most — the largest spread between the highest and the
  lowest value of the period — each with the events behind every source's value
  (:func:`~dyadwatch.analyse.index.evidence`, largest contributions first).

The measure is a parameter (``net_coop`` by default; any of the index's measures), so the
comparison follows whatever the index computes.

Examples
--------
Two sources that code six months of meetings (036) and demands (111), agreeing on four:

>>> import tempfile
>>> from datetime import UTC, datetime
>>> from pathlib import Path
>>> from dyadwatch.model import Actor, Event
>>> from dyadwatch.pipeline import ingest
>>> from dyadwatch.sources.memory import MemorySource
>>> from dyadwatch.store import Store
>>> us, mx = Actor(code="USAGOV", country="USA"), Actor(code="MEXGOV", country="MEX")
>>> def event(source, month, code):
...     return Event(source=source, source_key=f"{month}-{code}", cameo_code=code,
...                  event_date=date(2021, month, 5), actor1=us, actor2=mx,
...                  known_at=datetime(2021, month, 5, tzinfo=UTC))
>>> codes = {"icews": "036 036 111 036 111 111", "gdelt2": "036 111 111 036 036 111"}
>>> src = MemorySource()
>>> _ = src.add("months", [event(s, m, c) for s, cs in codes.items()
...                        for m, c in enumerate(cs.split(), start=1)])
>>> two = Store.init(Path(tempfile.mkdtemp()) / "two")
>>> ingest(src, src.discover(), two).ok
True
>>> result = compare_sources(two, ["icews", "gdelt"], freq="month")
>>> result.correlations.to_pylist()
[{'a': 'icews', 'b': 'gdelt', 'r': 0.3333333333333333, 'periods': 6, 'reason': None}]
>>> print(result.text().splitlines()[3])
  2021-02: spread 2.00 (icews +1.00, gdelt -1.00)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.analyse.index import FUSED, IndexSession, IndexSpec, dyad_index, evidence
from dyadwatch.analyse.index.spec import MEASURES
from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.store.store import Store

MIN_PERIODS = 3
"""Fewest shared periods for a correlation (with two, any two series correlate ±1)."""

EVENT_COLUMNS = (
    "series",
    "event_id",
    "event_date",
    "source",
    "actor1_name",
    "actor1_country",
    "actor2_name",
    "actor2_country",
    "cameo_code",
    "goldstein",
    "contribution",
    "summary",
    "source_urls",
)
"""What each event behind a disagreement shows."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """The result of :func:`compare_sources`.

    Attributes
    ----------
    series
        The series compared (source labels, as the index names them).
    measure, freq
        The index measure and the period length.
    values
        One row per period: ``period``, ``period_start``, then ``<series>`` (the measure)
        and ``<series>_n`` (events counted) for each series.
    correlations
        One row per pair: ``a``, ``b``, ``r`` (null when it cannot be computed),
        ``periods`` (shared periods) and ``reason`` (why ``r`` is null).
    disagreements
        The periods of largest spread, largest first: ``period``, ``period_start``,
        ``spread``, ``highest``, ``lowest``, ``values`` (series → value) and ``events``
        (the events behind each series' value).
    """

    series: tuple[str, ...]
    measure: str
    freq: str
    values: pa.Table
    correlations: pa.Table
    disagreements: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """Everything as plain data (for ``--json`` and the API)."""
        return {
            "series": list(self.series),
            "measure": self.measure,
            "freq": self.freq,
            "values": self.values.to_pylist(),
            "correlations": self.correlations.to_pylist(),
            "disagreements": self.disagreements,
        }

    def text(self) -> str:
        """A few lines for people: the correlations and the periods of largest spread."""
        lines = [f"{self.measure} by {self.freq}, {', '.join(self.series)}"]
        for r in self.correlations.to_pylist():
            value = f"r = {r['r']:+.2f}" if r["r"] is not None else f"r unknown ({r['reason']})"
            lines.append(f"  {r['a']} vs {r['b']}: {value} over {r['periods']} period(s)")
        if self.disagreements:
            lines.append("largest disagreements:")
        for d in self.disagreements:
            shown = ", ".join(f"{k} {v:+.2f}" for k, v in d["values"].items() if v is not None)
            lines.append(f"  {d['period']}: spread {d['spread']:.2f} ({shown})")
            first: dict[str, dict[str, Any]] = {}
            for e in d["events"]:
                first.setdefault(e["series"], e)
            for e in first.values():
                lines.append(
                    f"    {e['series']}: {e['event_date']} {e['cameo_code'] or '-'} "
                    f"{(e['summary'] or e['actor1_name'] or '')[:70]}"
                )
        return "\n".join(lines) + "\n"


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r of two equally long sequences (None when either does not vary).

    >>> round(pearson([1, 2, 3], [2, 4, 7]), 3)
    0.993
    >>> pearson([1, 1, 1], [1, 2, 3]) is None
    True
    """
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def _labels(table: pa.Table, wanted: Sequence[str]) -> list[str]:
    present = [s for s in dict.fromkeys(table.column("source").to_pylist()) if s != FUSED]
    ordered = [w for w in wanted if w in present]
    return ordered + sorted(s for s in present if s not in ordered)


def compare_sources(
    store: Store,
    sources: Sequence[str],
    spec: IndexSpec | None = None,
    *,
    measure: str = "net_coop",
    top: int = 5,
    events: int = 3,
    session: IndexSession | None = None,
    **params: Any,
) -> Comparison:
    """Compare the index series of ``sources`` period by period.

    Parameters
    ----------
    store
        The store to read.
    sources
        Two or more sources, as the index names them (``icews``, ``gdelt`` — a family
        covers ``gdelt1`` and ``gdelt2`` — ``curated`` …).
    spec
        An :class:`IndexSpec`; keyword ``params`` override its fields (``freq``, ``dyad``,
        ``as_of``, ``since``, ``until`` …). Its ``sources`` are replaced by ``sources``.
    measure
        The index measure compared (``net_coop``, ``goldstein_net``, …).
    top
        How many periods of largest disagreement to report.
    events
        Events shown behind each series' value in those periods.

    Raises
    ------
    UsageError
        Fewer than two sources, an unknown measure, or non-positive ``top``/``events``.

    Examples
    --------
    >>> compare_sources(store, ["curated"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dyadwatch.errors.UsageError: compare needs two or more sources, ... (given: curated).
    """
    wanted = [s.strip() for s in sources if s and s.strip()]
    if len(set(wanted)) < 2:
        raise UsageError(
            "compare needs two or more sources, e.g. --sources icews,gdelt "
            f"(given: {', '.join(wanted) or 'none'})."
        )
    if measure not in MEASURES:
        raise UsageError(
            f"measure {measure!r} is not one of {', '.join(MEASURES)}."
            f"{did_you_mean(str(measure), MEASURES)}"
        )
    for name, value in (("top", top), ("events", events)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"{name} must be a positive whole number, not {value!r}.")
    params = {**params, "sources": wanted}
    own = session is None
    session = session or IndexSession(store)
    try:
        table: pa.Table = dyad_index(store, spec, session=session, **params)
        labels = _labels(table, wanted)
        freq = str(params.get("freq") or (spec.freq if spec is not None else IndexSpec().freq))
        values = _side_by_side(table, labels, measure)
        correlations = _correlations(values, labels)
        worst = _disagreements(values, labels, top)
        for d in worst:
            d["events"] = _events(
                store, spec, session, params, d["period_start"], labels, measure, events
            )
    finally:
        if own:
            session.close()
    return Comparison(tuple(labels), measure, freq, values, correlations, worst)


def _side_by_side(table: pa.Table, labels: Sequence[str], measure: str) -> pa.Table:
    starts = sorted(
        set(
            table.filter(pc.not_equal(table.column("source"), FUSED))
            .column("period_start")
            .to_pylist()
        )
    )
    by = {(r["source"], r["period_start"]): r for r in table.to_pylist()}
    period = {r["period_start"]: r["period"] for r in table.to_pylist()}
    columns: dict[str, Any] = {
        "period": pa.array([period[s] for s in starts], pa.string()),
        "period_start": pa.array(starts, pa.date32()),
    }
    for label in labels:
        rows = [by.get((label, s)) for s in starts]
        columns[label] = pa.array(
            [r[measure] if r is not None else None for r in rows], pa.float64()
        )
        columns[f"{label}_n"] = pa.array([r["n"] if r is not None else 0 for r in rows], pa.int64())
    return pa.table(columns)


def _correlations(values: pa.Table, labels: Sequence[str]) -> pa.Table:
    rows = []
    for a, b in combinations(labels, 2):
        pairs = [
            (x, y)
            for x, y in zip(values.column(a).to_pylist(), values.column(b).to_pylist(), strict=True)
            if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
        ]
        r: float | None = None
        reason: str | None = None
        if len(pairs) < MIN_PERIODS:
            reason = f"{len(pairs)} shared period(s) with a value; {MIN_PERIODS} needed"
        else:
            r = pearson([p[0] for p in pairs], [p[1] for p in pairs])
            if r is None:
                reason = "one of the series does not vary over the shared periods"
        rows.append({"a": a, "b": b, "r": r, "periods": len(pairs), "reason": reason})
    return pa.table(
        {
            "a": pa.array([r["a"] for r in rows], pa.string()),
            "b": pa.array([r["b"] for r in rows], pa.string()),
            "r": pa.array([r["r"] for r in rows], pa.float64()),
            "periods": pa.array([r["periods"] for r in rows], pa.int64()),
            "reason": pa.array([r["reason"] for r in rows], pa.string()),
        }
    )


def _disagreements(values: pa.Table, labels: Sequence[str], top: int) -> list[dict[str, Any]]:
    found = []
    for row in values.to_pylist():
        present = {
            label: row[label]
            for label in labels
            if row[label] is not None and math.isfinite(row[label])
        }
        if len(present) < 2:
            continue
        high = max(present, key=lambda k: present[k])
        low = min(present, key=lambda k: present[k])
        found.append(
            {
                "period": row["period"],
                "period_start": row["period_start"],
                "spread": present[high] - present[low],
                "highest": high,
                "lowest": low,
                "values": {label: row[label] for label in labels},
                "n": {label: row[f"{label}_n"] for label in labels},
            }
        )
    found.sort(key=lambda d: (-d["spread"], d["period_start"]))
    return found[:top]


def _events(
    store: Store,
    spec: IndexSpec | None,
    session: IndexSession,
    params: dict[str, Any],
    start: date,
    labels: Sequence[str],
    measure: str,
    limit: int,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for label in labels:
        table: pa.Table = evidence(
            store,
            start,
            spec,
            source=label,
            measure=measure,
            limit=limit,
            session=session,
            **params,
        )
        keep = [c for c in EVENT_COLUMNS if c in table.column_names]
        out.extend(table.select(keep).to_pylist())
    return out


__all__ = ["EVENT_COLUMNS", "MIN_PERIODS", "Comparison", "compare_sources", "pearson"]
