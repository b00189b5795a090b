"""GDELT's list of earlier gaps: ``<store>/gdelt-gaps.json``, kept by :mod:`dyadwatch.sources.gaps`.

Every downloading source keeps its failed downloads the same way (see
:mod:`dyadwatch.sources.gaps` for the file, the merge and the bounds); GDELT adds only which
gaps a run retries: those of the run's streams, with their URLs rebased on the configured
mirror, events before the mentions of the same interval (a run keeps the mentions of the
events it has just kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from dyadwatch.sources import gaps as _gaps
from dyadwatch.sources.gaps import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_ATTEMPTS,
    GapFileError,
    GapUpdate,
    PendingGap,
    load_gaps,
    merge_gaps,
    save_gaps,
    set_aside,
)
from dyadwatch.sources.gdelt.discovery import in_period, rebase
from dyadwatch.sources.remote import RemoteFile

GAPS_FILE = _gaps.gaps_file("gdelt")
"""The file's name under the store root."""


def retry_order(
    files: Iterable[RemoteFile], streams: Sequence[str], base_url: str | None = None
) -> list[RemoteFile]:
    """The files of ``streams``, rebased on ``base_url``, in GDELT's ingest order.

    Examples
    --------
    >>> retry_order(files, ["events"], "http://127.0.0.1:8000")  # doctest: +SKIP
    """
    out = [f for f in files if f.stream in streams]
    if base_url is not None:
        out = [replace(f, url=rebase(f.url, base_url)) for f in out]
    return in_period(out, None, None)


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
    """The GDELT files of ``gaps`` to retry now: of ``streams``, not ingested, not given up.

    Sorted by interval, events before mentions. With ``base_url`` the URLs are rebased on it
    (a run may use another mirror than the run that failed).

    Examples
    --------
    >>> due_gaps(load_gaps(path), streams=["events"], done=set(), now=now)  # doctest: +SKIP
    """
    due = _gaps.due_gaps(gaps, done=done, now=now, max_attempts=max_attempts, max_age=max_age)
    return retry_order(due, streams, base_url)


__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_ATTEMPTS",
    "GAPS_FILE",
    "GapFileError",
    "GapUpdate",
    "PendingGap",
    "due_gaps",
    "load_gaps",
    "merge_gaps",
    "retry_order",
    "save_gaps",
    "set_aside",
]
