""" "Lowest since": how far back one must go to find a period as low as this one.

For a period P with value v, the answer is the most recent earlier period Q whose value is
*as low or lower* (v_Q <= v); if there is none, P is the lowest in the record, which starts at
the first period with a value. Periods without a value (no events) are skipped: they are not
low, they are unobserved. This is the computation behind a judgement such as "its lowest point
since the late 1980s" (Felbab-Brown 2021).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from dyadwatch.analyse.index.core import IndexSession, run_index
from dyadwatch.analyse.index.evidence import check_measure
from dyadwatch.analyse.index.spec import (
    FUSED,
    IndexSpec,
    make_spec,
    parse_period,
    period_end,
    period_label,
)
from dyadwatch.errors import AnalysisError, UsageError
from dyadwatch.store.store import Store


@dataclass(frozen=True, slots=True)
class LowestSince:
    """The answer to "lowest since when?" for one period of one series."""

    dyad: str
    source: str
    measure: str
    period: str
    value: float
    since: str | None
    """The most recent earlier period as low or lower; None if P is the record low."""
    since_value: float | None
    first_period: str
    """The first period with a value: where the record starts."""
    periods_between: int | None
    """Periods strictly between ``since`` and ``period`` (None for a record low)."""

    @property
    def record_low(self) -> bool:
        return self.since is None

    def text(self) -> str:
        """One sentence for a person.

        >>> LowestSince("USA-MEX", "fused", "net_coop", "2020-12", -0.5, None, None,
        ...             "1985-01", None).text()
        'USA-MEX net_coop (fused) in 2020-12 is -0.5: the lowest in the record since 1985-01.'
        """
        head = f"{self.dyad} {self.measure} ({self.source}) in {self.period} is {self.value:.4g}"
        if self.since is None:
            return f"{head}: the lowest in the record since {self.first_period}."
        return (
            f"{head}: the lowest since {self.since}, when it was {self.since_value:.4g} "
            f"({self.periods_between} period(s) in between)."
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "record_low": self.record_low, "text": self.text()}


def lowest_since(
    store: Store,
    period: str | date,
    spec: IndexSpec | None = None,
    *,
    source: str = FUSED,
    measure: str = "net_coop",
    session: IndexSession | None = None,
    **params: Any,
) -> LowestSince:
    """The most recent earlier period as low or lower than ``period``, or a record low.

    Examples
    --------
    >>> print(lowest_since(store, "2020", freq="year", sources=["curated"]).text())
    ... # doctest: +ELLIPSIS
    USA-MEX net_coop (fused) in 2020 is ...: the lowest since ..., when it was ...
    """
    check_measure(measure)
    checked = make_spec(spec, params)
    start = parse_period(period, checked.freq)
    label = period_label(start, checked.freq)
    if checked.until is None or checked.until < start:
        if checked.until is not None:
            raise UsageError(f"period {label} is after until {checked.until}.")
        checked = checked.with_(until=period_end(start, checked.freq))
    run = run_index(store, checked, session=session)
    series = run.series(source)
    starts = series.column("period_start").to_pylist()
    values = series.column(measure).to_pylist()
    labels = series.column("period").to_pylist()
    if start not in starts:
        first = labels[0] if labels else None
        raise AnalysisError(
            f"period {label} is outside the {source} series"
            + (f", which runs {first}–{labels[-1]}." if first else ", which is empty.")
        )
    pos = starts.index(start)
    value = values[pos]
    if value is None:
        raise AnalysisError(
            f"{source} {measure} has no value in {label} (no events counted): "
            "choose a period with events, or check --as-of and --min-confidence."
        )
    observed = [i for i in range(pos + 1) if values[i] is not None]
    first_period = labels[observed[0]]
    earlier = [i for i in observed if i < pos and values[i] <= value]
    if not earlier:
        return LowestSince(
            checked.dyad, source, measure, label, value, None, None, first_period, None
        )
    q = earlier[-1]
    return LowestSince(
        checked.dyad, source, measure, label, value, labels[q], values[q], first_period, pos - q - 1
    )
