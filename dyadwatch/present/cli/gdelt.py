"""``dyadwatch update gdelt``: fetch what GDELT published since the last ingest, then ingest it.

:func:`update_gdelt` is the library call; the command renders its result. The run ends with
the gap report — every expected interval that is missing from GDELT's file list or failed to
download — and exits 1 if there is a gap or a file failed, so a scheduler notices.
(``dyadwatch ingest gdelt PATH…`` needs nothing here: the generic ingest command reads local
files, zipped or not, through the registered source.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import click

from dyadwatch import pipeline
from dyadwatch.errors import UsageError
from dyadwatch.present.cli.options import DATE, Output, output_options, store_options
from dyadwatch.present.cli.store_cmds import warm_index_cache
from dyadwatch.settings import Settings
from dyadwatch.sources.gdelt import FetchResult, GdeltSource
from dyadwatch.sources.gdelt.discovery import classify
from dyadwatch.sources.gdelt.source import ALL_STREAMS, DEFAULT_STREAMS
from dyadwatch.store import Store


@dataclass(slots=True)
class UpdateResult:
    """What ``update gdelt`` did: the fetch (with its gap report) and the ingest."""

    fetch: FetchResult
    ingest: pipeline.IngestSummary
    after: datetime | None

    @property
    def ok(self) -> bool:
        return self.ingest.ok and self.fetch.gaps.complete


def last_ingested(store: Store, streams: Sequence[str]) -> datetime | None:
    """Start of the latest GDELT interval of ``streams`` the store has ingested."""
    rows = store.catalog_query(
        "SELECT DISTINCT artifact FROM ingest_log WHERE source = 'gdelt' AND status = 'done'"
    ).column("artifact")
    starts = []
    for key in rows.to_pylist():
        kind = classify(key)
        if kind is not None and kind[0] in streams:
            starts.append(kind[1])
    return max(starts) if starts else None


def update_gdelt(
    settings: Settings,
    since: date | None = None,
    until: date | None = None,
    *,
    streams: Sequence[str] = DEFAULT_STREAMS,
    strictness: str | None = None,
    progress: bool = False,
    **source_options: Any,
) -> UpdateResult:
    """Download and ingest the GDELT files published since the last ingest (or ``since``).

    ``source_options`` go to :meth:`GdeltSource.from_settings` (``backoff=0.1``, …).

    Examples
    --------
    >>> result = update_gdelt(load(), since=date(2021, 1, 1))  # doctest: +SKIP
    >>> print(result.fetch.gaps.text())  # doctest: +SKIP
    """
    store = Store.open(settings.store, create=True)
    done = set(
        store.catalog_query(
            "SELECT DISTINCT artifact FROM ingest_log WHERE source = 'gdelt' AND status = 'done'"
        )
        .column("artifact")
        .to_pylist()
    )
    after = None
    if since is None:
        after = last_ingested(store, streams)
        if after is None:
            raise UsageError(
                "nothing from GDELT is in the store yet, so there is no 'last ingested "
                "interval' to continue from; give --since YYYY-MM-DD."
            )
    con = store.connect()
    try:
        keys = [
            r[0]
            for r in con.sql("SELECT source_key FROM events WHERE source = 'gdelt2'").fetchall()
        ]
    finally:
        con.close()
    source = GdeltSource.from_settings(
        settings,
        streams=tuple(streams),
        mention_event_keys=keys,
        progress=progress,
        **source_options,
    )
    fetched = source.fetch(since, until, after=after, skip_keys=done)
    bar = None
    if progress and fetched.artifacts:
        from tqdm import tqdm

        bar = tqdm(total=len(fetched.artifacts), unit="file", desc="gdelt ingest", leave=False)
    try:
        summary = pipeline.ingest(
            source,
            fetched.artifacts,
            store,
            strictness=strictness or settings.strictness,
            progress=(lambda _a, _s: bar.update(1)) if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()
    return UpdateResult(fetch=fetched, ingest=summary, after=after)


@click.group()
def update() -> None:
    """Fetch what a live source published since the last run, and ingest it.

    \b
    Example:
      dyadwatch update gdelt
    """


@update.command("gdelt")
@click.option(
    "--since", type=DATE, default=None, help="First day [default: after the last ingest]."
)
@click.option("--until", type=DATE, default=None, help="Last day (inclusive) [default: latest].")
@click.option(
    "--stream",
    "streams",
    type=click.Choice(ALL_STREAMS),
    multiple=True,
    help="GDELT streams (repeatable) [default: events, mentions].",
)
@click.option(
    "--strict",
    "strictness",
    type=click.Choice(["raise", "quarantine", "warn", "ignore"]),
    default=None,
    help="What to do with bad rows [default: quarantine].",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@store_options
@output_options
def gdelt(
    since: date | None,
    until: date | None,
    streams: tuple[str, ...],
    strictness: str | None,
    no_progress: bool,
    settings: Settings,
    output: Output,
) -> None:
    """Download and ingest new GDELT files; report every missing or failed interval.

    Without --since, continues after the last interval already ingested; to fill the gaps an
    earlier run reported, give that run's --since/--until again (files already ingested are
    not fetched twice). Files are verified (size, MD5) and cached; events are kept for the
    configured dyads, with per-day, per-country totals of all events. Exits 1 if an interval
    is missing or failed, or a file failed.

    \b
    Example:
      dyadwatch update gdelt --since 2021-01-01 --until 2021-01-31
    """
    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}.")
    result = update_gdelt(
        settings,
        since,
        until,
        streams=streams or DEFAULT_STREAMS,
        strictness=strictness,
        progress=not no_progress,
    )
    gaps = result.fetch.gaps
    if output.format == "table":
        click.echo(gaps.text())
    else:
        output.emit(gaps.rows())
    click.echo(
        f"downloaded {sum(1 for d in result.fetch.downloads if d.ok)} file(s), "
        f"{result.fetch.skipped} already ingested; {result.ingest.describe()}",
        err=True,
    )
    warm_index_cache(Store.open(settings.store), settings, result.ingest)
    if not result.ok:
        click.get_current_context().exit(1)
