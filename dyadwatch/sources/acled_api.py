"""ACLED's API: an OAuth token from a myACLED account, then a country's events month by month.

ACLED's API (launched August 2025) takes a bearer token: ``POST {base}/oauth/token`` with the
account's e-mail as ``username``, its ``password``, ``grant_type=password`` and
``client_id=acled`` answers ``access_token`` (and a ``refresh_token``); reads are ``GET
{base}/api/acled/read?_format=json&country=Mexico&event_date=A|B&event_date_where=BETWEEN
&limit=5000&page=N`` with ``Authorization: Bearer …``, answering ``{"status": 200,
"success": true, "count": n, "data": [...]}``. (As the acledR and acleddata R clients call
it.)

dyadwatch fetches a country's events one calendar month at a time, each month page by page
until a page holds fewer than :data:`PAGE_LIMIT` rows, through the shared downloader
(:mod:`dyadwatch.sources.download`): retries with backoff on timeouts, 429 and 5xx, a page
kept only if it is the JSON it should be (an answer cut short is fetched again), and a token
renewed once when the server answers 401. A month whose pages all arrived is written as one
CSV in ACLED's export layout (:data:`dyadwatch.sources.acled.COLUMNS`), atomically, and is
one artifact. A month with a page that failed after its retries is a gap of the report; its
pages that did arrive stay in the cache for a day, so a rerun resumes at the page that
failed — and fills the gap. A month that ended more than :data:`SETTLED` ago and is complete
in the cache is not asked for again; recent months are, because ACLED revises them.

Credentials come from the ``acled_username`` and ``acled_password`` settings (the
environment, ``DYADWATCH_ACLED_USERNAME`` and ``DYADWATCH_ACLED_PASSWORD``, or the config
file; see :mod:`dyadwatch.settings`) or the caller; the password is held in a
:class:`~dyadwatch.settings.Secret` (its repr is ``***``), sent only in the token request's
body, never logged, never in a URL, a cache path, a file, the list of earlier gaps or the
store. ACLED's checksums: none are given; a page is checked by parsing it and comparing its
``count`` with its rows.

For ``dyadwatch update acled`` the unit a later run retries is a month of one country
(:meth:`AcledApi.unit`, named ``acled-<country>-<YYYY-MM>``, ingested as
``acled-<country>-<YYYY-MM>.csv``); its URL is rebuilt from the name on the configured
server, never taken from the list of gaps.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import logging
import os
import re
import tempfile
import time as clock
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from dyadwatch.errors import ConfigError, DownloadError
from dyadwatch.settings import Secret, Settings
from dyadwatch.sources.base import Artifact, file_artifact
from dyadwatch.sources.download import Downloader, DownloadResult, FetchResult, Progress
from dyadwatch.sources.remote import Gap, GapReport, RemoteFile

log = logging.getLogger(__name__)

BASE_URL = "https://acleddata.com"
TOKEN_PATH = "/oauth/token"
READ_PATH = "/api/acled/read"
USERNAME_ENV = "DYADWATCH_ACLED_USERNAME"
PASSWORD_ENV = "DYADWATCH_ACLED_PASSWORD"
PAGE_LIMIT = 5000
SETTLED = timedelta(days=90)
"""A month that ended this long ago is taken as settled: a complete copy is not re-read."""
PAGE_TTL = timedelta(days=1)
"""How long the pages of an incomplete month are kept to resume from."""
FIRST_MONTH = date(2018, 1, 1)
"""ACLED covers Mexico (and the United States) from January 2018."""
_UNIT = re.compile(r"acled-(?P<slug>[a-z0-9-]+)-(?P<year>\d{4})-(?P<month>\d{2})")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A myACLED account: its e-mail and its password (a :class:`Secret`)."""

    username: str
    password: Secret

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials | None:
        """From ``DYADWATCH_ACLED_USERNAME`` and ``DYADWATCH_ACLED_PASSWORD`` (None if unset).

        >>> Credentials.from_env({})
        >>> Credentials.from_env({USERNAME_ENV: "a@b.org", PASSWORD_ENV: "pw"}).password
        ***
        """
        env = os.environ if env is None else env
        user, password = env.get(USERNAME_ENV), env.get(PASSWORD_ENV)
        if not user or not password:
            return None
        return cls(user, Secret(password))

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials | None:
        """From the ``acled_username`` and ``acled_password`` settings (None unless both).

        >>> Credentials.from_settings(Settings(acled_username="a@b.org")) is None
        True
        """
        if not settings.acled_username or not settings.acled_password:
            return None
        return cls(settings.acled_username, settings.acled_password)


class AcledAuth(httpx.Auth):
    """Bearer-token auth for ACLED: log in on first use, renew once on a 401.

    A token request that is refused (400, 401, 403) is a :class:`DownloadError` — retrying
    with the same password cannot help; a busy token endpoint (429, 5xx) is a transport
    error, which the downloader retries.
    """

    requires_response_body = True

    def __init__(self, token_url: str, credentials: Credentials) -> None:
        self.token_url = token_url
        self.credentials = credentials
        self._token: Secret | None = None
        self._refresh: Secret | None = None

    def _token_request(self, refresh: bool) -> httpx.Request:
        data = {"client_id": "acled"}
        if refresh and self._refresh:
            data.update(grant_type="refresh_token", refresh_token=self._refresh.reveal())
        else:
            data.update(
                grant_type="password",
                username=self.credentials.username,
                password=self.credentials.password.reveal(),
            )
        return httpx.Request("POST", self.token_url, data=data)

    def _take(self, response: httpx.Response) -> bool:
        status = response.status_code
        if status == 429 or status >= 500:
            raise httpx.RemoteProtocolError(f"the ACLED token endpoint answered HTTP {status}")
        if status != 200:
            return False
        try:
            doc = response.json()
            token = doc["access_token"]
        except (ValueError, KeyError, TypeError):
            raise httpx.RemoteProtocolError("the ACLED token answer is not a token") from None
        self._token = Secret(str(token))
        refresh = doc.get("refresh_token")
        self._refresh = Secret(str(refresh)) if refresh else None
        return True

    def _login(self, renew: bool) -> Generator[httpx.Request, httpx.Response, None]:
        if renew and self._refresh:
            response = yield self._token_request(refresh=True)
            if self._take(response):
                return
        response = yield self._token_request(refresh=False)
        if not self._take(response):
            raise DownloadError(
                f"ACLED refused the credentials of {self.credentials.username!r} "
                f"(HTTP {response.status_code}); check the acled_username and acled_password "
                f"settings ({USERNAME_ENV} and {PASSWORD_ENV}, or dyadwatch.toml): a myACLED "
                "account with API access."
            )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None:
            yield from self._login(renew=False)
        assert self._token is not None
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        response = yield request
        if response.status_code == 401:
            yield from self._login(renew=True)
            request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
            yield request


def months(since: date, until: date) -> list[tuple[date, date]]:
    """The calendar months from the one of ``since`` to the one of ``until``, inclusive.

    >>> months(date(2020, 12, 15), date(2021, 2, 1))[-1]
    (datetime.date(2021, 2, 1), datetime.date(2021, 2, 28))
    """
    out = []
    first = date(since.year, since.month, 1)
    while first <= until:
        last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def check_page(path: Path) -> str | None:
    """Why a downloaded page is not a complete ACLED answer (None if it is)."""
    try:
        doc = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        return f"not JSON ({exc})"
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        return "no 'data' list in the answer"
    if doc.get("success") is False:
        return f"ACLED reported an error: {doc.get('error') or doc.get('message')}"
    count = doc.get("count")
    if isinstance(count, int) and count != len(doc["data"]):
        return f"'count' says {count} rows, the page holds {len(doc['data'])}"
    return None


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(slots=True)
class AcledApi:
    """Fetches ACLED months for countries into the download cache.

    Parameters
    ----------
    countries
        ACLED country names (``Mexico``, ``United States``).
    cache_dir
        The download cache; months go to ``acled/<country>/<YYYY-MM>.csv``.
    credentials
        A myACLED account (default: from the environment).
    base_url
        ACLED's server (a mirror or a test server on 127.0.0.1).
    today
        The clock (default: the current UTC date), for what counts as settled.
    progress
        Called with (months done, months to fetch) (see
        :data:`~dyadwatch.sources.download.Progress`).

    Examples
    --------
    >>> api = AcledApi(["Mexico"], Path(".dyadwatch/cache"))  # doctest: +SKIP
    >>> result = api.fetch(date(2021, 1, 1), date(2021, 3, 31))  # doctest: +SKIP
    >>> print(result.gaps.text())  # doctest: +SKIP
    """

    countries: Sequence[str]
    cache_dir: Path
    credentials: Credentials | None = None
    base_url: str = BASE_URL
    retries: int = 5
    timeout: float = 60.0
    backoff: float = 1.0
    today: date | None = None
    columns: Sequence[str] = field(default_factory=tuple)
    progress: Progress | None = None

    def downloader(self) -> Downloader:
        creds = self.credentials or Credentials.from_env()
        if creds is None:
            raise ConfigError(
                "downloading ACLED needs a myACLED account: set the acled_username and "
                f"acled_password settings ({USERNAME_ENV} and {PASSWORD_ENV}, or in "
                "dyadwatch.toml), or ingest ACLED CSV exports with 'dyadwatch ingest acled'."
            )
        return Downloader(
            self.cache_dir,
            concurrency=1,
            retries=self.retries,
            timeout=self.timeout,
            backoff=self.backoff,
            label="acled",
            hint="the ACLED API (base URL and account)",
            headers={"Accept": "application/json"},
            auth=AcledAuth(self.base_url.rstrip("/") + TOKEN_PATH, creds),
            validate=check_page,
        )

    def _month_path(self, country: str, first: date) -> Path:
        return self.cache_dir / "acled" / _slug(country) / f"{first:%Y-%m}.csv"

    def _page(self, country: str, first: date, last: date, page: int) -> RemoteFile:
        query = urlencode(
            {
                "_format": "json",
                "country": country,
                "event_date": f"{first:%Y-%m-%d}|{last:%Y-%m-%d}",
                "event_date_where": "BETWEEN",
                "limit": str(PAGE_LIMIT),
                "page": str(page),
            }
        )
        start = datetime.combine(first, datetime.min.time(), UTC)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
        return RemoteFile(
            name=f"acled-{_slug(country)}-{first:%Y-%m}-page{page:03d}.json",
            url=f"{self.base_url.rstrip('/')}{READ_PATH}?{query}",
            stream="month",
            start=start,
            end=end,
            cache_name=f"acled/{_slug(country)}/{first:%Y-%m}/page-{page:03d}.json",
        )

    def unit(self, country: str, first: date) -> RemoteFile:
        """A month of ``country``: what a later run retries if it fails (its first page's
        URL, which holds no credential).

        >>> api = AcledApi(["Mexico"], Path("c"), base_url="https://acled.example")
        >>> u = api.unit("Mexico", date(2021, 2, 1))
        >>> u.name, u.end.date()
        ('acled-mexico-2021-02', datetime.date(2021, 3, 1))
        """
        last = months(first, first)[0][1]
        page = self._page(country, first, last, 1)
        return RemoteFile(
            name=f"acled-{_slug(country)}-{first:%Y-%m}",
            url=page.url,
            stream="month",
            start=page.start,
            end=page.end,
            cache_name=f"acled/{_slug(country)}/{first:%Y-%m}.csv",
        )

    def parse_unit(self, name: str) -> tuple[str, date] | None:
        """(country, first day) of a unit's name, for a watched country; else None.

        >>> AcledApi(["United States"], Path("c")).parse_unit("acled-united-states-2021-02")
        ('United States', datetime.date(2021, 2, 1))
        """
        m = _UNIT.fullmatch(name)
        if m is None or not 1 <= int(m["month"]) <= 12:
            return None
        by_slug = {_slug(c): c for c in self.countries}
        country = by_slug.get(m["slug"])
        return (country, date(int(m["year"]), int(m["month"]), 1)) if country else None

    def fetch(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        after: datetime | None = None,
        skip: Iterable[str] = (),
        retry: Sequence[RemoteFile] = (),
    ) -> FetchResult:
        """Fetch every month of ``since``..``until`` (default: January 2018 to today).

        ``after`` (the start of the latest month ingested) starts the period at that month
        when ``since`` is not given: ACLED revises recent months, so the latest is read
        again. ``retry`` are months (:meth:`unit`) an earlier run failed to fetch, fetched
        first whatever their period; ``skip`` is accepted for the update protocol and not
        used (what the store holds is no reason to skip a month ACLED may have revised; a
        settled complete month in the cache is not asked for again anyway).
        """
        del skip
        today = self.today or datetime.now(UTC).date()
        if since is None and after is not None:
            since = after.astimezone(UTC).date()
        period = months(since or FIRST_MONTH, until or today)
        wanted = [(c, first) for c in self.countries for first, _ in period]
        extra: list[tuple[str, date]] = []
        for f in retry:
            parsed = self.parse_unit(f.name)
            if parsed is not None and parsed not in wanted and parsed not in extra:
                extra.append(parsed)
        todo = [*extra, *wanted]
        result = FetchResult(units=[])
        report = GapReport()
        with self.downloader() as dl:
            if self.progress is not None:
                self.progress(0, len(todo))
            for n, (country, first) in enumerate(todo):
                earlier = n < len(extra)
                last = months(first, first)[0][1]
                unit = self.unit(country, first)
                path = self._month_path(country, first)
                report.expected += 1
                if today - last > SETTLED and path.is_file():
                    result.skipped += 1
                    outcome = DownloadResult(unit, path, from_cache=True)
                else:
                    error = self._fetch_month(dl, country, first, last, path, result)
                    outcome = DownloadResult(unit, None if error else path, error)
                assert result.units is not None
                result.units.append(outcome)
                if earlier:
                    result.retried.append(outcome)
                if outcome.ok:
                    report.available += 1
                    result.artifacts.append(self._artifact(country, first, path))
                else:
                    reason = outcome.error or "failed"
                    if earlier:
                        reason = f"earlier gap, retried: {reason}"
                    report.gaps.append(Gap("month", unit.start, unit.end, reason, unit.name))
                if self.progress is not None:
                    self.progress(n + 1, len(todo))
        result.gaps = report
        return result

    def _fetch_month(
        self,
        dl: Downloader,
        country: str,
        first: date,
        last: date,
        path: Path,
        result: FetchResult,
    ) -> str | None:
        """Fetch a month's pages and write its CSV; the reason it failed, or None."""
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            remote = self._page(country, first, last, page)
            cached = dl.target(remote)
            if (
                cached.is_file()
                and clock.time() - cached.stat().st_mtime > PAGE_TTL.total_seconds()
            ):
                cached.unlink()
            outcome: DownloadResult = dl.download(remote)
            result.downloads.append(outcome)
            if not outcome.ok or outcome.path is None:
                return f"page {page}: {outcome.error or 'failed'}"
            data = json.loads(outcome.path.read_bytes())["data"]
            rows.extend(r for r in data if isinstance(r, dict))
            if len(data) < PAGE_LIMIT:
                break
            page += 1
        _atomic_write(path, rows_to_csv(rows, self.columns))
        for n in range(1, page + 1):
            dl.target(self._page(country, first, last, n)).unlink(missing_ok=True)
        return None

    def _artifact(self, country: str, first: date, path: Path) -> Artifact:
        base = file_artifact("acled", path, key=f"acled-{_slug(country)}-{first:%Y-%m}.csv")
        return Artifact(
            source=base.source,
            key=base.key,
            checksum=base.checksum,
            path=base.path,
            size=base.size,
            meta={"stream": "month", "country": country, "month": f"{first:%Y-%m}"},
        )


def rows_to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """API rows → an ACLED export's CSV text (the given columns, in order; JSON nulls empty).

    >>> print(rows_to_csv([{"event_id_cnty": "MEX1", "fatalities": 0}], ["event_id_cnty",
    ...       "fatalities"]), end="")
    event_id_cnty,fatalities
    MEX1,0
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()


def _slug(country: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in country.strip().lower()).strip("-")


__all__ = [
    "BASE_URL",
    "FIRST_MONTH",
    "PAGE_LIMIT",
    "PASSWORD_ENV",
    "USERNAME_ENV",
    "AcledApi",
    "AcledAuth",
    "Credentials",
    "Secret",
    "check_page",
    "months",
    "rows_to_csv",
]
