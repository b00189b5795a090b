"""Step ``phoenix_dedupe``: one event per source actor, target actor, event code and day.

The Phoenix pipeline kept a single record for each (source actor, target actor, CAMEO code,
date) so that fifty wire stories about one meeting count once. Here the step does not drop
rows — nothing is lost — it assigns each event a ``dedupe_group``; the index counts one
event per group when deduplication is on (the default). Idempotent: the group depends only on
those four fields.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from dyadwatch.normalise.base import StepContext, StepResult, replace_column


def dedupe_key(actor1: str | None, actor2: str | None, code: str | None, day: object) -> str:
    text = "\x1f".join(str(x) if x is not None else "" for x in (actor1, actor2, code, day))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def phoenix_dedupe(table: pa.Table, ctx: StepContext) -> StepResult:
    """Assign ``dedupe_group`` from (actor1, actor2, cameo_code, event_date)."""
    a1 = [
        c or k
        for c, k in zip(
            table.column("actor1_code").to_pylist(),
            table.column("actor1_country").to_pylist(),
            strict=True,
        )
    ]
    a2 = [
        c or k
        for c, k in zip(
            table.column("actor2_code").to_pylist(),
            table.column("actor2_country").to_pylist(),
            strict=True,
        )
    ]
    groups = [
        dedupe_key(x, y, c, d)
        for x, y, c, d in zip(
            a1,
            a2,
            table.column("cameo_code").to_pylist(),
            table.column("event_date").to_pylist(),
            strict=True,
        )
    ]
    return StepResult(replace_column(table, "dedupe_group", pa.array(groups, type=pa.string())))
