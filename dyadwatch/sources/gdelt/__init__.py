"""GDELT: discovery, verified downloads, streaming reads of every GDELT event file format.

``discovery`` (file lists, expected intervals, gap reports) → the shared downloader
(:mod:`dyadwatch.sources.download`: bounded, retried, resumed, verified, cached) → ``reader``
(one file → canonical Arrow chunks, dyad filter, volume counts; with ``fileio``, ``parse``
and ``canonical``) → ``source`` (:class:`GdeltSource`, registered as ``gdelt``). ``gaps``
keeps the files a run failed to download, for the next run to retry.
"""

from __future__ import annotations

from dyadwatch.sources.gdelt.source import FetchResult, GdeltSource, artifact_key

__all__ = ["FetchResult", "GdeltSource", "artifact_key"]
