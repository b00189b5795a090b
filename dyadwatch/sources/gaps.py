"""Gaps an earlier ``update`` run left behind, kept so that a later run retries them.

Every downloading source (GDELT, ICEWS, POLECAT, ACLED) keeps one list in its store:
``<store>/<source>-gaps.json`` (:func:`gaps_file`). A unit the source fetches — a GDELT
15-minute file, a Dataverse file, an ACLED month of one country — that failed after its
retries (a timeout, an HTTP 5xx, a truncated body, an MD5 mismatch, a 404 for a listed file)
is recorded there as a :class:`~dyadwatch.sources.remote.RemoteFile`: the URL, size, MD5
and cache path the listing gave, so a later run can retry it without listing the dataset
again. An interval missing from the listing is *not* recorded: there is nothing to retry,
and only a run that reads the listing for that period again (``--since``/``--until``) can
find it.

Each entry counts the runs that tried the unit and failed (``attempts``) and remembers when
it first failed. A unit is given up — dropped from the file, and named once in a warning so
that someone can rerun its period by hand — after :data:`DEFAULT_MAX_ATTEMPTS` failed runs or
:data:`DEFAULT_MAX_AGE` after its first failure, whichever comes first. An entry whose unit
has been ingested (by any run) is removed.

A unit is matched with what the store holds by its *artifact key*, which each source
computes its own way (``key``: GDELT drops ``.zip``, a Dataverse file keeps its name, an ACLED
month becomes ``acled-<country>-<YYYY-MM>.csv``); the default is GDELT's
(:func:`~dyadwatch.sources.remote.artifact_key` of the name).

The file is small JSON, replaced atomically (write a temporary file, ``fsync``,
``os.replace``), so a reader sees the old list or the new one, never half of one. Callers
change it only while holding the store's writer lock (:func:`record`, called under it),
re-reading it and merging (:func:`merge_gaps`), so two update processes never lose each
other's entries. A file that cannot be parsed raises :class:`GapFileError`; :func:`set_aside`
moves it out of the way (kept for inspection) so the run can start a new list.

No credential is ever part of an entry: URLs carry none (tokens travel in headers, see
:mod:`dyadwatch.sources.download`), and reasons are the downloader's own words.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dyadwatch.errors import SourceError
from dyadwatch.sources.download import DownloadResult
from dyadwatch.sources.remote import RemoteFile, artifact_key

log = logging.getLogger(__name__)

SUFFIX = "-gaps.json"
VERSION = 1
DEFAULT_MAX_ATTEMPTS = 5
"""Runs that may try a unit before it is given up (the run that first failed counts)."""
DEFAULT_MAX_AGE = timedelta(days=14)
"""How long after its first failure a unit is still retried."""

Key = Callable[[RemoteFile], str]
"""A unit → the artifact key it is ingested under."""


def file_key(file: RemoteFile) -> str:
    """The default :data:`Key`: the file's name without ``.zip`` (GDELT's artifact keys)."""
    return artifact_key(file.name)


def gaps_file(source: str) -> str:
    """The name of ``source``'s list under the store root.

    >>> gaps_file("gdelt"), gaps_file("acled")
    ('gdelt-gaps.json', 'acled-gaps.json')
    """
    return f"{source}{SUFFIX}"


def _source_of(path: Path) -> str:
    return path.name.removesuffix(SUFFIX) if path.name.endswith(SUFFIX) else path.stem


def _format(source: str) -> str:
    return f"dyadwatch-{source}-gaps"


class GapFileError(SourceError):
    """The file of earlier gaps cannot be read."""


@dataclass(frozen=True, slots=True)
class PendingGap:
    """A listed unit whose download failed, waiting for a later run to retry it.

    Examples
    --------
    >>> gap = PendingGap(remote, "HTTP 500 (after 6 attempts)", 1, now, now)  # doctest: +SKIP
    >>> gap.expired(now, max_attempts=5, max_age=DEFAULT_MAX_AGE) is None  # doctest: +SKIP
    True
    """

    file: RemoteFile
    reason: str
    attempts: int
    first_failed: datetime
    last_failed: datetime

    def expired(self, now: datetime, max_attempts: int, max_age: timedelta) -> str | None:
        """Why this gap is no longer retried, or None while it still is.

        Examples
        --------
        >>> gap.expired(now, max_attempts=5, max_age=timedelta(days=14))  # doctest: +SKIP
        """
        if self.attempts >= max_attempts:
            return f"failed in {self.attempts} run(s)"
        if now - self.first_failed >= max_age:
            return f"first failed {self.first_failed:%Y-%m-%d %H:%M} UTC, over {_days(max_age)} ago"
        return None


def _days(age: timedelta) -> str:
    days = age / timedelta(days=1)
    return f"{days:g} day(s)"


@dataclass(slots=True)
class GapUpdate:
    """What :func:`merge_gaps` did: the new list and what left or joined it."""

    gaps: list[PendingGap] = field(default_factory=list)
    filled: list[PendingGap] = field(default_factory=list)
    given_up: list[tuple[PendingGap, str]] = field(default_factory=list)
    added: list[PendingGap] = field(default_factory=list)
    failed_again: list[PendingGap] = field(default_factory=list)


# --- reading and writing ---------------------------------------------------------------------


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _to_json(gap: PendingGap) -> dict[str, Any]:
    f = gap.file
    item: dict[str, Any] = {
        "name": f.name,
        "url": f.url,
        "stream": f.stream,
        "start": _stamp(f.start),
        "end": _stamp(f.end),
        "size": f.size,
        "md5": f.md5,
        "reason": gap.reason,
        "attempts": gap.attempts,
        "first_failed": _stamp(gap.first_failed),
        "last_failed": _stamp(gap.last_failed),
    }
    if f.cache_name is not None:
        item["cache_name"] = f.cache_name
    return item


def _when(item: Mapping[str, Any], name: str) -> datetime:
    value = datetime.fromisoformat(str(item[name]))
    if value.tzinfo is None:
        raise ValueError(f"{name} {item[name]!r} has no time zone")
    return value.astimezone(UTC)


def _from_json(item: Any) -> PendingGap:
    if not isinstance(item, dict):
        raise ValueError(f"an entry is {type(item).__name__}, not an object")
    size, md5, attempts = item.get("size"), item.get("md5"), item["attempts"]
    cache_name = item.get("cache_name")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
        raise ValueError(f"size {size!r} is not a whole number")
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise ValueError(f"attempts {attempts!r} is not a positive whole number")
    for name in ("name", "url", "stream", "reason"):
        if not isinstance(item[name], str) or not item[name]:
            raise ValueError(f"{name} {item[name]!r} is not a non-empty string")
    if cache_name is not None and (
        not isinstance(cache_name, str)
        or Path(cache_name).is_absolute()
        or ".." in Path(cache_name).parts
    ):
        # The cache path is joined to the cache directory: it must stay inside it.
        raise ValueError(f"cache_name {cache_name!r} is not a relative path inside the cache")
    file = RemoteFile(
        name=item["name"],
        url=item["url"],
        stream=item["stream"],
        start=_when(item, "start"),
        end=_when(item, "end"),
        size=size,
        md5=str(md5) if md5 is not None else None,
        cache_name=cache_name,
    )
    return PendingGap(
        file=file,
        reason=item["reason"],
        attempts=attempts,
        first_failed=_when(item, "first_failed"),
        last_failed=_when(item, "last_failed"),
    )


def load_gaps(path: Path) -> list[PendingGap]:
    """The gaps recorded at ``path`` (none if the file does not exist).

    The source is read from the file's name (``icews-gaps.json``: ICEWS), and the file must
    say it is that source's list.

    Raises
    ------
    GapFileError
        The file exists but is not a gaps file this version understands.

    Examples
    --------
    >>> [g.file.name for g in load_gaps(store_root / gaps_file("gdelt"))]  # doctest: +SKIP
    ['20180101001500.export.CSV.zip']
    """
    source = _source_of(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise GapFileError(f"cannot read {path}: {exc}") from None
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != _format(source):
            raise ValueError(f"not a {_format(source)!r} document")
        if doc.get("version") != VERSION:
            raise ValueError(f"version {doc.get('version')!r}, this dyadwatch reads {VERSION}")
        items = doc["gaps"]
        if not isinstance(items, list):
            raise ValueError("'gaps' is not a list")
        return [_from_json(item) for item in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise GapFileError(f"{path} is not a valid {source.upper()} gaps file ({exc})") from None


def save_gaps(path: Path, gaps: Sequence[PendingGap]) -> None:
    """Write ``gaps`` to ``path`` atomically (readers see the old file or the new one).

    Examples
    --------
    >>> save_gaps(store_root / gaps_file("icews"), [])  # doctest: +SKIP
    """
    doc = {
        "format": _format(_source_of(path)),
        "version": VERSION,
        "gaps": [_to_json(g) for g in sorted(gaps, key=lambda g: (g.file.start, g.file.name))],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_aside(path: Path, now: datetime) -> Path:
    """Move an unreadable gaps file out of the way (kept for inspection); return where to.

    Examples
    --------
    >>> set_aside(store_root / gaps_file("gdelt"), now).name  # doctest: +SKIP
    'gdelt-gaps.json.corrupt-20240101T120000Z'
    """
    target = path.with_name(f"{path.name}.corrupt-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    os.replace(path, target)
    return target


# --- deciding --------------------------------------------------------------------------------


def due_gaps(
    gaps: Iterable[PendingGap],
    *,
    done: Iterable[str],
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    max_age: timedelta = DEFAULT_MAX_AGE,
    key: Key = file_key,
) -> list[RemoteFile]:
    """The units of ``gaps`` to retry now: not ingested (``done`` keys), not given up.

    In interval order (the source may narrow and reorder them:
    ``Fetcher.retry_files``).

    Examples
    --------
    >>> due_gaps(load_gaps(path), done=set(), now=now)  # doctest: +SKIP
    """
    ingested = set(done)
    files = [
        g.file
        for g in gaps
        if key(g.file) not in ingested and g.expired(now, max_attempts, max_age) is None
    ]
    return sorted(files, key=lambda f: (f.start, f.name))


def merge_gaps(
    current: Iterable[PendingGap],
    *,
    failed: Mapping[str, tuple[RemoteFile, str]],
    ingested: Iterable[str],
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    max_age: timedelta = DEFAULT_MAX_AGE,
    key: Key = file_key,
) -> GapUpdate:
    """Fold one run's outcome into the list of gaps read (under the writer lock) just now.

    Parameters
    ----------
    current
        The list as it is on disk now (another process may have changed it since this run
        read it, so the run's own earlier copy is not used).
    failed
        Artifact key → (unit, reason) for every unit this run tried and could not ingest.
    ingested
        Artifact keys the store holds now: their gaps are filled.
    now
        When the run ended (the time of a failure, and the clock for ``max_age``).
    key
        The artifact key of a unit (see the module docstring).

    Examples
    --------
    >>> failed = {key: (remote, "HTTP 500")}  # doctest: +SKIP
    >>> update = merge_gaps([], failed=failed, ingested=set(), now=now)  # doctest: +SKIP
    >>> [g.attempts for g in update.gaps]  # doctest: +SKIP
    [1]
    """
    done = set(ingested)
    out = GapUpdate()
    seen: set[str] = set()

    def keep(gap: PendingGap) -> None:
        why = gap.expired(now, max_attempts, max_age)
        if why is not None:
            out.given_up.append((gap, why))
        else:
            out.gaps.append(gap)

    for gap in current:
        k = key(gap.file)
        if k in seen:
            continue
        seen.add(k)
        if k in done:
            out.filled.append(gap)
            continue
        if k in failed:
            file, reason = failed[k]
            gap = replace(gap, file=file, reason=reason, attempts=gap.attempts + 1, last_failed=now)
            out.failed_again.append(gap)
        keep(gap)
    for k, (file, reason) in failed.items():
        if k in seen or k in done:
            continue
        gap = PendingGap(file, reason, 1, now, now)
        out.added.append(gap)
        keep(gap)
    return out


def failures(
    outcomes: Iterable[DownloadResult],
    retried: Iterable[RemoteFile],
    ingest_status: Mapping[str, tuple[str, str | None]],
    key: Key = file_key,
) -> dict[str, tuple[RemoteFile, str]]:
    """What one run failed to bring in, by artifact key: the list's ``failed`` input.

    A unit that did not download is a failure with the downloader's reason. A retried unit
    that downloaded but whose ingest failed is one too (``ingest failed: …``), so it keeps
    its place in the list; a unit of this run's own period whose ingest failed is the
    ingest's business (quarantine, exit 1), not a download gap.

    ``ingest_status`` maps artifact keys to (status, message) of the ingest summary.

    Examples
    --------
    >>> ok = DownloadResult(remote, Path("x"))  # doctest: +SKIP
    >>> failures([ok], [remote], {key(remote): ("failed", "bad header")})  # doctest: +SKIP
    {'x': (remote, 'ingest failed: bad header')}
    """
    retried_keys = {key(f) for f in retried}
    out: dict[str, tuple[RemoteFile, str]] = {}
    for d in outcomes:
        k = key(d.file)
        if not d.ok:
            out[k] = (d.file, d.error or "download failed")
            continue
        status, message = ingest_status.get(k, ("", None))
        if k in retried_keys and status and status not in ("done", "skipped"):
            out[k] = (d.file, f"ingest failed: {message or status}")
    return out


def record(
    path: Path,
    *,
    failed: Mapping[str, tuple[RemoteFile, str]],
    ingested: Iterable[str],
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    max_age: timedelta = DEFAULT_MAX_AGE,
    key: Key = file_key,
) -> tuple[GapUpdate, list[str]]:
    """Merge one run's outcome into the list at ``path``; return the update and warnings.

    Call it holding the store's writer lock (the list is re-read here, so entries another
    run wrote since this one started are kept). An unreadable list is moved aside
    (:func:`set_aside`) and a new one started, with a warning. The file is written only
    when it has something to hold or already exists.

    Examples
    --------
    >>> with store.writer() as writer:  # doctest: +SKIP
    ...     update, warnings = record(path, failed=failed, ingested=keys, now=now)
    """
    warnings: list[str] = []
    try:
        current = load_gaps(path)
    except GapFileError as exc:
        log.info("%s", exc)
        moved = set_aside(path, now)
        current = []
        warnings.append(f"moved the unreadable {path.name} to {moved.name}; started a new list.")
    update = merge_gaps(
        current,
        failed=failed,
        ingested=ingested,
        now=now,
        max_attempts=max_attempts,
        max_age=max_age,
        key=key,
    )
    if update.gaps or path.exists():
        save_gaps(path, update.gaps)
    return update, warnings


__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_ATTEMPTS",
    "GapFileError",
    "GapUpdate",
    "Key",
    "PendingGap",
    "due_gaps",
    "failures",
    "file_key",
    "gaps_file",
    "load_gaps",
    "merge_gaps",
    "record",
    "save_gaps",
    "set_aside",
]
