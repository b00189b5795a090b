"""``dyadwatch update gdelt``: fetch what GDELT published since the last ingest, then ingest it.

:func:`update_gdelt` is the library call; the command renders its result. The run ends with
the gap report — every expected interval that is missing from GDELT's file list or failed to
download — and exits 1 if there is a gap or a file failed, so a scheduler notices.

Files that failed to download are also recorded in the store (``<store>/gdelt-gaps.json``,
see :mod:`dyadwatch.sources.gdelt.gaps`), and the next run retries them first, whatever its
period, until they are ingested or given up (after ``gap_attempts`` failed runs, or
``gap_max_age`` after the first failure). The list is changed only under the store's writer
lock, right after the ingest, by re-reading it and merging this run's outcome, so concurrent
runs never lose each other's entries.
(``dyadwatch ingest gdelt PATH…`` needs nothing here: the generic ingest command reads local
files, zipped or not, through the registered source.)

Long work is never silent: :func:`update_gdelt` reports each stage through ``report`` (the
command prints it on stderr — "reading GDELT's file list at …" comes before a network that
is down can fail) and each ingested file through ``ingest_progress`` (the command's progress
bar). It prints nothing itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click

from dyadwatch import pipeline
from dyadwatch.errors import StoreLockedError, UsageError
from dyadwatch.present.cli.options import DATE, Output, note, output_options, store_options
from dyadwatch.present.cli.progress import Bar, wanted
from dyadwatch.present.cli.store_cmds import warm_index_cache
from dyadwatch.settings import Settings
from dyadwatch.sources.gdelt import FetchResult, GdeltSource
from dyadwatch.sources.gdelt.discovery import RemoteFile, classify
from dyadwatch.sources.gdelt.gaps import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_ATTEMPTS,
    GAPS_FILE,
    GapFileError,
    GapUpdate,
    PendingGap,
    due_gaps,
    load_gaps,
    merge_gaps,
    save_gaps,
    set_aside,
)
from dyadwatch.sources.gdelt.source import ALL_STREAMS, DEFAULT_STREAMS, artifact_key
from dyadwatch.store import Store

log = logging.getLogger(__name__)

LOCK_WAIT = 60.0
"""Seconds to wait for the writer lock when recording the gaps after the ingest (another
writer may have taken it in between)."""


@dataclass(slots=True)
class UpdateResult:
    """What ``update gdelt`` did: the fetch (with its gap report), the ingest, and the gaps.

    ``retried`` names the earlier gaps this run tried again and ``filled`` those of them it
    ingested; ``gaps`` is how the recorded list changed (None if it was not changed: nothing
    to record, or the writer lock could not be had); ``pending`` is how many gaps the list
    holds for the next run (None if unknown). ``warnings`` are for the person running it.
    """

    fetch: FetchResult
    ingest: pipeline.IngestSummary
    after: datetime | None
    retried: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    gaps: GapUpdate | None = None
    pending: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.ingest.ok and self.fetch.gaps.complete

    def describe_gaps(self, retry: bool = True) -> str:
        """One clause about earlier gaps, for the summary line."""
        kept = "" if self.pending is None else f", {self.pending} kept for the next run"
        given_up = (
            f", {len(self.gaps.given_up)} given up" if self.gaps and self.gaps.given_up else ""
        )
        if not retry:
            return f"earlier gaps not retried (--no-retry-gaps){given_up}{kept}"
        return (
            f"retried {len(self.retried)} earlier gap(s), {len(self.filled)} filled{given_up}{kept}"
        )


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
    retry_gaps: bool = True,
    gap_attempts: int = DEFAULT_MAX_ATTEMPTS,
    gap_max_age: timedelta = DEFAULT_MAX_AGE,
    lock_wait: float = LOCK_WAIT,
    now: datetime | None = None,
    report: Callable[[str], None] | None = None,
    ingest_progress: Callable[[int, int], None] | None = None,
    **source_options: Any,
) -> UpdateResult:
    """Download and ingest the GDELT files published since the last ingest (or ``since``).

    First retries the files earlier runs failed to download (unless ``retry_gaps`` is false),
    then records this run's failed downloads for the next run (see the module docstring).
    ``gap_attempts`` and ``gap_max_age`` bound the retries; ``lock_wait`` is how long to wait
    for the writer lock to record them; ``now`` is the clock (default: the current time).
    An unreadable gaps file is a warning, not an error: its gaps are not retried, and the
    file is moved aside (``gdelt-gaps.json.corrupt-<time>``) when this run records its own.
    ``source_options`` go to :meth:`GdeltSource.from_settings` (``backoff=0.1``, …).
    ``report`` receives one line per stage (what is being read, downloaded, ingested);
    ``ingest_progress`` (files ingested, files to ingest) after each file; ``progress``
    turns on the downloader's own bar.

    Examples
    --------
    >>> result = update_gdelt(load(), since=date(2021, 1, 1))  # doctest: +SKIP
    >>> print(result.fetch.gaps.text())  # doctest: +SKIP
    """
    clock = now or datetime.now(UTC)
    say = report or (lambda _line: None)
    store = Store.open(settings.store, create=True)
    gaps_path = store.root / GAPS_FILE
    warnings: list[str] = []
    recorded: list[PendingGap] = []
    try:
        recorded = load_gaps(gaps_path)
    except GapFileError as exc:
        warnings.append(
            f"{exc}; the gaps it lists are not retried (rerun their periods with "
            "--since/--until to fill them)."
        )
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
    retry: list[RemoteFile] = []
    if retry_gaps:
        retry = due_gaps(
            recorded,
            streams=streams,
            done=done,
            now=clock,
            max_attempts=gap_attempts,
            max_age=gap_max_age,
            base_url=source.base_url,
        )
    period = (
        f"after {after:%Y-%m-%d %H:%M} UTC (the last interval ingested)"
        if after is not None
        else f"{since} to {until or 'the latest'}"
    )
    say(
        f"reading GDELT's file list at {source.base_url} for {period}"
        + (f", and retrying {len(retry)} earlier gap(s)" if retry else "")
        + " …"
    )
    fetched = source.fetch(since, until, after=after, skip_keys=done, retry=retry)
    total = len(fetched.artifacts)
    say(
        f"downloaded {sum(1 for d in fetched.downloads if d.ok)} of {len(fetched.downloads)} "
        f"file(s); ingesting {total} …"
    )
    files_done = 0

    def one_more(_artifact: Any, _summary: Any) -> None:
        nonlocal files_done
        files_done += 1
        if ingest_progress is not None:
            ingest_progress(files_done, total)

    summary = pipeline.ingest(
        source,
        fetched.artifacts,
        store,
        strictness=strictness or settings.strictness,
        progress=one_more,
    )
    result = UpdateResult(fetch=fetched, ingest=summary, after=after, warnings=warnings)
    status = {a.artifact: a for a in summary.artifacts}
    ingested = {k for k, a in status.items() if a.status in ("done", "skipped")}
    result.retried = [f.name for f in retry]
    result.filled = [f.name for f in retry if artifact_key(f.name) in ingested]
    retried = {artifact_key(f.name) for f in retry}
    failed: dict[str, tuple[RemoteFile, str]] = {}
    for d in fetched.downloads:
        key = artifact_key(d.file.name)
        if not d.ok:
            failed[key] = (d.file, d.error or "download failed")
        elif key in retried and key in status and key not in ingested:
            failed[key] = (d.file, f"ingest failed: {status[key].message or status[key].status}")
    if failed or gaps_path.exists():
        _record_gaps(
            store,
            result,
            failed,
            now=clock,
            max_attempts=gap_attempts,
            max_age=gap_max_age,
            lock_wait=lock_wait,
        )
    else:
        result.pending = 0
    for line in result.warnings:
        log.info("%s", line)
    return result


def _record_gaps(
    store: Store,
    result: UpdateResult,
    failed: dict[str, tuple[RemoteFile, str]],
    *,
    now: datetime,
    max_attempts: int,
    max_age: timedelta,
    lock_wait: float,
) -> None:
    """Merge this run's outcome into the recorded gaps, under the writer lock."""
    path = store.root / GAPS_FILE
    try:
        with store.writer(wait=lock_wait) as writer:
            try:
                current = load_gaps(path)
            except GapFileError as exc:
                log.info("%s", exc)
                moved = set_aside(path, now)
                current = []
                result.warnings.append(
                    f"moved the unreadable {path.name} to {moved.name}; started a new list."
                )
            ingested = {key for (src, key) in writer.checksums if src == GdeltSource.name}
            update = merge_gaps(
                current,
                failed=failed,
                ingested=ingested,
                now=now,
                max_attempts=max_attempts,
                max_age=max_age,
            )
            if update.gaps or path.exists():
                save_gaps(path, update.gaps)
    except (StoreLockedError, OSError) as exc:
        # The ingest is committed; only the list for the next run could not be changed, so
        # this is a warning (with what to do), not an error that would hide the gap report.
        if failed:
            result.warnings.append(
                f"this run's failed downloads were not recorded for the next run ({exc}); "
                "rerun this period with --since/--until to fill them."
            )
        else:
            log.info("the list of earlier gaps was not updated (%s)", exc)
        return
    result.gaps = update
    result.pending = len(update.gaps)
    if update.given_up:
        names = ", ".join(f"{g.file.name} ({why})" for g, why in update.given_up)
        first = min(g.file.start for g, _ in update.given_up)
        last = max(g.file.start for g, _ in update.given_up)
        result.warnings.append(
            f"gave up retrying {len(update.given_up)} earlier gap(s): {names}; to try again, "
            f"run: dyadwatch update gdelt --since {first:%Y-%m-%d} --until {last:%Y-%m-%d}"
        )


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
@click.option(
    "--retry-gaps/--no-retry-gaps",
    default=True,
    help="First retry the files earlier runs failed to download [default: retry].",
)
@click.option(
    "--gap-attempts",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_ATTEMPTS,
    show_default=True,
    metavar="N",
    help="Give a failed file up after this many failed runs (the first failure counts).",
)
@click.option(
    "--gap-max-age",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_AGE.days,
    show_default=True,
    metavar="DAYS",
    help="Give a failed file up this many days after it first failed.",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@store_options
@output_options
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
    """Download and ingest new GDELT files; report every missing or failed interval.

    Without --since, continues after the last interval already ingested. Files are verified
    (size, MD5) and cached; events are kept for the configured dyads, with per-day,
    per-country totals of all events. Exits 1 if an interval is missing or failed (an earlier
    gap retried in vain included), or a file failed.

    Files that fail to download (after the retries within the run) are recorded in the store
    (gdelt-gaps.json) and retried first by every later run, whatever its period, until they
    are ingested — then they leave the list — or given up: after --gap-attempts failed runs
    or --gap-max-age days after their first failure, with a warning that names them and the
    --since/--until to rerun by hand. --no-retry-gaps skips the retries (failures are still
    recorded). Intervals missing from GDELT's file list are not recorded: only a rerun of
    their period (--since/--until) reads the list again. An unreadable gaps file is a
    warning, not an error: it is kept beside, with a .corrupt-<time> suffix, and a new list
    is started. The summary line on stderr says how many earlier gaps were retried and
    filled.

    \b
    Example:
      dyadwatch update gdelt --since 2021-01-01 --until 2021-01-31
      dyadwatch update gdelt        # what is new, after retrying earlier failed downloads
    """
    if since and until and since > until:
        raise click.UsageError(f"--since {since} is after --until {until}.")
    bars = wanted() and not no_progress
    with Bar("gdelt ingest", total=None, unit="file(s)", enabled=bars) as bar:
        result = update_gdelt(
            settings,
            since,
            until,
            streams=streams or DEFAULT_STREAMS,
            strictness=strictness,
            progress=bars,
            retry_gaps=retry_gaps,
            gap_attempts=gap_attempts,
            gap_max_age=timedelta(days=gap_max_age),
            report=note,
            ingest_progress=bar.update,
        )
    gaps = result.fetch.gaps
    if output.format == "table":
        click.echo(gaps.text())
    else:
        output.emit(gaps.rows())
    note(
        f"downloaded {sum(1 for d in result.fetch.downloads if d.ok)} file(s), "
        f"{result.fetch.skipped} already ingested; {result.describe_gaps(retry_gaps)}; "
        f"{result.ingest.describe()}"
    )
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    warm_index_cache(Store.open(settings.store), settings, result.ingest)
    if not result.ok:
        click.get_current_context().exit(1)
