"""``dyadwatch brief``: the one-to-three-page brief as of a date, HTML or PDF.

One call of :func:`dyadwatch.present.brief.brief`; the format follows the file extension.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from dyadwatch.present.cli.options import AS_OF, DYAD, store_options
from dyadwatch.settings import Settings


@click.command()
@click.option(
    "--as-of",
    "as_of",
    type=AS_OF,
    default=None,
    help="Only what was public by the end of this day [default: today, UTC].",
)
@click.option(
    "-o",
    "--output",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File to write: .html or .pdf [default: ./brief-AS_OF.html].",
)
@click.option("--dyad", type=DYAD, default="USA-MEX", show_default=True, help="Country pair A-B.")
@click.option(
    "--freq",
    type=click.Choice(["week", "month", "quarter", "year"]),
    default="month",
    show_default=True,
    help="Index periods for the headline and turning points.",
)
@click.option(
    "--sensitive",
    type=click.Choice(["mark", "omit"]),
    default="mark",
    show_default=True,
    help="Sensitive-handling events: show them marked [SENSITIVE HANDLING], or compute the "
    "whole brief without them (for sharing).",
)
@store_options
def brief(
    as_of: date | None, path: Path | None, dyad: str, freq: str, sensitive: str, settings: Settings
) -> None:
    """Write a brief: headline, index chart, what changed, rules met, instruments, sources.

    Prints the path written. Sensitive-handling events are marked where they appear
    (--sensitive mark) or left out of every figure and line (--sensitive omit).

    \b
    Example:
      dyadwatch brief --as-of 2021-01-31 -o brief.pdf
      dyadwatch brief --as-of 2021-01-31 --sensitive omit -o shareable.html
    """
    from dyadwatch.present.brief import brief as write
    from dyadwatch.present.brief import brief_format
    from dyadwatch.store import Store

    day = as_of or datetime.now(UTC).date()
    target = path or Path(f"brief-{day.isoformat()}.html")
    brief_format(target)
    store = Store.open(settings.store)
    click.echo(str(write(store, target, day, dyad=dyad, freq=freq, sensitive=sensitive)))


__all__ = ["brief"]
