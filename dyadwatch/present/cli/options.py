"""Option bundles shared by every command: store, period, dyad, output format.

A bundle is a decorator that adds its options and passes one parsed object to the command::

    @click.command()
    @store_options
    @output_options
    def events(store: Settings, output: Output) -> None: ...

Rendering lives here too, so ``--json`` and ``--csv`` mean the same thing everywhere.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
import numpy as np
import pyarrow as pa

from dyadwatch import settings as settings_mod
from dyadwatch.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
Format = Literal["table", "json", "csv"]


class DateParam(click.ParamType):
    """``YYYY-MM-DD`` (also ``YYYY-MM`` → first of month, ``YYYY`` → 1 January, ``today``)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        if text.lower() == "today":
            return datetime.now(UTC).date()
        for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        self.fail(
            f"{value!r} is not a date (use YYYY-MM-DD, YYYY-MM, YYYY or 'today').", param, ctx
        )


DATE = DateParam()


class DyadParam(click.ParamType):
    """``USA-MEX``: two three-letter CAMEO country codes."""

    name = "dyad"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip().upper()
        parts = text.split("-")
        if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() for p in parts):
            self.fail(f"{value!r} is not a dyad like USA-MEX.", param, ctx)
        return text


DYAD = DyadParam()


def store_options(func: F) -> F:
    """``--store PATH`` and ``--config PATH``; passes ``settings: Settings``."""

    @click.option(
        "--store",
        "store_path",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Store directory [default: ./.dyadwatch, or $DYADWATCH_STORE].",
    )
    @click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Config file [default: ./dyadwatch.toml if present].",
    )
    @wraps(func)
    def wrapper(
        *args: Any, store_path: Path | None, config_path: Path | None, **kwargs: Any
    ) -> Any:
        kwargs["settings"] = settings_mod.load(config=config_path, store=store_path)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Period:
    since: date | None
    until: date | None
    as_of: date | None


def period_options(func: F) -> F:
    """``--since``, ``--until`` (event dates, inclusive) and ``--as-of`` (knowledge cut-off)."""

    @click.option("--since", type=DATE, default=None, help="First event date (inclusive).")
    @click.option("--until", type=DATE, default=None, help="Last event date (inclusive).")
    @click.option(
        "--as-of",
        "as_of",
        type=DATE,
        default=None,
        help="Only what was public by the end of this day (point in time).",
    )
    @wraps(func)
    def wrapper(
        *args: Any, since: date | None, until: date | None, as_of: date | None, **kwargs: Any
    ) -> Any:
        if since and until and since > until:
            raise click.BadParameter(f"--since {since} is after --until {until}.")
        kwargs["period"] = Period(since, until, as_of)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Output:
    format: Format

    def emit(self, data: Any, *, title: str | None = None) -> None:
        """Write ``data`` (an Arrow table, a list of dicts or a dict) in the chosen format."""
        click.echo(render(data, self.format, title=title), nl=False)


def output_options(func: F) -> F:
    """``--json`` / ``--csv`` (default: an aligned text table); passes ``output: Output``."""

    @click.option("--json", "as_json", is_flag=True, help="Write JSON.")
    @click.option("--csv", "as_csv", is_flag=True, help="Write CSV.")
    @wraps(func)
    def wrapper(*args: Any, as_json: bool, as_csv: bool, **kwargs: Any) -> Any:
        if as_json and as_csv:
            raise click.UsageError("choose one of --json and --csv.")
        fmt: Format = "json" if as_json else "csv" if as_csv else "table"
        kwargs["output"] = Output(fmt)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _rows(data: Any) -> list[dict[str, Any]] | None:
    if isinstance(data, pa.Table):
        return data.to_pylist()
    if isinstance(data, Sequence) and not isinstance(data, str):
        return [dict(r) for r in data]
    return None


def _cell(value: Any, exact: bool = False) -> str:
    """A value as table text (readable numbers) or, with ``exact``, as CSV text (lossless)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if exact or math.isnan(value) or math.isinf(value):
            # float32 columns (Goldstein, tone) arrive widened to float64: print the shortest
            # text that reads back as the stored value, not 0.8999999761581543.
            narrow = np.float32(value)
            return str(narrow) if float(narrow) == value else repr(value)
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) >= 1e-4 else f"{value:.3g}"
    if isinstance(value, Decimal):
        return _cell(float(value), exact) if value != value.to_integral_value() else str(value)
    if isinstance(value, list | tuple):
        return ";".join(_cell(v, exact) for v in value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def render(data: Any, fmt: Format, *, title: str | None = None, max_width: int = 60) -> str:
    """Render a table, a list of rows or a mapping as text, JSON or CSV."""
    rows = _rows(data)
    if fmt == "json":
        payload = rows if rows is not None else data
        return json.dumps(_jsonable(payload), ensure_ascii=False, indent=2) + "\n"
    if rows is None:
        if isinstance(data, Mapping):
            rows = [{"key": k, "value": v} for k, v in data.items()]
        else:
            return f"{data}\n"
    columns: list[str] = list(data.column_names) if isinstance(data, pa.Table) else []
    for r in rows:
        for k in r:
            if k not in columns:
                columns.append(k)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_cell(r.get(c), exact=True) for c in columns])
        return buf.getvalue()
    cells = [[_cell(r.get(c))[:max_width] for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
    if not rows:
        lines.append("(no rows)")
    return "\n".join(lines) + "\n"


__all__ = [
    "DATE",
    "DYAD",
    "Output",
    "Period",
    "Settings",
    "output_options",
    "period_options",
    "render",
    "store_options",
]
