"""``dyadwatch update SOURCE``: fetch what a source published since the last ingest, then ingest it.

One run, whatever the source (GDELT, ICEWS, POLECAT, ACLED — every
:class:`~dyadwatch.sources.fetch.Fetcher`): :func:`run_update` is the library call, and each
command renders its result. The run

1. continues after the latest unit the store holds (``Fetcher.resume_after``) unless a period
   is given (``since``/``until``); with neither, it asks for ``--since``;
2. first retries the units earlier runs failed to fetch, kept in ``<store>/<source>-gaps.json``
   (:mod:`dyadwatch.sources.gaps`), whatever its period, until they are ingested or given up
   (after ``gap_attempts`` failed runs, or ``gap_max_age`` after the first failure);
3. fetches the period and ingests what arrived (``pipeline.ingest``);
4. records this run's failed units for the next run — only under the store's writer lock,
   right after the ingest, by re-reading the list and merging, so concurrent runs never lose
   each other's entries;
5. ends with the gap report — every expected unit that is missing from the listing or
   failed — and the command exits 1 if there is a gap or a file failed, so a scheduler
   notices.

Long work is never silent: :func:`run_update` reports each stage through ``report`` (the
command prints it on stderr — "reading GDELT's file list at …" comes before a network that
is down can fail) and each ingested unit through ``ingest_progress``; the source reports its
downloads through the callback it was built with. The command draws both as progress bars
(:class:`StageBars`). Nothing here prints but the commands.

Credentials (``acled_username``/``acled_password``, ``dataverse_token``) reach the sources
through the settings; nothing here logs, prints or records them (see
:mod:`dyadwatch.settings`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

import click

from dyadwatch import pipeline
from dyadwatch.errors import StoreLockedError, UsageError
from dyadwatch.pipeline import IngestSummary
from dyadwatch.present.cli.options import DATE, Output, note, output_options, store_options
from dyadwatch.present.cli.progress import Bar, wanted
from dyadwatch.present.cli.store_cmds import warm_index_cache
from dyadwatch.settings import Settings
from dyadwatch.sources import get_source
from dyadwatch.sources.base import Artifact
from dyadwatch.sources.download import FetchResult, Progress
from dyadwatch.sources.fetch import Fetcher
from dyadwatch.sources.gaps import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_ATTEMPTS,
    GapFileError,
    GapUpdate,
    PendingGap,
    due_gaps,
    failures,
    gaps_file,
    load_gaps,
    record,
)
from dyadwatch.sources.remote import RemoteFile
from dyadwatch.store import Store

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

LOCK_WAIT = 60.0
"""Seconds to wait for the writer lock when recording the gaps after the ingest (another
writer may have taken it in between)."""

EVENT_SOURCES = ("icews", "polecat", "acled")
"""The sources ``update`` fetches besides GDELT (which has its own command, with streams)."""


@dataclass(slots=True)
class UpdateResult:
    """What an update did: the fetch (with its gap report), the ingest, and the gaps.

    ``retried`` names the earlier gaps this run tried again and ``filled`` those of them it
    ingested; ``gaps`` is how the recorded list changed (None if it was not changed: nothing
    to record, or the writer lock could not be had); ``pending`` is how many gaps the list
    holds for the next run (None if unknown). ``warnings`` are for the person running it.
    """

    fetch: FetchResult
    ingest: pipeline.IngestSummary
    after: datetime | None
    source: str = "gdelt"
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

    def summary(self, retry: bool = True) -> str:
        """The run's summary line (downloads, earlier gaps, ingest)."""
        fetched = sum(1 for d in self.fetch.outcomes() if d.ok and not d.from_cache)
        return (
            f"downloaded {fetched} file(s), {self.fetch.skipped} already ingested; "
            f"{self.describe_gaps(retry)}; {self.ingest.describe()}"
        )


def ingested_keys(store: Store, source: str) -> set[str]:
    """Artifact keys of ``source`` the store has ingested."""
    return set(
        store.catalog_query(
            "SELECT DISTINCT artifact FROM ingest_log WHERE source = ? AND status = 'done'",
            [source],
        )
        .column("artifact")
        .to_pylist()
    )


def run_update(
    source: Fetcher,
    store: Store,
    since: date | None = None,
    until: date | None = None,
    *,
    strictness: str = "quarantine",
    retry_gaps: bool = True,
    gap_attempts: int = DEFAULT_MAX_ATTEMPTS,
    gap_max_age: timedelta = DEFAULT_MAX_AGE,
    lock_wait: float = LOCK_WAIT,
    now: datetime | None = None,
    report: Callable[[str], None] | None = None,
    ingest_progress: Progress | None = None,
) -> UpdateResult:
    """Fetch and ingest what ``source`` published since the last ingest (or ``since``).

    See the module docstring for the steps. An unreadable gaps file is a warning, not an
    error: its gaps are not retried, and the file is moved aside
    (``<source>-gaps.json.corrupt-<time>``) when this run records its own. ``now`` is the
    clock (default: the current time); ``report`` receives one line per stage;
    ``ingest_progress`` (units ingested, units to ingest) after each unit.

    Raises
    ------
    UsageError
        Neither ``since`` nor anything of the source in the store to continue from.

    Examples
    --------
    >>> source = get_source("icews", settings)  # doctest: +SKIP
    >>> result = run_update(source, Store.open(settings.store), date(2021, 1, 1))  # doctest: +SKIP
    >>> print(result.fetch.gaps.text())  # doctest: +SKIP
    """
    clock = now or datetime.now(UTC)
    say = report or (lambda _line: None)
    path = store.root / gaps_file(source.name)
    plan = plan_update(
        source,
        store,
        since,
        now=clock,
        retry_gaps=retry_gaps,
        gap_attempts=gap_attempts,
        gap_max_age=gap_max_age,
    )
    after, retry, done = plan.after, plan.retry, plan.done
    period = (
        f"after {after:%Y-%m-%d %H:%M} UTC (the last interval ingested)"
        if after is not None
        else f"{since} to {until or 'the latest'}"
    )
    say(
        f"reading {source.where()} for {period}"
        + (f", and retrying {len(retry)} earlier gap(s)" if retry else "")
        + " …"
    )
    fetched = source.fetch(since, until, after=after, skip=done, retry=retry)
    outcomes = fetched.outcomes()
    say(
        f"downloaded {sum(1 for d in outcomes if d.ok)} of {len(outcomes)} "
        f"{'unit' if fetched.units is not None else 'file'}(s); "
        f"ingesting {len(fetched.artifacts)} …"
    )
    summary = _ingest(source, fetched.artifacts, store, strictness, ingest_progress)
    result = UpdateResult(
        fetch=fetched, ingest=summary, after=after, source=source.name, warnings=plan.warnings
    )
    status = {a.artifact: (a.status, a.message) for a in summary.artifacts}
    ingested = {k for k, (s, _) in status.items() if s in ("done", "skipped")}
    result.retried = [f.name for f in retry]
    result.filled = [f.name for f in retry if source.gap_key(f) in ingested]
    failed = failures(outcomes, retry, status, key=source.gap_key)
    if failed or path.exists():
        record_gaps(
            store,
            result,
            failed,
            now=clock,
            max_attempts=gap_attempts,
            max_age=gap_max_age,
            lock_wait=lock_wait,
            key=source.gap_key,
        )
    else:
        result.pending = 0
    for line in result.warnings:
        log.info("%s", line)
    return result


def _ingest(
    source: Fetcher,
    artifacts: list[Artifact],
    store: Store,
    strictness: str,
    progress: Progress | None,
) -> IngestSummary:
    """Step 4: ingest what was downloaded, calling ``progress(done, total)`` after each unit."""
    total = len(artifacts)
    files_done = 0

    def one_more(_artifact: Any, _summary: Any) -> None:
        nonlocal files_done
        files_done += 1
        if progress is not None:
            progress(files_done, total)

    return pipeline.ingest(source, artifacts, store, strictness=strictness, progress=one_more)


@dataclass(slots=True)
class UpdatePlan:
    """Where an update starts (``after``, None when a period is given), the earlier gaps it
    retries, what the store already holds, and warnings for the person running it."""

    after: datetime | None
    retry: list[RemoteFile]
    done: set[str]
    warnings: list[str]


def plan_update(
    source: Fetcher,
    store: Store,
    since: date | None,
    *,
    now: datetime,
    retry_gaps: bool = True,
    gap_attempts: int = DEFAULT_MAX_ATTEMPTS,
    gap_max_age: timedelta = DEFAULT_MAX_AGE,
) -> UpdatePlan:
    """Steps 1 and 2 of an update (module docstring): where to continue, which gaps are due.

    An unreadable gaps file is a warning: its gaps are not retried.
    """
    warnings: list[str] = []
    recorded: list[PendingGap] = []
    try:
        recorded = load_gaps(store.root / gaps_file(source.name))
    except GapFileError as exc:
        warnings.append(
            f"{exc}; the gaps it lists are not retried (rerun their periods with "
            "--since/--until to fill them)."
        )
    done = ingested_keys(store, source.name)
    after = None
    if since is None:
        after = source.resume_after(done)
        if after is None:
            raise UsageError(
                f"nothing from {source.label} is in the store yet, so there is no 'last "
                "ingested interval' to continue from; give --since YYYY-MM-DD."
            )
    retry: list[RemoteFile] = []
    if retry_gaps:
        due = due_gaps(
            recorded,
            done=done,
            now=now,
            max_attempts=gap_attempts,
            max_age=gap_max_age,
            key=source.gap_key,
        )
        retry = source.retry_files(due)
    return UpdatePlan(after, retry, done, warnings)


def record_gaps(
    store: Store,
    result: UpdateResult,
    failed: dict[str, tuple[RemoteFile, str]],
    *,
    now: datetime,
    max_attempts: int,
    max_age: timedelta,
    lock_wait: float,
    key: Callable[[RemoteFile], str] | None = None,
) -> None:
    """Merge this run's outcome into the recorded gaps, under the writer lock."""
    path = store.root / gaps_file(result.source)
    options: dict[str, Any] = {"key": key} if key is not None else {}
    try:
        with store.writer(wait=lock_wait) as writer:
            ingested = {k for (src, k) in writer.checksums if src == result.source}
            update, warnings = record(
                path,
                failed=failed,
                ingested=ingested,
                now=now,
                max_attempts=max_attempts,
                max_age=max_age,
                **options,
            )
            result.warnings.extend(warnings)
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
        last = max(g.file.end - timedelta(microseconds=1) for g, _ in update.given_up)
        result.warnings.append(
            f"gave up retrying {len(update.given_up)} earlier gap(s): {names}; to try again, "
            f"run: dyadwatch update {result.source} --since {first:%Y-%m-%d} "
            f"--until {max(first, last):%Y-%m-%d}"
        )


def update_source(
    name: str,
    settings: Settings,
    since: date | None = None,
    until: date | None = None,
    *,
    strictness: str | None = None,
    download_progress: Progress | None = None,
    source_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> UpdateResult:
    """``dyadwatch update NAME`` for a source without options of its own (ICEWS, POLECAT,
    ACLED): build it from the settings, open the store, :func:`run_update`.

    ``download_progress`` and ``source_options`` go to the source's ``from_settings``
    (``{"backoff": 0.1, "server": …}``); ``options`` to :func:`run_update` (``retry_gaps``,
    ``report`` …).

    Raises
    ------
    UsageError
        ``name`` is not a source that downloads.

    Examples
    --------
    >>> result = update_source("icews", load(), date(2018, 1, 1))  # doctest: +SKIP
    >>> result.ok  # doctest: +SKIP
    """
    source = get_source(name, settings, progress=download_progress, **(source_options or {}))
    if not isinstance(source, Fetcher):
        raise UsageError(f"source '{name}' downloads nothing; give its files to 'ingest'.")
    store = Store.open(settings.store, create=True)
    return run_update(
        source, store, since, until, strictness=strictness or settings.strictness, **options
    )


# --- the command line ------------------------------------------------------------------------


class StageBars:
    """One progress bar per stage of an update (``download``, then ``ingest``).

    :meth:`stage` gives the callback for a stage; the first call of a new stage closes the
    bar of the one before (rich draws one live display at a time). Callbacks may come from
    download threads. ``bar_options`` go to each :class:`Bar` (``delay``, ``console``).

    Examples
    --------
    >>> with StageBars("icews", enabled=False) as bars:
    ...     bars.stage("download")(1, 2)
    ...     bars.stage("ingest")(1, 1)
    """

    def __init__(
        self, name: str, enabled: bool, units: str = "file(s)", **bar_options: Any
    ) -> None:
        self.name = name
        self.enabled = enabled
        self.units = units
        self.bar_options = bar_options
        self._bar: Bar | None = None
        self._current: str | None = None
        self._lock = threading.Lock()

    def stage(self, what: str) -> Progress:
        def update(done: int, total: int) -> None:
            with self._lock:
                if self._current != what:
                    self._close()
                    self._current = what
                    self._bar = Bar(
                        f"{self.name} {what}",
                        total,
                        unit=self.units,
                        enabled=self.enabled,
                        **self.bar_options,
                    ).__enter__()
                assert self._bar is not None
                self._bar.update(done, total)

        return update

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> StageBars:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._close()


def update_options(func: F) -> F:
    """The options every ``update`` command shares, and ``settings`` and ``output``."""

    @click.option(
        "--since", type=DATE, default=None, help="First day [default: after the last ingest]."
    )
    @click.option(
        "--until", type=DATE, default=None, help="Last day (inclusive) [default: latest]."
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
        help="First retry what earlier runs failed to download [default: retry].",
    )
    @click.option(
        "--gap-attempts",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_ATTEMPTS,
        show_default=True,
        metavar="N",
        help="Give a failed download up after this many failed runs (the first counts).",
    )
    @click.option(
        "--gap-max-age",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_AGE.days,
        show_default=True,
        metavar="DAYS",
        help="Give a failed download up this many days after it first failed.",
    )
    @click.option("--no-progress", is_flag=True, help="No progress bars.")
    @store_options
    @output_options
    @wraps(func)
    def wrapper(*args: Any, since: date | None, until: date | None, **kwargs: Any) -> Any:
        if since and until and since > until:
            raise click.UsageError(f"--since {since} is after --until {until}.")
        return func(*args, since=since, until=until, **kwargs)

    return wrapper  # type: ignore[return-value]


def finish(result: UpdateResult, settings: Settings, output: Output, retry_gaps: bool) -> None:
    """Print the gap report (stdout), the summary and warnings (stderr); exit 1 on a gap."""
    gaps = result.fetch.gaps
    if output.format == "table":
        click.echo(gaps.text())
    else:
        output.emit(gaps.rows())
    note(result.summary(retry_gaps))
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    warm_index_cache(Store.open(settings.store), settings, result.ingest)
    if not result.ok:
        click.get_current_context().exit(1)


GAPS_HELP = """Units that fail to download (after the retries within the run) are recorded in
the store ({name}-gaps.json) and retried first by every later run, whatever its period, until
they are ingested — then they leave the list — or given up: after --gap-attempts failed runs
or --gap-max-age days after their first failure, with a warning that names them and the
--since/--until to rerun by hand. --no-retry-gaps skips the retries (failures are still
recorded). An unreadable gaps file is a warning, not an error: it is kept beside, with a
.corrupt-<time> suffix, and a new list is started. The summary line on stderr says how many
earlier gaps were retried and filled."""

HELP = {
    "icews": (
        "Download and ingest new ICEWS files from Harvard Dataverse; report every gap.",
        "Without --since, continues from the start of the latest file ingested (a new "
        "release of it is fetched too; files already ingested are not). Files are verified "
        "(size, MD5) and cached. A Dataverse API token is needed only for datasets whose "
        "terms require signing in: the dataverse_token setting (DYADWATCH_DATAVERSE_TOKEN "
        "or dyadwatch.toml). Exits 1 if a file is missing or failed.",
        "dyadwatch update icews --since 2018-01-01 --until 2018-12-31",
    ),
    "polecat": (
        "Download and ingest new POLECAT files from Harvard Dataverse; report every gap.",
        "Without --since, continues from the start of the latest file ingested (a new "
        "release of it is fetched too). Files are verified (size, MD5) and cached. POLECAT "
        "is for research and education use (see 'dyadwatch sources polecat'). A token, "
        "when the dataset's terms require signing in: the dataverse_token setting. Exits 1 "
        "if a file is missing or failed.",
        "dyadwatch update polecat --since 2023-01-01",
    ),
    "acled": (
        "Download and ingest the watched countries' ACLED events, month by month.",
        "Needs a myACLED account with API access: the acled_username and acled_password "
        "settings (DYADWATCH_ACLED_USERNAME and DYADWATCH_ACLED_PASSWORD, or dyadwatch.toml "
        "readable by you only). Without --since, continues from the latest month ingested "
        "(ACLED revises recent months, so it is read again). ACLED's Terms of Use apply "
        "(see 'dyadwatch sources acled'). Exits 1 if a month failed.",
        "dyadwatch update acled --since 2021-01-01 --until 2021-03-31",
    ),
}


@click.group()
def update() -> None:
    """Fetch what a live source published since the last run, and ingest it.

    \b
    Example:
      dyadwatch update gdelt
      dyadwatch update icews --since 2018-01-01
    """


def _event_command(name: str) -> click.Command:
    short, details, example = HELP[name]

    @update_options
    def command(
        since: date | None,
        until: date | None,
        strictness: str | None,
        retry_gaps: bool,
        gap_attempts: int,
        gap_max_age: int,
        no_progress: bool,
        settings: Settings,
        output: Output,
    ) -> None:
        units = "month(s)" if name == "acled" else "file(s)"
        with StageBars(name, wanted() and not no_progress, units) as bars:
            result = update_source(
                name,
                settings,
                since,
                until,
                strictness=strictness,
                download_progress=bars.stage("download"),
                retry_gaps=retry_gaps,
                gap_attempts=gap_attempts,
                gap_max_age=timedelta(days=gap_max_age),
                report=note,
                ingest_progress=bars.stage("ingest"),
            )
        finish(result, settings, output, retry_gaps)

    text = f"{short}\n\n{details}\n\n{GAPS_HELP.format(name=name)}\n\n\b\nExample:\n  {example}"
    return click.command(name, help=text, short_help=short)(command)


for _name in EVENT_SOURCES:
    update.add_command(_event_command(_name))


__all__ = [
    "EVENT_SOURCES",
    "LOCK_WAIT",
    "StageBars",
    "UpdatePlan",
    "UpdateResult",
    "finish",
    "ingested_keys",
    "plan_update",
    "record_gaps",
    "run_update",
    "update",
    "update_options",
    "update_source",
]
