"""The options every ``dyadwatch index`` command shares, and the query they describe.

:func:`spec_options` adds them to a command and hands it ``spec`` (an
:class:`~dyadwatch.analyse.index.IndexSpec`), ``series`` (which series to show) and
``reading`` (how a named series pools its windows); :func:`series_query` turns those into
the named-series query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

import click

from dyadwatch.analyse.index import FUSED, MIN_N, IndexSpec, SeriesQuery, parse_weights
from dyadwatch.present.cli.options import AS_OF, DATE, DYAD

F = TypeVar("F", bound=Callable[..., Any])

SPEC_OPTIONS: tuple[Callable[[Any], Any], ...] = (
    click.option(
        "--dyad", type=DYAD, default="USA-MEX", show_default=True, help="Country pair A-B."
    ),
    click.option(
        "--direction",
        type=click.Choice(["both", "ab", "ba"]),
        default="both",
        show_default=True,
        help="A→B (ab), B→A (ba) or both.",
    ),
    click.option(
        "--freq",
        type=click.Choice(["week", "month", "quarter", "year"]),
        default="month",
        show_default=True,
    ),
    click.option(
        "--as-of", "as_of", type=AS_OF, default=None, help="Knowledge cut-off (end of day)."
    ),
    click.option("--since", type=DATE, default=None, help="First event date (whole periods)."),
    click.option("--until", type=DATE, default=None, help="Last event date (whole periods)."),
    click.option(
        "--source",
        "series",
        default=FUSED,
        show_default=True,
        help="Series to show: a source (curated, gdelt, …), 'fused', or 'all'.",
    ),
    click.option(
        "--sources",
        default=None,
        help="Comma-separated sources to compute from [default: every stored source].",
    ),
    click.option(
        "--dedupe",
        type=click.Choice(["phoenix", "story", "none"]),
        default="phoenix",
        show_default=True,
        help="One event per dedupe group (phoenix), also merge near-duplicate stories, or none.",
    ),
    click.option(
        "--min-confidence",
        type=click.FloatRange(0, 1),
        default=0.0,
        show_default=True,
        help="Drop events rated below this confidence.",
    ),
    click.option("--baseline", type=int, default=None, help="Baseline length in periods."),
    click.option(
        "--window",
        "pool",
        type=click.IntRange(min=1),
        default=None,
        help="Periods pooled per value of a named series [default: the source's finest with "
        f"evidence: most periods reach {MIN_N} events].",
    ),
    click.option(
        "--episodes",
        type=click.Choice(["once", "all"]),
        default="once",
        show_default=True,
        help="Count an episode once per window (its strongest step) or every step.",
    ),
    click.option(
        "--min-n",
        type=click.IntRange(min=2),
        default=MIN_N,
        show_default=True,
        help="Fewest events behind a value of a named series.",
    ),
    click.option(
        "--weights", default=None, help="Fused-index weights, e.g. curated=2,gdelt=1 [default 1]."
    ),
)
"""The shared options, in the order ``--help`` lists them."""


def spec_options(func: F) -> F:
    """Add :data:`SPEC_OPTIONS` to a command; it receives ``spec``, ``series`` and ``reading``."""

    @wraps(func)
    def wrapper(
        *args: Any,
        dyad: str,
        direction: str,
        freq: str,
        as_of: date | None,
        since: date | None,
        until: date | None,
        series: str,
        sources: str | None,
        dedupe: str,
        min_confidence: float,
        baseline: int | None,
        weights: str | None,
        pool: int | None,
        episodes: str,
        min_n: int,
        **kwargs: Any,
    ) -> Any:
        wanted = [s.strip() for s in sources.split(",")] if sources else None
        if wanted is None and series not in (FUSED, "all"):
            wanted = [series]
        kwargs["spec"] = IndexSpec(
            dyad=dyad,
            direction=direction,  # type: ignore[arg-type]
            freq=freq,  # type: ignore[arg-type]
            as_of=as_of,
            since=since,
            until=until,
            sources=wanted,
            dedupe=dedupe,  # type: ignore[arg-type]
            min_confidence=min_confidence,
            baseline=baseline,
            weights=parse_weights(weights) if weights else {},
        )
        kwargs["series"] = series
        kwargs["reading"] = {"window": pool, "episodes": episodes, "min_n": min_n}
        return func(*args, **kwargs)

    decorated: Any = wrapper
    for option in reversed(SPEC_OPTIONS):
        decorated = option(decorated)
    return decorated


def series_query(spec: IndexSpec, measure: str, reading: dict[str, Any]) -> SeriesQuery:
    """The named-series query the shared options describe."""
    return SeriesQuery(
        name=measure,
        dyad=spec.dyad,
        direction=spec.direction,
        freq=spec.freq,
        as_of=spec.as_of,
        since=spec.since,
        until=spec.until,
        sources=spec.sources,
        dedupe=spec.dedupe,
        min_confidence=spec.min_confidence,
        weights=dict(spec.weights),
        **reading,
    ).checked()


__all__ = ["SPEC_OPTIONS", "series_query", "spec_options"]
