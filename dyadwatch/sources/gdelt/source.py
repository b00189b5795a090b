"""The GDELT source: GDELT 1.0 and 2.0 events and 2.0 mentions, filtered to the dyads watched.

Registered as ``gdelt``. Rows are stored under two ``source`` names, ``gdelt1`` (GDELT 1.0
historical and daily files) and ``gdelt2`` (GDELT 2.0 exports and mentions, Translingual
included), because the two are different coding runs with separate GLOBALEVENTID sequences
(GDELT 2.0 codebook: the ID sequence was reset at a higher number at the switch-over) and an
analyst must be able to choose one (``events/source=gdelt2/…``); the ingest log and the
quarantine name the registered source, ``gdelt``. An event's ``event_id`` is the hash of
(``gdelt1``/``gdelt2``, GLOBALEVENTID), so the same event in a zipped and an unzipped copy,
or in two overlapping downloads, is one event.

Artifact keys are the GDELT file name without ``.zip`` (``20151027220000.export.CSV``), and
checksums are taken over the uncompressed content, so a file ingested once zipped and once
unzipped is recognised as the same artifact and never counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.errors import ArtifactError, DownloadError
from dyadwatch.settings import Settings
from dyadwatch.sources.base import Artifact, Chunk, check_local_path
from dyadwatch.sources.download import Downloader, FetchResult, Progress
from dyadwatch.sources.fetch import Fetcher, download_settings
from dyadwatch.sources.gdelt.canonical import Dyads, fips_table
from dyadwatch.sources.gdelt.discovery import (
    TRANSLATION_STREAMS,
    V1_STREAMS,
    V2_STEP,
    V2_STREAMS,
    Gap,
    RemoteFile,
    classify,
    gap_report,
    in_period,
    name_problem,
    parse_filelist,
    parse_v1_index,
)
from dyadwatch.sources.gdelt.fileio import content_checksum
from dyadwatch.sources.gdelt.gaps import retry_order
from dyadwatch.sources.gdelt.reader import FileReader
from dyadwatch.sources.remote import artifact_key

log = logging.getLogger(__name__)

DEFAULT_STREAMS = ("events", "mentions")
ALL_STREAMS = (
    "events",
    "mentions",
    "translation-events",
    "translation-mentions",
    *V1_STREAMS,
)


class GdeltSource(Fetcher):
    """GDELT 1.0/2.0 events and 2.0 mentions (filtered to the dyads; volume kept)."""

    name: ClassVar[str] = "gdelt"
    label: ClassVar[str] = "GDELT"
    about: ClassVar[str] = (
        "The GDELT Project (gdeltproject.org): GDELT 1.0 and 2.0 event and mention files, "
        "published as open data for unlimited and unrestricted use; cite the GDELT Project."
    )
    codebook: ClassVar[str] = "cameo"
    schema_versions: ClassVar[tuple[str, ...]] = (
        "events-1.0-historical",
        "events-1.0-daily",
        "events-2.0",
        "mentions-2.0",
    )
    default_confidence: float = 0.5

    def __init__(
        self,
        *,
        dyads: Sequence[str] = ("USA-MEX",),
        base_url: str = "http://data.gdeltproject.org",
        cache_dir: Path | None = None,
        concurrency: int = 4,
        retries: int = 5,
        timeout: float = 60.0,
        backoff: float = 1.0,
        streams: Sequence[str] = DEFAULT_STREAMS,
        mention_event_keys: Iterable[str] = (),
        progress: Progress | None = None,
    ) -> None:
        unknown = [s for s in streams if s not in ALL_STREAMS]
        if unknown:
            raise ValueError(f"unknown GDELT stream(s) {unknown}; choose from {ALL_STREAMS}")
        self.dyads = Dyads.parse(dyads)
        self.base_url = base_url.rstrip("/")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else Path(".dyadwatch/cache")
        self.concurrency = concurrency
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.streams = tuple(streams)
        self.progress = progress
        self._event_keys: set[str] = set(mention_event_keys)
        self._fips: pa.Table | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> GdeltSource:
        """A source configured by :class:`~dyadwatch.settings.Settings` (``**kw`` override)."""
        args = {
            **download_settings(settings),
            "base_url": settings.gdelt_base_url,
            "concurrency": settings.download_concurrency,
        }
        args.update(kw)
        return cls(**args)

    # --- discovery and download --------------------------------------------------------------

    def downloader(self) -> Downloader:
        return Downloader(
            self.cache_dir,
            concurrency=self.concurrency,
            retries=self.retries,
            timeout=self.timeout,
            backoff=self.backoff,
            progress=self.progress,
        )

    def list_files(
        self,
        dl: Downloader,
        streams: Sequence[str],
        after: datetime | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[RemoteFile]:
        """Every file the server lists for ``streams`` (reads only the lists needed).

        With ``after`` (the start of the last interval ingested), GDELT 2.0 is first asked
        for ``lastupdate.txt``: if that names at most the next interval, the whole
        ``masterfilelist.txt`` (hundreds of thousands of lines) is not needed.
        """
        files: list[RemoteFile] = []
        for wanted, suffix in ((V2_STREAMS, ""), (TRANSLATION_STREAMS, "-translation")):
            if not any(s in wanted for s in streams):
                continue
            if after is not None:
                latest = self._lastupdate(dl, suffix)
                if latest and max(f.start for f in latest) <= after + V2_STEP:
                    files += latest
                    continue
            text = dl.fetch_text(f"{self.base_url}/gdeltv2/masterfilelist{suffix}.txt")
            first = since or (after.date() if after is not None else None)
            files += parse_filelist(text, self.base_url, streams=streams, since=first, until=until)
            del text
        if any(s in V1_STREAMS for s in streams):
            page = dl.fetch_text(f"{self.base_url}/events/index.html")
            files += parse_v1_index(page, self.base_url)
        return [f for f in files if f.stream in streams]

    def _lastupdate(self, dl: Downloader, suffix: str) -> list[RemoteFile]:
        try:
            text = dl.fetch_text(f"{self.base_url}/gdeltv2/lastupdate{suffix}.txt")
        except DownloadError as exc:
            log.info("no lastupdate%s.txt (%s); reading the master file list", suffix, exc)
            return []
        return parse_filelist(text, self.base_url)

    def fetch(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        after: datetime | None = None,
        skip: Iterable[str] = (),
        retry: Sequence[RemoteFile] = (),
    ) -> FetchResult:
        """Download the files of the period and report every gap.

        Parameters
        ----------
        since, until
            Inclusive days (None: from the first / to the last listed file).
        after
            Only intervals that start after this instant (what is new since the last ingest).
        skip
            Artifact keys already ingested: not downloaded again.
        retry
            Files an earlier run failed to download (see :mod:`.gaps`): fetched first (one in
            the period only once, as part of it). One outside the period counts as an
            expected interval of the report, and is a gap of it (reason ``earlier gap, …``)
            if it fails again.

        Examples
        --------
        >>> src = GdeltSource(base_url="http://127.0.0.1:8000")  # doctest: +SKIP
        >>> result = src.fetch(date(2018, 1, 1), date(2018, 1, 1))  # doctest: +SKIP
        >>> print(result.gaps.text())  # doctest: +SKIP
        """
        skip = set(skip)
        result = FetchResult()
        with self.downloader() as dl:
            listed = self.list_files(dl, self.streams, after, since, until)
            wanted = in_period(listed, since, until, self.streams)
            if after is not None:
                wanted = [f for f in wanted if f.start > after]
            todo = [f for f in wanted if artifact_key(f.name) not in skip]
            result.skipped = len(wanted) - len(todo)
            names = {f.name for f in wanted}
            extra = [f for f in retry if f.name not in names and artifact_key(f.name) not in skip]
            result.downloads = dl.download_all([*extra, *todo])
            result.retried = result.downloads[: len(extra)]
        failed = {r.file.name: r.error or "failed" for r in result.downloads if not r.ok}
        report = gap_report(listed, self.streams, since, until, failed)
        if after is not None:
            report.gaps = [g for g in report.gaps if g.start > after]
        for r in result.retried:
            report.expected += 1
            if r.ok:
                report.available += 1
            else:
                f = r.file
                reason = f"earlier gap, retried: {r.error or 'failed'}"
                report.gaps.append(Gap(f.stream, f.start, f.end, reason, f.name))
        report.gaps.sort(key=lambda g: (g.start, g.stream))
        result.gaps = report
        for r in result.downloads:
            if r.ok and r.path is not None:
                result.artifacts.append(self._artifact(r.path, remote=r.file))
        return result

    def gap_key(self, file: RemoteFile) -> str:
        """A GDELT file's artifact key: its name without ``.zip``."""
        return artifact_key(file.name)

    def retry_files(self, files: Sequence[RemoteFile]) -> list[RemoteFile]:
        """Earlier gaps of this source's streams, on its mirror, events before mentions."""
        return retry_order(files, self.streams, self.base_url)

    def resume_after(self, keys: Iterable[str]) -> datetime | None:
        """Start of the latest interval of this source's streams among ``keys``."""
        starts = []
        for key in keys:
            kind = classify(Path(key).name)
            if kind is not None and kind[0] in self.streams:
                starts.append(kind[1])
        return max(starts) if starts else None

    def where(self) -> str:
        return f"GDELT's file list at {self.base_url}"

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """Download the period's files (see :meth:`fetch`) and yield those that arrived.

        Failed downloads are logged; call :meth:`fetch` to get the gap report itself.
        """
        result = self.fetch(since, until)
        for gap in result.gaps.gaps:
            log.warning("gap: %s %s–%s %s", gap.stream, gap.start, gap.end, gap.reason)
        yield from result.artifacts

    # --- local files -------------------------------------------------------------------------

    def _artifact(self, path: Path, remote: RemoteFile | None = None) -> Artifact:
        path = check_local_path(path)
        if not path.exists():
            raise ArtifactError(f"{path}: no such file.")
        if not path.is_file():
            raise ArtifactError(f"{path}: not a file (give files, not directories).")
        key = artifact_key(path.name)
        problem = name_problem(remote.name if remote else path.name)
        if problem is not None:
            raise ArtifactError(f"{path}: {problem}")
        kind = classify(remote.name if remote else path.name)
        meta: dict[str, Any] = {}
        if kind is not None:
            meta = {"stream": kind[0], "start": kind[1], "end": kind[2]}
        if remote is not None:
            meta["url"] = remote.url
        return Artifact(
            source=self.name,
            key=key,
            checksum=content_checksum(path),
            path=path,
            size=path.stat().st_size,
            meta=meta,
        )

    def artifacts_for_paths(self, paths: list[Path]) -> Iterator[Artifact]:
        """Artifacts for local GDELT files (zipped or not); events before their mentions."""
        artifacts = [self._artifact(Path(p)) for p in paths]

        def order(a: Artifact) -> tuple[Any, int, str]:
            stream = str(a.meta.get("stream", ""))
            start = a.meta.get("start") or datetime.min.replace(tzinfo=None)
            mentions = 1 if "mentions" in stream or ".mentions." in a.key else 0
            return (str(start), mentions, a.key)

        yield from sorted(artifacts, key=order)

    # --- reading -----------------------------------------------------------------------------

    def _keep_mentions(self, keys: pa.ChunkedArray | pa.Array) -> Any:
        value_set = pa.array(sorted(self._event_keys), pa.string())
        return pc.is_in(keys, value_set=value_set)

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        """One GDELT file as chunks: ``events`` + ``volume``, or ``mentions``.

        Mentions are kept for the events this source has kept (this run, plus the
        ``mention_event_keys`` it was given); with no dyads configured, all are kept.
        """
        if artifact.path is None:
            raise ArtifactError(f"{artifact.key}: the GDELT source reads local files only.")
        if self._fips is None:
            self._fips = fips_table()
        reader = FileReader(
            path=artifact.path,
            artifact=artifact.key,
            dyads=self.dyads,
            fips=self._fips,
            keep_mentions=self._keep_mentions if self.dyads.pairs else None,
            on_event_keys=self._event_keys.update,
        )
        yield from reader.chunks()
