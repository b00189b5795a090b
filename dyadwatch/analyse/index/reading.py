"""Reading a named series: its evidence, turning points, "lowest since" and alerts.

Each function reads one named series (:mod:`~dyadwatch.analyse.index.named`; the default is
``relationship``, fused) and uses **only values with enough evidence**, saying how sure it is:

- :func:`series_evidence` — the events behind one value, largest contributions first; an
  episode appears once, with its steps;
- :func:`series_turning_points` — change points (ruptures' PELT, change in mean) on values
  read over *non-overlapping* windows (a trailing window's values overlap; detection runs on
  every ``window``-th step back from the last, so each value is independent), each with a
  z-score of the change against the segments' own spread;
- :func:`series_lowest_since` — the most recent earlier value as low or lower, and whether
  the two intervals overlap (if they do, "as low" is within the noise);
- :func:`series_alerts` — the latest value against its own history: more conflictual or more
  cooperative than usual (the value), and more or fewer events than usual (``n``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from dyadwatch.analyse.index.core import to_frame
from dyadwatch.analyse.index.named import DEFAULT_SERIES, SeriesRun, make_query, run_series
from dyadwatch.analyse.index.pooling import ordinal, start_of
from dyadwatch.analyse.index.spec import FUSED, parse_period, positive_number, whole_number
from dyadwatch.analyse.index.turning import breakpoints, default_penalty
from dyadwatch.errors import AnalysisError, UsageError, did_you_mean
from dyadwatch.store.query import EventFilter, events
from dyadwatch.store.store import Store
from dyadwatch.visibility import visible_citations

EVIDENCE_COLUMNS: tuple[str, ...] = (
    "period",
    "source",
    "event_id",
    "source_key",
    "event_date",
    "known_at",
    "actor1_name",
    "actor2_name",
    "cameo_code",
    "value",
    "effect_basis",
    "effect_rationale",
    "episode",
    "steps",
    "contribution",
    "summary",
    "citations",
)


def _frame(run: SeriesRun, source: str) -> pl.DataFrame:
    labels = sorted({*run.windows, FUSED})
    if source not in labels:
        raise UsageError(
            f"no series {source!r} here.{did_you_mean(source, labels)} Series: {', '.join(labels)}."
        )
    frame = pl.from_arrow(run.source_rows(source))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _step(run: SeriesRun, period: str | date) -> int:
    return ordinal(parse_period(period, run.query.freq), run.query.freq)


def series_evidence(
    store: Store,
    period: str | date,
    name: str = DEFAULT_SERIES,
    *,
    source: str = FUSED,
    limit: int | None = 20,
    sign: int = 0,
    output: str = "arrow",
    run: SeriesRun | None = None,
    **params: Any,
) -> Any:
    """The events behind the value of ``period``: each with its contribution to the value.

    An event contributes ``value / n`` to its source's mean, times the source's weight share
    for the fused value; an episode counted once in a period shows the other steps of that
    period in ``steps`` (id, source key, date, effect, summary).
    Citations are those public at ``as_of`` (:func:`dyadwatch.visibility.visible_citations`).
    Largest contributions first; ``sign`` -1 (or +1) keeps only the events that pull the
    value down (up): what makes a value "more conflictual than usual".
    """
    run = run or run_series(store, make_query(name, params))
    k = _step(run, period)
    label = next(
        (r["period"] for r in _frame(run, FUSED).iter_rows(named=True) if _is_step(r, k, run)),
        None,
    )
    picked = _contributions(run, k, source, sign)
    if not picked:
        return to_frame(_evidence_schema().empty_table(), output)
    if limit is not None:
        picked = picked[:limit]
    episodes = _episode_steps(run, k)
    step_ids = [e["event_id"] for steps in episodes.values() for e in steps]
    details = _details(store, run, k, [r["event_id"] for _, r, _ in picked] + step_ids)
    out = [
        {
            "period": label or str(period),
            **_evidence_row(run, label_, r, details, episodes.get(_episode_key(run, label_, r))),
            "contribution": contribution,
        }
        for label_, r, contribution in picked
    ]
    return to_frame(pa.Table.from_pylist(out, schema=_evidence_schema()), output)


Picked = tuple[str, dict[str, Any], float]
"""An event behind a value: its series label, its counted row and its contribution."""


def _contributions(run: SeriesRun, k: int, source: str, sign: int) -> list[Picked]:
    """The events counted in step ``k`` of ``source``, with contributions, largest first."""
    shares = {
        r["source"]: r["weight_share"] or 0.0
        for r in pl.from_arrow(run.table).iter_rows(named=True)  # type: ignore[union-attr]
        if r["source"] != FUSED and _is_step(r, k, run)
    }
    wanted = [source] if source != FUSED else list(run.events)
    picked = []
    for label_ in wanted:
        counted = run.events[label_].filter(pl.col("target") == k)
        n = counted.filter(pl.col("v").is_not_null()).height
        share = 1.0 if source != FUSED else shares.get(label_, 0.0)
        for r in counted.iter_rows(named=True):
            if r["v"] is None or n == 0 or r["v"] * sign < 0 or (sign and r["v"] == 0):
                continue
            picked.append((label_, r, r["v"] / n * share))
    picked.sort(key=lambda t: (-abs(t[2]), t[1]["event_date"], t[1]["event_id"]))
    return picked


def _episode_key(run: SeriesRun, label_: str, r: Mapping[str, Any]) -> tuple[str, Any, int]:
    return (label_, r["episode"], ordinal(r["event_date"], run.query.freq))


def _evidence_row(
    run: SeriesRun,
    label_: str,
    r: Mapping[str, Any],
    details: Mapping[str, Mapping[str, Any]],
    episode: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """One event behind a value, with its episode's other steps and its public citations."""
    d = details.get(r["event_id"], {})
    steps = [
        {
            "event_id": e["event_id"],
            "source_key": details.get(e["event_id"], {}).get("source_key"),
            "event_date": e["event_date"],
            "value": e["v"],
            "summary": details.get(e["event_id"], {}).get("summary"),
        }
        for e in episode or []
        if e["event_id"] != r["event_id"]
    ]
    citations = visible_citations(
        d.get("source_urls"),
        d.get("source_titles"),
        d.get("source_published"),
        d.get("source_outlets"),
        as_of=run.query.as_of,
        known_at=r["known_at"],
    )
    return {
        "source": label_,
        "event_id": r["event_id"],
        "source_key": d.get("source_key"),
        "event_date": r["event_date"],
        "known_at": r["known_at"],
        "actor1_name": d.get("actor1_name"),
        "actor2_name": d.get("actor2_name"),
        "cameo_code": d.get("cameo_code"),
        "value": r["v"],
        "effect_basis": d.get("effect_basis"),
        "effect_rationale": d.get("effect_rationale"),
        "episode": r["episode"],
        "steps": steps,
        "summary": d.get("summary"),
        "citations": [asdict(c) for c in citations],
    }


def _is_step(row: dict[str, Any], k: int, run: SeriesRun) -> bool:
    return ordinal(row["period_start"], run.query.freq) == k


def _evidence_schema() -> pa.Schema:
    citation = pa.struct(
        [
            pa.field("url", pa.string()),
            pa.field("title", pa.string()),
            pa.field("outlet", pa.string()),
            pa.field("published", pa.date32()),
        ]
    )
    return pa.schema(
        [
            pa.field("period", pa.string()),
            pa.field("source", pa.string()),
            pa.field("event_id", pa.string()),
            pa.field("source_key", pa.string()),
            pa.field("event_date", pa.date32()),
            pa.field("known_at", pa.timestamp("us", tz="UTC")),
            pa.field("actor1_name", pa.string()),
            pa.field("actor2_name", pa.string()),
            pa.field("cameo_code", pa.string()),
            pa.field("value", pa.float64()),
            pa.field("effect_basis", pa.string()),
            pa.field("effect_rationale", pa.string()),
            pa.field("episode", pa.string()),
            pa.field(
                "steps",
                pa.list_(
                    pa.struct(
                        [
                            pa.field("event_id", pa.string()),
                            pa.field("source_key", pa.string()),
                            pa.field("event_date", pa.date32()),
                            pa.field("value", pa.float64()),
                            pa.field("summary", pa.string()),
                        ]
                    )
                ),
            ),
            pa.field("contribution", pa.float64()),
            pa.field("summary", pa.string()),
            pa.field("citations", pa.list_(citation)),
        ]
    )


def _details(store: Store, run: SeriesRun, k: int, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Stored rows of ``ids`` (read within the window's dates, as of the query)."""
    q = run.query
    w = max(run.windows.values(), default=1)
    lo = start_of(k - w + 1, q.freq)
    table = events(store, EventFilter(since=lo, dyad=q.dyad, as_of=q.as_of))
    wanted = set(ids)
    return {r["event_id"]: r for r in table.to_pylist() if r["event_id"] in wanted}


def _episode_steps(
    run: SeriesRun, k: int
) -> dict[tuple[str, str | None, int], list[dict[str, Any]]]:
    """Every step of each episode in the window of step ``k``, by (source, episode, period).

    The counted events keep one step per episode and period; the steps come from
    ``SeriesRun.steps``, the windows' events before episodes were collapsed.
    """
    out: dict[tuple[str, str | None, int], list[dict[str, Any]]] = {}
    for label, frame in run.steps.items():
        window = frame.filter((pl.col("target") == k) & pl.col("episode").is_not_null())
        for r in window.sort("event_date", "event_id").iter_rows(named=True):
            month = ordinal(r["event_date"], run.query.freq)
            out.setdefault((label, r["episode"], month), []).append(r)
    return out


# --- turning points ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    period: str
    period_start: date
    before_mean: float
    after_mean: float
    change: float
    direction: str
    z: float
    sure: str
    """``clear`` (|z| >= 2), ``likely`` (|z| >= 1) or ``uncertain``."""


def _sure(z: float) -> str:
    return "clear" if abs(z) >= 2 else "likely" if abs(z) >= 1 else "uncertain"


def series_turning_points(
    store: Store,
    name: str = DEFAULT_SERIES,
    *,
    source: str = FUSED,
    penalty: float | None = None,
    min_size: int = 2,
    output: str = "arrow",
    run: SeriesRun | None = None,
    **params: Any,
) -> Any:
    """Turning points of a named series, on non-overlapping windows of values with evidence.

    Examples
    --------
    >>> series_turning_points(store, as_of=date(2021, 1, 31)).column_names[:6]
    ['period', 'period_start', 'before_mean', 'after_mean', 'change', 'direction']
    """
    whole_number("min_size", min_size)
    if penalty is not None:
        penalty = positive_number("penalty", penalty)
    run = run or run_series(store, make_query(name, params))
    frame = _independent(_frame(run, source), run.query.freq)
    ok = frame.filter(pl.col("value").is_not_null())
    if ok.height < 2 * min_size:
        raise AnalysisError(
            f"the {run.query.name} series has {ok.height} independent value(s) with enough "
            f"evidence; change-point detection needs at least {2 * min_size}."
        )
    x = ok["value"].to_numpy().astype(float)
    pen = penalty if penalty is not None else default_penalty(x)
    bkps = breakpoints(x, pen, "l2", min_size)
    edges = [0, *bkps, len(x)]
    rows = []
    for i, b in enumerate(bkps):
        left, right = x[edges[i] : b], x[b : edges[i + 2]]
        before, after = float(left.mean()), float(right.mean())
        spread = math.sqrt(_var(left) / len(left) + _var(right) / len(right))
        z = (after - before) / spread if spread > 0 else math.copysign(math.inf, after - before)
        rows.append(
            asdict(
                Change(
                    ok["period"][b],
                    ok["period_start"][b],
                    before,
                    after,
                    after - before,
                    "up" if after > before else "down",
                    z,
                    _sure(z),
                )
            )
        )
    schema = pa.schema(
        [
            pa.field("period", pa.string()),
            pa.field("period_start", pa.date32()),
            pa.field("before_mean", pa.float64()),
            pa.field("after_mean", pa.float64()),
            pa.field("change", pa.float64()),
            pa.field("direction", pa.string()),
            pa.field("z", pa.float64()),
            pa.field("sure", pa.string()),
        ]
    )
    return to_frame(pa.Table.from_pylist(rows, schema=schema), output)


def _var(x: np.ndarray) -> float:
    return float(np.var(x, ddof=1)) if len(x) > 1 else 0.0


def _independent(frame: pl.DataFrame, freq: str) -> pl.DataFrame:
    """Values whose windows do not overlap, on a calendar grid: with ``w``-period windows,
    the periods whose position is ``w - 1`` modulo ``w`` (12-month windows end in December,
    so they are calendar years). Anchored to the calendar, not to the last period read, the
    grid and the turning points found on it do not move when the as-of date does.

    >>> rows = pl.DataFrame({"period_start": [date(2020, m, 1) for m in range(1, 13)],
    ...                      "window": [3] * 12})
    >>> [d.month for d in _independent(rows, "month")["period_start"]]
    [3, 6, 9, 12]
    """
    if frame.is_empty():
        return frame
    w = max(frame["window"].to_list(), default=1)
    keep = [
        i for i, d in enumerate(frame["period_start"].to_list()) if ordinal(d, freq) % w == w - 1
    ]
    return frame[keep]


# --- lowest since -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesLowest:
    """ "Lowest since": the value of a period against the most recent as low or lower."""

    series: str
    period: str
    value: float
    lo: float
    hi: float
    n: int
    since: str | None
    since_value: float | None
    first_period: str
    within_noise: bool | None
    """Whether the two values' intervals overlap (None for a record low)."""

    def text(self) -> str:
        head = (
            f"{self.series} in {self.period} is {self.value:+.2f} "
            f"(interval {self.lo:+.2f} … {self.hi:+.2f}, n={self.n})"
        )
        if self.since is None:
            return f"{head}: the lowest since the record with enough evidence begins " + (
                f"({self.first_period})."
            )
        noise = " (within the noise of both values)" if self.within_noise else ""
        return f"{head}: the lowest since {self.since} ({self.since_value:+.2f}){noise}."

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "record_low": self.since is None, "text": self.text()}


def series_lowest_since(
    store: Store,
    period: str | date,
    name: str = DEFAULT_SERIES,
    *,
    source: str = FUSED,
    run: SeriesRun | None = None,
    **params: Any,
) -> SeriesLowest:
    """How far back one must go to find a value as low as ``period``'s (values with evidence)."""
    run = run or run_series(store, make_query(name, params))
    frame = _frame(run, source)
    k = _step(run, period)
    rows = [r for r in frame.iter_rows(named=True) if r["value"] is not None]
    here = next((r for r in rows if ordinal(r["period_start"], run.query.freq) == k), None)
    if here is None:
        row = next(
            (
                r
                for r in frame.iter_rows(named=True)
                if ordinal(r["period_start"], run.query.freq) == k
            ),
            None,
        )
        why = row["reason"] if row else "the period is outside the series"
        raise AnalysisError(f"{run.query.name} has no value for {period}: {why}.")
    earlier = [r for r in rows if r["period_start"] < here["period_start"]]
    if not earlier:
        raise AnalysisError(
            f"{run.query.name} has no value with enough evidence before {here['period']}."
        )
    hit = next((r for r in reversed(earlier) if r["value"] <= here["value"]), None)
    overlap = None if hit is None else not (here["hi"] < hit["lo"] or hit["hi"] < here["lo"])
    return SeriesLowest(
        run.query.name,
        here["period"],
        here["value"],
        here["lo"],
        here["hi"],
        here["n"],
        hit["period"] if hit else None,
        hit["value"] if hit else None,
        earlier[0]["period"],
        overlap,
    )


# --- alerts ------------------------------------------------------------------------------------

ALERT_BASELINE = 10
"""Independent earlier values an alert compares the latest with (fewer than 5: no alert)."""


def series_alerts(
    store: Store,
    name: str = DEFAULT_SERIES,
    *,
    source: str = FUSED,
    threshold: float = 2.0,
    recent: int = 1,
    output: str = "arrow",
    run: SeriesRun | None = None,
    **params: Any,
) -> Any:
    """Is the latest value unusual against its own history? On the value and on ``n``.

    The baseline is the :data:`ALERT_BASELINE` earlier independent values (every
    ``window``-th step back) with enough evidence; the latest value's z-score against them
    says "more conflictual than usual" (z <= -threshold) or "more cooperative than usual", and
    ``n``'s z-score "more (fewer) events than usual". ``sure`` says whether the latest value's
    interval lies wholly beyond the baseline mean.
    """
    threshold = positive_number("threshold", threshold)
    whole_number("recent", recent)
    run = run or run_series(store, make_query(name, params))
    frame = _frame(run, source)
    w = max(frame["window"].to_list(), default=1)
    rows = list(frame.iter_rows(named=True))
    out = []
    for idx in range(max(0, len(rows) - recent), len(rows)):
        row = rows[idx]
        base = [rows[j] for j in range(idx - w, -1, -w)][:ALERT_BASELINE]
        for measure, high, low in (
            ("value", "more cooperative than usual", "more conflictual than usual"),
            ("n", "more events than usual", "fewer events than usual"),
        ):
            current = row[measure]
            values = [
                b[measure]
                for b in base
                if b[measure] is not None and (measure == "n" or b["value"] is not None)
            ]
            if current is None or len(values) < 5:
                continue
            mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
            if sd == 0:
                continue
            z = (current - mean) / sd
            if abs(z) < threshold:
                continue
            sure = measure == "n" or (row["hi"] < mean if z < 0 else row["lo"] > mean)
            out.append(
                {
                    "period": row["period"],
                    "measure": measure,
                    "value": float(current),
                    "baseline_mean": mean,
                    "z": z,
                    "baseline_values": len(values),
                    "reading": high if z > 0 else low,
                    "sure": bool(sure),
                    "n": row["n"],
                }
            )
    schema = pa.schema(
        [
            pa.field("period", pa.string()),
            pa.field("measure", pa.string()),
            pa.field("value", pa.float64()),
            pa.field("baseline_mean", pa.float64()),
            pa.field("z", pa.float64()),
            pa.field("baseline_values", pa.int64()),
            pa.field("reading", pa.string()),
            pa.field("sure", pa.bool_()),
            pa.field("n", pa.int64()),
        ]
    )
    return to_frame(pa.Table.from_pylist(out, schema=schema), output)


__all__ = [
    "ALERT_BASELINE",
    "EVIDENCE_COLUMNS",
    "SeriesLowest",
    "series_alerts",
    "series_evidence",
    "series_lowest_since",
    "series_turning_points",
]
