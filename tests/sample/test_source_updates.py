"""``dyadwatch update icews|polecat|acled`` against the local fault-injecting server.

The same run as ``update gdelt`` (:mod:`dyadwatch.present.cli.update`): a first run whose
downloads fail writes the failures to ``<store>/<source>-gaps.json``; a rerun without a
period continues after the last ingest, retries those gaps first and fills them, adding no
event twice. Credentials — a Dataverse token, an ACLED password, given in the config file —
never appear in a log line, the output, a URL, the download cache, the gap file or the store.
"""

from __future__ import annotations

import http.server
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from dyadwatch.present.cli.gdelt import update
from dyadwatch.present.cli.main import main
from dyadwatch.present.cli.update import update_source
from dyadwatch.settings import Secret, Settings
from dyadwatch.sources import acled_api, source_class, source_names
from dyadwatch.sources.acled import AcledSource
from dyadwatch.sources.dataverse import year_interval
from dyadwatch.sources.download import Downloader
from dyadwatch.sources.fetch import fetches
from dyadwatch.sources.gaps import PendingGap, gaps_file, load_gaps, save_gaps
from dyadwatch.sources.icews import IcewsSource
from dyadwatch.sources.remote import RemoteFile
from tests.fault_server import serving
from tests.sample.test_source_downloads import (
    ICEWS_SAMPLE,
    PASSWORD,
    TOKEN,
    Server,
    events_count,
    fake,
    icews_year,
    listing,
    zip_of,
)
from tests.source_fixtures import acled_rows

pytestmark = pytest.mark.sample

__all__ = ["fake"]  # the fixture, shared with test_source_downloads

NAMES = {year: f"events.{year}.20200427084805.tab.zip" for year in (2017, 2018, 2019, 2020)}


def serve_icews(server: Server, shared_data: Path) -> None:
    sample = (shared_data / ICEWS_SAMPLE).read_bytes()
    entries = [
        (year, name, zip_of(name.removesuffix(".zip"), icews_year(sample, year)))
        for year, name in NAMES.items()
    ]
    server.listing = listing(entries)
    server.files = {str(i): body for i, _, body in entries}


def no_secret_anywhere(secret: str, *texts: str, roots: tuple[Path, ...] = ()) -> None:
    """``secret`` is in none of ``texts`` and no file under ``roots``."""
    for text in texts:
        assert secret not in text
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


def test_update_icews_records_failed_files_and_a_rerun_retries_and_fills_them(
    fake: tuple[Server, str],
    shared_data: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, url = fake
    serve_icews(server, shared_data)
    server.faults = {"2017": ["always:md5"], "2019": ["always:500"], "2020": ["429"]}
    settings = Settings(
        store=tmp_path / "store",
        download_retries=1,
        download_timeout=5,
        dataverse_token=Secret(TOKEN),
    )
    options = {"server": url, "backoff": 0.01}
    caplog.set_level(logging.DEBUG)
    lines: list[str] = []
    progress: list[tuple[int, int]] = []
    first = update_source(
        "icews",
        settings,
        date(2017, 1, 1),
        date(2020, 12, 31),
        source_options=options,
        download_progress=lambda done, total: progress.append((done, total)),
        report=lines.append,
    )
    assert not first.ok and first.pending == 2 and first.retried == []
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)
    assert lines[0].startswith(f"reading the ICEWS dataset doi:10.7910/DVN/28075 at {url} ")
    path = settings.store / gaps_file("icews")
    kept = {g.file.name: g for g in load_gaps(path)}
    assert set(kept) == {NAMES[2017], NAMES[2019]}
    assert "MD5 mismatch" in kept[NAMES[2017]].reason
    assert "HTTP 500" in kept[NAMES[2019]].reason
    assert kept[NAMES[2019]].file.url == f"{url}/api/access/datafile/2019"
    assert kept[NAMES[2019]].file.cache_name is not None
    before = events_count(settings.store)
    assert before[0] == before[1] > 0

    # Rerun, healthy server, no period: it continues from the latest file ingested (2020:
    # already in the store, not fetched again) and retries the two gaps first.
    server.faults.clear()
    server.requests.clear()
    second = update_source("icews", settings, source_options=options, report=lines.append)
    assert second.ok, second.fetch.gaps.text()
    assert second.after is not None and second.after.year == 2020
    assert sorted(second.retried) == sorted(second.filled) == [NAMES[2017], NAMES[2019]]
    assert second.pending == 0 and load_gaps(path) == []
    fetched = sorted(p for _, p, _ in server.requests if "/api/access/datafile/" in p)
    assert fetched == ["/api/access/datafile/2017", "/api/access/datafile/2019"]
    after = events_count(settings.store)
    assert after[0] == after[1] == before[0] * 2  # two more years, no event twice

    # The token went in a header, to the Dataverse server only, and is nowhere else.
    for _, request_path, headers in server.requests:
        assert headers.get("X-Dataverse-key") == TOKEN and TOKEN not in request_path
    texts = (caplog.text, "\n".join(lines), repr(settings), first.fetch.gaps.text())
    no_secret_anywhere(TOKEN, *texts, roots=(settings.store,))


def test_a_gap_given_up_names_its_whole_period_to_rerun(
    fake: tuple[Server, str], shared_data: Path, tmp_path: Path
) -> None:
    server, url = fake
    serve_icews(server, shared_data)
    server.faults = {"2019": ["always:500"]}
    settings = Settings(store=tmp_path / "store", download_retries=0, download_timeout=5)
    options = {"server": url, "backoff": 0.01}
    update_source("icews", settings, date(2018, 1, 1), date(2019, 12, 31), source_options=options)
    again = update_source("icews", settings, source_options=options, gap_attempts=2)
    assert again.retried == [NAMES[2019]] and again.pending == 0
    assert again.gaps is not None and [g.file.name for g, _ in again.gaps.given_up] == [NAMES[2019]]
    (warning,) = again.warnings
    assert "dyadwatch update icews --since 2019-01-01 --until 2019-12-31" in warning


def test_a_tampered_gap_list_cannot_send_credentials_elsewhere(tmp_path: Path) -> None:
    # An entry whose URL names another host is retried on the configured server; a month of
    # an unwatched country, or a name that is no month, is not retried at all.
    icews = IcewsSource(server="https://dv.example", cache_dir=tmp_path)
    evil = RemoteFile(
        NAMES[2019],
        "https://evil.example/api/access/datafile/2019",
        "yearly",
        *year_interval(2019),
        cache_name="icews/doi_10.7910_DVN_28075/2019-x",
    )
    (retried,) = icews.retry_files([evil])
    assert retried.url == "https://dv.example/api/access/datafile/2019"
    acled = AcledSource(base_url="https://acled.example", cache_dir=tmp_path)
    month = acled.api.unit("Mexico", date(2021, 2, 1))
    forged = [
        RemoteFile(month.name, "https://evil.example/read", "month", month.start, month.end),
        RemoteFile("acled-canada-2021-02", month.url, "month", month.start, month.end),
        RemoteFile("acled-mexico-2021-13", month.url, "month", month.start, month.end),
    ]
    (one,) = acled.retry_files(forged)
    assert one.url.startswith("https://acled.example/api/acled/read?")
    assert acled.gap_key(one) == "acled-mexico-2021-02.csv"


def test_update_acled_with_credentials_from_the_config_file(
    fake: tuple[Server, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, url = fake
    monkeypatch.setattr(acled_api, "PAGE_LIMIT", 2)
    for month, shift in (("2021-01", 0), ("2021-02", 1), ("2021-03", 2)):
        server.acled[month] = [
            dict(r, event_id_cnty=f"{r['event_id_cnty']}{shift}", event_date=f"{month}-10")
            for r in acled_rows()
        ]
    server.faults = {"2021-02/3": ["always:500"]}
    for name in ("USERNAME_ENV", "PASSWORD_ENV"):
        monkeypatch.delenv(getattr(acled_api, name), raising=False)
    cfg = tmp_path / "dyadwatch.toml"
    cfg.write_text(
        f'acled_username = "analyst@example.org"\nacled_password = "{PASSWORD}"\n'
        "download_retries = 1\n"
    )
    cfg.chmod(0o600)
    original = AcledSource.from_settings.__func__  # type: ignore[attr-defined]

    def on_test_server(cls: type[AcledSource], settings: Settings, **kw: Any) -> AcledSource:
        kw.update(base_url=url, backoff=0.01, today=date(2021, 3, 31))
        return original(cls, settings, **kw)  # type: ignore[no-any-return]

    monkeypatch.setattr(AcledSource, "from_settings", classmethod(on_test_server))
    store = tmp_path / "store"
    common = ["--config", str(cfg), "--store", str(store), "--no-progress"]
    caplog.set_level(logging.DEBUG)
    capsys.readouterr()

    code = main(["update", "acled", "--since", "2021-01-01", "--json", *common])
    out, err = capsys.readouterr()
    assert code == 1, err
    rows = json.loads(out)
    assert [(r["file"], r["reason"].split(":")[0]) for r in rows] == [
        ("acled-mexico-2021-02", "page 3"),
        ("acled-united-states-2021-02", "page 3"),
    ]
    assert err.splitlines()[0].startswith(f"reading ACLED's API at {url} for 2021-01-01")
    gap_path = store / gaps_file("acled")
    assert [g.file.name for g in load_gaps(gap_path)] == [
        "acled-mexico-2021-02",
        "acled-united-states-2021-02",
    ]
    before = events_count(store)

    server.faults.clear()
    server.requests.clear()
    code, out2, err2 = main(["update", "acled", *common]), *capsys.readouterr()
    assert code == 0, err2
    assert "retried 2 earlier gap(s), 2 filled, 0 kept for the next run" in err2
    asked = sorted(
        {
            (q.split("country=")[1].split("&")[0], q.split("event_date=")[1][:7])
            for _, q, _ in server.requests
            if "/api/acled/read" in q
        }
    )
    # February is retried; March (the latest month ingested) is read again (ACLED revises).
    assert asked == [
        ("Mexico", "2021-02"),
        ("Mexico", "2021-03"),
        ("United+States", "2021-02"),
        ("United+States", "2021-03"),
    ]
    assert load_gaps(gap_path) == []
    after = events_count(store)
    assert after[0] == after[1] > before[0]

    texts = (caplog.text, out, err, out2, err2)
    no_secret_anywhere(PASSWORD, *texts, roots=(store,))
    assert all(PASSWORD not in p for _, p, _ in server.requests)


def test_update_polecat_through_the_command_line(
    fake: tuple[Server, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dyadwatch.sources.polecat import PolecatSource
    from tests.source_fixtures import polecat_text

    server, url = fake
    weekly = "ngecEvents.20210125101500.Release999.DV.txt"
    body = polecat_text().encode("iso-8859-1")
    server.listing = listing([(7, weekly, body)])
    server.files = {"7": body}
    server.faults = {"7": ["always:500"]}
    original = PolecatSource.from_settings.__func__  # type: ignore[attr-defined]

    def on_test_server(cls: type[PolecatSource], settings: Settings, **kw: Any) -> Any:
        return original(cls, settings, server=url, backoff=0.01, **kw)

    monkeypatch.setattr(PolecatSource, "from_settings", classmethod(on_test_server))
    monkeypatch.setenv("DYADWATCH_DOWNLOAD_RETRIES", "1")
    store = tmp_path / "store"
    args = ["update", "polecat", "--store", str(store), "--no-progress"]
    capsys.readouterr()
    # No history and no --since: a usage error in one line.
    assert main(args) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: nothing from POLECAT is in the store yet") and "--since" in line
    assert main([*args, "--since", "2021-01-01", "--until", "2021-01-31"]) == 1
    out, err = capsys.readouterr()
    assert weekly in out and "HTTP 500" in out
    assert "0 filled, 1 kept for the next run" in err
    server.faults.clear()
    assert main([*args, "--since", "2021-01-01", "--until", "2021-01-31"]) == 0
    _, err = capsys.readouterr()
    assert "retried 1 earlier gap(s), 1 filled, 0 kept for the next run" in err
    assert events_count(store)[0] == 5


def test_every_source_that_downloads_has_an_update_command() -> None:
    fetching = {n for n in source_names() if fetches(source_class(n))}
    assert fetching == {"gdelt", "icews", "polecat", "acled"}
    assert set(update.commands) == fetching
    for name in fetching:
        help_text = update.commands[name].help or ""
        assert f"{name}-gaps.json" in help_text and "Example:" in help_text


# --- the downloader: progress by callback, secrets to their server only ---------------------


@pytest.fixture()
def redirecting() -> Iterator[tuple[str, str, list[dict[str, str]]]]:
    """Two servers: the first redirects every file to the second (a storage bucket)."""
    seen: list[dict[str, str]] = []

    class Storage(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            body = b"payload"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Storage) as target:

        class Api(Storage):
            def do_GET(self) -> None:
                seen.append(dict(self.headers))
                self.send_response(303)
                self.send_header("Location", f"{target}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()

        with serving(Api) as api:
            yield api, target, seen


def test_a_secret_header_is_not_sent_to_a_redirect_target_and_progress_is_a_callback(
    redirecting: tuple[str, str, list[dict[str, str]]], tmp_path: Path
) -> None:
    api, _, seen = redirecting
    start = datetime(2021, 1, 1, tzinfo=UTC)
    files = [
        RemoteFile(f"f{i}", f"{api}/api/access/datafile/{i}", "s", start, start) for i in (1, 2)
    ]
    calls: list[tuple[int, int]] = []
    with Downloader(
        tmp_path,
        concurrency=1,
        retries=0,
        secrets={"X-Dataverse-key": TOKEN},
        secret_origin=api,
        progress=lambda done, total: calls.append((done, total)),
    ) as dl:
        results = dl.download_all(files)
    assert all(r.ok for r in results)
    to_api = [h for h in seen if h.get("X-Dataverse-key") == TOKEN]
    to_storage = [h for h in seen if "X-Dataverse-key" not in h]
    assert len(to_api) == 2 and len(to_storage) == 2
    assert calls == [(0, 2), (1, 2), (2, 2)]


def test_a_recorded_dataverse_gap_keeps_its_cache_path(tmp_path: Path) -> None:
    now = datetime(2021, 1, 1, tzinfo=UTC)
    f = RemoteFile("a.tab", "https://dv/x", "yearly", now, now, 3, None, "icews/doi/7-a.tab")
    path = tmp_path / gaps_file("icews")
    save_gaps(path, [PendingGap(f, "HTTP 500", 1, now, now)])
    assert json.loads(path.read_text())["format"] == "dyadwatch-icews-gaps"
    assert load_gaps(path)[0].file == f
    doc = json.loads(path.read_text())
    doc["gaps"][0]["cache_name"] = "../../etc/passwd"
    path.write_text(json.dumps(doc))
    with pytest.raises(Exception, match="not a relative path inside the cache"):
        load_gaps(path)
