"""Which GDELT files exist for a period, and which intervals a period should have.

GDELT 2.0 lists its 15-minute files in ``gdeltv2/masterfilelist.txt`` (and the Translingual
streams in ``gdeltv2/masterfilelist-translation.txt``); the latest interval alone is in
``lastupdate.txt`` / ``lastupdate-translation.txt``. Each line is ``size md5 url``. GDELT 1.0
lists its event files — yearly ``YYYY.zip`` (1979–2005), monthly ``YYYYMM.zip`` (January
2006–March 2013) and daily ``YYYYMMDD.export.CSV.zip`` (from 1 April 2013) — on the
``events/index.html`` page; the same content also circulates as ``size name`` and
``md5  name`` lists. All URLs are resolved against the ``gdelt_base_url`` setting, so a mirror
(or a test server) serves the same layout.

:func:`expected_intervals` and :func:`gap_report` turn "what should exist" into the list of
intervals that are missing or failed: nothing is skipped silently.
"""

from __future__ import annotations

import html
import io
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from dyadwatch.sources.remote import Gap, GapReport, RemoteFile

log = logging.getLogger(__name__)

V2_STEP = timedelta(minutes=15)
V1_DAILY_START = date(2013, 4, 1)
"""First GDELT 1.0 daily file (GDELT 1.0 event codebook: daily updates from 1 April 2013)."""
V1_MONTHLY_START = date(2006, 1, 1)
V1_YEARLY_START = 1979

V2_STREAMS = ("events", "mentions", "gkg")
TRANSLATION_STREAMS = ("translation-events", "translation-mentions", "translation-gkg")
V1_STREAMS = ("v1-daily", "v1-monthly", "v1-yearly")
INGESTED_STREAMS = frozenset(
    {"events", "mentions", "translation-events", "translation-mentions", *V1_STREAMS}
)
"""Streams the reader understands (GKG is listed and skipped: it is not event data)."""

_V2_NAME = re.compile(
    r"(?P<stamp>\d{14})\.(?P<tr>translation\.)?(?P<kind>export|mentions|gkg)\.(?:CSV|csv)(?:\.zip)?$"
)
_V1_DAILY = re.compile(r"^(?P<d>\d{8})\.export\.CSV(?:\.zip)?$")
_V1_MONTHLY = re.compile(r"^(?P<m>\d{6})(?:\.zip)?$")
_V1_YEARLY = re.compile(r"^(?P<y>\d{4})(?:\.zip)?$")
_MD5_ONLY = re.compile(r"[0-9a-f]{32}")


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def rebase(url: str, base_url: str) -> str:
    """``url`` with its scheme and host replaced by ``base_url`` (keeps the path).

    >>> rebase("http://data.gdeltproject.org/gdeltv2/x.zip", "http://127.0.0.1:8000")
    'http://127.0.0.1:8000/gdeltv2/x.zip'
    """
    path = urlsplit(url).path
    return base_url.rstrip("/") + path


def _stamp(text: str, fmt: str) -> datetime | None:
    """``text`` read with ``fmt`` as a UTC time, or None if it is no real date and time."""
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=UTC)
    except ValueError:
        return None


def classify(name: str) -> tuple[str, datetime, datetime] | None:
    """Stream and interval of a GDELT file name (or artifact key: ``.zip`` is optional).

    None for a name that is not a GDELT file name, or whose stamp is not a real date and time
    (``20180104006000``: minute 60); :func:`name_problem` says which.

    >>> classify("20150218230000.export.CSV.zip")[0]
    'events'
    >>> classify("200601.zip")[0]
    'v1-monthly'
    >>> classify("20180104006000.export.CSV") is None
    True
    """
    name = name.rsplit("/", 1)[-1]
    m = _V2_NAME.search(name)
    if m:
        start = _stamp(m["stamp"], "%Y%m%d%H%M%S")
        if start is None:
            return None
        kind = {"export": "events", "mentions": "mentions", "gkg": "gkg"}[m["kind"]]
        stream = f"translation-{kind}" if m["tr"] else kind
        return stream, start, start + V2_STEP
    m = _V1_DAILY.match(name)
    if m:
        day = _stamp(m["d"], "%Y%m%d")
        if day is None:
            return None
        return "v1-daily", day, day + timedelta(days=1)
    m = _V1_MONTHLY.match(name)
    if m:
        first = _stamp(m["m"], "%Y%m")
        if first is None:
            return None
        nxt = (first + timedelta(days=32)).replace(day=1)
        return "v1-monthly", first, nxt
    m = _V1_YEARLY.match(name)
    if m:
        year = int(m["y"])
        return "v1-yearly", datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    return None


def name_problem(name: str) -> str | None:
    """Why a file named like a GDELT file cannot be one, or None if its name is fine.

    A name with GDELT's shape but an impossible stamp (minute 60, day 32, month 13) names no
    interval GDELT publishes: the file was renamed or damaged, and its interval cannot be
    trusted to say which period it covers.

    >>> name_problem("20180104006000.export.CSV")  # doctest: +ELLIPSIS
    "the stamp '20180104006000' in the name ... is not a real date and time ..."
    >>> name_problem("20180104001500.export.CSV") is None
    True
    """
    base = name.rsplit("/", 1)[-1]
    m = _V2_NAME.search(base)
    stamp = m["stamp"] if m else None
    if stamp is None:
        for pattern, group in ((_V1_DAILY, "d"), (_V1_MONTHLY, "m")):
            m = pattern.match(base)
            if m:
                stamp = m[group]
                break
    if stamp is None or classify(base) is not None:
        return None
    shape = {14: "YYYYMMDDHHMMSS", 8: "YYYYMMDD", 6: "YYYYMM"}[len(stamp)]
    return (
        f"the stamp {stamp!r} in the name {base!r} is not a real date and time ({shape}); "
        "GDELT names each file by the start of the interval it covers, so this file was "
        "renamed or damaged: use the file under its original name."
    )


def parse_filelist(
    text: str,
    base_url: str,
    *,
    streams: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[RemoteFile]:
    """Parse ``masterfilelist.txt`` / ``lastupdate.txt`` (``size md5 url`` per line).

    Lines that are blank or do not have that shape are logged and skipped (GDELT's list has a
    few); files that are not GDELT event, mention or GKG files are ignored. ``streams`` and
    ``since``/``until`` (inclusive days) keep only what a run needs: the master list has a
    line per file since February 2015, and most are outside any one run's period.

    Examples
    --------
    >>> text = "150383 297a16b493de7cf6ca809a7cc31d0b93 http://data.gdeltproject.org/gdeltv2/20150218230000.export.CSV.zip"
    >>> parse_filelist(text, "http://data.gdeltproject.org")[0].size
    150383
    """
    lo = f"{since:%Y%m%d}000000" if since else None
    hi = f"{until + timedelta(days=1):%Y%m%d}000000" if until else None
    out: list[RemoteFile] = []
    for number, line in enumerate(io.StringIO(text), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not parts[0].isdigit() or not _MD5_ONLY.fullmatch(parts[1]):
            log.warning("file list line %d is not 'size md5 url': %r", number, line[:200])
            continue
        url = parts[2]
        name = url.rsplit("/", 1)[-1]
        stamp = name[:14]
        if (lo is not None and stamp < lo) or (hi is not None and stamp >= hi):
            continue
        kind = classify(name)
        if kind is None:
            problem = name_problem(name)
            if problem is not None:
                log.warning("file list line %d: %s", number, problem)
            continue
        if streams is not None and kind[0] not in streams:
            continue
        stream, start, end = kind
        out.append(
            RemoteFile(
                name=name,
                url=rebase(url, base_url),
                stream=stream,
                start=start,
                end=end,
                size=int(parts[0]),
                md5=parts[1],
            )
        )
    return out


def parse_v1_lists(sizes: str, md5s: str, base_url: str) -> list[RemoteFile]:
    """GDELT 1.0 files from ``size name`` and ``md5  name`` lists (either may be empty).

    Examples
    --------
    >>> [f.stream for f in parse_v1_lists("14276482 1979.zip", "", "http://x")]
    ['v1-yearly']
    """
    size_of: dict[str, int] = {}
    md5_of: dict[str, str] = {}
    for line in sizes.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            size_of[parts[1]] = int(parts[0])
    for line in md5s.splitlines():
        parts = line.split()
        if len(parts) == 2 and re.fullmatch(r"[0-9a-f]{32}", parts[0]):
            md5_of[parts[1]] = parts[0]
    return _v1_files(
        [*size_of, *(n for n in md5_of if n not in size_of)], size_of, md5_of, base_url
    )


_HREF = re.compile(r"""href\s*=\s*["']?([^"'>\s]+)""", re.IGNORECASE)
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")


def parse_v1_index(page: str, base_url: str) -> list[RemoteFile]:
    """GDELT 1.0 files from the ``events/index.html`` page.

    Every link to a GDELT 1.0 event file is taken; an MD5 written on the same line is kept
    for verification (the page gives sizes only rounded, so they are not used).

    Examples
    --------
    >>> page = '<A HREF="20130401.export.CSV.zip">20130401.export.CSV.zip</A>'
    >>> parse_v1_index(page, "http://x")[0].url
    'http://x/events/20130401.export.CSV.zip'
    """
    md5_of: dict[str, str] = {}
    names: list[str] = []
    for line in page.splitlines():
        for href in _HREF.findall(line):
            name = html.unescape(href).rsplit("/", 1)[-1]
            if classify(name) is None or name in md5_of or name in names:
                continue
            names.append(name)
            m = _MD5.search(line.replace(href, ""))
            if m:
                md5_of[name] = m[1].lower()
    return _v1_files(names, {}, md5_of, base_url)


def _v1_files(
    names: Iterable[str], size_of: dict[str, int], md5_of: dict[str, str], base_url: str
) -> list[RemoteFile]:
    out = []
    for name in names:
        kind = classify(name)
        if kind is None or not kind[0].startswith("v1-"):
            continue
        stream, start, end = kind
        out.append(
            RemoteFile(
                name=name,
                url=f"{base_url.rstrip('/')}/events/{name}",
                stream=stream,
                start=start,
                end=end,
                size=size_of.get(name),
                md5=md5_of.get(name),
            )
        )
    return sorted(out, key=lambda f: (f.start, f.name))


def in_period(
    files: Iterable[RemoteFile],
    since: date | None,
    until: date | None,
    streams: Sequence[str] | None = None,
) -> list[RemoteFile]:
    """Files whose interval overlaps ``since``..``until`` (inclusive days), of ``streams``.

    Sorted by interval, events before mentions of the same interval.

    Examples
    --------
    >>> in_period(files, date(2018, 1, 1), date(2018, 1, 1), ["events"])  # doctest: +SKIP
    """
    lo = _utc(since) if since else None
    hi = _utc(until) + timedelta(days=1) if until else None
    out = [
        f
        for f in files
        if (streams is None or f.stream in streams)
        and (lo is None or f.end > lo)
        and (hi is None or f.start < hi)
    ]
    return sorted(out, key=lambda f: (f.start, _stream_order(f.stream), f.name))


def _stream_order(stream: str) -> int:
    # Events before their mentions, so a run keeps the mentions of the events it just kept.
    return 0 if stream.endswith("events") or stream.startswith("v1-") else 1


def expected_intervals(
    stream: str, since: datetime, until: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The intervals a stream should have between ``since`` and ``until`` (half-open).

    Examples
    --------
    >>> day = datetime(2018, 1, 1, tzinfo=UTC)
    >>> len(list(expected_intervals("events", day, day + timedelta(days=1))))
    96
    """
    if stream in V2_STREAMS or stream in TRANSLATION_STREAMS:
        t = since.replace(minute=since.minute - since.minute % 15, second=0, microsecond=0)
        while t < until:
            yield t, t + V2_STEP
            t += V2_STEP
        return
    if stream == "v1-daily":
        t = max(since, _utc(V1_DAILY_START)).replace(hour=0, minute=0, second=0, microsecond=0)
        while t < until:
            yield t, t + timedelta(days=1)
            t += timedelta(days=1)
        return
    if stream == "v1-monthly":
        t = max(since, _utc(V1_MONTHLY_START)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        end = min(until, _utc(V1_DAILY_START))
        while t < end:
            nxt = (t + timedelta(days=32)).replace(day=1)
            yield t, nxt
            t = nxt
        return
    if stream == "v1-yearly":
        year = max(since.year, V1_YEARLY_START)
        while datetime(year, 1, 1, tzinfo=UTC) < min(until, _utc(V1_MONTHLY_START)):
            yield datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
            year += 1
        return
    raise ValueError(f"unknown stream {stream!r}")


def gap_report(
    listed: Sequence[RemoteFile],
    streams: Sequence[str],
    since: date | None,
    until: date | None,
    failed: dict[str, str] | None = None,
) -> GapReport:
    """Compare what ``streams`` should have in the period with what is listed and fetched.

    The period is bounded by the file list itself where ``since``/``until`` are open, so an
    open-ended run does not report the years before a stream began. ``failed`` maps a file
    name to why its download failed.

    Examples
    --------
    >>> report = gap_report(files, ["events"], date(2018, 1, 1), date(2018, 1, 1))  # doctest: +SKIP
    >>> print(report.text())  # doctest: +SKIP
    96 interval(s) expected, 95 available, 1 gap(s).
    """
    failed = failed or {}
    report = GapReport()
    for stream in streams:
        files = [f for f in listed if f.stream == stream]
        if not files and (since is None or until is None):
            continue
        lo = _utc(since) if since else min(f.start for f in files)
        hi = _utc(until) + timedelta(days=1) if until else max(f.end for f in files)
        by_start = {f.start: f for f in files}
        for start, end in expected_intervals(stream, lo, hi):
            report.expected += 1
            f = by_start.get(start)
            if f is None:
                report.gaps.append(Gap(stream, start, end, "not in the GDELT file list"))
            elif f.name in failed:
                report.gaps.append(Gap(stream, start, end, failed[f.name], f.name))
            else:
                report.available += 1
    report.gaps.sort(key=lambda g: (g.start, g.stream))
    return report
