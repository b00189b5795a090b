"""Normalise: an ordered tuple of pure steps from a source's table to canonical events.

``DEFAULT_STEPS`` runs, in order: ``conform`` (columns and types), ``dates``, ``codes``,
``ranges`` (every value within its field's range and shape), ``actors``, ``relation`` (the
event's effect on cooperation between the two governments), ``identity`` (event_id),
``confidence`` and ``phoenix_dedupe``. Three more steps run when events are read, never at
ingest, so that switching them changes no stored row:
``story_dedupe`` (near-duplicate story grouping; the index's ``dedupe="story"``),
``min_confidence`` (keep events rated at least a threshold; the index's and the rules'
``min_confidence``) and ``scope`` (state-to-state events or the security environment).
Each step lives in its own module, takes a table and returns the table it keeps plus the rows
it set aside, each with a reason. :func:`normalise` runs a tuple of steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from dyadwatch.normalise.actors import actors
from dyadwatch.normalise.base import Step, StepContext, StepResult, set_aside
from dyadwatch.normalise.codes import codes
from dyadwatch.normalise.confidence import confidence, min_confidence, min_confidence_sql
from dyadwatch.normalise.dates import dates
from dyadwatch.normalise.dedupe import phoenix_dedupe
from dyadwatch.normalise.identity import identity
from dyadwatch.normalise.ranges import ranges
from dyadwatch.normalise.relation import relation
from dyadwatch.normalise.schema import conform
from dyadwatch.normalise.scope import scope, scope_sql
from dyadwatch.normalise.story import story_dedupe
from dyadwatch.sources.base import Reject

DEFAULT_STEPS: tuple[Step, ...] = (
    conform,
    dates,
    codes,
    ranges,
    actors,
    relation,
    identity,
    confidence,
    phoenix_dedupe,
)
"""The steps every event batch goes through, in order."""


def normalise(
    table: pa.Table, ctx: StepContext, steps: Sequence[Step] = DEFAULT_STEPS
) -> tuple[pa.Table, list[Reject]]:
    """Run ``steps`` in order; return the kept table and every rejected row.

    Examples
    --------
    Two events, one with a code CAMEO does not have: it is set aside with its reason, the
    other is kept with its root and quad class filled in.

    >>> from datetime import UTC, date, datetime
    >>> from dyadwatch.model import Actor, Event, events_to_table
    >>> us, mx = Actor(code="USAGOV", country="USA"), Actor(code="MEXGOV", country="MEX")
    >>> raw = events_to_table([
    ...     Event(source="file", source_key=k, event_date=date(2021, 1, 15), actor1=us,
    ...           actor2=mx, cameo_code=code, known_at=datetime(2021, 1, 15, tzinfo=UTC))
    ...     for k, code in (("1", "036"), ("2", "999"))])
    >>> kept, rejects = normalise(raw, StepContext(source="file"))
    >>> [r.reason for r in rejects]
    ["cameo_code '999' is not a CAMEO event code"]
    >>> kept["cameo_root"].to_pylist(), kept["quad_class"].to_pylist()
    (['03'], [1])
    """
    rejects: list[Reject] = []
    for step in steps:
        result = step(table, ctx)
        table = result.table
        rejects.extend(result.rejects)
    return table, rejects


__all__ = [
    "DEFAULT_STEPS",
    "Step",
    "StepContext",
    "StepResult",
    "actors",
    "codes",
    "confidence",
    "conform",
    "dates",
    "identity",
    "min_confidence",
    "min_confidence_sql",
    "normalise",
    "phoenix_dedupe",
    "ranges",
    "relation",
    "scope",
    "scope_sql",
    "set_aside",
    "story_dedupe",
]
