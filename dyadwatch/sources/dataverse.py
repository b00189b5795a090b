"""Datasets on a Dataverse server (ICEWS, POLECAT): list a dataset's files, fetch a period.

The Dataverse native API lists a dataset's files — ``GET
{server}/api/datasets/:persistentId/?persistentId={doi}`` answers ``data.latestVersion.files``,
each with its ``dataFile`` (id, file name, size, MD5 checksum, publication date) — and the
access API serves each file — ``GET {server}/api/access/datafile/{id}``. A tabular file that
Dataverse ingested is served by default in its archival form (tab-separated, re-written by
Dataverse); ``?format=original`` serves the bytes the depositor uploaded, which are the bytes
the listed size (``originalFileSize``) and MD5 describe, so dyadwatch asks for the original.

Each file is one :class:`~dyadwatch.sources.remote.RemoteFile`: the source classifies its
name into the interval it covers (a year, a day, a week) and the downloader fetches it with
the GDELT connector's guarantees — bounded concurrency, retries with backoff, resume by
``Range``, size and MD5 checked, a cache that never holds a partial file under a real name.
Every listed file of the period that did not arrive is a gap of the run's report, and so is
a year of the period with no file at all; a rerun lists the dataset again, finds the files
it has in its cache, and fetches only what is missing — which fills the gaps.

An API token (``X-Dataverse-key``), needed only for datasets whose terms require signing
in, comes from the ``dataverse_token`` setting (``DYADWATCH_DATAVERSE_TOKEN`` or the config
file) or the caller; it is sent as a header to the configured server only (not to the
storage a file download may redirect to), never logged, never put in a URL, a cache path,
the list of earlier gaps or the store. A file an earlier run failed to fetch is retried on
the configured server (:meth:`Dataverse.rebase`), whatever URL the list recorded.

:class:`DataverseSource` gives ICEWS and POLECAT what ``dyadwatch update`` needs of them
(:class:`~dyadwatch.sources.fetch.Fetcher`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from dyadwatch.errors import DownloadError
from dyadwatch.settings import Secret, Settings
from dyadwatch.sources.base import Artifact, file_artifact
from dyadwatch.sources.download import Downloader, FetchResult, Progress
from dyadwatch.sources.fetch import Fetcher, download_settings
from dyadwatch.sources.remote import Gap, GapReport, RemoteFile

log = logging.getLogger(__name__)

HARVARD = "https://dataverse.harvard.edu"
TOKEN_ENV = "DYADWATCH_DATAVERSE_TOKEN"
DATA_SUFFIXES = (".tab", ".tsv", ".txt", ".csv", ".zip")
ACCESS_PATH = "/api/access/datafile/"

Interval = tuple[str, datetime, datetime, datetime | None]
"""(stream, start, end, published) of a file: what a source's classifier returns."""


@dataclass(frozen=True, slots=True)
class DataverseFile:
    """One file of a dataset, as the native API lists it."""

    id: int
    name: str
    size: int | None
    md5: str | None
    original: bool
    """Whether Dataverse ingested it (served as ``?format=original`` to get these bytes)."""
    published: datetime | None


def stamp(text: str) -> datetime | None:
    """A ``YYYYMMDDHHMMSS`` production stamp as UTC, or None if it is not a real time.

    >>> stamp("20200427084805")
    datetime.datetime(2020, 4, 27, 8, 48, 5, tzinfo=datetime.timezone.utc)
    >>> stamp("20200427086005") is None
    True
    """
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def year_interval(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def _published(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        # A date only (``2023-01-05``): public by the end of that day.
        when = datetime.combine(when.date(), datetime.max.time(), tzinfo=UTC)
    return when.astimezone(UTC)


def parse_listing(doc: Any) -> list[DataverseFile]:
    """The files of a native-API dataset answer (``data.latestVersion.files``).

    A file without an id or a name is skipped with a warning; a checksum that is not MD5
    is not used (the size still is).

    Examples
    --------
    >>> doc = {"status": "OK", "data": {"latestVersion": {"files": [{"dataFile": {
    ...     "id": 7, "filename": "events.2018.20200427084805.tab", "filesize": 120,
    ...     "originalFileSize": 100, "originalFileFormat": "text/tab-separated-values",
    ...     "checksum": {"type": "MD5", "value": "0" * 32}}}]}}}
    >>> f = parse_listing(doc)[0]
    >>> f.name, f.size, f.original
    ('events.2018.20200427084805.tab', 100, True)
    """
    if not isinstance(doc, Mapping) or doc.get("status") not in (None, "OK"):
        message = doc.get("message") if isinstance(doc, Mapping) else None
        raise DownloadError(f"the Dataverse server refused the request ({message or doc!r}).")
    try:
        files = doc["data"]["latestVersion"]["files"]
    except (KeyError, TypeError):
        raise DownloadError(
            "the Dataverse answer has no data.latestVersion.files; is this a dataset DOI?"
        ) from None
    out = []
    for item in files if isinstance(files, list) else []:
        data = item.get("dataFile") if isinstance(item, Mapping) else None
        if not isinstance(data, Mapping) or "id" not in data or not data.get("filename"):
            log.warning("skipping a Dataverse file entry without an id or a name: %r", item)
            continue
        original = bool(data.get("originalFileFormat")) and data.get("originalFileSize")
        size = data.get("originalFileSize") if original else data.get("filesize")
        checksum = data.get("checksum") if isinstance(data.get("checksum"), Mapping) else {}
        md5 = data.get("md5")
        if checksum and str(checksum.get("type", "")).upper() == "MD5":
            md5 = checksum.get("value")
        elif checksum:
            md5 = None
        out.append(
            DataverseFile(
                id=int(data["id"]),
                name=str(data["filename"]),
                size=int(size) if isinstance(size, int) else None,
                md5=str(md5).lower() if isinstance(md5, str) and len(md5) == 32 else None,
                original=bool(original),
                published=_published(data.get("publicationDate") or data.get("creationDate")),
            )
        )
    return out


def _safe(doi: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", doi)


@dataclass(slots=True)
class Dataverse:
    """A dataset on a Dataverse server, fetched into a cache for one source.

    Parameters
    ----------
    source
        The source's name (the cache folder and the progress label).
    server, dataset
        The server's base URL and the dataset's persistent id (``doi:10.7910/DVN/28075``).
    classify
        File name → (stream, start, end, published) of the interval it covers, or None
        for a file that is not event data (a codebook, a README).
    cache_dir
        The download cache (``Settings.cache_dir``).
    token
        A Dataverse API token (default: ``$DYADWATCH_DATAVERSE_TOKEN``, if set); not shown
        by ``repr``.
    progress
        Called with (files fetched, files to fetch) (see
        :data:`~dyadwatch.sources.download.Progress`).

    Examples
    --------
    >>> dv = Dataverse("icews", HARVARD, "doi:10.7910/DVN/28075", classify, cache)  # doctest: +SKIP
    >>> result = dv.fetch(date(2018, 1, 1), date(2018, 12, 31))  # doctest: +SKIP
    >>> print(result.gaps.text())  # doctest: +SKIP
    """

    source: str
    server: str
    dataset: str
    classify: Callable[[str], Interval | None]
    cache_dir: Path
    token: Secret | str | None = field(default=None, repr=False)
    concurrency: int = 2
    retries: int = 5
    timeout: float = 60.0
    backoff: float = 1.0
    progress: Progress | None = None

    def downloader(self) -> Downloader:
        given = self.token if self.token is not None else os.environ.get(TOKEN_ENV)
        token = given.reveal() if isinstance(given, Secret) else given
        return Downloader(
            self.cache_dir,
            concurrency=self.concurrency,
            retries=self.retries,
            timeout=self.timeout,
            backoff=self.backoff,
            progress=self.progress,
            label=self.source,
            hint=f"the {self.source} Dataverse server and dataset",
            secrets={"X-Dataverse-key": token} if token else None,
            secret_origin=self.server if token else None,
        )

    def list_files(self, dl: Downloader) -> list[tuple[RemoteFile, datetime | None]]:
        """Every event-data file of the dataset, with the interval it covers."""
        doc = dl.fetch_json(
            f"{self.server.rstrip('/')}/api/datasets/:persistentId/",
            {"persistentId": self.dataset},
        )
        out = []
        for f in parse_listing(doc):
            if not f.name.lower().endswith(DATA_SUFFIXES):
                continue
            kind = self.classify(f.name)
            if kind is None:
                log.info("%s: %s is not an event file; skipped", self.source, f.name)
                continue
            stream, start, end, published = kind
            url = f"{self.server.rstrip('/')}/api/access/datafile/{f.id}"
            if f.original:
                url += "?format=original"
            remote = RemoteFile(
                name=f.name,
                url=url,
                stream=stream,
                start=start,
                end=end,
                size=f.size,
                md5=f.md5,
                cache_name=f"{self.source}/{_safe(self.dataset)}/{f.id}-{f.name}",
            )
            out.append((remote, published or f.published))
        return out

    def fetch(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        after: datetime | None = None,
        skip: Iterable[str] = (),
        retry: Sequence[RemoteFile] = (),
    ) -> FetchResult:
        """Download the dataset's files that cover ``since``..``until`` and report the gaps.

        ``skip`` names files (by name) not to fetch (already ingested); ``retry`` are files
        an earlier run failed to fetch, tried again whatever their period (a gap of the
        report, ``earlier gap, retried: …``, if one fails again). Without ``since``,
        ``after`` (the start of the latest file ingested) starts the period on its day, so
        a new release of that file is fetched too.
        """
        if since is None and after is not None:
            since = after.astimezone(UTC).date()
        skip = set(skip)
        result = FetchResult()
        with self.downloader() as dl:
            listed = self.list_files(dl)
            lo = datetime.combine(since, datetime.min.time(), tzinfo=UTC) if since else None
            hi = (
                datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
                if until
                else None
            )
            wanted = [
                (f, p)
                for f, p in listed
                if (lo is None or f.end > lo) and (hi is None or f.start < hi)
            ]
            names = {f.name for f, _ in wanted}
            todo = [(f, p) for f, p in wanted if f.name not in skip]
            result.skipped = len(wanted) - len(todo)
            extra = [(f, None) for f in retry if f.name not in names]
            published = {f.name: p for f, p in listed}
            result.downloads = dl.download_all([f for f, _ in [*extra, *todo]])
            result.retried = result.downloads[: len(extra)]
        report = GapReport(expected=len(wanted) + len(extra))
        earlier = {id(r) for r in result.retried}
        for r in result.downloads:
            if r.ok and r.path is not None:
                report.available += 1
                result.artifacts.append(self.artifact(r.path, r.file, published.get(r.file.name)))
            else:
                f = r.file
                reason = r.error or "failed"
                if id(r) in earlier:
                    reason = f"earlier gap, retried: {reason}"
                report.gaps.append(Gap(f.stream, f.start, f.end, reason, f.name))
        report.gaps += uncovered_years([f for f, _ in listed], since, until)
        report.gaps.sort(key=lambda g: (g.start, g.stream))
        result.gaps = report
        return result

    def artifact(self, path: Path, remote: RemoteFile, published: datetime | None) -> Artifact:
        base = file_artifact(self.source, path, key=remote.name)
        meta: dict[str, Any] = {
            "stream": remote.stream,
            "start": remote.start,
            "end": remote.end,
            "url": remote.url,
        }
        if published is not None:
            meta["published"] = published
        return Artifact(
            source=base.source,
            key=base.key,
            checksum=base.checksum,
            path=base.path,
            size=base.size,
            meta=meta,
        )

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """Fetch the period (see :meth:`fetch`) and yield the files that arrived; gaps are
        logged (call :meth:`fetch` for the report itself)."""
        result = self.fetch(since, until)
        for gap in result.gaps.gaps:
            log.warning("gap: %s %s–%s %s", gap.stream, gap.start, gap.end, gap.reason)
        yield from result.artifacts

    def rebase(self, files: Sequence[RemoteFile]) -> list[RemoteFile]:
        """Files of this dataset recorded by an earlier run, with their URLs on this server.

        A recorded URL is never followed as it is: its ``/api/access/datafile/…`` part is
        put on the configured server, so the API token goes only where it is meant to (a
        list of gaps edited to name another host cannot draw it out). Files of another
        source or dataset are left out.

        >>> dv = Dataverse("icews", "https://dv.example", "doi:10/X", lambda n: None, Path("c"))
        >>> f = RemoteFile("a.tab", "http://old.example/api/access/datafile/7?format=original",
        ...                "yearly", *year_interval(2018), cache_name="icews/doi_10_X/7-a.tab")
        >>> dv.rebase([f])[0].url
        'https://dv.example/api/access/datafile/7?format=original'
        """
        prefix = f"{self.source}/{_safe(self.dataset)}/"
        out = []
        for f in files:
            parts = urlsplit(f.url)
            if not (f.cache_name or "").startswith(prefix) or ACCESS_PATH not in parts.path:
                log.info("%s: %s is not a file of %s; not retried", self.source, f.name, prefix)
                continue
            path = parts.path[parts.path.index(ACCESS_PATH) :]
            query = f"?{parts.query}" if parts.query else ""
            out.append(replace(f, url=f"{self.server.rstrip('/')}{path}{query}"))
        return sorted(out, key=lambda f: (f.start, f.name))


class DataverseSource(Fetcher):
    """What ``dyadwatch update`` needs of a source whose data is one Dataverse dataset.

    ICEWS and POLECAT mix it in before their file-reading base; they set ``label`` and
    ``dataverse`` (see :class:`~dyadwatch.sources.fetch.Fetcher`).
    """

    credential_settings: ClassVar[tuple[str, ...]] = ("dataverse_token",)
    dataset: ClassVar[str]
    """The dataset's persistent id (``doi:…``) on :data:`HARVARD`."""
    dataverse: Dataverse

    @staticmethod
    def classify(name: str) -> Interval | None:
        """The interval a file of the dataset covers (from its name); None for other files."""
        raise NotImplementedError

    def __init__(
        self,
        *,
        dyads: Sequence[str] = ("USA-MEX",),
        known_at: date | datetime | None = None,
        server: str = HARVARD,
        dataset: str | None = None,
        cache_dir: Path | None = None,
        token: Secret | str | None = None,
        concurrency: int = 2,
        retries: int = 5,
        timeout: float = 60.0,
        backoff: float = 1.0,
        progress: Progress | None = None,
    ) -> None:
        # The next class in the MRO is the file-reading base the source mixes this into.
        super().__init__(dyads=dyads, known_at=known_at)  # type: ignore[call-arg]
        self.dataverse = Dataverse(
            source=self.name,
            server=server,
            dataset=dataset or self.dataset,
            classify=self.classify,
            cache_dir=Path(cache_dir) if cache_dir is not None else Path(".dyadwatch/cache"),
            token=token,
            concurrency=concurrency,
            retries=retries,
            timeout=timeout,
            backoff=backoff,
            progress=progress,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> Self:
        args = {**download_settings(settings), "token": settings.dataverse_token}
        args.update(kw)
        return cls(**args)

    def fetch(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        after: datetime | None = None,
        skip: Iterable[str] = (),
        retry: Sequence[RemoteFile] = (),
    ) -> FetchResult:
        """Download the Dataverse files covering ``since``..``until``; see :class:`Dataverse`."""
        return self.dataverse.fetch(since, until, after=after, skip=skip, retry=retry)

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        return self.dataverse.discover(since, until)

    def gap_key(self, file: RemoteFile) -> str:
        """A Dataverse file's artifact key: its name as the dataset lists it."""
        return file.name

    def retry_files(self, files: Sequence[RemoteFile]) -> list[RemoteFile]:
        return self.dataverse.rebase(files)

    def resume_after(self, keys: Iterable[str]) -> datetime | None:
        """Start of the latest interval among ingested file names of this dataset."""
        starts = []
        for key in keys:
            kind = self.dataverse.classify(Path(key).name)
            if kind is not None:
                starts.append(kind[1])
        return max(starts) if starts else None

    def where(self) -> str:
        dv = self.dataverse
        return f"the {self.label} dataset {dv.dataset} at {dv.server.rstrip('/')}"


def uncovered_years(
    files: Sequence[RemoteFile], since: date | None, until: date | None
) -> list[Gap]:
    """Years of ``since``..``until`` that no listed file covers (a gap no download can fill:
    the dataset has nothing for them).

    >>> f = RemoteFile("a", "u", "yearly", *year_interval(2018))
    >>> [g.start.year for g in uncovered_years([f], date(2017, 6, 1), date(2019, 1, 1))]
    [2017, 2019]
    """
    if since is None or until is None:
        return []
    gaps = []
    for year in range(since.year, until.year + 1):
        start, end = year_interval(year)
        if not any(f.start < end and f.end > start for f in files):
            gaps.append(Gap("year", start, end, "no file of the dataset covers this year"))
    return gaps


__all__ = [
    "HARVARD",
    "TOKEN_ENV",
    "Dataverse",
    "DataverseFile",
    "DataverseSource",
    "Interval",
    "parse_listing",
    "stamp",
    "uncovered_years",
    "year_interval",
]
