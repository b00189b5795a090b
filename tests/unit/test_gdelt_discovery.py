"""GDELT discovery (file lists, intervals, gap reports) and the downloader on a mock transport."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from dyadwatch.errors import DownloadError
from dyadwatch.sources.download import Downloader
from dyadwatch.sources.gdelt.discovery import (
    RemoteFile,
    classify,
    expected_intervals,
    gap_report,
    in_period,
    parse_filelist,
    parse_v1_index,
    parse_v1_lists,
    rebase,
)
from dyadwatch.sources.gdelt.source import artifact_key

pytestmark = pytest.mark.unit

BASE = "http://mirror.test"


def test_classify_every_stream() -> None:
    cases = {
        "20150218230000.export.CSV.zip": "events",
        "20150218230000.mentions.CSV.zip": "mentions",
        "20150218230000.gkg.csv.zip": "gkg",
        "20150218224500.translation.export.CSV.zip": "translation-events",
        "20150218224500.translation.mentions.CSV.zip": "translation-mentions",
        "20130401.export.CSV.zip": "v1-daily",
        "200601.zip": "v1-monthly",
        "1979.zip": "v1-yearly",
    }
    assert {name: classify(name)[0] for name in cases} == cases  # type: ignore[index]
    assert classify("GDELT.MASTERREDUCEDV2.1979-2013.zip") is None
    _stream, start, end = classify("200602.zip")  # type: ignore[misc]
    assert (start, end) == (datetime(2006, 2, 1, tzinfo=UTC), datetime(2006, 3, 1, tzinfo=UTC))


def test_filelist_lines_are_parsed_rebased_and_bad_lines_skipped() -> None:
    text = (
        "150383 297a16b493de7cf6ca809a7cc31d0b93 "
        "http://data.gdeltproject.org/gdeltv2/20150218230000.export.CSV.zip\n"
        "\n"
        "garbage line\n"
        "12 297a16b493de7cf6ca809a7cc31d0b93 http://data.gdeltproject.org/gdeltv2/other.txt\n"
    )
    files = parse_filelist(text, BASE)
    assert [(f.name, f.size, f.stream) for f in files] == [
        ("20150218230000.export.CSV.zip", 150383, "events")
    ]
    assert files[0].url == f"{BASE}/gdeltv2/20150218230000.export.CSV.zip"
    assert files[0].cache_path == "gdeltv2/20150218230000.export.CSV.zip"
    assert rebase("http://a/b/c.zip", "http://x:1/") == "http://x:1/b/c.zip"


def test_v1_index_page_and_lists() -> None:
    page = (
        '<LI><A HREF="20130401.export.CSV.zip">20130401.export.CSV.zip</A> 9.9MB '
        "(MD5: 0123456789abcdef0123456789abcdef)</LI>\n"
        '<LI><A HREF="200601.zip">200601.zip</A> 10MB</LI>\n'
        '<LI><A HREF="GDELT.MASTERREDUCEDV2.1979-2013.zip">x</A></LI>\n'
    )
    files = parse_v1_index(page, BASE)
    assert [(f.name, f.md5) for f in files] == [
        ("200601.zip", None),
        ("20130401.export.CSV.zip", "0123456789abcdef0123456789abcdef"),
    ]
    assert files[1].url == f"{BASE}/events/20130401.export.CSV.zip"
    listed = parse_v1_lists(
        "14276482 1979.zip\n", "7fb1b6ff781aea3d441abf512dc5e0f9  1979.zip\n", BASE
    )
    assert [(f.name, f.size, f.md5) for f in listed] == [
        ("1979.zip", 14276482, "7fb1b6ff781aea3d441abf512dc5e0f9")
    ]


def test_expected_intervals_follow_each_stream_cadence() -> None:
    day = datetime(2018, 1, 1, tzinfo=UTC)
    nxt = datetime(2018, 1, 2, tzinfo=UTC)
    assert len(list(expected_intervals("events", day, nxt))) == 96
    whole = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2014, 1, 1, tzinfo=UTC))
    assert len(list(expected_intervals("v1-yearly", *whole))) == 2005 - 1979 + 1
    assert len(list(expected_intervals("v1-monthly", *whole))) == 7 * 12 + 3
    assert len(list(expected_intervals("v1-daily", *whole))) == 275


def _remote(name: str, size: int = 10, md5: str | None = None) -> RemoteFile:
    stream, start, end = classify(name)  # type: ignore[misc]
    return RemoteFile(name, f"{BASE}/gdeltv2/{name}", stream, start, end, size, md5)


def test_gap_report_lists_missing_and_failed_intervals_exactly() -> None:
    files = [
        _remote("20180101000000.export.CSV.zip"),
        _remote("20180101003000.export.CSV.zip"),
        _remote("20180101004500.export.CSV.zip"),
    ]
    report = gap_report(
        files, ["events"], None, None, failed={"20180101004500.export.CSV.zip": "HTTP 500"}
    )
    assert (report.expected, report.available) == (4, 2)
    assert [(g.start.minute, g.name, g.reason) for g in report.gaps] == [
        (15, None, "not in the GDELT file list"),
        (45, "20180101004500.export.CSV.zip", "HTTP 500"),
    ]
    bounded = gap_report(files, ["events"], date(2018, 1, 1), date(2018, 1, 1))
    assert bounded.expected == 96 and len(bounded.gaps) == 93
    assert "gap(s)" in report.text() and report.rows()[1]["reason"] == "HTTP 500"


def test_in_period_orders_events_before_mentions() -> None:
    files = [
        _remote("20180101000000.mentions.CSV.zip"),
        _remote("20180101000000.export.CSV.zip"),
        _remote("20180102000000.export.CSV.zip"),
    ]
    got = in_period(files, date(2018, 1, 1), date(2018, 1, 1))
    assert [f.name for f in got] == [
        "20180101000000.export.CSV.zip",
        "20180101000000.mentions.CSV.zip",
    ]


def test_artifact_key_ignores_directories_and_zip() -> None:
    assert artifact_key("/a/b/20151027220000.export.CSV.zip") == "20151027220000.export.CSV"
    assert artifact_key("20151027220000.export.CSV") == "20151027220000.export.CSV"


# --- downloader on httpx.MockTransport ------------------------------------------------------

BODY = b"x" * 5000
MD5 = hashlib.md5(BODY, usedforsecurity=False).hexdigest()


def _downloader(tmp_path: Path, handler: object, retries: int = 3) -> Downloader:
    dl = Downloader(
        tmp_path / "cache",
        retries=retries,
        backoff=0.0,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
    )
    dl._sleep = lambda s: None
    return dl


def test_retries_429_then_succeeds_and_caches(tmp_path: Path) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return httpx.Response(200, content=BODY)

    f = _remote("20180101000000.export.CSV.zip", len(BODY), MD5)
    with _downloader(tmp_path, handler) as dl:
        result = dl.download(f)
        again = dl.download(f)
    assert result.ok and result.attempts == 3 and result.path is not None
    assert result.path.read_bytes() == BODY
    assert again.from_cache and len(calls) == 3


def test_truncated_body_is_resumed_with_range(tmp_path: Path) -> None:
    ranges: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ranges.append(request.headers.get("Range"))
        if len(ranges) == 1:
            return httpx.Response(200, content=BODY[:1200])
        start = int(request.headers["Range"].split("=")[1].rstrip("-"))
        return httpx.Response(206, content=BODY[start:])

    f = _remote("20180101000000.export.CSV.zip", len(BODY), MD5)
    with _downloader(tmp_path, handler) as dl:
        result = dl.download(f)
    assert result.ok and ranges == [None, "bytes=1200-"]
    assert result.path is not None and result.path.read_bytes() == BODY


@pytest.mark.parametrize(
    ("status", "body", "reason", "attempts"),
    [
        (404, b"", "404", 1),
        (500, b"", "HTTP 500", 3),
        (200, b"y" * 5000, "MD5 mismatch", 3),
    ],
)
def test_failures_are_reported_not_swallowed(
    tmp_path: Path, status: int, body: bytes, reason: str, attempts: int
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body)

    f = _remote("20180101000000.export.CSV.zip", len(BODY), MD5)
    with _downloader(tmp_path, handler, retries=2) as dl:
        result = dl.download(f)
    assert not result.ok and reason in (result.error or "")
    assert result.attempts == attempts
    assert not dl.target(f).exists()


def test_fetch_text_raises_a_download_error_after_retries(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    with _downloader(tmp_path, handler, retries=1) as dl, pytest.raises(DownloadError, match="503"):
        dl.fetch_text(f"{BASE}/gdeltv2/masterfilelist.txt")


def test_filelist_keeps_only_the_period_and_streams_asked_for() -> None:
    lines = [
        f"10 297a16b493de7cf6ca809a7cc31d0b93 http://h/gdeltv2/{stamp}.{kind}.CSV.zip"
        for stamp in ("20171231234500", "20180101000000", "20180101234500", "20180102000000")
        for kind in ("export", "mentions")
    ]
    files = parse_filelist(
        "\n".join(lines), BASE, streams=["events"], since=date(2018, 1, 1), until=date(2018, 1, 1)
    )
    assert [f.name for f in files] == [
        "20180101000000.export.CSV.zip",
        "20180101234500.export.CSV.zip",
    ]
