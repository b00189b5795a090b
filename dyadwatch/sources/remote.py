"""What every downloading source shares: a remote file, a gap in what arrived, the report.

A :class:`RemoteFile` says where a file is, how to verify it (size and MD5 when the server
gives them) and which interval of time it covers; the downloader
(:mod:`dyadwatch.sources.download`) fetches it, and every expected interval that did not
arrive becomes a :class:`Gap` of the run's :class:`GapReport`. GDELT, the Dataverse sources
(ICEWS, POLECAT) and ACLED all speak these types, so one downloader and one gap list serve
them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit


def artifact_key(name: str) -> str:
    """The artifact key of a downloaded file: its name without directories and ``.zip``.

    >>> artifact_key("/cache/gdeltv2/20151027220000.export.CSV.zip")
    '20151027220000.export.CSV'
    """
    name = Path(name).name
    return name[:-4] if name.lower().endswith(".zip") else name


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """One file on the GDELT server: where it is, how to verify it, what interval it covers."""

    name: str
    url: str
    stream: str
    start: datetime
    end: datetime
    size: int | None = None
    md5: str | None = None
    cache_name: str | None = None
    """Path under the download cache when the URL's path does not name the file (an API
    endpoint such as ``/api/access/datafile/123``); None: the URL's path."""

    @property
    def cache_path(self) -> str:
        """Path under the download cache (``cache_name``, else the URL's path)."""
        return self.cache_name or urlsplit(self.url).path.lstrip("/") or self.name


@dataclass(frozen=True, slots=True)
class Gap:
    """An expected interval that is not available, and why."""

    stream: str
    start: datetime
    end: datetime
    reason: str
    name: str | None = None


@dataclass(slots=True)
class GapReport:
    """Every expected interval of a run that is missing from the file list or failed."""

    expected: int = 0
    available: int = 0
    gaps: list[Gap] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.gaps

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "stream": g.stream,
                "start": g.start.strftime("%Y-%m-%d %H:%M"),
                "end": g.end.strftime("%Y-%m-%d %H:%M"),
                "file": g.name,
                "reason": g.reason,
            }
            for g in self.gaps
        ]

    def text(self) -> str:
        """One paragraph and one line per gap, for people."""
        head = (
            f"{self.expected} interval(s) expected, {self.available} available, "
            f"{len(self.gaps)} gap(s)."
        )
        lines = [head]
        for g in self.gaps:
            lines.append(
                f"  {g.stream:<20} {g.start:%Y-%m-%d %H:%M} – {g.end:%Y-%m-%d %H:%M}  "
                f"{g.name or '-'}  {g.reason}"
            )
        return "\n".join(lines)


__all__ = ["Gap", "GapReport", "RemoteFile", "artifact_key"]
