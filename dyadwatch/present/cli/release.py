"""``dyadwatch release``: partner release packages (create, list, identify, verify)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from dyadwatch.errors import AnalysisError
from dyadwatch.present.cli.options import DATE, DYAD, Output, output_options, store_options
from dyadwatch.settings import Settings
from dyadwatch.store import Store


@click.group()
def release() -> None:
    """Share with a partner without sources and methods; every copy marked and registered.

    \b
    Example:
      dyadwatch release create --to "Partner desk" --as-of 2021-01-31
      dyadwatch release identify leaked.csv
    """


@release.command("create")
@click.option("--to", "recipient", required=True, help="Who receives this copy.")
@click.option("--as-of", type=DATE, required=True, help="Release what was public by this day.")
@click.option("--dyad", type=DYAD, default=None, help="Dyad [default: the first watched].")
@click.option(
    "--freq",
    type=click.Choice(["week", "month", "quarter", "year"]),
    default="month",
    show_default=True,
    help="Frequency of the released index.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Directory for the package and its zip.",
)
@click.option(
    "--drop-field",
    "drop_fields",
    multiple=True,
    help="Also remove this event field (repeatable; added to the default list: source_key, "
    "ingested_at, confidence, handling, dedupe_group, coder, attributes).",
)
@click.option(
    "--replace-drop-list",
    is_flag=True,
    help="Drop only the --drop-field fields, not the default list (warns about every default "
    "field the copy then ships).",
)
@click.option(
    "--disclose-withheld",
    is_flag=True,
    help="Say in the package how many sensitive-handling events were withheld [default: "
    "the package says nothing about them].",
)
@store_options
def create(
    recipient: str,
    as_of: date,
    dyad: str | None,
    freq: str,
    out_dir: Path,
    drop_fields: tuple[str, ...],
    replace_drop_list: bool,
    disclose_withheld: bool,
    settings: Settings,
) -> None:
    """Write a marked package of public-handling events, the index and the findings.

    Sensitive-handling events are withheld, and the index and findings are computed without
    them; the package does not say whether any were withheld unless --disclose-withheld.
    Every row names the copy; ids, row order and column order are the copy's own; the
    package is entered in the store's release register.

    \b
    Example:
      dyadwatch release create --to "Partner desk" --as-of 2021-01-31 --drop-field summary
    """
    from dyadwatch.present.release import build_release, drop_list

    # build_release logs a warning naming every default field this copy then ships.
    fields = drop_list(drop_fields, replace=replace_drop_list)
    store = Store.open(settings.store)
    result = build_release(
        store,
        recipient,
        as_of=as_of,
        out_dir=out_dir,
        dyad=dyad or (settings.dyads[0] if settings.dyads else "USA-MEX"),
        freq=freq,
        drop_fields=fields,
        disclose_withheld=disclose_withheld,
    )
    click.echo(result.text())


@release.command("list")
@store_options
@output_options
def list_cmd(settings: Settings, output: Output) -> None:
    """The release register: every copy made from this store, newest first."""
    from dyadwatch.present.release import register

    output.emit(register(Store.open(settings.store)))


@release.command("identify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@store_options
@output_options
def identify_cmd(path: Path, settings: Settings, output: Output) -> None:
    """Which registered copy a released CSV or Parquet file came from (exit 1: none).

    Weighs every mark — the marking column, the copy's keyed ids, row order and column
    order — prints how sure it is, and reports conflicts between marks (a rewritten marking
    column) on stderr. Works on files edited before they were passed on: rows reordered or
    removed, the marking column blanked, forged or removed, re-saved with ';' or tabs.

    \b
    Example:
      dyadwatch release identify forwarded.csv
    """
    from dyadwatch.present.release import identify

    found = identify(Store.open(settings.store), path)
    for note in found.notes:
        click.echo(f"note: {note}", err=True)
    for conflict in found.conflicts:
        click.echo(f"conflict: {conflict}", err=True)
    if not found.matches:
        # The command ran and found nothing: a failure (exit 1), not a wrong argument.
        raise AnalysisError(f"{path} matches no copy in the release register of {settings.store}.")
    output.emit(found.rows_out())


@release.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify_cmd(directory: Path) -> None:
    """Check a package against its manifest (exit 1 if a file is missing, changed or extra)."""
    from dyadwatch.present.release import verify

    problems = verify(directory)
    if problems:
        raise AnalysisError(f"{directory}: " + "; ".join(problems))
    click.echo(f"{directory}: every file matches its manifest.")
