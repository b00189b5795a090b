"""The download path against a local GDELT mirror on 127.0.0.1 that injects failures.

The server serves the real GDELT files of ../shared/data/gdelt, zipped, under consecutive
15-minute names, with a ``masterfilelist.txt`` built from them (sizes and MD5s of the zips).
It injects a 404, a 500, a truncated body, a wrong MD5 and a slow response (all persistent in
the first run), plus a 429 and a truncated body that clear on retry. The gap report of the
first run must list exactly the persistent failures (and the interval missing from the list);
a rerun must fill every failed interval and add nothing twice. The failed downloads are kept in
the store, so the next run without a period retries them (unless ``--no-retry-gaps``) until
they are filled or given up.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from dyadwatch.present.cli.gdelt import update_gdelt
from dyadwatch.present.cli.main import main
from dyadwatch.settings import Settings
from dyadwatch.sources.gdelt.gaps import GAPS_FILE, load_gaps
from dyadwatch.store import Store
from tests.fault_server import serving

pytestmark = pytest.mark.sample

EXPORTS = [
    "v2_events/20180101000000.export.CSV",
    "v2_events/20151027220000.export.CSV",
    "v2_events/aamend_20150218230000.export.head100.CSV",
]
MENTIONS = [
    "v2_mentions/aamend_20150218230000.mentions.head100.CSV",
    "v2_mentions/aamend_20150218224500.translation.mentions.head100.CSV",
]
SLOTS = [f"2018010100{m:02d}00" for m in (0, 15, 30, 45)] + [
    f"2018010101{m:02d}00" for m in (0, 15, 30, 45)
]
UNLISTED = f"{SLOTS[7]}.export.CSV.zip"
"""An interval whose export is missing from the file list (GDELT's lists have such holes)."""


@dataclass
class Mirror:
    """What the server holds and which failures it injects (name → list of behaviours)."""

    files: dict[str, bytes] = field(default_factory=dict)
    listing: str = ""
    latest: str = ""
    index: str = ""
    faults: dict[str, list[str]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault(self, name: str) -> str | None:
        with self.lock:
            queue = self.faults.get(name)
            if not queue:
                return None
            return queue[0] if queue[0].startswith("always:") else queue.pop(0)


def make_handler(mirror: Mirror) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            mirror.requests.append((name, self.headers.get("Range")))
            if self.path == "/gdeltv2/masterfilelist.txt":
                self._send(200, mirror.listing.encode())
                return
            if self.path == "/gdeltv2/lastupdate.txt":
                self._send(200, mirror.latest.encode())
                return
            if self.path == "/events/index.html":
                self._send(200, mirror.index.encode())
                return
            if name not in mirror.files:
                self._send(404, b"not found")
                return
            body = mirror.files[name]
            fault = (mirror.fault(name) or "").removeprefix("always:")
            if fault == "404":
                self._send(404, b"<html>not here</html>")
            elif fault in ("429", "500"):
                self._send(int(fault), b"busy", {"Retry-After": "0"} if fault == "429" else {})
            elif fault == "slow":
                time.sleep(1.0)
                self._send(200, body)
            elif fault == "md5":
                self._send(200, bytes(b ^ 0x55 for b in body))
            elif fault == "truncate":
                # A close-delimited body (no Content-Length) cut at half its length.
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
            else:
                rng = self.headers.get("Range")
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    self._send(
                        206,
                        body[start:],
                        {"Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"},
                    )
                else:
                    self._send(200, body)

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def zip_bytes(inner: str, data: bytes) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(inner, data)
    return buf.getvalue()


@pytest.fixture()
def mirror(shared_data: Path) -> Iterator[tuple[Mirror, str]]:
    m = Mirror()
    lines = []
    for i, slot in enumerate(SLOTS):
        for kind, pool in (("export", EXPORTS), ("mentions", MENTIONS)):
            name = f"{slot}.{kind}.CSV.zip"
            data = zip_bytes(name[:-4], (shared_data / "gdelt" / pool[i % len(pool)]).read_bytes())
            m.files[name] = data
            if name == UNLISTED:
                continue
            md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
            lines.append(f"{len(data)} {md5} http://data.gdeltproject.org/gdeltv2/{name}")
    m.listing = "\n".join(lines) + "\n"
    m.latest = "\n".join(line for line in lines if f"/{SLOTS[-1]}." in line) + "\n"
    with serving(make_handler(m)) as url:
        yield m, url


PERSISTENT = {
    f"{SLOTS[1]}.export.CSV.zip": ("404", "404"),
    f"{SLOTS[2]}.export.CSV.zip": ("500", "HTTP 500"),
    f"{SLOTS[3]}.export.CSV.zip": ("truncate", "truncated body"),
    f"{SLOTS[4]}.mentions.CSV.zip": ("md5", "MD5 mismatch"),
    f"{SLOTS[5]}.export.CSV.zip": ("slow", "timed out"),
}
TRANSIENT = {
    f"{SLOTS[0]}.export.CSV.zip": ["429", "429"],
    f"{SLOTS[6]}.export.CSV.zip": ["truncate"],
}


def counts(store: Store) -> tuple[int, int, int]:
    con = store.connect()
    try:
        return (
            con.sql("SELECT count(*) FROM events").fetchall()[0][0],
            con.sql("SELECT count(DISTINCT event_id) FROM events").fetchall()[0][0],
            con.sql("SELECT count(*) FROM volume").fetchall()[0][0],
        )
    finally:
        con.close()


def test_gap_report_lists_exactly_the_injected_failures_and_a_rerun_fills_them(
    mirror: tuple[Mirror, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, url = mirror
    for name, (fault, _) in PERSISTENT.items():
        m.faults[name] = [f"always:{fault}"]
    for name, faults in TRANSIENT.items():
        m.faults[name] = list(faults)
    settings = Settings(
        store=tmp_path / "store",
        gdelt_base_url=url,
        download_retries=2,
        download_timeout=0.4,
        download_concurrency=3,
    )
    day = date(2018, 1, 1)
    first = update_gdelt(settings, day, day, backoff=0.01)

    gaps = {g.name: g.reason for g in first.fetch.gaps.gaps if g.start.date() == day}
    slot_gaps = [g for g in first.fetch.gaps.gaps if g.start.hour < 2]
    expected = {name: reason for name, (_, reason) in PERSISTENT.items()}
    assert {n: r for n, r in gaps.items() if n is not None}.keys() == expected.keys()
    for name, reason in expected.items():
        assert reason in gaps[name], (name, gaps[name])
    unlisted = [g for g in slot_gaps if g.name is None]
    assert [(g.stream, g.start.strftime("%H%M")) for g in unlisted] == [("events", "0145")]
    assert unlisted[0].reason == "not in the GDELT file list"
    # Every other 15-minute interval of the day is missing from this small list, too.
    assert first.fetch.gaps.expected == 2 * 96
    assert len(first.fetch.gaps.gaps) == 2 * 96 - (2 * 8 - 1) + len(PERSISTENT)
    assert not first.ok

    # The transient failures were retried: 429 twice, and a resumed (Range) download.
    assert [r for n, r in m.requests if n == f"{SLOTS[0]}.export.CSV.zip"] == [None] * 3
    resumed = [r for n, r in m.requests if n == f"{SLOTS[6]}.export.CSV.zip"]
    assert len(resumed) == 2 and resumed[1] is not None and resumed[1].startswith("bytes=")
    ingested = {a.artifact for a in first.ingest.artifacts if a.status == "done"}
    assert len(ingested) == 2 * 8 - 1 - len(PERSISTENT)
    before = counts(Store.open(settings.store))
    assert before[0] == before[1]

    # Rerun with a healthy server: only the failed files are fetched, and they fill the gaps.
    m.faults.clear()
    m.requests.clear()
    monkeypatch.setenv("DYADWATCH_GDELT_BASE_URL", url)
    monkeypatch.setenv("DYADWATCH_DOWNLOAD_TIMEOUT", "5")
    code = main(
        [
            *("update", "gdelt", "--since", "2018-01-01", "--until", "2018-01-01"),
            *("--store", str(settings.store), "--no-progress", "--json"),
        ]
    )
    assert code == 1  # the interval missing from GDELT's list is still a gap
    fetched = {n for n, _ in m.requests if n.endswith(".zip")}
    assert fetched == set(PERSISTENT)
    second = update_gdelt(settings, day, day, backoff=0.01)
    assert [g.name for g in second.fetch.gaps.gaps if g.start.hour < 2] == [None]
    assert second.fetch.skipped == 2 * 8 - 1 and not second.fetch.downloads
    store = Store.open(settings.store)
    done = (
        store.catalog_query("SELECT count(DISTINCT artifact) FROM ingest_log WHERE status = 'done'")
        .column(0)[0]
        .as_py()
    )
    assert done == 2 * 8 - 1
    after = counts(store)
    assert after[0] == after[1]  # no event twice
    assert after[2] > before[2]


def test_update_continues_after_the_last_ingested_interval(
    mirror: tuple[Mirror, str], tmp_path: Path
) -> None:
    m, url = mirror
    settings = Settings(store=tmp_path / "store", gdelt_base_url=url, download_retries=1)
    first = update_gdelt(settings, date(2018, 1, 1), date(2018, 1, 1), backoff=0.01)
    assert len(first.ingest.artifacts) == 2 * 8 - 1
    before = counts(Store.open(settings.store))
    m.requests.clear()
    # No --since: only intervals after the last one ingested (none are new here).
    again = update_gdelt(settings, backoff=0.01)
    assert again.after is not None and again.after.strftime("%H%M") == "0145"
    assert not again.fetch.downloads and not [n for n, _ in m.requests if n.endswith(".zip")]
    # lastupdate.txt named no new interval, so the whole master list was not fetched.
    assert [n for n, _ in m.requests] == ["lastupdate.txt"]
    assert again.fetch.gaps.complete
    # An overlapping period fetches nothing and adds nothing.
    overlap = update_gdelt(settings, date(2017, 12, 31), date(2018, 1, 1), backoff=0.01)
    assert not overlap.fetch.downloads
    assert counts(Store.open(settings.store)) == before


def test_update_without_history_asks_for_since(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["update", "gdelt", "--store", str(tmp_path / "s"), "--no-progress"])
    assert code == 2  # given wrong: without history, --since is needed
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: nothing from GDELT is in the store yet") and "--since" in line


def test_gdelt1_daily_files_from_the_index_page(
    mirror: tuple[Mirror, str], shared_data: Path, tmp_path: Path
) -> None:
    m, url = mirror
    sample = shared_data / "gdelt/v1_events/reed9999_gdelt1_events_1982_and_20160728_sample.CSV"
    items = []
    for day in ("20160727", "20160728"):
        name = f"{day}.export.CSV.zip"
        m.files[name] = zip_bytes(name[:-4], sample.read_bytes())
        md5 = hashlib.md5(m.files[name], usedforsecurity=False).hexdigest()
        items.append(f'<LI><A HREF="{name}">{name}</A> 0.1MB (MD5: {md5})</LI>')
    m.index = "<HTML><BODY><UL>\n" + "\n".join(items) + "\n</UL></BODY></HTML>\n"
    settings = Settings(store=tmp_path / "store", gdelt_base_url=url, download_retries=1)
    result = update_gdelt(
        settings, date(2016, 7, 27), date(2016, 7, 29), streams=("v1-daily",), backoff=0.01
    )
    assert [(g.start.date(), g.reason) for g in result.fetch.gaps.gaps] == [
        (date(2016, 7, 29), "not in the GDELT file list")
    ]
    assert [a.artifact for a in result.ingest.artifacts] == [
        "20160727.export.CSV",
        "20160728.export.CSV",
    ]
    con = Store.open(settings.store).connect()
    try:
        sources = con.sql("SELECT DISTINCT source FROM events").fetchall()
        volume = con.sql("SELECT sum(events) FROM volume WHERE country = '*'").fetchall()[0][0]
    finally:
        con.close()
    assert sources == [("gdelt1",)]
    assert volume == 2 * 710


def faulty_settings(m: Mirror, url: str, store: Path) -> Settings:
    """Run 1 of the gap tests: every PERSISTENT failure injected, few retries, short timeout."""
    for name, (fault, _) in PERSISTENT.items():
        m.faults[name] = [f"always:{fault}"]
    return Settings(
        store=store,
        gdelt_base_url=url,
        download_retries=1,
        download_timeout=0.4,
        download_concurrency=3,
    )


def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("DYADWATCH_GDELT_BASE_URL", url)
    monkeypatch.setenv("DYADWATCH_DOWNLOAD_TIMEOUT", "5")
    monkeypatch.setenv("DYADWATCH_DOWNLOAD_RETRIES", "1")
    capsys.readouterr()
    code = main(["update", "gdelt", "--no-progress", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_failed_downloads_are_kept_and_the_next_incremental_run_retries_and_fills_them(
    mirror: tuple[Mirror, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    m, url = mirror
    settings = faulty_settings(m, url, tmp_path / "store")
    day = date(2018, 1, 1)
    first = update_gdelt(settings, day, day, backoff=0.01)

    # Exactly the failed downloads are kept, with what a retry needs; the interval missing
    # from GDELT's file list is not (there is nothing to retry until the list is read again).
    kept = load_gaps(settings.store / GAPS_FILE)
    assert {g.file.name for g in kept} == set(PERSISTENT)
    for g in kept:
        assert PERSISTENT[g.file.name][1] in g.reason, (g.file.name, g.reason)
        assert g.attempts == 1
        assert g.file.size == len(m.files[g.file.name])
        assert g.file.md5 == hashlib.md5(m.files[g.file.name], usedforsecurity=False).hexdigest()
    assert first.pending == len(PERSISTENT) and first.retried == []
    before = counts(Store.open(settings.store))

    # Run 2: healthy server, no --since/--until. Nothing new is published, but the earlier
    # gaps are retried first, from the recorded URLs (the master list is not read).
    m.faults.clear()
    m.requests.clear()
    code, _, err = run_cli(capsys, monkeypatch, url, "--store", str(settings.store))
    assert code == 0, err
    assert "retried 5 earlier gap(s), 5 filled, 0 kept for the next run" in err
    assert {n for n, _ in m.requests if n.endswith(".zip")} == set(PERSISTENT)
    assert "masterfilelist.txt" not in [n for n, _ in m.requests]
    assert load_gaps(settings.store / GAPS_FILE) == []
    store = Store.open(settings.store)
    done = set(
        store.catalog_query("SELECT artifact FROM ingest_log WHERE status = 'done'")
        .column(0)
        .to_pylist()
    )
    assert {name.removesuffix(".zip") for name in PERSISTENT} <= done
    after = counts(store)
    assert after[0] == after[1] and after[2] > before[2]

    # Run 3: nothing left to retry, nothing fetched.
    m.requests.clear()
    third = update_gdelt(settings, backoff=0.01)
    assert third.retried == [] and not third.fetch.downloads and third.pending == 0
    assert not [n for n, _ in m.requests if n.endswith(".zip")]


def test_no_retry_gaps_keeps_them_and_a_gap_failing_again_counts_until_given_up(
    mirror: tuple[Mirror, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    m, url = mirror
    settings = faulty_settings(m, url, tmp_path / "store")
    day = date(2018, 1, 1)
    update_gdelt(settings, day, day, backoff=0.01)
    path = settings.store / GAPS_FILE
    recorded = path.read_bytes()

    # --no-retry-gaps: nothing is fetched and the list stays as it was.
    m.faults.clear()
    m.requests.clear()
    code, _, err = run_cli(
        capsys, monkeypatch, url, "--store", str(settings.store), "--no-retry-gaps"
    )
    assert code == 0, err
    assert "earlier gaps not retried (--no-retry-gaps), 5 kept for the next run" in err
    assert not [n for n, _ in m.requests if n.endswith(".zip")]
    assert path.read_bytes() == recorded

    # One file still fails: the others are filled; it fails again, is a gap of this run's
    # report (exit 1) and keeps its history with one more attempt.
    stuck = f"{SLOTS[2]}.export.CSV.zip"
    m.faults[stuck] = ["always:500"]
    code, out, err = run_cli(
        capsys, monkeypatch, url, "--store", str(settings.store), "--json", "--gap-attempts", "3"
    )
    assert code == 1
    assert "retried 5 earlier gap(s), 4 filled, 1 kept for the next run" in err
    rows = json.loads(out)
    assert [(r["file"], r["reason"].split(":")[0]) for r in rows] == [
        (stuck, "earlier gap, retried")
    ]
    assert "HTTP 500" in rows[0]["reason"]
    [gap] = load_gaps(path)
    assert (gap.file.name, gap.attempts) == (stuck, 2)
    assert gap.last_failed > gap.first_failed

    # Third failed run with --gap-attempts 3: given up, named in a warning, list empty.
    code, _, err = run_cli(
        capsys, monkeypatch, url, "--store", str(settings.store), "--gap-attempts", "3"
    )
    assert code == 1
    assert "retried 1 earlier gap(s), 0 filled, 1 given up, 0 kept for the next run" in err
    assert f"warning: gave up retrying 1 earlier gap(s): {stuck} (failed in 3 run(s))" in err
    assert "dyadwatch update gdelt --since 2018-01-01 --until 2018-01-01" in err
    assert load_gaps(path) == []
    m.requests.clear()
    code, _, err = run_cli(capsys, monkeypatch, url, "--store", str(settings.store))
    assert code == 0 and "retried 0 earlier gap(s)" in err
    assert not [n for n, _ in m.requests if n.endswith(".zip")]


def test_a_corrupted_gaps_file_is_a_warning_set_aside_and_replaced(
    mirror: tuple[Mirror, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    m, url = mirror
    settings = faulty_settings(m, url, tmp_path / "store")
    update_gdelt(settings, date(2018, 1, 1), date(2018, 1, 1), backoff=0.01)
    path = settings.store / GAPS_FILE
    path.write_text('{"format": "dyadwatch-gdelt-gaps", "version": 1, "gaps": [{"name": ')
    # The same period again, one file still failing: the run completes, warns twice (the
    # file is unreadable; it was moved aside) and starts a new list with this run's failure.
    m.faults.clear()
    stuck = f"{SLOTS[1]}.export.CSV.zip"
    m.faults[stuck] = ["always:404"]
    code, _, err = run_cli(
        capsys,
        monkeypatch,
        url,
        *("--store", str(settings.store), "--since", "2018-01-01", "--until", "2018-01-01"),
    )
    assert code == 1  # the failed file and the unlisted interval are gaps
    assert "Traceback" not in err
    assert f"warning: {path} is not a valid GDELT gaps file" in err
    assert "the gaps it lists are not retried" in err
    [moved] = list(settings.store.glob(f"{GAPS_FILE}.corrupt-*"))
    assert f"warning: moved the unreadable {GAPS_FILE} to {moved.name}" in err
    assert moved.read_text().startswith('{"format": "dyadwatch-gdelt-gaps"')
    assert [(g.file.name, g.attempts) for g in load_gaps(path)] == [(stuck, 1)]
    assert "retried 0 earlier gap(s), 0 filled, 1 kept for the next run" in err
