"""Download files: bounded concurrency, retries with backoff, resume, verify, cache.

One downloader for every source that fetches files (GDELT's file lists, the Dataverse
datasets of ICEWS and POLECAT, ACLED's API pages). A file is fetched into
``<cache>/<cache path>.part`` and renamed into place only after its size and MD5 match what
the server listed (and, when the source gives a ``validate`` check, after its content
passes it: an API page that is not the JSON it should be), so the cache never holds a
partial or corrupt file under a real name. A retry resumes a partial download with an
HTTP ``Range`` request (RFC 9110 §14.2); a server that answers 200 instead of 206 is read
from the start. Timeouts, connection errors, truncated bodies, 429 and 5xx are retried with
exponential backoff (``Retry-After`` is honoured up to :data:`MAX_RETRY_AFTER`); 404 and
other 4xx are final. A file already in the cache and
verified is not fetched again.

Every outcome is a :class:`DownloadResult`; failures are reported, never swallowed — the
caller turns them into the run's gap report.

Credentials travel only in request headers set by the caller (``secrets``, or an
``httpx.Auth`` such as ACLED's bearer token); they are never part of a URL, a cache path, a
log line or a result, so nothing that is logged or stored can leak them. ``secrets`` go only
to the server they are for (``secret_origin``): a redirect to another host (Dataverse serves
files from a storage bucket) is sent without them, as httpx does for ``Authorization``.

Progress is reported, never drawn: ``progress(done, total)`` is called as files finish (from
the worker threads, one call at a time); the command line draws it
(:mod:`dyadwatch.present.cli.progress`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from dyadwatch.errors import DownloadError
from dyadwatch.sources.base import Artifact
from dyadwatch.sources.remote import GapReport, RemoteFile

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0
VERIFIED_SUFFIX = ".md5"
"""A sidecar holding the MD5 a cached file was verified against (saves re-hashing)."""

USER_AGENT = "dyadwatch-downloader"

Validate = Callable[[Path], str | None]
"""A content check run on a downloaded file before it is kept: None, or why it is bad."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``: units done (files, months) out of the run's total."""


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``: where a credential may be sent.

    >>> origin("https://dataverse.harvard.edu/api/access/datafile/1")
    ('https', 'dataverse.harvard.edu', None)
    """
    u = httpx.URL(url) if isinstance(url, str) else url
    return (u.scheme, u.host, u.port)


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """What happened to one file."""

    file: RemoteFile
    path: Path | None
    error: str | None = None
    attempts: int = 0
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and self.path is not None


@dataclass(slots=True)
class FetchResult:
    """What a source's ``fetch`` found and fetched, and what it could not (its gap report)."""

    artifacts: list[Artifact] = field(default_factory=list)
    downloads: list[DownloadResult] = field(default_factory=list)
    gaps: GapReport = field(default_factory=GapReport)
    skipped: int = 0
    retried: list[DownloadResult] = field(default_factory=list)
    """Outcomes of earlier gaps retried outside this run's period (also in :meth:`outcomes`)."""
    units: list[DownloadResult] | None = None
    """The outcome of each unit a later run would retry, when the units are not the
    downloads themselves (ACLED: a month of one country, fetched page by page); None: each
    download is a unit."""

    def outcomes(self) -> list[DownloadResult]:
        """One result per retryable unit (see :attr:`units`)."""
        return self.downloads if self.units is None else self.units


class _Retry(Exception):
    """A transient failure: try again after a pause (``delay`` overrides the backoff)."""

    def __init__(self, reason: str, delay: float | None = None, restart: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.restart = restart


class _Final(Exception):
    """A failure retrying will not fix."""


def md5_file(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Downloader:
    """Fetches files into a cache directory.

    Parameters
    ----------
    cache_dir
        Where files are kept (``Settings.cache_dir``).
    concurrency
        Files fetched at once (be polite: GDELT is a free service).
    retries
        Further attempts per file after the first, on transient failures.
    timeout
        Seconds for connecting and between bytes received.
    backoff
        First pause between attempts (doubles each time, with jitter).
    progress
        Called with (files done, files to fetch) as :meth:`download_all` goes (see
        :data:`Progress`); the library draws nothing.
    label
        Names the source in the progress bar and in errors (``gdelt``, ``icews`` …).
    hint
        What to check when a resource cannot be fetched (the setting that holds its URL).
    headers
        Extra request headers (``Accept``).
    secrets
        Request headers that carry a credential (a Dataverse API token), sent only to
        ``secret_origin``'s scheme, host and port. Never logged.
    secret_origin
        The URL of the server the ``secrets`` are for (required with ``secrets``).
    auth
        An ``httpx.Auth`` that signs each request (ACLED's OAuth bearer token).
    validate
        A content check for each downloaded file (see :data:`Validate`); a file that fails
        it is fetched again, like one with the wrong MD5.

    Examples
    --------
    >>> dl = Downloader(Path("/tmp/cache"), concurrency=4)  # doctest: +SKIP
    >>> results = dl.download_all(files)  # doctest: +SKIP
    >>> [r.file.name for r in results if not r.ok]  # doctest: +SKIP
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        concurrency: int = 4,
        retries: int = 5,
        timeout: float = 60.0,
        backoff: float = 1.0,
        progress: Progress | None = None,
        transport: httpx.BaseTransport | None = None,
        label: str = "gdelt",
        hint: str = "gdelt_base_url",
        headers: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        secret_origin: str | None = None,
        auth: httpx.Auth | None = None,
        validate: Validate | None = None,
    ) -> None:
        if secrets and not secret_origin:
            raise ValueError("secrets need the secret_origin they may be sent to")
        self.cache_dir = Path(cache_dir)
        self.concurrency = max(1, concurrency)
        self.retries = max(0, retries)
        self.timeout = timeout
        self.backoff = backoff
        self.progress = progress
        self.label = label
        self.hint = hint
        self.validate = validate
        self._secrets = dict(secrets or {})
        self._secret_origin = origin(secret_origin) if secret_origin else None
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=self.concurrency),
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            follow_redirects=True,
            transport=transport,
            auth=auth,
            event_hooks={"request": [self._sign]} if self._secrets else None,
        )
        self._sleep: Callable[[float], None] = time.sleep

    def _sign(self, request: httpx.Request) -> None:
        """Add the secret headers to a request for their server; strip them from any other
        (httpx calls this for every request, redirects included)."""
        if origin(request.url) == self._secret_origin:
            request.headers.update(self._secrets)
        else:
            for name in self._secrets:
                request.headers.pop(name, None)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- text (file lists) -------------------------------------------------------------------

    def fetch_text(self, url: str, params: Mapping[str, str] | None = None) -> str:
        """GET a small text resource (a file list), with the same retries; raise on failure."""
        last = ""
        for attempt in range(self.retries + 1):
            try:
                resp = self._client.get(url, params=params)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    return resp.text
                last = f"HTTP {resp.status_code}"
                if not _transient(resp.status_code):
                    break
            if attempt < self.retries:
                self._sleep(self._pause(attempt))
        raise DownloadError(f"cannot fetch {url} ({last}); check {self.hint} and the network.")

    def fetch_json(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """GET a JSON resource (a dataset's file list), retried also when it does not parse.

        Examples
        --------
        >>> url = f"{server}/api/datasets/:persistentId/"  # doctest: +SKIP
        >>> dl.fetch_json(url, {"persistentId": doi})["status"]  # doctest: +SKIP
        'OK'
        """
        last = ""
        for attempt in range(self.retries + 1):
            try:
                return json.loads(self.fetch_text(url, params))
            except json.JSONDecodeError as exc:
                last = f"not JSON ({exc.msg} at character {exc.pos})"
            if attempt < self.retries:
                self._sleep(self._pause(attempt))
        raise DownloadError(f"cannot read {url} ({last}); check {self.hint} and the network.")

    # --- files -------------------------------------------------------------------------------

    def target(self, file: RemoteFile) -> Path:
        return self.cache_dir / file.cache_path

    def cached(self, file: RemoteFile) -> Path | None:
        """The cached copy of ``file`` if it is complete and verified, else None."""
        path = self.target(file)
        if not path.is_file():
            return None
        if file.size is not None and path.stat().st_size != file.size:
            return None
        if file.md5 is not None:
            sidecar = path.with_name(path.name + VERIFIED_SUFFIX)
            known = sidecar.read_text().strip() if sidecar.is_file() else None
            if known != file.md5 and md5_file(path) != file.md5:
                return None
            if known != file.md5:
                sidecar.write_text(file.md5)
        return path

    def download(self, file: RemoteFile) -> DownloadResult:
        """Fetch one file (or find it in the cache); never raises for a failed download.

        Examples
        --------
        >>> result = dl.download(remote)  # doctest: +SKIP
        >>> result.ok, result.error  # doctest: +SKIP
        (False, 'HTTP 404 Not Found (not on the server)')
        """
        hit = self.cached(file)
        if hit is not None:
            return DownloadResult(file, hit, from_cache=True)
        path = self.target(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        reason = "not attempted"
        for attempt in range(self.retries + 1):
            try:
                self._fetch(file, part)
                self._verify(file, part)
            except _Final as exc:
                return DownloadResult(file, None, str(exc), attempt + 1)
            except _Retry as exc:
                reason = exc.reason
                log.info("%s: attempt %d failed (%s)", file.name, attempt + 1, reason)
                if exc.restart:
                    part.unlink(missing_ok=True)
                if attempt < self.retries:
                    self._sleep(exc.delay if exc.delay is not None else self._pause(attempt))
                continue
            os.replace(part, path)
            if file.md5:
                path.with_name(path.name + VERIFIED_SUFFIX).write_text(file.md5)
            return DownloadResult(file, path, None, attempt + 1)
        return DownloadResult(
            file, None, f"{reason} (after {self.retries + 1} attempts)", self.retries + 1
        )

    def download_all(self, files: Sequence[RemoteFile]) -> list[DownloadResult]:
        """Fetch ``files`` with at most ``concurrency`` at once; results in the same order."""
        if not files:
            return []
        lock = threading.Lock()
        total, done = len(files), 0
        if self.progress is not None:
            self.progress(0, total)

        def one(file: RemoteFile) -> DownloadResult:
            nonlocal done
            result = self.download(file)
            if not result.ok:
                log.info("%s: %s: %s", self.label, file.name, result.error)
            if self.progress is not None:
                with lock:
                    done += 1
                    self.progress(done, total)
            return result

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(one, files))

    # --- one attempt -------------------------------------------------------------------------

    def _pause(self, attempt: int) -> float:
        base: float = self.backoff * (2**attempt)
        return float(min(base, 300.0) * (0.5 + random.random() / 2))

    def _fetch(self, file: RemoteFile, part: Path) -> None:
        have = part.stat().st_size if part.exists() else 0
        if file.size is not None and have > file.size:
            part.unlink()
            have = 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with self._client.stream("GET", file.url, headers=headers) as resp:
                status = resp.status_code
                if status == 416:
                    # Our partial file is at least as long as the resource: verify it as is.
                    return
                if status == 404:
                    raise _Final("HTTP 404 Not Found (not on the server)")
                if _transient(status):
                    raise _Retry(f"HTTP {status}", _retry_after(resp.headers.get("Retry-After")))
                if status not in (200, 206):
                    raise _Final(f"HTTP {status}")
                mode = "ab" if status == 206 and have else "wb"
                with part.open(mode) as out:
                    for block in resp.iter_bytes(1 << 16):
                        out.write(block)
        except httpx.TimeoutException as exc:
            raise _Retry(f"timed out ({type(exc).__name__})") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise _Retry(f"connection error: {type(exc).__name__}: {exc}") from None

    def _verify(self, file: RemoteFile, part: Path) -> None:
        size = part.stat().st_size
        if file.size is not None and size < file.size:
            raise _Retry(f"truncated body: {size} of {file.size} bytes")
        if file.size is not None and size > file.size:
            raise _Retry(f"size mismatch: {size} bytes, file list says {file.size}", restart=True)
        if file.md5 is not None:
            got = md5_file(part)
            if got != file.md5:
                raise _Retry(f"MD5 mismatch: got {got}, file list says {file.md5}", restart=True)
        if self.validate is not None:
            problem = self.validate(part)
            if problem is not None:
                raise _Retry(f"bad content: {problem}", restart=True)


def _transient(status: int) -> bool:
    return status == 429 or status == 408 or 500 <= status < 600


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None
