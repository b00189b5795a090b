"""``dyadwatch schema events``: the canonical event columns, for people bringing their own data.

The table comes from the model itself — :data:`dyadwatch.model.EVENT_SCHEMA` (names, types),
:data:`dyadwatch.model.EVENT_COLUMN_MEANINGS` (one line each) and the file source's required
columns — so it cannot drift from what ``dyadwatch ingest file`` accepts. docs/events-schema.md
holds the same table (``dyadwatch schema events --markdown``); a test keeps the two equal.
"""

from __future__ import annotations

from typing import Any

import click
import pyarrow as pa

from dyadwatch.model import EVENT_COLUMN_MEANINGS, EVENT_SCHEMA
from dyadwatch.present.cli.options import Output, output_options
from dyadwatch.sources.file import REQUIRED


def type_name(dtype: pa.DataType) -> str:
    """An Arrow type in words a CSV author can use.

    >>> type_name(pa.date32()), type_name(pa.list_(pa.string())), type_name(pa.float32())
    ('date', 'list of text', 'number')
    """
    if pa.types.is_list(dtype):
        return f"list of {type_name(dtype.value_type)}"
    if pa.types.is_timestamp(dtype):
        return "timestamp (UTC)"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_integer(dtype):
        return "integer"
    if pa.types.is_floating(dtype):
        return "number"
    return "text" if pa.types.is_string(dtype) else str(dtype)


def event_columns() -> list[dict[str, Any]]:
    """One row per canonical event column: name, type, required (in a file), meaning.

    >>> [r for r in event_columns() if r["required"] == "yes"][0]["name"]
    'source_key'
    """
    return [
        {
            "name": f.name,
            "type": type_name(f.type),
            "required": "yes" if f.name in REQUIRED else "no",
            "meaning": EVENT_COLUMN_MEANINGS[f.name],
        }
        for f in EVENT_SCHEMA
    ]


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table (the one in docs/events-schema.md)."""
    lines = ["| column | type | required | meaning |", "| --- | --- | --- | --- |"]
    lines += [
        f"| `{r['name']}` | {r['type']} | {r['required']} | {r['meaning'].replace('|', '/')} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("dataset", type=click.Choice(["events"]), default="events")
@click.option("--markdown", "as_markdown", is_flag=True, help="Write a Markdown table.")
@output_options
def schema(dataset: str, as_markdown: bool, output: Output) -> None:
    """The canonical columns of DATASET: name, type, required, meaning.

    A CSV or Parquet file for `dyadwatch ingest file` needs the required columns; any
    other column of this list is optional, and columns not in it are ignored (with a
    warning). List columns are written a;b;c in CSV.

    \b
    Example:
      dyadwatch schema events
      dyadwatch schema events --csv > columns.csv
    """
    rows = event_columns()
    if as_markdown:
        click.echo(markdown(rows), nl=False)
        return
    output.emit(rows)


__all__ = ["event_columns", "markdown", "schema", "type_name"]
