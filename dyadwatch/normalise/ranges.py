"""Step ``ranges``: every value within the range and shape its field can take.

A value outside its field's range is not a rare event, it is a broken row: one Goldstein
score of −999 (or 1e308, stored as infinity) moves a year's net cooperation far off the
−10…+10 scale, and a NUL byte in a name breaks every tool downstream. Each check sets the
row aside with the field and the value named; the rest of the batch is kept.

==========================  =====================================================================
field                       kept when
==========================  =====================================================================
``source``                  1–64 characters: a letter or digit, then letters, digits, ``_ . -``
                            (it names a folder of the store: ``events/source=…``)
every text field            no NUL, no other control character (C0, DEL, C1) and no
                            bidirectional-override character (U+202A–U+202E, U+2066–U+2069);
                            tab and line breaks only in :data:`MULTILINE` fields
every text field            at most :data:`TEXT_LIMITS` characters (lists: per item, and at
                            most :data:`MAX_LIST_ITEMS` items). An oversized field sets only
                            its row aside, and the quarantine keeps its first
                            :data:`KEEP_CHARS` characters, not the whole value
``goldstein``               finite, within −10…+10 (the Goldstein scale; CAMEO codebook)
``avg_tone``                finite, within −100…+100 (GDELT 2.0 event codebook, AvgTone)
``quad_class``              1, 2, 3 or 4 (GDELT 2.0 event codebook, QuadClass)
``cameo_root``              a root code ``01``…``20``, equal to the first two digits of
                            ``cameo_code`` when there is one (a root written ``1`` beside
                            ``012`` is repaired to ``01``)
``num_mentions``,           at least 0 (the ``conform`` step has already refused values
``num_sources``,            that do not fit their 32-bit integer column)
``num_articles``,
``fatalities``
``action_lat``              finite, within −90…+90
``action_lon``              finite, within −180…+180
``event_date``              no later than :data:`FUTURE_TOLERANCE` after the day of the
                            record's publication (``known_at``, or the source's own stamp in
                            the private column ``_published`` when the source keeps one),
                            and no later than :data:`FUTURE_TOLERANCE` after today (UTC)
==========================  =====================================================================

The tolerance is one day because sources date an event by the local calendar of its story
while they stamp publication in UTC (GDELT 2.0: SQLDATE against DATEADDED), so an event
published late on the 14th (UTC) in Mexico City may be dated the 15th… and no later. An
event dated after tomorrow cannot have been reported yet: the check against today is the
only one in the pipeline that reads the clock, and it reads it each time the step runs.

``relation_effect`` is checked by the ``relation`` step and ``confidence`` by the
``confidence`` step.

Examples
--------
>>> from dyadwatch.normalise.schema import conform
>>> ctx = StepContext(source="file")
>>> t = conform(pa.table({"source_key": ["a", "b"], "event_date": ["2021-01-14"] * 2,
...                       "goldstein": [3.4, -999.0]}), ctx).table
>>> [r.reason for r in ranges(t, ctx).rejects]
['goldstein -999.0 is outside -10…+10']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside
from dyadwatch.sources.base import Reject

PUBLISHED_COLUMN = "_published"
"""Optional private column: when the source itself published the record (timestamp, UTC),
before any adjustment a reader makes to ``known_at``. Dropped before the store."""

FUTURE_TOLERANCE = timedelta(days=1)
"""How far an event's date may run ahead of its publication day (local calendar vs UTC)."""

GOLDSTEIN_LIMIT = 10.0
TONE_LIMIT = 100.0
QUAD_CLASSES = (1, 2, 3, 4)
COUNT_COLUMNS = ("num_mentions", "num_sources", "num_articles", "fatalities")

SOURCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""A source name: it becomes a folder name of the store, so no separators, no ``..``."""

MULTILINE: frozenset[str] = frozenset({"summary", "effect_rationale", "attributes"})
"""Text fields that may hold tabs and line breaks."""

_CODE, _NAME, _URL = 64, 512, 4096
TEXT_LIMITS: dict[str, int] = {
    "source": 64,
    "source_key": 256,
    "actor1_code": _CODE,
    "actor1_name": _NAME,
    "actor1_country": _CODE,
    "actor1_agent": _CODE,
    "actor2_code": _CODE,
    "actor2_name": _NAME,
    "actor2_country": _CODE,
    "actor2_agent": _CODE,
    "cameo_code": _CODE,
    "cameo_root": _CODE,
    "plover_type": _CODE,
    "plover_mode": _CODE,
    "plover_context": _CODE,
    "action_country": _CODE,
    "action_adm1": _CODE,
    "action_name": _NAME,
    "instruments": _CODE,
    "source_urls": _URL,
    "source_titles": 2000,
    "source_outlets": _NAME,
    "summary": 20_000,
    "handling": _CODE,
    "date_precision": _CODE,
    "dedupe_group": _CODE,
    "effect_basis": _CODE,
    "effect_rationale": 2000,
    "episode": _NAME,
    "attributes": 100_000,
    "coder": _NAME,
}
"""Longest value (characters) of each text field; list fields: of each item."""

MAX_LIST_ITEMS = 1000
KEEP_CHARS = 200
"""Characters of an oversized value kept in the quarantine (the rest is counted, not kept)."""


def _is_bad_char(ch: str, multiline: bool) -> bool:
    code = ord(ch)
    if multiline and ch in "\t\n\r":
        return False
    return (
        code < 0x20 or 0x7F <= code <= 0x9F or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069
    )


def _first_bad_char(text: str, multiline: bool) -> tuple[int, str]:
    for i, ch in enumerate(text):
        if _is_bad_char(ch, multiline):
            return i, ch
    return -1, ""


def _strings(table: pa.Table, column: str) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | None]:
    """The column's strings (list items flattened) and, for a list, each item's row."""
    col = table.column(column)
    if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        return pc.list_flatten(col), pc.list_parent_indices(col)
    return col, None


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


def _offsets(chunk: pa.Array) -> Any:
    """The value offsets of a string array (numpy, ``len + 1`` of them; no copy)."""
    large = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
    whole = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if large else np.int32)
    return whole[chunk.offset : chunk.offset + len(chunk) + 1]


def _following(raw: Any, at: Any, step: int) -> Any:
    """The byte ``step`` places after each position in ``at`` (0 past the end)."""
    after = at + step
    inside = after < len(raw)
    out = np.zeros(len(at), dtype=np.uint8)
    out[inside] = raw[after[inside]]
    return out


def _control_bytes(raw: Any, multiline: bool) -> Any:
    """Where, in the UTF-8 bytes ``raw``, a refused character starts (numpy positions).

    In UTF-8 a byte below 0x80 is a character of its own, and 0xC2 and 0xE2 only ever lead
    a character: C0 controls and DEL are single bytes, the C1 controls (U+0080–U+009F) are
    ``C2 80``–``C2 9F``, the direction overrides ``E2 80 AA``–``E2 80 AE`` (U+202A–U+202E)
    and ``E2 81 A6``–``E2 81 A9`` (U+2066–U+2069). A minimum and a maximum over the bytes
    clear most columns (codes, numbers, plain ASCII text) without looking further.
    """
    found = []
    if raw.min() < 0x20:
        low = np.flatnonzero(raw < 0x20)
        if multiline:
            b = raw[low]
            low = low[(b != 0x09) & (b != 0x0A) & (b != 0x0D)]
        found.append(low)
    if raw.max() >= 0x7F:
        text = raw.tobytes()
        if text.find(b"\x7f") >= 0:
            found.append(np.flatnonzero(raw == 0x7F))
        if text.find(b"\xc2") >= 0:
            at = np.flatnonzero(raw == 0xC2)
            b1 = _following(raw, at, 1)
            found.append(at[(b1 >= 0x80) & (b1 <= 0x9F)])
        if text.find(b"\xe2") >= 0:
            at = np.flatnonzero(raw == 0xE2)
            b1, b2 = _following(raw, at, 1), _following(raw, at, 2)
            ltr_rtl = (b1 == 0x80) & (b2 >= 0xAA) & (b2 <= 0xAE)
            isolates = (b1 == 0x81) & (b2 >= 0xA6) & (b2 <= 0xA9)
            found.append(at[ltr_rtl | isolates])
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _has_control(values: pa.Array | pa.ChunkedArray, multiline: bool) -> Any:
    """For each string: does it hold a refused character? (numpy booleans; null: no).

    The answer of matching every value against a character class, found by scanning the
    column's bytes once: a regular expression per value cost as much as parsing the file.
    """
    out = [np.zeros(0, dtype=bool)]
    for chunk in _chunks(values):
        mask = np.zeros(len(chunk), dtype=bool)
        if len(chunk) and chunk.null_count < len(chunk):
            offsets = _offsets(chunk)
            lo, hi = int(offsets[0]), int(offsets[-1])
            if hi > lo:
                raw = np.frombuffer(chunk.buffers()[2], dtype=np.uint8, count=hi - lo, offset=lo)
                hits = _control_bytes(raw, multiline)
                if len(hits):
                    mask[np.searchsorted(offsets, hits + lo, side="right") - 1] = True
                    if chunk.null_count:
                        mask &= pc.is_valid(chunk).to_numpy(zero_copy_only=False)
        out.append(mask)
    return np.concatenate(out)


def _too_long(values: pa.Array | pa.ChunkedArray, limit: int) -> Any:
    """For each string: is it longer than ``limit`` characters? (numpy booleans)."""
    out = [np.zeros(0, dtype=bool)]
    for chunk in _chunks(values):
        # A value of at most ``limit`` bytes has at most ``limit`` characters: characters
        # are counted only in a chunk that holds a longer value.
        if len(chunk) and int(np.diff(_offsets(chunk)).max()) > limit:
            longer = pc.fill_null(pc.greater(pc.utf8_length(chunk), limit), False)
            out.append(longer.to_numpy(zero_copy_only=False))
        else:
            out.append(np.zeros(len(chunk), dtype=bool))
    return np.concatenate(out)


def _rows_of(mask: Any, parents: pa.Array | None, n: int) -> Any:
    """A row mask (numpy) from an item mask (list columns) or the mask itself."""
    if parents is None:
        return mask
    rows = np.zeros(n, dtype=bool)
    rows[parents.to_numpy(zero_copy_only=False)[mask]] = True
    return rows


def _text_values(table: pa.Table, column: str, rows: pa.Array) -> list[list[str]]:
    values = table.column(column).filter(rows).to_pylist()
    return [v if isinstance(v, list) else [v] for v in values]


def _clip(value: object) -> object:
    if isinstance(value, str) and len(value) > KEEP_CHARS:
        return f"{value[:KEEP_CHARS]}… ({len(value)} characters)"
    if isinstance(value, list):
        return [_clip(v) for v in value]
    return value


def _check_text(table: pa.Table, column: str) -> StepResult:
    limit = TEXT_LIMITS[column]
    multiline = column in MULTILINE
    values, parents = _strings(table, column)
    rejects: list[Reject] = []

    control = _rows_of(_has_control(values, multiline), parents, table.num_rows)
    if control.any():
        bad = pa.array(control, pa.bool_())
        reasons = []
        for items in _text_values(table, column, bad):
            for item in items:
                at, ch = _first_bad_char(item or "", multiline)
                if at >= 0:
                    reasons.append(
                        f"{column} holds the control character U+{ord(ch):04X} at position "
                        f"{at + 1}: text fields take no NUL, control or direction-override "
                        "characters"
                    )
                    break
        result = set_aside(table, bad, reasons, column)
        table, rejects = result.table, result.rejects
        values, parents = _strings(table, column)

    too_long = _rows_of(_too_long(values, limit), parents, table.num_rows)
    if parents is not None:
        counts = pc.list_value_length(table.column(column))
        many = pc.fill_null(pc.greater(counts, MAX_LIST_ITEMS), False)
        too_long = too_long | many.to_numpy(zero_copy_only=False)
    if too_long.any():
        bad = pa.array(too_long, pa.bool_())
        reasons = []
        for items in _text_values(table, column, bad):
            if len(items) > MAX_LIST_ITEMS:
                reasons.append(
                    f"{column} has {len(items)} items, over its limit of {MAX_LIST_ITEMS}"
                )
                continue
            longest = max(len(v or "") for v in items)
            reasons.append(
                f"{column} is {longest} characters long, over its limit of {limit} "
                "(the row is set aside; the rest of the file is kept)"
            )
        # The quarantine keeps the row's text: not a megabyte of it.
        rejected = table.filter(bad)
        clipped = [_clip(v) for v in rejected.column(column).to_pylist()]
        marked = replace_column(
            rejected, column, pa.array(clipped, table.schema.field(column).type)
        )
        result = set_aside(marked, pa.array([True] * marked.num_rows), reasons, column)
        table, rejects = table.filter(pc.invert(bad)), rejects + result.rejects
    return StepResult(table, rejects)


def _check_numbers(
    table: pa.Table,
    column: str,
    bad: Callable[[pa.ChunkedArray], pa.ChunkedArray],
    describe: Callable[[object], str],
) -> StepResult:
    col = table.column(column)
    mask = pc.fill_null(bad(col), False)
    values = col.filter(mask).to_pylist()
    return set_aside(table, mask, [describe(v) for v in values], column)


def _outside(limit_lo: float, limit_hi: float) -> Callable[[pa.ChunkedArray], pa.ChunkedArray]:
    def bad(col: pa.ChunkedArray) -> pa.ChunkedArray:
        as_float = pc.cast(col, pa.float64())
        finite = pc.is_finite(as_float)
        inside = pc.and_(pc.greater_equal(as_float, limit_lo), pc.less_equal(as_float, limit_hi))
        return pc.and_(pc.is_valid(col), pc.invert(pc.and_(finite, inside)))

    return bad


def _range_reason(column: str, lo: float, hi: float) -> Callable[[object], str]:
    def describe(v: object) -> str:
        if isinstance(v, float) and not math.isfinite(v):
            return f"{column} {v!r} is not a finite number (the scale is {lo:+g}…{hi:+g})"
        return f"{column} {v!r} is outside {lo:+g}…{hi:+g}"

    return describe


def _not_quad_class(col: pa.ChunkedArray) -> pa.ChunkedArray:
    known = pc.is_in(col, value_set=pa.array(QUAD_CLASSES, col.type))
    return pc.and_(pc.is_valid(col), pc.invert(known))


def _negative(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.less(col, 0)


def _negative_reason(column: str) -> Callable[[object], str]:
    return lambda v: f"{column} {v!r} is negative: a count is at least 0"


def _check_root(table: pa.Table) -> StepResult:
    code = table.column("cameo_code")
    root = table.column("cameo_root")
    expected = pc.utf8_slice_codeunits(code, 0, 2)
    # A root a spreadsheet stripped of its zero ("4" beside "046") is read as "04".
    padded = pc.utf8_lpad(pc.utf8_trim_whitespace(root), width=2, padding="0")
    is_root = pc.fill_null(pc.match_substring_regex(padded, r"^(0[1-9]|1[0-9]|20)$"), False)
    agrees = pc.fill_null(pc.equal(padded, expected), False)
    ok = pc.or_(
        pc.is_null(root),
        pc.if_else(pc.is_valid(code), agrees, is_root),
    )
    bad = pc.invert(ok)
    fixed = pc.if_else(pc.is_null(root), expected, pc.if_else(ok, padded, root))
    table = replace_column(table, "cameo_root", fixed)
    reasons = [
        f"cameo_root {r!r} is not the root of cameo_code {c!r}"
        if c is not None
        else f"cameo_root {r!r} is not a CAMEO root code (01-20)"
        for r, c in zip(root.filter(bad).to_pylist(), code.filter(bad).to_pylist(), strict=True)
    ]
    return set_aside(table, bad, reasons, "cameo_root")


def _day_number(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Days since 1970-01-01 of a timestamp (UTC) or date column."""
    if pa.types.is_timestamp(col.type):
        col = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
        return pc.floor(pc.divide(pc.cast(col, pa.float64()), 86_400_000_000.0))
    return pc.cast(pc.cast(col, pa.date32()), pa.int32())


def _check_future(table: pa.Table, today: datetime) -> StepResult:
    event_day = _day_number(table.column("event_date"))
    slack = FUTURE_TOLERANCE.days
    rejects: list[Reject] = []
    limits = [("known_at", "its known_at")]
    if PUBLISHED_COLUMN in table.column_names:
        limits.append((PUBLISHED_COLUMN, "the source's publication stamp"))
    for column, what in limits:
        published = _day_number(table.column(column))
        ahead = pc.greater(pc.cast(event_day, pa.float64()), pc.add(published, float(slack)))
        ahead = pc.fill_null(ahead, False)
        dates = table.column("event_date").filter(ahead).to_pylist()
        stamps = table.column(column).filter(ahead).to_pylist()
        reasons = [
            f"event_date {d} is more than {slack} day after {what} ({s}): an event cannot be "
            "reported before it happens"
            for d, s in zip(dates, stamps, strict=True)
        ]
        result = set_aside(table, ahead, reasons, "event_date")
        table, rejects = result.table, rejects + result.rejects
        event_day = _day_number(table.column("event_date"))
    latest = (today + FUTURE_TOLERANCE).date()
    ahead = pc.greater(table.column("event_date"), pa.scalar(latest, pa.date32()))
    dates = table.column("event_date").filter(pc.fill_null(ahead, False)).to_pylist()
    result = set_aside(
        table,
        ahead,
        [f"event_date {d} is in the future (after {latest})" for d in dates],
        "event_date",
    )
    return StepResult(result.table, rejects + result.rejects)


def ranges(table: pa.Table, ctx: StepContext) -> StepResult:
    """Set aside rows with a value out of its field's range or shape (see the module table)."""
    rejects: list[Reject] = []

    def apply(result: StepResult) -> None:
        nonlocal table
        table = result.table
        rejects.extend(result.rejects)

    for column in TEXT_LIMITS:
        if column in table.column_names:
            apply(_check_text(table, column))
    source = table.column("source")
    bad_source = pc.and_(
        pc.is_valid(source), pc.invert(pc.match_substring_regex(source, SOURCE_PATTERN))
    )
    names = source.filter(pc.fill_null(bad_source, False)).to_pylist()
    apply(
        set_aside(
            table,
            bad_source,
            [
                f"source {v!r} is not a source name (1-64 letters, digits, '_', '.', '-', "
                "starting with a letter or digit)"
                for v in names
            ],
            "source",
        )
    )
    apply(
        _check_numbers(
            table,
            "goldstein",
            _outside(-GOLDSTEIN_LIMIT, GOLDSTEIN_LIMIT),
            _range_reason("goldstein", -GOLDSTEIN_LIMIT, GOLDSTEIN_LIMIT),
        )
    )
    apply(
        _check_numbers(
            table,
            "avg_tone",
            _outside(-TONE_LIMIT, TONE_LIMIT),
            _range_reason("avg_tone", -TONE_LIMIT, TONE_LIMIT),
        )
    )
    apply(
        _check_numbers(
            table,
            "quad_class",
            _not_quad_class,
            lambda v: f"quad_class {v!r} is not a CAMEO quad class (1-4)",
        )
    )
    apply(_check_root(table))
    for column in COUNT_COLUMNS:
        apply(_check_numbers(table, column, _negative, _negative_reason(column)))
    for column, limit in (("action_lat", 90.0), ("action_lon", 180.0)):
        apply(
            _check_numbers(
                table, column, _outside(-limit, limit), _range_reason(column, -limit, limit)
            )
        )
    apply(_check_future(table, datetime.now(UTC)))
    return StepResult(table, rejects)


__all__ = [
    "FUTURE_TOLERANCE",
    "GOLDSTEIN_LIMIT",
    "KEEP_CHARS",
    "MAX_LIST_ITEMS",
    "MULTILINE",
    "PUBLISHED_COLUMN",
    "SOURCE_PATTERN",
    "TEXT_LIMITS",
    "TONE_LIMIT",
    "ranges",
]
