"""Store commands: init, ingest, events, status, quarantine, sources, run.

An empty answer says why on stderr (``note: no events: …``, from
:func:`dyadwatch.store.query.why_empty`); ``ingest`` shows a progress bar over its files
when it runs long (:mod:`~dyadwatch.present.cli.progress`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from dyadwatch import pipeline
from dyadwatch.policy.disclosure import shown_events
from dyadwatch.present.cli.options import (
    DYAD,
    Output,
    Period,
    note,
    output_options,
    period_options,
    render,
    store_options,
)
from dyadwatch.present.cli.progress import Bar
from dyadwatch.settings import ENV_PREFIX, Settings
from dyadwatch.sources import get_source, source_class, source_names, source_options
from dyadwatch.store import EventFilter, Store, count_events
from dyadwatch.store import events as query_events
from dyadwatch.store.query import quarantine_entries, why_empty
from dyadwatch.store.status import status_report


@click.command()
@store_options
def init(settings: Settings) -> None:
    """Create a store (or migrate an existing one).

    \b
    Example:
      dyadwatch init --store ./my-store
    """
    store = Store.init(settings.store)
    click.echo(f"store ready at {store.root}")


class KnownAtParam(click.ParamType):
    """``YYYY-MM-DD`` (the end of that day, UTC) or an ISO datetime with a UTC offset."""

    name = "date"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date | datetime:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return date.fromisoformat(text)
            when = datetime.fromisoformat(text)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            self.fail(
                f"{value!r} is not a date (use YYYY-MM-DD, or a datetime with its UTC offset "
                "such as 2023-11-15T09:00:00-05:00).",
                param,
                ctx,
            )
        return when


KNOWN_AT = KnownAtParam()


@click.command()
@click.argument("source_name", metavar="SOURCE")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--strict",
    "strictness",
    type=click.Choice(["raise", "quarantine", "warn", "ignore"]),
    default=None,
    help="What to do with bad rows [default: quarantine].",
)
@click.option(
    "--known-at",
    "known_at",
    type=KNOWN_AT,
    default=None,
    help="When the files became public: YYYY-MM-DD (end of that day, UTC) or a datetime with "
    "offset. Taken by the statistics sources (cdc_vsrr, cbp_seizures, sesnsp_victims, "
    "inegi_sesnsp, foreign_assistance) and the event datasets (icews, polecat, phoenix, acled) "
    "[default: each source's rule — statistics: end of the last period covered plus the "
    "source's assumed lag; event datasets: their publication or release dates, see "
    "'dyadwatch sources NAME'].",
)
@store_options
@output_options
def ingest(
    source_name: str,
    paths: tuple[Path, ...],
    strictness: str | None,
    known_at: date | datetime | None,
    settings: Settings,
    output: Output,
) -> None:
    """Ingest local files of SOURCE into the store.

    Each file is ingested atomically; an unchanged file is skipped; bad rows are quarantined
    with their reason. Exits 1 if any file failed as a whole.

    A statistics file (cdc_vsrr, cbp_seizures, sesnsp_victims, inegi_sesnsp,
    foreign_assistance) states no release date: give its publication date with --known-at, so
    that "as of D" sees its figures only from that day. Without it, dyadwatch assumes the end
    of the last period the file covers plus a lag, and notes the assumption on each row.
    An event dataset's file (icews, polecat, phoenix, acled) is dated by its own rule (a
    story's publication date, the file's release stamp, the day after the event); --known-at
    gives the file's release where that rule needs one ('dyadwatch sources NAME' says which).
    Ingesting the same file again with another --known-at replaces the date it was stored with.

    \b
    Examples:
      dyadwatch ingest file events.csv more-events.parquet
      dyadwatch ingest cbp_seizures nationwide-drugs-fy20-fy23.csv --known-at 2023-11-15
    """
    options = {"known_at": known_at} if known_at is not None else {}
    source = get_source(source_name, settings, **options)
    store = Store.open(settings.store, create=True)
    artifacts = list(source.artifacts_for_paths(list(paths)))
    with Bar(f"{source_name} ingest", total=len(artifacts), unit="file(s)") as bar:
        summary = pipeline.ingest(
            source,
            artifacts,
            store,
            strictness=strictness or settings.strictness,
            progress=lambda _artifact, _summary: bar.advance(),
        )
    output.emit(ingest_rows(summary))
    note(summary.describe())
    warm_index_cache(store, settings, summary)
    if not summary.ok:
        click.get_current_context().exit(1)


def shown_path(key: str) -> str:
    """An artifact key as a person gave it: relative to the working directory when under it."""
    try:
        return str(Path(key).relative_to(Path.cwd()))
    except ValueError:
        return key


def ingest_rows(summary: pipeline.IngestSummary) -> list[dict[str, Any]]:
    """One row per artifact: what was read, kept (input rows), stored (records), set aside."""
    return [
        {
            "artifact": shown_path(a.artifact),
            "status": a.status,
            "read": a.rows_read,
            "kept": a.rows_kept,
            "stored": summary.stored(a),
            "quarantined": a.rows_quarantined,
            "already_stored": a.rows_duplicate,
            "seconds": round(a.seconds, 3),
            "message": a.message,
        }
        for a in summary.artifacts
    ]


def warm_index_cache(store: Store, settings: Settings, summary: pipeline.IngestSummary) -> None:
    """After a commit, build the watched dyads' index aggregates (so the next question is fast)."""
    if not summary.count("done"):
        return
    from dyadwatch.analyse.index.daily import warm

    for dyad, seconds in warm(store, settings.dyads).items():
        note(f"index cache for {dyad} rebuilt in {seconds:.2f} s")


@click.command()
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--dyad", type=DYAD, default=None, help="Only events between these two countries.")
@click.option(
    "--direction",
    type=click.Choice(["both", "ab", "ba"]),
    default="both",
    help="With --dyad: A→B (ab), B→A (ba) or both.",
)
@click.option("--instrument", default=None, help="Only events bearing on this instrument.")
@click.option("--count", "only_count", is_flag=True, help="Print only the number of events.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N events.")
@click.option(
    "--all-columns", is_flag=True, help="Every canonical column (default: the main ones)."
)
@period_options
@store_options
@output_options
def events(
    sources: tuple[str, ...],
    dyad: str | None,
    direction: str,
    instrument: str | None,
    only_count: bool,
    limit: int | None,
    all_columns: bool,
    period: Period,
    settings: Settings,
    output: Output,
) -> None:
    """List events, point in time: with --as-of, each with the pages public by then.

    \b
    Example:
      dyadwatch events --dyad USA-MEX --since 2020-10-01 --until 2021-01-31 --as-of 2021-01-19
    """
    store = Store.open(settings.store)
    flt = EventFilter(
        sources=list(sources) or None,
        since=period.since,
        until=period.until,
        as_of=period.as_of,
        dyad=dyad,
        direction=direction,  # type: ignore[arg-type]
        instrument=instrument,
    )
    if only_count:
        n = count_events(store, flt)
        if output.format == "table":
            click.echo(n)
        else:
            output.emit([{"count": n}])
        if n == 0:
            note(f"note: no events: {why_empty(store, flt)}")
        return
    table = shown_events(query_events(store, flt, limit=limit), period.as_of)
    if table.num_rows == 0:
        note(f"note: no events: {why_empty(store, flt)}")
    if not all_columns and output.format == "table":
        table = table.select(
            [
                "event_date",
                "source",
                "actor1_code",
                "actor1_country",
                "actor2_code",
                "actor2_country",
                "cameo_code",
                "goldstein",
                "summary",
            ]
        )
    output.emit(table)


@click.command()
@store_options
@output_options
def status(settings: Settings, output: Output) -> None:
    """What the store holds: datasets by source, the ingest log, quarantine counts.

    \b
    Example:
      dyadwatch status --json
    """
    store = Store.open(settings.store)
    report = status_report(store)
    if output.format == "table":
        click.echo(report.text(), nl=False)
    else:
        output.emit(report.as_dict() if output.format == "json" else report.sources)


@click.command()
@click.option("--source", default=None, help="Only this source.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option(
    "--all",
    "history",
    is_flag=True,
    help="Resolved entries too (set aside by an earlier version of a file since ingested).",
)
@store_options
@output_options
def quarantine(
    source: str | None, limit: int, history: bool, settings: Settings, output: Output
) -> None:
    """Rows and files set aside, with their reasons (open entries; --all: the history).

    An entry is resolved — and no longer shown without --all — once a later version of
    its file is ingested.

    \b
    Example:
      dyadwatch quarantine --source gdelt --limit 20
      dyadwatch quarantine --all --json
    """
    store = Store.open(settings.store)
    table = quarantine_entries(store, source, limit=limit, history=history)
    output.emit(table)
    if table.num_rows == 0:
        note("note: nothing is set aside" + ("" if history else " (--all shows resolved entries)"))


def _summary(cls: type[Any]) -> str:
    doc = (cls.__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""


def source_details(name: str) -> dict[str, Any]:
    """What ``dyadwatch sources NAME`` shows: the source's terms, formats, commands and
    credentials (the settings' names, never their values)."""
    from dyadwatch.sources.fetch import fetches  # the downloader (httpx) only when asked

    cls = source_class(name)
    options = source_options(name)
    takes_known_at = options is None or "known_at" in options
    detail: dict[str, Any] = {
        "name": name,
        "summary": _summary(cls),
        "terms": cls.about or "not stated (see the summary)",
        "codebook": cls.codebook,
        "schema_versions": ", ".join(cls.schema_versions),
        "ingest": f"dyadwatch ingest {name} FILE…"
        + (" [--known-at DATE]" if takes_known_at else ""),
        "update": f"dyadwatch update {name}" if fetches(cls) else "",
    }
    credentials = getattr(cls, "credential_settings", ())
    if credentials:
        env = ", ".join(f"{ENV_PREFIX}{c.upper()}" for c in credentials)
        detail["credentials"] = (
            f"settings {', '.join(credentials)} ({env}, or dyadwatch.toml readable by you only)"
        )
    return detail


@click.command()
@click.argument("name", required=False, metavar="[NAME]")
@output_options
def sources(name: str | None, output: Output) -> None:
    """The sources dyadwatch can ingest; with NAME, one source in full.

    The list gives each source's summary, its file formats and whether 'dyadwatch update'
    downloads it (--json adds each source's terms). NAME shows who publishes the data and
    under which licence or terms, the codebook, the commands that bring it in and the
    settings that hold its credentials.

    \b
    Examples:
      dyadwatch sources
      dyadwatch sources acled        # ACLED's terms, how to download it
    """
    from dyadwatch.sources.fetch import fetches

    if name is not None:
        output.emit(source_details(name))
        return
    rows = []
    for source in source_names():
        cls = source_class(source)
        row: dict[str, Any] = {
            "name": source,
            "summary": _summary(cls),
            "schema_versions": ", ".join(cls.schema_versions),
            "update": "yes" if fetches(cls) else "",
        }
        if output.format != "table":
            row["about"] = cls.about or row["summary"]
        rows.append(row)
    output.emit(rows)
    if output.format == "table":
        note("'dyadwatch sources NAME' shows a source's licence or terms.")


@click.command()
@store_options
def run(settings: Settings) -> None:
    """The main job: build the store from what the package ships, then report.

    \b
    Example:
      dyadwatch run --store ./.dyadwatch
    """
    from dyadwatch.present.jobs import main_job

    result = main_job(settings)
    click.echo(result.text, nl=False)


__all__ = [
    "events",
    "ingest",
    "init",
    "quarantine",
    "render",
    "run",
    "source_details",
    "sources",
    "status",
]
