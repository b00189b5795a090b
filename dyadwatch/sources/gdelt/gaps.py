"""Gaps an earlier ``update gdelt`` run left behind, kept so that a later run retries them.

A GDELT file that is in the file list but failed to download after its retries (a timeout,
an HTTP 5xx, a truncated body, an MD5 mismatch, a 404 for a listed file) is recorded in
``<store>/gdelt-gaps.json`` together with the URL, size and MD5 the file list gave, so a later
run can retry it without reading the master file list again. An interval missing from GDELT's
file list is *not* recorded: there is no URL or checksum to retry, and only a run that reads
the list for that period again (``--since``/``--until``) can find it once GDELT lists it.

Each entry counts the runs that tried the file and failed (``attempts``) and remembers when it
first failed. A file is given up — dropped from the file, and named once in a warning so that
someone can rerun its period by hand — after :data:`DEFAULT_MAX_ATTEMPTS` failed runs or
:data:`DEFAULT_MAX_AGE` after its first failure, whichever comes first. An entry whose file
has been ingested (by any run) is removed.

The file is small JSON, replaced atomically (write a temporary file, ``fsync``,
``os.replace``), so a reader sees the old list or the new one, never half of one. Callers
change it only while holding the store's writer lock, re-reading it under the lock and
merging (:func:`merge_gaps`), so two update processes never lose each other's entries. A file
that cannot be parsed raises :class:`GapFileError`; :func:`set_aside` moves it out of the way
(kept for inspection) so the run can start a new list.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dyadwatch.errors import SourceError
from dyadwatch.sources.gdelt.discovery import in_period, rebase
from dyadwatch.sources.remote import RemoteFile, artifact_key

log = logging.getLogger(__name__)

GAPS_FILE = "gdelt-gaps.json"
"""The file's name under the store root."""
FORMAT = "dyadwatch-gdelt-gaps"
VERSION = 1
DEFAULT_MAX_ATTEMPTS = 5
"""Runs that may try a file before it is given up (the run that first failed counts)."""
DEFAULT_MAX_AGE = timedelta(days=14)
"""How long after its first failure a file is still retried."""


class GapFileError(SourceError):
    """The file of earlier gaps cannot be read."""


@dataclass(frozen=True, slots=True)
class PendingGap:
    """A listed GDELT file whose download failed, waiting for a later run to retry it.

    Examples
    --------
    >>> gap = PendingGap(remote, "HTTP 500 (after 6 attempts)", 1, now, now)  # doctest: +SKIP
    >>> gap.key  # doctest: +SKIP
    '20180101001500.export.CSV'
    """

    file: RemoteFile
    reason: str
    attempts: int
    first_failed: datetime
    last_failed: datetime

    @property
    def key(self) -> str:
        """The artifact key the file is ingested under."""
        return artifact_key(self.file.name)

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
    return {
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


def _when(item: Mapping[str, Any], name: str) -> datetime:
    value = datetime.fromisoformat(str(item[name]))
    if value.tzinfo is None:
        raise ValueError(f"{name} {item[name]!r} has no time zone")
    return value.astimezone(UTC)


def _from_json(item: Any) -> PendingGap:
    if not isinstance(item, dict):
        raise ValueError(f"an entry is {type(item).__name__}, not an object")
    size, md5, attempts = item.get("size"), item.get("md5"), item["attempts"]
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
        raise ValueError(f"size {size!r} is not a whole number")
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise ValueError(f"attempts {attempts!r} is not a positive whole number")
    for name in ("name", "url", "stream", "reason"):
        if not isinstance(item[name], str) or not item[name]:
            raise ValueError(f"{name} {item[name]!r} is not a non-empty string")
    file = RemoteFile(
        name=item["name"],
        url=item["url"],
        stream=item["stream"],
        start=_when(item, "start"),
        end=_when(item, "end"),
        size=size,
        md5=str(md5) if md5 is not None else None,
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

    Raises
    ------
    GapFileError
        The file exists but is not a gaps file this version understands.

    Examples
    --------
    >>> [g.file.name for g in load_gaps(store_root / GAPS_FILE)]  # doctest: +SKIP
    ['20180101001500.export.CSV.zip']
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise GapFileError(f"cannot read {path}: {exc}") from None
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT!r} document")
        if doc.get("version") != VERSION:
            raise ValueError(f"version {doc.get('version')!r}, this dyadwatch reads {VERSION}")
        items = doc["gaps"]
        if not isinstance(items, list):
            raise ValueError("'gaps' is not a list")
        return [_from_json(item) for item in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise GapFileError(f"{path} is not a valid GDELT gaps file ({exc})") from None


def save_gaps(path: Path, gaps: Sequence[PendingGap]) -> None:
    """Write ``gaps`` to ``path`` atomically (readers see the old file or the new one).

    Examples
    --------
    >>> save_gaps(store_root / GAPS_FILE, [])  # doctest: +SKIP
    """
    doc = {
        "format": FORMAT,
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
    >>> set_aside(store_root / GAPS_FILE, now).name  # doctest: +SKIP
    'gdelt-gaps.json.corrupt-20240101T120000Z'
    """
    target = path.with_name(f"{path.name}.corrupt-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    os.replace(path, target)
    return target


# --- deciding --------------------------------------------------------------------------------


def due_gaps(
    gaps: Iterable[PendingGap],
    *,
    streams: Sequence[str],
    done: Iterable[str],
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    max_age: timedelta = DEFAULT_MAX_AGE,
    base_url: str | None = None,
) -> list[RemoteFile]:
    """The files of ``gaps`` to retry now: of ``streams``, not ingested, not given up.

    Sorted by interval, events before mentions. With ``base_url`` the URLs are rebased on it
    (a run may use another mirror than the run that failed).

    Examples
    --------
    >>> due_gaps(load_gaps(path), streams=["events"], done=set(), now=now)  # doctest: +SKIP
    """
    ingested = set(done)
    files = [
        g.file
        for g in gaps
        if g.file.stream in streams
        and g.key not in ingested
        and g.expired(now, max_attempts, max_age) is None
    ]
    if base_url is not None:
        files = [replace(f, url=rebase(f.url, base_url)) for f in files]
    return in_period(files, None, None)


def merge_gaps(
    current: Iterable[PendingGap],
    *,
    failed: Mapping[str, tuple[RemoteFile, str]],
    ingested: Iterable[str],
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> GapUpdate:
    """Fold one run's outcome into the list of gaps read (under the writer lock) just now.

    Parameters
    ----------
    current
        The list as it is on disk now (another process may have changed it since this run
        read it, so the run's own earlier copy is not used).
    failed
        Artifact key → (file, reason) for every file this run tried and could not ingest.
    ingested
        Artifact keys the store holds now: their gaps are filled.
    now
        When the run ended (the time of a failure, and the clock for ``max_age``).

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
        if gap.key in seen:
            continue
        seen.add(gap.key)
        if gap.key in done:
            out.filled.append(gap)
            continue
        if gap.key in failed:
            file, reason = failed[gap.key]
            gap = replace(gap, file=file, reason=reason, attempts=gap.attempts + 1, last_failed=now)
            out.failed_again.append(gap)
        keep(gap)
    for key, (file, reason) in failed.items():
        if key in seen or key in done:
            continue
        gap = PendingGap(file, reason, 1, now, now)
        out.added.append(gap)
        keep(gap)
    return out
