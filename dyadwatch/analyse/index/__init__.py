"""The dyad index: cooperation–conflict over time, with evidence, turning points, "lowest since".

See docs/index.md and docs/measurement.md for the method and the defaults. The default
reading is a **named series** (``relationship``: state-to-state events by their effect on
cooperation between the governments; ``environment``: the rest), every value with its ``n``
and interval::

    series(store, name="relationship", *, source="fused", output="arrow", **query)
    load_series(store, query).at(as_of)        # rows read once, the series as of many dates
    series_evidence(store, period, name="relationship", *, source="fused", limit=20, ...)
    series_turning_points(store, name="relationship", *, penalty=None, ...)
    series_lowest_since(store, period, name="relationship", ...)
    series_alerts(store, name="relationship", *, threshold=2.0, recent=1, ...)
    validate_judgments(store, path, name="relationship", ...)

The CAMEO-based measures (quad-class counts, Goldstein) stay available under their own
names::

    dyad_index(store, spec=None, *, source=None, output="arrow", **params)
    evidence(store, period, spec=None, *, source="fused", measure="net_coop", limit=20, ...)
    turning_points(store, spec=None, *, source="fused", measure="net_coop", penalty=None, ...)
    lowest_since(store, period, spec=None, *, source="fused", measure="net_coop", ...)
    alerts(store, spec=None, *, source="fused", threshold=2.0, recent=1, events=5, ...)

Every function takes an :class:`IndexSpec` and/or its fields as keywords, reads the store
with DuckDB, and returns Arrow tables (polars or pandas with ``output=``).
"""

from dyadwatch.analyse.index.alerts import alerts
from dyadwatch.analyse.index.core import IndexRun, IndexSession, dyad_index, run_index, to_frame
from dyadwatch.analyse.index.evidence import evidence
from dyadwatch.analyse.index.judgments import Validation, read_judgments, validate_judgments
from dyadwatch.analyse.index.lowest import LowestSince, lowest_since
from dyadwatch.analyse.index.measures import COLUMNS
from dyadwatch.analyse.index.named import (
    DEFAULT_SERIES,
    MIN_N,
    NAMED,
    SeriesData,
    SeriesQuery,
    SeriesRun,
    load_series,
    make_query,
    run_series,
    series,
)
from dyadwatch.analyse.index.reading import (
    SeriesLowest,
    series_alerts,
    series_evidence,
    series_lowest_since,
    series_turning_points,
)
from dyadwatch.analyse.index.spec import (
    DEFAULT_BASELINE,
    DEFAULT_WEIGHT,
    FUSED,
    IndexSpec,
    parse_period,
    parse_weights,
)
from dyadwatch.analyse.index.turning import turning_points

__all__ = [
    "COLUMNS",
    "DEFAULT_BASELINE",
    "DEFAULT_SERIES",
    "DEFAULT_WEIGHT",
    "FUSED",
    "MIN_N",
    "NAMED",
    "IndexRun",
    "IndexSession",
    "IndexSpec",
    "LowestSince",
    "SeriesData",
    "SeriesLowest",
    "SeriesQuery",
    "SeriesRun",
    "Validation",
    "alerts",
    "dyad_index",
    "evidence",
    "load_series",
    "lowest_since",
    "make_query",
    "parse_period",
    "parse_weights",
    "read_judgments",
    "run_index",
    "run_series",
    "series",
    "series_alerts",
    "series_evidence",
    "series_lowest_since",
    "series_turning_points",
    "to_frame",
    "turning_points",
    "validate_judgments",
]
