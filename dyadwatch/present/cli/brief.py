"""``dyadwatch brief``: the one-to-three-page brief as of a date, HTML or PDF.

One call of :func:`dyadwatch.present.brief.brief`; the format follows the file extension.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from dyadwatch.present.cli.options import AS_OF, DATE, DYAD, store_options
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
    "--lang",
    type=click.Choice(["en", "es"]),
    default="en",
    show_default=True,
    help="Language of the brief: every label and sentence from the label registry; event "
    "summaries stay in the language they were recorded in, marked.",
)
@click.option(
    "--previous",
    type=DATE,
    default=None,
    help="Date of the last brief: 'since the last brief' is what became public after it "
    "[default: 30 days before --as-of].",
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
    as_of: date | None,
    path: Path | None,
    dyad: str,
    freq: str,
    lang: str,
    previous: date | None,
    sensitive: str,
    settings: Settings,
) -> None:
    """Write a brief: the bottom line first (where the relationship stands, how sure, what
    changed since the last brief, which levers apply and why), then the evidence and sources.

    Prints the path written. The brief says it is out of date when its newest event is
    older than the stale_after_days setting (default 60). Sensitive-handling events are
    marked where they appear (--sensitive mark) or left out of every figure and line
    (--sensitive omit).

    \b
    Example:
      dyadwatch brief --as-of 2021-01-19 -o brief.pdf
      dyadwatch brief --as-of 2021-01-19 --lang es -o informe.html
      dyadwatch brief --as-of 2021-01-31 --previous 2021-01-19 --sensitive omit -o share.html
    """
    from dyadwatch.present.brief import brief as write
    from dyadwatch.present.brief import brief_format
    from dyadwatch.store import Store

    day = as_of or datetime.now(UTC).date()
    target = path or Path(f"brief-{day.isoformat()}.html")
    brief_format(target)
    store = Store.open(settings.store)
    written = write(
        store,
        target,
        day,
        dyad=dyad,
        freq=freq,
        sensitive=sensitive,
        lang=lang,
        previous=previous,
        stale_after_days=settings.stale_after_days,
    )
    click.echo(str(written))


__all__ = ["brief"]
