"""What ``dyadwatch update SOURCE`` needs of a source that downloads: the :class:`Fetcher`.

GDELT, ICEWS, POLECAT and ACLED fetch in different units (a 15-minute file, a Dataverse
file, a month of one country's events) from different servers, but an update run treats
them alike: it continues after the last unit ingested (:meth:`Fetcher.resume_after`),
retries the units earlier runs failed to fetch (:meth:`Fetcher.retry_files`, matched with
the store by :meth:`Fetcher.gap_key`), fetches the period (:meth:`Fetcher.fetch`, which
returns the gap report) and says where it reads from (:meth:`Fetcher.where`, never with a
credential). The list of earlier gaps itself is :mod:`dyadwatch.sources.gaps`.

Examples
--------
>>> from dyadwatch.sources import source_class
>>> fetches(source_class("icews")), fetches(source_class("phoenix"))
(True, False)
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from dyadwatch.settings import Settings
from dyadwatch.sources.base import Source
from dyadwatch.sources.download import FetchResult
from dyadwatch.sources.remote import RemoteFile


class Fetcher(Source):
    """A source that downloads (see the module docstring)."""

    label: ClassVar[str]
    """The source's name for people (``GDELT``, ``ICEWS``)."""
    credential_settings: ClassVar[tuple[str, ...]] = ()
    """The settings holding the account it downloads with (:mod:`dyadwatch.settings`)."""

    @abstractmethod
    def fetch(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        after: datetime | None = None,
        skip: Iterable[str] = (),
        retry: Sequence[RemoteFile] = (),
    ) -> FetchResult:
        """Fetch ``since``..``until`` (or what is new ``after`` an instant), skipping the
        artifact keys ``skip`` and retrying ``retry`` first; report every gap."""

    @abstractmethod
    def gap_key(self, file: RemoteFile) -> str:
        """The artifact key a fetched unit is ingested under."""

    @abstractmethod
    def retry_files(self, files: Sequence[RemoteFile]) -> list[RemoteFile]:
        """Of the recorded gaps due now, those this run retries, on this run's server (never
        the recorded URL as it is: credentials go only to the configured server), in the
        order to fetch them."""

    @abstractmethod
    def resume_after(self, keys: Iterable[str]) -> datetime | None:
        """The start of the latest interval among the ingested artifact ``keys`` (None:
        none of them is this source's download)."""

    @abstractmethod
    def where(self) -> str:
        """What is read, for a progress line: ``GDELT's file list at http://…`` (never with a
        credential)."""


def download_settings(settings: Settings) -> dict[str, Any]:
    """The constructor arguments every downloading source reads from ``settings``: the
    watched dyads, the download cache, retries and timeout (each source adds its own).

    >>> sorted(download_settings(Settings()))
    ['cache_dir', 'dyads', 'retries', 'timeout']
    """
    return {
        "dyads": settings.dyads,
        "cache_dir": settings.cache_dir,
        "retries": settings.download_retries,
        "timeout": settings.download_timeout,
    }


def fetches(cls: type[Source]) -> bool:
    """Whether the source class ``cls`` downloads (``dyadwatch update`` can fetch it).

    >>> from dyadwatch.sources import source_class
    >>> fetches(source_class("gdelt")), fetches(source_class("file"))
    (True, False)
    """
    return issubclass(cls, Fetcher)


__all__ = [
    "Fetcher",
    "download_settings",
    "fetches",
]
