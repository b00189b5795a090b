"""``dyadwatch validate``: score the index against what people who know the record said.

Each command is one call of the library (:func:`dyadwatch.analyse.index.validate_judgments`).
"""

from __future__ import annotations

from pathlib import Path

import click

from dyadwatch.analyse.index import NAMED, validate_judgments
from dyadwatch.present.cli.options import Output, output_options, store_options
from dyadwatch.settings import Settings
from dyadwatch.store import Store


@click.group()
def validate() -> None:
    """Check the index against dated expert judgments."""


@validate.command("judgments")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--series",
    "name",
    type=click.Choice(list(NAMED)),
    default="relationship",
    show_default=True,
    help="The named series to score.",
)
@store_options
@output_options
def judgments_cmd(path: Path, name: str, settings: Settings, output: Output) -> None:
    """Score the index, as known at each judgment's date, against a CSV of judgments.

    The CSV has the columns date, judge, outlet, direction, horizon_months, claim, url,
    verified (docs/index.md, "Validation"). Each judgment is agree, disagree or
    insufficient, with the numbers compared; the last line is the agreement.

    \b
    Example:
      dyadwatch validate judgments dyadwatch/knowledge/data/judgments.csv
      dyadwatch validate judgments my-judgments.csv --json
    """
    result = validate_judgments(Store.open(settings.store), path, name=name)
    if output.format == "json":
        output.emit(result.as_dict())
        return
    if output.format == "csv":
        output.emit(result.as_dict()["rows"])
        return
    output.emit(
        [
            {
                "line": r.line,
                "date": r.date,
                "judge": r.judge,
                "direction": r.direction,
                "months": r.horizon_months,
                "verdict": r.verdict,
                "detail": r.detail,
            }
            for r in result.rows
        ]
    )
    agreement = "n/a" if result.agreement is None else f"{result.agreement:.2f}"
    click.echo(
        f"agreement {agreement}: {result.n_agree} agree, {result.n_disagree} disagree, "
        f"{result.n_insufficient} insufficient"
    )


__all__ = ["validate"]
