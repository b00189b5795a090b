"""Step ``ranges``: values out of their field's range or shape are set aside with a reason.

Each case below is one of the inputs an adversarial run got into the store (issue 20):
Goldstein −999 and 1e308, QuadClass 9, EventRootCode −1 beside 046, NumMentions −5,
latitude 1e999, NaN Goldstein from ``ingest file``, NUL bytes in names, an event dated 2099
in a 2018 file, and one 10 MB field that cost a GDELT file its 50 valid rows.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.normalise import StepContext, conform, normalise
from dyadwatch.normalise.ranges import KEEP_CHARS, PUBLISHED_COLUMN, TEXT_LIMITS, ranges
from dyadwatch.pipeline import ingest
from dyadwatch.sources import get_source
from dyadwatch.sources.base import LINE_COLUMN
from dyadwatch.sources.gdelt.formats import formats
from dyadwatch.store import Store, events

pytestmark = pytest.mark.unit
CTX = StepContext(source="file")


def canonical(**columns: list[object]) -> pa.Table:
    n = len(next(iter(columns.values())))
    columns.setdefault("source_key", [f"k{i}" for i in range(n)])
    columns.setdefault("event_date", ["2021-01-14"] * n)
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    table = table.append_column(LINE_COLUMN, pa.array(range(2, n + 2)))
    return conform(table, CTX).table


def outcome(table: pa.Table) -> tuple[list[str], list[tuple[int | None, str | None, str]]]:
    result = ranges(table, CTX)
    kept = result.table.column("source_key").to_pylist()
    return kept, [(r.line, r.column, r.reason) for r in result.rejects]


@pytest.mark.parametrize(
    ("column", "values", "reason"),
    [
        ("goldstein", [1.9, -999.0], "goldstein -999.0 is outside -10…+10"),
        ("goldstein", [1.9, 1e308], "goldstein inf is not a finite number (the scale is -10…+10)"),
        ("goldstein", [1.9, math.nan], "goldstein nan is not a finite number"),
        ("avg_tone", [-3.0, 250.0], "avg_tone 250.0 is outside -100…+100"),
        ("quad_class", [4, 9], "quad_class 9 is not a CAMEO quad class (1-4)"),
        ("num_mentions", [0, -5], "num_mentions -5 is negative"),
        ("num_sources", [1, -1], "num_sources -1 is negative"),
        ("num_articles", [2, -2], "num_articles -2 is negative"),
        ("fatalities", [0, -3], "fatalities -3 is negative"),
        ("action_lat", [23.0, math.inf], "action_lat inf is not a finite number"),
        ("action_lat", [-90.0, 90.5], "action_lat 90.5 is outside -90…+90"),
        ("action_lon", [180.0, -180.01], "action_lon -180.01 is outside -180…+180"),
    ],
)
def test_numbers_out_of_range_are_set_aside(column: str, values: list[object], reason: str) -> None:
    kept, rejects = outcome(canonical(**{column: values}))
    assert kept == ["k0"]
    ((line, col, why),) = rejects
    assert (line, col) == (3, column)
    assert why.startswith(reason)


def test_cameo_root_must_be_the_codes_prefix() -> None:
    t = canonical(
        cameo_code=["046", "046", "046", None, None, "173"],
        cameo_root=["04", "-1", "4", "20", "21", None],
    )
    result = ranges(t, CTX)
    assert result.table.column("source_key").to_pylist() == ["k0", "k2", "k3", "k5"]
    # A root stripped of its zero is repaired; a missing root is filled from the code.
    assert result.table.column("cameo_root").to_pylist() == ["04", "04", "20", "17"]
    assert [r.reason for r in result.rejects] == [
        "cameo_root '-1' is not the root of cameo_code '046'",
        "cameo_root '21' is not a CAMEO root code (01-20)",
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor1_name", "UNITED\x00STATES"),
        ("source_key", "k\x001"),
        ("summary", "a report\x07 with a bell"),
        ("summary", "quietly \u202ereversed"),
        ("actor2_name", "MEXICO\nCITY"),
        ("cameo_code", "04\t6"),
        ("source_urls", ["https://example.org/a", "https://example.org/\x00b"]),
        ("source_titles", ["fine", "not\x9ffine"]),
    ],
)
def test_control_characters_are_refused_in_text(column: str, value: object) -> None:
    good: object = ["https://example.org/ok"] if isinstance(value, list) else "ok"
    kept, rejects = outcome(canonical(**{column: [good, value]}))
    assert kept == (["ok"] if column == "source_key" else ["k0"])
    ((line, col, why),) = rejects
    assert (line, col) == (3, column)
    assert "control character U+" in why


def test_line_breaks_are_allowed_where_text_runs_over_lines() -> None:
    kept, rejects = outcome(
        canonical(summary=["first line\nsecond line\r\n\tindented"], effect_rationale=["a\nb"])
    )
    assert kept == ["k0"] and rejects == []


def test_an_oversized_field_sets_aside_its_row_and_the_quarantine_keeps_a_clip() -> None:
    big = "x" * (10 * 1024 * 1024)
    t = canonical(summary=["short", big, "also short"])
    result = ranges(t, CTX)
    assert result.table.column("source_key").to_pylist() == ["k0", "k2"]
    (reject,) = result.rejects
    assert reject.column == "summary" and reject.line == 3
    assert reject.reason.startswith(
        f"summary is {len(big)} characters long, over its limit of {TEXT_LIMITS['summary']}"
    )
    assert reject.raw is not None and len(reject.raw) < KEEP_CHARS + 500
    assert json.loads(reject.raw)["summary"].endswith(f"({len(big)} characters)")


def test_too_many_list_items() -> None:
    t = canonical(instruments=[["merida"], ["x"] * 1001])
    kept, rejects = outcome(t)
    assert kept == ["k0"]
    assert rejects[0][2] == "instruments has 1001 items, over its limit of 1000"


def test_source_names_cannot_leave_their_folder() -> None:
    kept, rejects = outcome(
        canonical(source=["file", "../../etc", "a/b", ".hidden", "x" * 65, "gdelt2"])
    )
    assert kept == ["k0", "k5"]
    assert [r[1] for r in rejects] == ["source"] * 4


def test_an_event_cannot_be_dated_after_its_publication_or_after_tomorrow() -> None:
    t = canonical(
        event_date=["2018-01-04", "2018-01-05", "2018-01-07", "2099-01-01"],
        known_at=["2018-01-04T23:00:00Z", "2018-01-04T23:00:00Z", "2018-01-04T23:00:00Z", None],
    )
    # (A known_at before its event's day is the dates step's business; here it is set.)
    t = t.set_column(
        t.column_names.index("known_at"),
        "known_at",
        pa.array(
            [datetime(2018, 1, 4, 23, tzinfo=UTC)] * 3 + [datetime(2099, 1, 1, 23, tzinfo=UTC)],
            t.schema.field("known_at").type,
        ),
    )
    kept, rejects = outcome(t)
    assert kept == ["k0", "k1"]  # one day ahead (local calendar against UTC) is tolerated
    assert rejects[0][2].startswith(
        "event_date 2018-01-07 is more than 1 day after its known_at (2018-01-04 23:00:00"
    )
    assert rejects[1][2].startswith("event_date 2099-01-01 is in the future (after ")


def test_a_sources_own_publication_stamp_bounds_the_date() -> None:
    t = canonical(event_date=["2018-01-04", "2019-06-01"])
    t = t.append_column(
        PUBLISHED_COLUMN,
        pa.array([datetime(2018, 1, 4, tzinfo=UTC)] * 2, pa.timestamp("us", tz="UTC")),
    )
    kept, rejects = outcome(t)
    assert kept == ["k0"]
    assert "the source's publication stamp" in rejects[0][2]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=8))
def test_goldstein_kept_iff_finite_and_on_the_scale(values: list[float]) -> None:
    t = canonical(goldstein=values)
    kept = ranges(t, CTX).table.column("goldstein").to_pylist()
    assert kept == [v for v in values if math.isfinite(v) and -10 <= v <= 10]


def test_every_default_step_run_keeps_good_rows_untouched() -> None:
    raw = pa.table(
        {
            "source_key": ["a"],
            "event_date": ["2021-01-14"],
            "cameo_code": ["036"],
            "summary": ["met\nagain"],
            LINE_COLUMN: [2],
        }
    )
    kept, rejects = normalise(raw, CTX)
    assert rejects == [] and kept.column("cameo_root").to_pylist() == ["03"]


# --- through the sources, as the adversarial run did ------------------------------------------


def _gdelt_line(key: str, **extra: str) -> str:
    values = {
        "GLOBALEVENTID": key,
        "SQLDATE": "20180104",
        "Actor1Code": "USAGOV",
        "Actor1Name": "UNITED STATES",
        "Actor1CountryCode": "USA",
        "Actor1Type1Code": "GOV",
        "Actor2Code": "MEXGOV",
        "Actor2Name": "MEXICO",
        "Actor2CountryCode": "MEX",
        "Actor2Type1Code": "GOV",
        "EventCode": "046",
        "EventBaseCode": "046",
        "EventRootCode": "04",
        "QuadClass": "1",
        "GoldsteinScale": "7.0",
        "NumMentions": "4",
        "NumSources": "1",
        "NumArticles": "4",
        "AvgTone": "-1.5",
        "ActionGeo_Type": "1",
        "ActionGeo_FullName": "Mexico",
        "ActionGeo_CountryCode": "MX",
        "ActionGeo_Lat": "23",
        "ActionGeo_Long": "-102",
        "DATEADDED": "20180104000000",
        "SOURCEURL": "http://example.com/story",
        **extra,
    }
    return "\t".join(values.get(c, "") for c in formats()["events-2.0"].columns)


GDELT_CORPUS: dict[str, tuple[dict[str, str], str, str]] = {
    # key: (fields, quarantined column, start of the reason)
    "2": ({"GoldsteinScale": "-999"}, "goldstein", "goldstein -999.0 is outside"),
    "3": ({"GoldsteinScale": "1e308"}, "goldstein", "goldstein inf is not a finite number"),
    "4": ({"QuadClass": "9"}, "quad_class", "quad_class 9 is not"),
    "5": ({"EventRootCode": "-1"}, "cameo_root", "cameo_root '-1' is not the root"),
    "6": ({"NumMentions": "-5"}, "num_mentions", "num_mentions -5 is negative"),
    "7": ({"ActionGeo_Lat": "1e999"}, "action_lat", "action_lat inf is not a finite"),
    "8": ({"Actor1Name": "UNITED\x00STATES"}, "actor1_name", "actor1_name holds the control"),
    "9": (
        {"SQLDATE": "20990101"},
        "event_date",
        "event_date 2099-01-01 is more than 1 day after the source's publication stamp",
    ),
}
"""The malformed GDELT rows of issue 20 that reach the normalise steps."""


def test_the_gdelt_corpus_is_quarantined_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "20180104000000.export.CSV"
    lines = [_gdelt_line("1")] + [_gdelt_line(k, **f) for k, (f, _, _) in GDELT_CORPUS.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = Store.init(tmp_path / "store")
    src = get_source("gdelt")
    summary = ingest(src, list(src.artifacts_for_paths([path])), store)
    assert summary.ok and summary.rows_kept == 1
    rows = store.catalog_query('SELECT line, "column", reason FROM quarantine ORDER BY line')
    got = {r["line"]: (r["column"], r["reason"]) for r in rows.to_pylist()}
    for line, (_, column, reason) in enumerate(GDELT_CORPUS.values(), start=2):
        assert got[line][0] == column and got[line][1].startswith(reason), got[line]
    goldstein = events(store).column("goldstein").to_pylist()
    assert goldstein == [pytest.approx(7.0)]


def test_file_source_nan_and_nul_and_an_oversized_field(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    good = [f"k{i},2018-01-04,USA,MEX,046,fine {i},1.5" for i in range(50)]
    bad = [
        "nan,2018-01-04,USA,MEX,046,nan goldstein,NaN",
        "nul,2018-01-04,USA,MEX,046,a\x00b,1.5",
        "big,2018-01-04,USA,MEX,046," + "y" * (10 * 1024 * 1024) + ",1.5",
    ]
    header = "source_key,event_date,actor1_country,actor2_country,cameo_code,summary,goldstein"
    path.write_text("\n".join([header, *good, *bad]) + "\n", encoding="utf-8")
    store = Store.init(tmp_path / "store")
    src = get_source("file")
    summary = ingest(src, list(src.artifacts_for_paths([path])), store)
    (artifact,) = summary.artifacts
    assert artifact.status == "done" and artifact.rows_kept == 50
    reasons = store.catalog_query('SELECT "column", reason FROM quarantine ORDER BY line')
    assert [r["column"] for r in reasons.to_pylist()] == ["goldstein", "summary", "summary"]
    stored = events(store)
    assert stored.num_rows == 50
    assert max(len(s) for s in stored.column("summary").to_pylist()) < 20
    assert date(2018, 1, 4) in stored.column("event_date").to_pylist()
