"""``dyadwatch update gdelt``: fetch what GDELT published since the last ingest, then ingest it.

An update run is the same for every downloading source (:mod:`.update`: the period, the
list of earlier gaps in ``<store>/gdelt-gaps.json``, the retries, the gap report, exit 1 on a
gap); GDELT adds only its streams (``--stream``) and the mentions it keeps: those of the events
the store already holds, so a mention file downloaded after its events keeps what it should.
(``dyadwatch ingest gdelt PATH…`` needs nothing here: the generic ingest command reads local
files, zipped or not, through the registered source.)

This module also gives ``dyadwatch update`` its GDELT command; :data:`update` is the group
every update command hangs on (``dyadwatch.present.cli.main`` loads it from here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import click

from dyadwatch.present.cli.options import Output, note
from dyadwatch.present.cli.progress import wanted
from dyadwatch.present.cli.update import (
    GAPS_HELP,
    LOCK_WAIT,
    StageBars,
    UpdateResult,
    finish,
    run_update,
    update,
    update_options,
)
from dyadwatch.settings import Settings
from dyadwatch.sources.download import Progress
from dyadwatch.sources.gaps import DEFAULT_MAX_AGE, DEFAULT_MAX_ATTEMPTS
from dyadwatch.sources.gdelt import GdeltSource
from dyadwatch.sources.gdelt.source import ALL_STREAMS, DEFAULT_STREAMS
from dyadwatch.store import Store


def mention_keys(store: Store) -> list[str]:
    """GLOBALEVENTIDs of the GDELT 2.0 events the store holds (their mentions are kept)."""
    con = store.connect()
    try:
        return [
            r[0]
            for r in con.sql("SELECT source_key FROM events WHERE source = 'gdelt2'").fetchall()
        ]
    finally:
        con.close()


def update_gdelt(
    settings: Settings,
    since: date | None = None,
    until: date | None = None,
    *,
    streams: Sequence[str] = DEFAULT_STREAMS,
    strictness: str | None = None,
    retry_gaps: bool = True,
    gap_attempts: int = DEFAULT_MAX_ATTEMPTS,
    gap_max_age: timedelta = DEFAULT_MAX_AGE,
    lock_wait: float = LOCK_WAIT,
    now: datetime | None = None,
    report: Callable[[str], None] | None = None,
    download_progress: Progress | None = None,
    ingest_progress: Progress | None = None,
    **source_options: Any,
) -> UpdateResult:
    """Download and ingest the GDELT files published since the last ingest (or ``since``).

    :func:`~dyadwatch.present.cli.update.run_update` with a :class:`GdeltSource` of
    ``streams`` that keeps the mentions of the events already stored; ``source_options`` go
    to :meth:`GdeltSource.from_settings` (``backoff=0.1``, …); ``download_progress`` receives
    (files downloaded, files to download).

    Examples
    --------
    >>> result = update_gdelt(load(), since=date(2021, 1, 1))  # doctest: +SKIP
    >>> print(result.fetch.gaps.text())  # doctest: +SKIP
    """
    store = Store.open(settings.store, create=True)
    source = GdeltSource.from_settings(
        settings,
        streams=tuple(streams),
        mention_event_keys=mention_keys(store),
        progress=download_progress,
        **source_options,
    )
    return run_update(
        source,
        store,
        since,
        until,
        strictness=strictness or settings.strictness,
        retry_gaps=retry_gaps,
        gap_attempts=gap_attempts,
        gap_max_age=gap_max_age,
        lock_wait=lock_wait,
        now=now,
        report=report,
        ingest_progress=ingest_progress,
    )


@update.command(
    "gdelt",
    help=f"""Download and ingest new GDELT files; report every missing or failed interval.

Without --since, continues after the last interval already ingested. Files are verified
(size, MD5) and cached; events are kept for the configured dyads, with per-day,
per-country totals of all events. Exits 1 if an interval is missing or failed (an earlier
gap retried in vain included), or a file failed.

{GAPS_HELP.format(name="gdelt")} Intervals missing from GDELT's file list are not
recorded: only a rerun of their period (--since/--until) reads the list again.

\b
Example:
  dyadwatch update gdelt --since 2021-01-01 --until 2021-01-31
  dyadwatch update gdelt        # what is new, after retrying earlier failed downloads
""",
    short_help="Download and ingest new GDELT files; report every gap.",
)
@click.option(
    "--stream",
    "streams",
    type=click.Choice(ALL_STREAMS),
    multiple=True,
    help="GDELT streams (repeatable) [default: events, mentions].",
)
@update_options
def gdelt(
    since: date | None,
    until: date | None,
    streams: tuple[str, ...],
    strictness: str | None,
    retry_gaps: bool,
    gap_attempts: int,
    gap_max_age: int,
    no_progress: bool,
    settings: Settings,
    output: Output,
) -> None:
    with StageBars("gdelt", wanted() and not no_progress) as bars:
        result = update_gdelt(
            settings,
            since,
            until,
            streams=streams or DEFAULT_STREAMS,
            strictness=strictness,
            retry_gaps=retry_gaps,
            gap_attempts=gap_attempts,
            gap_max_age=timedelta(days=gap_max_age),
            report=note,
            download_progress=bars.stage("download"),
            ingest_progress=bars.stage("ingest"),
        )
    finish(result, settings, output, retry_gaps)


__all__ = ["gdelt", "mention_keys", "update", "update_gdelt"]
