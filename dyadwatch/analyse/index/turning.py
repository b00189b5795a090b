"""Turning points: change-point detection on an index series (ruptures, PELT).

The series is one measure of one series (``fused`` by default). Periods without a value
(no events) carry no information about the level and are left out before detection; a
turning point is reported at the first period *with a value* of the new segment.

The penalty is a parameter. Its default is BIC-like for a change in mean under Gaussian
noise: ``2 · σ̂² · ln(n)``, with σ̂ estimated robustly from first differences
(``1.4826 · MAD(diff) / √2``, so a level shift does not inflate it; the standard deviation of
the series if the MAD is zero). Larger penalties give fewer turning points.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from dyadwatch.analyse.index.core import (
    IndexSession,
    run_index,
    session_connection,
    to_frame,
)
from dyadwatch.analyse.index.evidence import check_measure, evidence_between
from dyadwatch.analyse.index.spec import (
    FUSED,
    IndexSpec,
    make_spec,
    positive_number,
    whole_number,
)
from dyadwatch.errors import AnalysisError, UsageError
from dyadwatch.store.store import Store

MODELS = ("l2", "l1", "normal", "rbf")
EVENT_FIELDS = (
    "period",
    "series",
    "event_id",
    "event_date",
    "cameo_code",
    "quad_class",
    "goldstein",
    "contribution",
    "summary",
    "source_urls",
)


def default_penalty(x: np.ndarray) -> float:
    """``2 · σ̂² · ln(n)`` with σ̂ from the MAD of first differences (see module docstring).

    >>> round(default_penalty(np.array([0.0, 1.0, 0.0, 1.0, 5.0, 6.0, 5.0, 6.0])), 2)
    27.03
    """
    n = len(x)
    if n < 2:
        return 1.0
    d = np.diff(x)
    mad = float(np.median(np.abs(d - np.median(d))))
    sigma = 1.4826 * mad / math.sqrt(2.0)
    if sigma == 0.0:
        sigma = float(np.std(x))
    return 2.0 * sigma * sigma * math.log(n)


def breakpoints(x: np.ndarray, penalty: float, model: str = "l2", min_size: int = 2) -> list[int]:
    """Where the mean of ``x`` changes (PELT): indices that start a new segment.

    A penalty of 0 or less finds none.

    >>> breakpoints(np.array([0.0, 0.1, 0.0, 5.0, 5.1, 5.0]), penalty=1.0)
    [3]
    """
    if penalty <= 0:
        return []
    import ruptures as rpt  # ruptures imports slowly; only change-point questions need it

    algo = rpt.Pelt(model=model, min_size=min_size, jump=1).fit(x.reshape(-1, 1))
    return [b for b in algo.predict(pen=penalty) if b < len(x)]


def _with_values(
    series: pa.Table, source: str, measure: str, min_size: int
) -> tuple[list[int], np.ndarray]:
    """The positions of the periods with a value, and those values; enough for two segments."""
    values = series.column(measure).to_pylist()
    keep = [i for i, v in enumerate(values) if v is not None]
    if len(keep) < 2 * min_size:
        raise AnalysisError(
            f"the {source} {measure} series has {len(keep)} period(s) with a value; change-point "
            f"detection needs at least {2 * min_size}. Widen the period range or use a "
            "shorter --freq."
        )
    return keep, np.array([values[i] for i in keep], dtype=float)


def _largest(evidence: pa.Table, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` events of ``evidence`` with the largest contributions (either sign)."""
    rows = evidence.select(list(EVENT_FIELDS)).to_pylist()
    rows.sort(key=lambda r: -abs(r["contribution"] or 0.0))
    return rows[:limit]


def _schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("source", pa.string()),
            pa.field("measure", pa.string()),
            pa.field("period", pa.string()),
            pa.field("period_start", pa.date32()),
            pa.field("before_mean", pa.float64()),
            pa.field("after_mean", pa.float64()),
            pa.field("change", pa.float64()),
            pa.field("direction", pa.string()),
            pa.field("penalty", pa.float64()),
            pa.field("events", pa.list_(pa.struct([]))),
        ]
    )


def turning_points(
    store: Store,
    spec: IndexSpec | None = None,
    *,
    source: str = FUSED,
    measure: str = "net_coop",
    penalty: float | None = None,
    model: str = "l2",
    min_size: int = 2,
    window: int = 1,
    events: int = 5,
    output: str = "arrow",
    session: IndexSession | None = None,
    **params: Any,
) -> Any:
    """Turning points of an index series, each with the events around it.

    Parameters
    ----------
    source, measure
        The series (``fused`` or a source label) and the measure (``net_coop`` …).
    penalty
        PELT penalty (> 0); default :func:`default_penalty` of the series.
    model
        ruptures cost model: ``l2`` (change in mean, default), ``l1``, ``normal``, ``rbf``.
    min_size
        Fewest periods with values in a segment (>= 1).
    window
        Events are drawn from the ``window`` periods before the turning point and the
        ``window`` periods from it on (>= 1).
    events
        At most this many events per turning point, largest contributions first.

    Examples
    --------
    >>> tp = turning_points(store, freq="quarter", penalty=0.5)
    >>> tp.column_names[:6]
    ['source', 'measure', 'period', 'period_start', 'before_mean', 'after_mean']
    >>> set(tp["direction"].to_pylist()) <= {"up", "down"}
    True
    """
    check_measure(measure)
    if model not in MODELS:
        raise UsageError(f"model {model!r} is not one of {', '.join(MODELS)}.")
    for name, number in (("min_size", min_size), ("window", window), ("events", events)):
        whole_number(name, number)
    if penalty is not None:
        penalty = positive_number("penalty", penalty)
    run = run_index(store, make_spec(spec, params), session=session)
    series = run.series(source)
    starts = series.column("period_start").to_pylist()
    labels = series.column("period").to_pylist()
    keep, x = _with_values(series, source, measure, min_size)
    pen = penalty if penalty is not None else default_penalty(x)
    bkps = breakpoints(x, pen, model, min_size)
    edges = [0, *bkps, len(x)]
    rows: list[dict[str, Any]] = []
    with session_connection(session) as con:
        for k, b in enumerate(bkps):
            before = float(np.mean(x[edges[k] : b]))
            after = float(np.mean(x[b : edges[k + 2]]))
            pos = keep[b]
            first = starts[max(0, pos - window)]
            last = starts[min(len(starts) - 1, pos + window - 1)]
            ev = evidence_between(
                con, run.scope, first, last, source=source, measure=measure, limit=events
            )
            rows.append(
                {
                    "source": source,
                    "measure": measure,
                    "period": labels[pos],
                    "period_start": starts[pos],
                    "before_mean": before,
                    "after_mean": after,
                    "change": after - before,
                    "direction": "up" if after > before else "down",
                    "penalty": pen,
                    "events": _largest(ev, events),
                }
            )
    if not rows:
        return to_frame(_schema().empty_table(), output)
    return to_frame(pa.Table.from_pylist(rows), output)
