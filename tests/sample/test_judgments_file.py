"""The shipped expert-judgments file (``dyadwatch/knowledge/data/judgments.csv``) is well formed.

Read with the standard library only, so the file is checked independently of the
``validate judgments`` command that scores the index against it. Each check names the line
that breaks it.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.sample

PATH = Path(__file__).resolve().parents[2] / "dyadwatch" / "knowledge" / "data" / "judgments.csv"
HEADER = ["date", "judge", "outlet", "direction", "horizon_months", "claim", "url", "verified"]
DIRECTIONS = {"improving", "deteriorating", "low", "high", "mixed"}
DATE_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
URL_RE = re.compile(r"^https?://[^\s/?#]+\S*$")


def _read() -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    with PATH.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [(reader.line_num, dict(zip(header, rec, strict=True))) for rec in reader]
    return header, rows


def _parse_date(text: str) -> date:
    """``YYYY-MM-DD`` or ``YYYY-MM`` (read as the first of the month); ValueError otherwise."""
    m = DATE_RE.match(text)
    if not m:
        raise ValueError(f"not YYYY-MM-DD or YYYY-MM: {text!r}")
    year, month, day = m.groups()
    return date(int(year), int(month), int(day or 1))


def test_header_is_exactly_the_documented_columns() -> None:
    header, _ = _read()
    assert header == HEADER


def test_every_row_has_every_column_filled() -> None:
    _, rows = _read()
    blank = [(line, k) for line, r in rows for k in HEADER if not r[k].strip()]
    assert blank == []


def test_every_date_parses() -> None:
    _, rows = _read()
    bad = []
    for line, r in rows:
        try:
            _parse_date(r["date"])
        except ValueError as exc:
            bad.append((line, str(exc)))
    assert bad == []


def test_date_parser_rejects_what_the_file_must_not_contain() -> None:
    assert _parse_date("2021-01") == date(2021, 1, 1)
    assert _parse_date("2021-01-19") == date(2021, 1, 19)
    for text in ("2021", "2021-13", "2021-02-30", "19-01-2021", "2021/01/19", " 2021-01"):
        with pytest.raises(ValueError):
            _parse_date(text)


def test_every_direction_is_in_the_set() -> None:
    _, rows = _read()
    assert [(line, r["direction"]) for line, r in rows if r["direction"] not in DIRECTIONS] == []


def test_every_horizon_is_a_positive_whole_number() -> None:
    _, rows = _read()
    bad = [
        (line, r["horizon_months"])
        for line, r in rows
        if not r["horizon_months"].isdigit() or int(r["horizon_months"]) <= 0
    ]
    assert bad == []


def test_every_url_is_http() -> None:
    _, rows = _read()
    bad = [(line, r["url"]) for line, r in rows if not URL_RE.match(r["url"])]
    assert bad == []


def test_verified_is_yes_or_no() -> None:
    _, rows = _read()
    assert [(line, r["verified"]) for line, r in rows if r["verified"] not in {"yes", "no"}] == []


def test_enough_rows_spanning_1985_to_2025() -> None:
    _, rows = _read()
    dates = [_parse_date(r["date"]) for _, r in rows]
    assert len(rows) >= 40
    assert min(dates).year <= 1985
    assert max(dates).year >= 2025


def test_every_decade_and_every_direction_is_represented() -> None:
    """The file is not built to make one story look right: all directions, all decades."""
    _, rows = _read()
    decades = {_parse_date(r["date"]).year // 10 * 10 for _, r in rows}
    assert {1980, 1990, 2000, 2010, 2020} <= decades
    assert {r["direction"] for _, r in rows} == DIRECTIONS


def test_no_duplicate_judgment() -> None:
    _, rows = _read()
    keys = [(r["date"], r["judge"], r["url"]) for _, r in rows]
    assert len(keys) == len(set(keys))
