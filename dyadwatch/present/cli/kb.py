"""Knowledge-base commands (``kb validate``, ``kb add``, ``kb stats``, ``kb coverage``) and the
point-in-time views of what it feeds: ``instruments`` and ``indicators``."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import pyarrow as pa

from dyadwatch.present.cli.options import (
    AS_OF,
    DATE,
    Output,
    note,
    output_options,
    store_options,
)
from dyadwatch.settings import Settings

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Knowledge-base directory [default: the one shipped with dyadwatch].",
)


@click.group()
def kb() -> None:
    """The curated knowledge base: validate it, add events, count what it holds.

    \b
    Example:
      dyadwatch kb validate
    """


@kb.command("validate")
@ROOT_OPTION
@click.option("--warnings/--no-warnings", default=True, help="Show warnings too.")
@output_options
def validate_cmd(root: Path | None, warnings: bool, output: Output) -> None:
    """Check every file; print each problem as FILE:LINE; exit 1 if any error.

    \b
    Example:
      dyadwatch kb validate --no-warnings
    """
    from dyadwatch.knowledge.loader import load
    from dyadwatch.knowledge.validate import errors, validate

    knowledge = load(root)
    problems = validate(knowledge)
    shown = problems if warnings else errors(problems)
    n_err = len(errors(problems))
    if output.format == "table":
        for p in shown:
            click.echo(str(p))
        click.echo(
            f"{len(knowledge.files)} file(s): {len(knowledge.events)} events, "
            f"{len(knowledge.actors)} actors, {len(knowledge.instruments)} instruments, "
            f"{len(knowledge.series)} indicator series, "
            f"{len(knowledge.observations)} observations; "
            f"{n_err} error(s), {len(problems) - n_err} warning(s).",
            err=True,
        )
    else:
        output.emit([p.as_dict() for p in shown])
    if n_err:
        click.get_current_context().exit(1)


def _stats(root: Path | None) -> dict[str, Any]:
    from dyadwatch.knowledge.loader import load

    k = load(root)
    events = [e.record for e in k.events]
    by_decade = Counter(f"{e.date.year // 10 * 10}s" for e in events)
    by_instrument = Counter(i for e in events for i in e.instruments)
    return {
        "files": len(k.files),
        "events": len(events),
        "events_verified": sum(e.verified for e in events),
        "events_by_decade": dict(sorted(by_decade.items())),
        "events_by_instrument": dict(sorted(by_instrument.items())),
        "first_event": min((e.date for e in events), default=None),
        "last_event": max((e.date for e in events), default=None),
        "actors": len(k.actors),
        "instruments": len(k.instruments),
        "instrument_states": sum(len(i.record.states) for i in k.instruments),
        "indicator_series": len(k.series),
        "indicator_observations": len(k.observations),
        "indicator_vintages": len({(o.record.indicator, o.record.vintage) for o in k.observations}),
        "load_problems": len(k.problems),
    }


@kb.command("stats")
@ROOT_OPTION
@output_options
def stats(root: Path | None, output: Output) -> None:
    """Counts: events (by decade and instrument), actors, instruments, indicators.

    \b
    Example:
      dyadwatch kb stats --json
    """
    data = _stats(root)
    output.emit(data if output.format == "json" else _flat(data))


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    """One row per value for the table and CSV forms: ``key.subkey``; lists joined."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for k, v in value.items():
                flat[f"{key}.{k}"] = v
        elif isinstance(value, list):
            flat[key] = ", ".join(map(str, value))
        else:
            flat[key] = value
    return flat


@kb.command("coverage")
@ROOT_OPTION
@click.option(
    "--file",
    "files",
    multiple=True,
    help="Only events from this events file, e.g. 1985-2016.yaml (repeatable).",
)
@output_options
def coverage_cmd(root: Path | None, files: tuple[str, ...], output: Output) -> None:
    """Coverage and sourcing: events per year and instrument, citations by quality class,
    placeholder and flag counts, events that rely only on aggregator copies.

    \b
    Example:
      dyadwatch kb coverage --json
      dyadwatch kb coverage --file 1985-2016.yaml
    """
    from dyadwatch.knowledge.coverage import coverage
    from dyadwatch.knowledge.loader import load

    data = coverage(load(root), files=files or None)
    output.emit(data if output.format == "json" else _flat(data))


def _ask(value: Any, prompt: str, interactive: bool, **kwargs: Any) -> Any:
    if value not in (None, (), ""):
        return value
    if not interactive:
        return value
    return click.prompt(prompt, **kwargs)


@kb.command("add")
@click.option("--file", "events_file", default=None, help="Events file (name in events/ or path).")
@click.option("--id", "event_id", default=None, help="Unique lower-case slug, e.g. 2021-01-15-x.")
@click.option("--date", "event_date", type=DATE, default=None, help="Event date.")
@click.option(
    "--precision", type=click.Choice(["day", "month", "year"]), default=None, help="Date precision."
)
@click.option("--known-at", type=DATE, default=None, help="When it became public, if later.")
@click.option("--source", "source_actor", default=None, help="Source actor code, e.g. USA:DEA.")
@click.option("--target", "target_actor", default=None, help="Target actor code (or none).")
@click.option("--cameo", default=None, help='CAMEO event code with leading zeros, e.g. "173".')
@click.option("--instrument", "instruments", multiple=True, help="Instrument id (repeatable).")
@click.option("--topic", "topics", multiple=True, help="Free tag (repeatable).")
@click.option("--summary", default=None, help="One sentence in your own words.")
@click.option("--url", "urls", multiple=True, help="Source URL (repeatable, with --title).")
@click.option("--title", "titles", multiple=True, help="Title of each --url, in order.")
@click.option("--outlet", "outlets", multiple=True, help="Outlet of each --url, in order.")
@click.option(
    "--published",
    "published",
    multiple=True,
    help="Publication date of each --url (YYYY-MM-DD or 'unknown'), in order.",
)
@click.option("--verified/--unverified", default=None, help="Did a found page confirm it?")
@click.option(
    "--effect",
    type=click.FloatRange(-10, 10),
    default=None,
    help="What it did to security cooperation between the governments, -10…+10 "
    "(docs/measurement.md gives the anchors).",
)
@click.option("--rationale", default=None, help="One line: why this effect.")
@click.option("--episode", default=None, help="Episode id (episodes/*.yaml), if a step of one.")
@click.option("--note", default=None, help="Optional note (conflicting dates, choices).")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Knowledge-base directory [default: the shipped one].")  # fmt: skip
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Prompt for missing fields [default: when stdin is a terminal].",
)
def add(
    events_file: str | None,
    event_id: str | None,
    event_date: date | None,
    precision: str | None,
    known_at: date | None,
    source_actor: str | None,
    target_actor: str | None,
    cameo: str | None,
    instruments: tuple[str, ...],
    topics: tuple[str, ...],
    summary: str | None,
    urls: tuple[str, ...],
    titles: tuple[str, ...],
    outlets: tuple[str, ...],
    published: tuple[str, ...],
    verified: bool | None,
    effect: float | None,
    rationale: str | None,
    episode: str | None,
    note: str | None,
    root: Path | None,
    interactive: bool | None,
) -> None:
    """Append an event to an events file, validated on the spot.

    Missing fields are asked for when run in a terminal. Nothing is written unless the event
    validates against the whole knowledge base.

    \b
    Example:
      dyadwatch kb add --file 2017-2026.yaml --id 2021-01-15-example --date 2021-01-15 \\
        --source MEX:FGR --target USA:DEA --cameo 111 --instrument indictments \\
        --summary "..." --url https://... --title "..." --outlet Reuters \\
        --published 2021-01-15 --verified --effect -3 --rationale "..."
    """
    from dyadwatch.knowledge.add import add_event
    from dyadwatch.knowledge.loader import display_path

    ask = sys.stdin.isatty() if interactive is None else interactive
    events_file = _ask(events_file, "Events file", ask, default="2017-2026.yaml")
    event_id = _ask(event_id, "Event id (slug)", ask)
    event_date = _ask(event_date, "Date (YYYY-MM-DD)", ask, type=DATE)
    precision = precision or ("day" if not ask else click.prompt(
        "Precision", type=click.Choice(["day", "month", "year"]), default="day"))  # fmt: skip
    source_actor = _ask(source_actor, "Source actor code", ask)
    if target_actor is None and ask:
        target_actor = click.prompt(
            "Target actor code (blank: none)", default="", show_default=False
        )
    cameo = _ask(cameo, "CAMEO code", ask)
    if not instruments and ask:
        text = click.prompt("Instruments (comma-separated, blank: none)", default="")
        instruments = tuple(t.strip() for t in text.split(",") if t.strip())
    summary = _ask(summary, "Summary (one sentence, your own words)", ask)
    if not urls and ask:
        urls = (click.prompt("Source URL"),)
        titles = (click.prompt("Source title"),)
        outlets = (click.prompt("Outlet (blank: none)", default="", show_default=False),)
        published = (click.prompt("Published (YYYY-MM-DD or unknown)", default="unknown"),)
    if verified is None and ask:
        verified = click.confirm("Verified (a found page confirmed date and fact)?", default=False)
    if effect is None and ask:
        effect = click.prompt(
            "Effect on security cooperation (-10…+10)", type=click.FloatRange(-10, 10)
        )
    rationale = _ask(rationale, "Why this effect (one line)", ask)
    if not events_file:
        raise click.UsageError("--file is required (an events file, e.g. 2017-2026.yaml).")
    data: dict[str, Any] = {
        "id": event_id,
        "date": event_date,
        "precision": precision or "day",
        "known_at": known_at,
        "source": source_actor,
        "target": target_actor or None,
        "cameo": cameo,
        "instruments": list(instruments),
        "topics": list(topics) or None,
        "summary": summary,
        "sources": _sources(urls, titles, outlets, published),
        "verified": verified,
        "note": note or None,
        "relation_effect": effect,
        "effect_rationale": rationale,
        "episode": episode,
    }
    data = {k: v for k, v in data.items() if v is not None}
    located = add_event(data, events_file, root=root)
    click.echo(f"added {located.record.id} at {display_path(located.file)}:{located.line}")


def _sources(
    urls: Sequence[str], titles: Sequence[str], outlets: Sequence[str], published: Sequence[str]
) -> list[dict[str, Any]]:
    """The event's cited pages from the repeated options, one of each per --url."""
    if len(titles) != len(urls):
        raise click.UsageError("give one --title for each --url, in the same order.")
    for name, values in (("--outlet", outlets), ("--published", published)):
        if values and len(values) != len(urls):
            raise click.UsageError(f"give one {name} for each --url, in the same order.")
    pages = [
        {
            "url": u,
            "title": t,
            "publisher": outlets[i] if outlets and outlets[i] else None,
            "published": published[i] if published else None,
        }
        for i, (u, t) in enumerate(zip(urls, titles, strict=True))
    ]
    return [{k: v for k, v in page.items() if v is not None} for page in pages]


# --- point-in-time views over the store -------------------------------------------------------


@click.command()
@click.option(
    "--as-of",
    "as_of",
    type=AS_OF,
    default=None,
    help="State on this day, as known by the end of it [default: today].",
)
@click.option("--history", is_flag=True, help="Every state known by --as-of, not only the current.")
@store_options
@output_options
def instruments(as_of: date | None, history: bool, settings: Settings, output: Output) -> None:
    """The policy instruments and their state, point in time.

    \b
    Example:
      dyadwatch instruments --as-of 2021-01-19
    """
    from dyadwatch.policy.instruments import instrument_states
    from dyadwatch.store import Store

    store = Store.open(settings.store)
    day = as_of or datetime.now(UTC).date()
    rows = []
    for inst in instrument_states(store, day):
        states = inst.states if history else [s for s in inst.states if s.holds_on(day)]
        for s in states:
            rows.append(
                {
                    "instrument": inst.id,
                    "state": s.state,
                    "since": s.valid_from,
                    "until": s.valid_to,
                    "known_at": s.known_at,
                    "evidence": list(s.evidence),
                    **({"name": inst.name} if output.format != "table" else {}),
                    **({"note": s.note} if output.format != "table" else {}),
                }
            )
    output.emit(rows, title=f"instruments as of {day}")
    if not rows:
        note(
            f"note: no instrument state was public by the end of {day}"
            + (" and in force on it (--history shows every state known)." if not history else ".")
        )


@click.command()
@click.argument("name", required=False)
@click.option(
    "--as-of",
    "as_of",
    type=AS_OF,
    default=None,
    help="Only figures public by the end of this day (earlier vintages).",
)
@click.option(
    "--vintage",
    default="latest-known",
    show_default=True,
    help="latest-known, first-known, or a vintage name.",
)
@store_options
@output_options
def indicators(
    name: str | None, as_of: date | None, vintage: str, settings: Settings, output: Output
) -> None:
    """List indicator series, or the values of series NAME, point in time.

    \b
    Example:
      dyadwatch indicators
      dyadwatch indicators us_overdose_deaths_all --as-of 2021-06-30 --csv
    """
    from dyadwatch.policy.indicators import indicator_names, indicator_series
    from dyadwatch.store import Store

    store = Store.open(settings.store)
    if name is None:
        names = indicator_names(store, as_of)
        output.emit(names)
        if not names:
            note(f"note: no indicator figures {_by(as_of)}in the store.")
        return
    table = indicator_series(store, name, as_of, vintage)
    if table.num_rows == 0:
        note(f"note: no figures of {name} {_by(as_of)}in the store ({vintage}).")
    if output.format == "table":
        table = table.select(
            ["period_start", "period_end", "value", "unit", "vintage", "known_at", "source_title"]
        )
    if output.format != "json":
        # The shared renderer shows floats to 4 significant digits; a figure must print whole.
        exact = pa.array([_number(v) for v in table.column("value").to_pylist()], pa.string())
        table = table.set_column(table.column_names.index("value"), "value", exact)
    output.emit(table)


def _by(as_of: date | None) -> str:
    return f"public by the end of {as_of} " if as_of is not None else ""


def _number(value: float | None) -> str | None:
    """``107622.0`` → ``"107622"``; ``32.6`` → ``"32.6"`` (no rounding)."""
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


__all__ = ["indicators", "instruments", "kb"]
