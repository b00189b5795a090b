"""The normalise steps work on whole columns; each agrees with its rule for one value.

``ranges`` finds refused characters by scanning a column's bytes, ``conform`` finds the values
that do not cast by casting ever smaller slices, ``identity`` and ``phoenix_dedupe`` hash
whole columns and ``codes`` looks up each distinct code once. These properties check each
against the per-value rule it replaced (the rule a reader can check by eye), on chunked and
sliced columns, so that a stored row cannot depend on how a file was cut into batches.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.codebooks import cameo
from dyadwatch.model import event_id_for
from dyadwatch.normalise import StepContext, codes, conform, phoenix_dedupe
from dyadwatch.normalise.dedupe import dedupe_key
from dyadwatch.normalise.identity import event_ids
from dyadwatch.normalise.ranges import (
    MULTILINE,
    TEXT_LIMITS,
    _first_bad_char,
    ranges,
)
from dyadwatch.normalise.schema import _SLICE_ROWS, _cast_rowwise
from dyadwatch.sources.base import LINE_COLUMN

pytestmark = pytest.mark.unit
CTX = StepContext(source="file")

# Characters at the edges of every refused class (C0, DEL, C1, the two override ranges),
# their neighbours that are allowed, multi-byte letters and the breaks a summary may hold.
EDGES = [
    "a", "Z", " ", "\x00", "\x08", "\t", "\n", "\r", "\x1f", "\x7e", "\x7f", "\x80", "\x9f",
    "\xa0", "é", "\u2029", "\u202a", "\u202e", "\u202f", "\u2065", "\u2066", "\u2069",
    "\u206a", "\u2019", "—", "😀",
]  # fmt: skip
texts = st.lists(st.sampled_from(EDGES), max_size=6).map("".join)
maybe_texts = st.one_of(st.none(), texts)


def _chunked(values: list[object], cut: int, kind: pa.DataType) -> pa.ChunkedArray:
    """``values`` as a column of two chunks cut at ``cut``, the second a slice of a longer
    array (so that offsets do not start at zero)."""
    cut = min(cut, len(values))
    tail = pa.array(["pad", *values[cut:]], kind).slice(1)
    return pa.chunked_array([pa.array(values[:cut], kind), tail], kind)


def _table(column: str, values: pa.ChunkedArray) -> pa.Table:
    n = len(values)
    raw = pa.table(
        {
            "source_key": [f"k{i}" for i in range(n)],
            "event_date": ["2021-01-14"] * n,
            LINE_COLUMN: list(range(2, n + 2)),
        }
    )
    table = conform(raw, CTX).table
    return table.set_column(table.column_names.index(column), column, values)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["summary", "actor1_name", "source_urls"]),
    st.lists(maybe_texts, max_size=12),
    st.integers(0, 12),
)
def test_refused_characters_are_found_as_the_per_character_rule_finds_them(
    column: str, values: list[str | None], cut: int
) -> None:
    multiline = column in MULTILINE
    if column == "source_urls":
        cells: list[object] = [None if v is None else [v, "ok"] for v in values]
        kind: pa.DataType = pa.list_(pa.string())
    else:
        cells, kind = list(values), pa.string()
    table = _table(column, _chunked(cells, cut, kind))
    refused = [
        v is not None and _first_bad_char(v, multiline)[0] >= 0 for v in values
    ]  # the rule, one value at a time
    result = ranges(table, CTX)
    set_aside = {r.line for r in result.rejects if r.column == column}
    assert set_aside == {i + 2 for i, bad in enumerate(refused) if bad}
    assert result.table.num_rows == len(values) - sum(refused)


def test_a_value_is_too_long_by_its_characters_not_its_bytes() -> None:
    limit = TEXT_LIMITS["actor1_name"]
    fits = "é" * limit  # twice as many bytes as the limit allows characters
    over = "e" * (limit + 1)
    table = _table("actor1_name", pa.chunked_array([pa.array([fits, over, None])]))
    result = ranges(table, CTX)
    assert result.table.column("actor1_name").to_pylist() == [fits, None]
    ((why, line),) = [(r.reason, r.line) for r in result.rejects]
    assert line == 3 and why.startswith(f"actor1_name is {limit + 1} characters long")


numbers = st.sampled_from(["1", "12", "-4", " 3", "1.5", "x", "3000000000", "nan", "0x10", "1e3"])
days = st.sampled_from(
    ["2021-01-15", "20210115", " 2021-01-16", "2021-02-30", "x", "2000-02-29", "2021-1-5"]
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), numbers), min_size=1, max_size=3 * _SLICE_ROWS),
    st.lists(st.one_of(st.none(), days), min_size=1, max_size=3 * _SLICE_ROWS),
    st.integers(0, 3 * _SLICE_ROWS),
)
def test_conform_reads_each_value_as_the_row_wise_rule_does(
    fatalities: list[str | None], event_dates: list[str | None], cut: int
) -> None:
    n = min(len(fatalities), len(event_dates))
    fatalities, event_dates = fatalities[:n], event_dates[:n]
    raw = pa.table(
        {
            "source_key": [f"k{i}" for i in range(n)],
            "event_date": _chunked(list(event_dates), cut, pa.string()),
            "fatalities": _chunked(list(fatalities), cut, pa.string()),
            LINE_COLUMN: list(range(2, n + 2)),
        }
    )
    result = conform(raw, CTX)
    dates_cast, dates_bad = _cast_rowwise(pa.chunked_array([event_dates], pa.string()), pa.date32())
    deaths, deaths_bad = _cast_rowwise(pa.chunked_array([fatalities], pa.string()), pa.int32())
    # conform takes the columns in schema order (event_date before fatalities); a row set
    # aside for its date is not read for its deaths.
    expected_rejects = [(i + 2, "event_date") for i in range(n) if dates_bad[i]] + [
        (i + 2, "fatalities") for i in range(n) if deaths_bad[i] and not dates_bad[i]
    ]
    expected_rows = [
        (dates_cast[i].as_py(), deaths[i].as_py())
        for i in range(n)
        if not dates_bad[i] and not deaths_bad[i]
    ]
    kept = result.table
    read = zip(
        kept.column("event_date").to_pylist(), kept.column("fatalities").to_pylist(), strict=True
    )
    assert list(read) == expected_rows
    assert [(r.line, r.column) for r in result.rejects] == expected_rejects


def test_one_bad_number_in_a_long_column_sets_aside_only_its_row() -> None:
    n = 10_000
    values = ["3"] * n
    values[4321] = "unknown"
    raw = pa.table(
        {
            "source_key": [f"k{i}" for i in range(n)],
            "event_date": ["2021-01-15"] * n,
            "fatalities": values,
            LINE_COLUMN: list(range(2, n + 2)),
        }
    )
    result = conform(raw, CTX)
    assert result.table.num_rows == n - 1
    assert set(result.table.column("fatalities").to_pylist()) == {3}
    ((line, why),) = [(r.line, r.reason) for r in result.rejects]
    assert (line, why) == (4323, "fatalities: cannot read 'unknown' as int32")


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["gdelt2", "icews", "é-source"]), st.text(min_size=1)),
        max_size=20,
    )
)
def test_event_ids_are_event_id_for_of_each_row(pairs: list[tuple[str, str]]) -> None:
    sources = pa.array([s for s, _ in pairs], pa.string())
    keys = pa.array([k for _, k in pairs], pa.string())
    assert event_ids(sources, keys).to_pylist() == [event_id_for(s, k) for s, k in pairs]


codes_or_none = st.one_of(st.none(), st.sampled_from(["USAGOV", "MEXCOP", "", "USA"]))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            codes_or_none,
            codes_or_none,
            st.sampled_from(["036", "190", None]),
            st.sampled_from([date(2021, 1, 15), date(1999, 12, 31)]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_dedupe_groups_are_dedupe_key_of_each_row(
    rows: list[tuple[str | None, str | None, str | None, date]],
) -> None:
    n = len(rows)
    table = pa.table(
        {
            "actor1_code": [r[0] for r in rows],
            "actor1_country": ["USA"] * n,
            "actor2_code": [r[1] for r in rows],
            "actor2_country": pa.nulls(n, pa.string()),
            "cameo_code": [r[2] for r in rows],
            "event_date": pa.array([r[3] for r in rows], pa.date32()),
            "dedupe_group": pa.nulls(n, pa.string()),
        }
    )
    groups = phoenix_dedupe(table, CTX).table.column("dedupe_group").to_pylist()
    # The callers' rule: an actor's code, or else its country.
    assert groups == [dedupe_key(a or "USA", b or None, c, d.isoformat()) for a, b, c, d in rows]


def test_codes_answers_each_row_of_a_repeated_code_and_names_every_bad_one() -> None:
    table = conform(
        pa.table(
            {
                "source_key": ["a", "b", "c", "d", "e"],
                "event_date": ["2021-01-15"] * 5,
                "cameo_code": ["12", "999", "12", None, "999"],
                LINE_COLUMN: [2, 3, 4, 5, 6],
            }
        ),
        CTX,
    ).table
    result = codes(table, CTX)
    assert result.table.column("cameo_code").to_pylist() == ["012", "012", None]
    assert [(r.line, r.reason) for r in result.rejects] == [
        (3, "cameo_code '999' is not a CAMEO event code"),
        (6, "cameo_code '999' is not a CAMEO event code"),
    ]
    assert cameo().normalise_event_code("12") == "012"
