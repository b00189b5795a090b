"""The dyad index: cooperation–conflict over time, with evidence, turning points, "lowest since".

See docs/index.md for the method and the defaults. Public API::

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
from dyadwatch.analyse.index.lowest import LowestSince, lowest_since
from dyadwatch.analyse.index.measures import COLUMNS
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
    "DEFAULT_WEIGHT",
    "FUSED",
    "IndexRun",
    "IndexSession",
    "IndexSpec",
    "LowestSince",
    "alerts",
    "dyad_index",
    "evidence",
    "lowest_since",
    "parse_period",
    "parse_weights",
    "run_index",
    "to_frame",
    "turning_points",
]
