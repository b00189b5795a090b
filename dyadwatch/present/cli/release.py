"""``dyadwatch release``: partner release packages (create, list, identify, verify)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from dyadwatch.errors import UsageError
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
    help="Event field to remove (repeatable) [default: source_key, ingested_at, confidence, "
    "handling, dedupe_group].",
)
@store_options
def create(
    recipient: str,
    as_of: date,
    dyad: str | None,
    freq: str,
    out_dir: Path,
    drop_fields: tuple[str, ...],
    settings: Settings,
) -> None:
    """Write a marked package of public-handling events, the index and the findings.

    Sensitive-handling events are withheld, and the index and findings are computed without
    them. Every row names the copy; the package is entered in the store's release register.
    """
    from dyadwatch.present.release import DROPPED_FIELDS, build_release

    store = Store.open(settings.store)
    result = build_release(
        store,
        recipient,
        as_of=as_of,
        out_dir=out_dir,
        dyad=dyad or (settings.dyads[0] if settings.dyads else "USA-MEX"),
        freq=freq,
        drop_fields=drop_fields or DROPPED_FIELDS,
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
    """Which registered copy a released CSV or Parquet file came from (exit 1: none)."""
    from dyadwatch.present.release import identify

    matches = identify(Store.open(settings.store), path)
    if not matches:
        raise UsageError(f"{path} matches no copy in the release register of {settings.store}.")
    output.emit(
        [
            {
                "copy_id": m.copy_id,
                "recipient": m.recipient,
                "created_at": m.created_at,
                "how": m.how,
            }
            for m in matches
        ]
    )


@release.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify_cmd(directory: Path) -> None:
    """Check a package against its manifest (exit 1 if a file is missing, changed or extra)."""
    from dyadwatch.present.release import verify

    problems = verify(directory)
    if problems:
        raise UsageError(f"{directory}: " + "; ".join(problems))
    click.echo(f"{directory}: every file matches its manifest.")
