"""Dataverse (ICEWS, POLECAT) and ACLED downloads against a local server that injects faults.

The server on 127.0.0.1 speaks the two APIs as far as dyadwatch uses them — the Dataverse
dataset listing and file access (with ``Range``), ACLED's OAuth token endpoint and its paged
``read`` endpoint — and injects the failures the GDELT connector is tested with: a 500 that
never clears, a 429 and a truncated body that clear on retry, a wrong MD5, an expired token,
a page that is not JSON. The first run's gap report must list exactly the persistent
failures (and the year the dataset has no file for); a rerun must fetch only what is missing
and fill every gap without adding an event twice. Credentials must never reach a log, a URL,
the cache or the store.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import logging
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from dyadwatch.errors import DownloadError
from dyadwatch.pipeline import ingest
from dyadwatch.sources import acled_api
from dyadwatch.sources.acled import AcledSource
from dyadwatch.sources.acled_api import Credentials, Secret
from dyadwatch.sources.icews import IcewsSource
from dyadwatch.sources.polecat import PolecatSource
from dyadwatch.store import Store
from tests.fault_server import serving
from tests.source_fixtures import acled_rows, polecat_text

pytestmark = pytest.mark.sample

ICEWS_SAMPLE = "icews/andybega_icews_events.2018.sample.tab"
PASSWORD = "correct horse battery staple"
TOKEN = "dv-token-0123456789"


@dataclass
class Server:
    """What the fake servers hold, the faults they inject, and the requests they saw."""

    listing: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, list[str]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    acled: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    token_forms: list[dict[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault(self, key: str) -> str | None:
        with self.lock:
            queue = self.faults.get(key)
            if not queue:
                return None
            return (
                queue[0].removeprefix("always:")
                if queue[0].startswith("always:")
                else (queue.pop(0))
            )


def handler(server: Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _truncate(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            server.requests.append(("POST", self.path, dict(self.headers)))
            if self.path != "/oauth/token":
                self._send(404, b"")
                return
            server.token_forms.append(form)
            if server.fault("token") == "500":
                self._send(500, b"busy")
                return
            grant = form.get("grant_type", [""])[0]
            ok = (
                grant == "password"
                and form.get("username") == ["analyst@example.org"]
                and form.get("password") == [PASSWORD]
            ) or (grant == "refresh_token" and form.get("refresh_token") == ["refresh-1"])
            if not ok or form.get("client_id") != ["acled"]:
                self._send(401, b'{"error": "invalid_grant"}')
                return
            token = f"acled-token-{len(server.tokens) + 1}"
            server.tokens.append(token)
            body = {"access_token": token, "refresh_token": "refresh-1", "expires_in": 86400}
            self._send(200, json.dumps(body).encode())

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            server.requests.append(("GET", self.path, dict(self.headers)))
            if url.path == "/api/datasets/:persistentId/":
                self._send(200, json.dumps(server.listing).encode())
            elif url.path.startswith("/api/access/datafile/"):
                self._datafile(url.path.rsplit("/", 1)[-1])
            elif url.path == "/api/acled/read":
                self._acled(query)
            else:
                self._send(404, b"")

        def _datafile(self, file_id: str) -> None:
            body = server.files.get(file_id)
            if body is None:
                self._send(404, b"<html>not found</html>")
                return
            fault = server.fault(file_id)
            if fault in ("500", "429"):
                self._send(int(fault), b"busy", {"Retry-After": "0"} if fault == "429" else {})
            elif fault == "md5":
                self._send(200, bytes(b ^ 0x55 for b in body))
            elif fault == "truncate":
                self._truncate(body)
            elif self.headers.get("Range"):
                start = int(self.headers["Range"].split("=")[1].split("-")[0])
                rng = f"bytes {start}-{len(body) - 1}/{len(body)}"
                self._send(206, body[start:], {"Content-Range": rng})
            else:
                self._send(200, body)

        def _acled(self, query: dict[str, list[str]]) -> None:
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ")
            if token not in server.tokens or token in server.expired:
                self._send(401, b'{"error": "token expired"}')
                return
            month = query["event_date"][0][:7]
            page = int(query["page"][0])
            limit = int(query["limit"][0])
            key = f"{month}/{page}"
            fault = server.fault(key)
            if fault == "500":
                self._send(500, b"busy")
                return
            data = server.acled.get(month, [])[(page - 1) * limit : page * limit]
            body = json.dumps({"status": 200, "success": True, "count": len(data), "data": data})
            if fault == "truncate":
                self._truncate(body.encode())
                return
            if fault == "expire":
                server.expired.add(token)
                self._send(401, b'{"error": "token expired"}')
                return
            self._send(200, body.encode())

    return Handler


@pytest.fixture()
def fake() -> Iterator[tuple[Server, str]]:
    state = Server()
    with serving(handler(state)) as url:
        yield state, url


def zip_of(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def icews_year(sample: bytes, year: int) -> bytes:
    """The ICEWS sample as if it were year ``year``: its dates and ids moved to that year."""
    lines = sample.decode("utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split("\t")
        fields[0] = f"{year}{fields[0]}"
        fields[1] = f"{year}{fields[1][4:]}"
        out.append("\t".join(fields))
    return ("\n".join(out) + "\n").encode("utf-8")


def listing(entries: list[tuple[int, str, bytes]]) -> dict[str, Any]:
    files = []
    for file_id, name, body in entries:
        files.append(
            {
                "label": name,
                "dataFile": {
                    "id": file_id,
                    "filename": name,
                    "filesize": len(body),
                    "checksum": {"type": "MD5", "value": hashlib.md5(body).hexdigest()},
                    "publicationDate": "2020-04-27",
                },
            }
        )
    return {"status": "OK", "data": {"latestVersion": {"files": files}}}


def events_count(store: Path) -> tuple[int, int]:
    con = Store.open(store).connect()
    try:
        return con.sql("SELECT count(*), count(DISTINCT event_id) FROM events").fetchall()[0]
    finally:
        con.close()


def test_icews_dataverse_gaps_are_reported_and_a_rerun_fills_them(
    fake: tuple[Server, str], shared_data: Path, tmp_path: Path
) -> None:
    server, url = fake
    sample = (shared_data / ICEWS_SAMPLE).read_bytes()
    names = {year: f"events.{year}.20200427084805.tab" for year in (2017, 2018, 2019, 2020)}
    entries = [
        (year, f"{names[year]}.zip", zip_of(names[year], icews_year(sample, year)))
        for year in names
    ]
    entries.append((99, "ICEWS_codebook.pdf", b"%PDF-1.4"))
    server.listing = listing(entries)
    server.files = {str(i): body for i, _, body in entries}
    server.faults = {
        "2017": ["always:md5"],
        "2019": ["always:500"],
        "2020": ["429", "truncate"],
    }
    source = IcewsSource(
        server=url, cache_dir=tmp_path / "cache", retries=2, backoff=0.01, timeout=5
    )
    first = source.fetch(date(2017, 1, 1), date(2021, 12, 31))
    gaps = {(g.name, g.stream): g.reason for g in first.gaps.gaps}
    assert set(gaps) == {
        ("events.2017.20200427084805.tab.zip", "yearly"),
        ("events.2019.20200427084805.tab.zip", "yearly"),
        (None, "year"),
    }
    assert "MD5 mismatch" in gaps[("events.2017.20200427084805.tab.zip", "yearly")]
    assert "HTTP 500" in gaps[("events.2019.20200427084805.tab.zip", "yearly")]
    assert [g.start.year for g in first.gaps.gaps if g.stream == "year"] == [2021]
    assert first.gaps.expected == 4 and first.gaps.available == 2
    # 2020: a 429, then a body cut short, then resumed from where it stopped.
    resumed = [h.get("Range") for _, p, h in server.requests if p == "/api/access/datafile/2020"]
    assert resumed[:2] == [None, None] and resumed[2].startswith("bytes=")
    store = tmp_path / "store"
    summary = ingest(source, first.artifacts, Store.open(store, create=True))
    assert summary.count("done") == 2
    before = events_count(store)
    assert before[0] == before[1] > 0

    server.faults.clear()
    server.requests.clear()
    second = source.fetch(date(2017, 1, 1), date(2021, 12, 31))
    fetched = sorted(p for m, p, _ in server.requests if "/api/access/datafile/" in p)
    assert fetched == ["/api/access/datafile/2017", "/api/access/datafile/2019"]
    assert [g.stream for g in second.gaps.gaps] == ["year"]  # 2021: nothing to fetch
    summary = ingest(source, second.artifacts, Store.open(store))
    assert summary.count("done") == 2 and summary.count("skipped") == 2
    after = events_count(store)
    assert after[0] == after[1] == before[0] * 2
    # known_at: the release stamp in the name, never before the event's own day began.
    con = Store.open(store).connect()
    pairs = con.sql("SELECT DISTINCT event_date, known_at FROM events").fetchall()
    con.close()
    release = datetime(2020, 4, 27, 8, 48, 5, tzinfo=UTC)
    for day, known in pairs:
        assert known == max(release, datetime.combine(day, time.min, tzinfo=UTC))


def test_polecat_dataverse_token_is_a_header_never_a_url(
    fake: tuple[Server, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = fake
    weekly = "ngecEvents.20210125101500.Release999.DV.txt"
    body = polecat_text().encode("iso-8859-1")
    server.listing = listing([(7, weekly, body), (8, "ngecEventsDV-2019.txt.zip", b"x")])
    server.files = {"7": body, "8": zip_of("ngecEventsDV-2019.txt", b"x")}
    monkeypatch.setenv("DYADWATCH_DATAVERSE_TOKEN", TOKEN)
    source = PolecatSource(server=url, cache_dir=tmp_path / "cache", retries=1, backoff=0.01)
    result = source.fetch(date(2021, 1, 1), date(2021, 1, 31))
    assert result.gaps.complete and [a.key for a in result.artifacts] == [weekly]
    for _, path, headers in server.requests:
        assert TOKEN not in path
        assert headers.get("X-Dataverse-key") == TOKEN
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert cached and not any(TOKEN.encode() in p.read_bytes() for p in cached)
    summary = ingest(source, result.artifacts, Store.open(tmp_path / "store", create=True))
    assert summary.rows_kept == 5


def test_acled_pages_token_renewal_gaps_and_resume(
    fake: tuple[Server, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, url = fake
    monkeypatch.setattr(acled_api, "PAGE_LIMIT", 2)
    rows = acled_rows()
    for month, shift in (("2021-01", 0), ("2021-02", 1), ("2021-03", 2)):
        moved = []
        for r in rows:
            r = dict(r, event_id_cnty=f"{r['event_id_cnty']}{shift}", event_date=f"{month}-10")
            moved.append(r)
        server.acled[month] = moved  # five rows: three pages of two
    server.faults = {
        "token": ["500"],  # the token endpoint is busy once
        "2021-01/2": ["expire"],  # the token expires mid-month: renewed, page retried
        "2021-02/3": ["always:500"],  # a page that never comes: the month is a gap
        "2021-03/1": ["truncate"],  # a page cut short: fetched again
    }
    creds = Credentials("analyst@example.org", Secret(PASSWORD))
    source = AcledSource(
        base_url=url,
        cache_dir=tmp_path / "cache",
        credentials=creds,
        retries=2,
        backoff=0.01,
        timeout=5,
        today=date(2021, 12, 31),
    )
    caplog.set_level(logging.DEBUG)
    first = source.fetch(date(2021, 1, 1), date(2021, 3, 31))
    assert [(g.name, g.reason.split(":")[0]) for g in first.gaps.gaps] == [
        ("acled-mexico-2021-02", "page 3"),
        ("acled-united-states-2021-02", "page 3"),
    ]
    assert "HTTP 500" in first.gaps.gaps[0].reason
    assert first.gaps.expected == 6 and first.gaps.available == 4
    assert any(f.get("grant_type") == ["refresh_token"] for f in server.token_forms)
    store = tmp_path / "store"
    ingest(source, first.artifacts, Store.open(store, create=True))
    before = events_count(store)

    server.faults.clear()
    server.requests.clear()
    second = source.fetch(date(2021, 1, 1), date(2021, 3, 31))
    assert second.gaps.complete
    pages = [parse_qs(urlsplit(p).query) for m, p, _ in server.requests if "/read" in p]
    asked = sorted({(q["country"][0], q["event_date"][0][:7], q["page"][0]) for q in pages})
    # Settled complete months are not asked again; February resumes at its third page.
    assert asked == [("Mexico", "2021-02", "3"), ("United States", "2021-02", "3")]
    summary = ingest(source, second.artifacts, Store.open(store))
    after = events_count(store)
    assert after[0] == after[1] > before[0]
    assert summary.count("done") >= 1

    # The password appears nowhere: not in a log, a URL, the cache or the store.
    assert PASSWORD not in caplog.text
    assert all(PASSWORD not in p for _, p, _ in server.requests)
    for path in [*(tmp_path / "cache").rglob("*"), *store.rglob("*")]:
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    assert repr(creds.password) == "***" and PASSWORD not in repr(creds)


def test_acled_refused_credentials_are_one_clear_error(
    fake: tuple[Server, str], tmp_path: Path
) -> None:
    _, url = fake
    source = AcledSource(
        base_url=url,
        cache_dir=tmp_path / "cache",
        credentials=Credentials("analyst@example.org", Secret("wrong")),
        retries=1,
        backoff=0.01,
    )
    with pytest.raises(DownloadError, match="refused the credentials") as info:
        source.fetch(date(2021, 1, 1), date(2021, 1, 31))
    assert "wrong" not in str(info.value)


def test_acled_without_credentials_says_how_to_give_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(acled_api.USERNAME_ENV, raising=False)
    monkeypatch.delenv(acled_api.PASSWORD_ENV, raising=False)
    source = AcledSource(cache_dir=tmp_path / "cache")
    with pytest.raises(Exception, match="DYADWATCH_ACLED_USERNAME"):
        source.fetch(date(2021, 1, 1), date(2021, 1, 31))
