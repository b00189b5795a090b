"""Option bundles shared by every command: store, period, dyad, output format, verbosity.

A bundle is a decorator that adds its options and passes one parsed object to the command::

    @click.command()
    @store_options
    @output_options
    def events(store: Settings, output: Output) -> None: ...

Inputs are parsed here, once, by the library's own checks: ``--dyad`` by
:func:`dyadwatch.store.query.parse_dyad` (the CAMEO codebook, with a did-you-mean) and
``--as-of`` by :func:`dyadwatch.visibility.check_as_of` (a future date is refused), so every
command that takes them fails the same way, in one line. ``-v``/``--verbose`` and
``-q``/``--quiet`` are added to every command by :func:`add_common_options`; :func:`note`
writes a progress or status line to stderr unless ``--quiet``.

Rendering lives here too, so ``--json`` and ``--csv`` mean the same thing everywhere.
"""

from __future__ import annotations

import csv
import io
import json
import logging
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
from dyadwatch.errors import ConfigError, UsageError
from dyadwatch.settings import Settings
from dyadwatch.store.query import parse_dyad
from dyadwatch.visibility import check_as_of

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


class AsOfParam(DateParam):
    """A :class:`DateParam` that is not in the future (:func:`~dyadwatch.visibility.check_as_of`).

    Every ``--as-of`` uses it, so ``--as-of 2030-01-01`` is the same one-line usage error
    in every command instead of an answer that quietly means "as of today".
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        day = super().convert(value, param, ctx)
        try:
            check_as_of(day)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)
        return day


AS_OF = AsOfParam()


class DyadParam(click.ParamType):
    """``USA-MEX``: two CAMEO country codes, checked by :func:`~dyadwatch.store.parse_dyad`."""

    name = "dyad"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return "-".join(parse_dyad(str(value)))
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


DYAD = DyadParam()


# --- verbosity: -v and --quiet on every command ---------------------------------------------

_VERBOSE = "dyadwatch.verbose"
_QUIET = "dyadwatch.quiet"
LOGGER = logging.getLogger("dyadwatch")


def _root_meta() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().meta if ctx is not None else {}


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Level of dyadwatch's log on stderr: warnings (default), info (-v), debug (-vv), or
    errors only (--quiet). Records read ``warning: …`` (with the logger's name at -vv)."""
    if not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(_Formatter())
        logging.getLogger().addHandler(handler)
    level = logging.ERROR if quiet else logging.WARNING - 10 * min(verbose, 2)
    LOGGER.setLevel(level)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        head = record.levelname.lower()
        if LOGGER.level <= logging.DEBUG:
            head += f" {record.name}"
        return f"{head}: {record.getMessage()}"


def _verbose_callback(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if value:
        meta = ctx.find_root().meta
        meta[_VERBOSE] = meta.get(_VERBOSE, 0) + value
        configure_logging(meta[_VERBOSE], bool(meta.get(_QUIET)))


def _quiet_callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        meta = ctx.find_root().meta
        meta[_QUIET] = True
        configure_logging(meta.get(_VERBOSE, 0), True)


def common_options() -> list[click.Option]:
    """Fresh ``-v/--verbose`` and ``-q/--quiet`` options (a click option belongs to one
    command, so each command gets its own)."""
    return [
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            is_eager=True,
            callback=_verbose_callback,
            help="More log output on stderr (-v info, -vv debug).",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_quiet_callback,
            help="No progress bars or status lines; errors only on stderr.",
        ),
    ]


def add_common_options(command: click.Command) -> click.Command:
    """Give ``command`` and every subcommand ``-v`` and ``--quiet``, and make every
    ``--as-of`` an :data:`AS_OF` (once; idempotent).

    Applied by the top-level group as each command loads, so no command can miss either:
    a command module that declares ``--as-of`` with the plain :data:`DATE` type still
    refuses a future date with the same line as every other.
    """
    names = {opt for p in command.params for opt in getattr(p, "opts", [])}
    if "--verbose" not in names and "--quiet" not in names:
        command.params.extend(common_options())
    for param in command.params:
        if "--as-of" in getattr(param, "opts", []) and type(param.type) is DateParam:
            param.type = AS_OF
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_common_options(sub)
    return command


def quiet() -> bool:
    """Whether ``--quiet`` was given (anywhere on the command line)."""
    return bool(_root_meta().get(_QUIET))


def note(message: str) -> None:
    """A status line on stderr (what the command is doing, a summary), unless ``--quiet``."""
    if not quiet():
        click.echo(message, err=True)


def store_options(func: F) -> F:
    """``--store PATH`` and ``--config PATH``; passes ``settings: Settings``.

    The watched ``dyads`` of the settings go through :func:`~dyadwatch.store.parse_dyad`
    too, so an unknown country in dyadwatch.toml is one error in every command.
    """

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
        settings = settings_mod.load(config=config_path, store=store_path)
        for dyad in settings.dyads:  # the watched dyads pass the same check as --dyad
            try:
                parse_dyad(dyad)
            except UsageError as exc:
                raise ConfigError(f"setting 'dyads': {exc}") from None
        kwargs["settings"] = settings
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
        type=AS_OF,
        default=None,
        help="Only what was public by the end of this day (point in time; not in the future).",
    )
    @wraps(func)
    def wrapper(
        *args: Any, since: date | None, until: date | None, as_of: date | None, **kwargs: Any
    ) -> Any:
        if since and until and since > until:
            raise click.UsageError(f"--since {since} is after --until {until}.")
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


def _fit(text: str, width: int | None) -> str:
    """``text`` in at most ``width`` characters, never cut silently or mid-word.

    A cell of the last column is whole (nothing follows it on the line). A longer cell ends
    in ``…`` after its last whole word; a path keeps its end (``…/name.csv``).

    >>> _fit("header lacks required column(s) source_key, event_date", 30)
    'header lacks required …'
    >>> _fit("/data/statistics/us_cdc/VSRR_Provisional.csv", 30)
    '…/us_cdc/VSRR_Provisional.csv'
    """
    text = " ".join(text.splitlines())
    if width is None or len(text) <= width:
        return text
    if "/" in text and " " not in text:
        tail = text[-(width - 1) :]
        return "…" + (tail[tail.index("/") :] if "/" in tail else tail)
    cut = text[: width - 1]
    if " " in cut and not text[width - 1].isspace():
        cut = cut[: cut.rindex(" ") + 1]
    return cut + "…"


def render(data: Any, fmt: Format, *, title: str | None = None, max_width: int = 60) -> str:
    """Render a table, a list of rows or a mapping as text, JSON or CSV.

    A text table cuts no cell silently: a cell over ``max_width`` characters ends in ``…``
    (after a whole word), and the last column is never cut. JSON and CSV are whole.
    """
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
    last = len(columns) - 1
    cells = [
        [_fit(_cell(r.get(c)), max_width if i < last else None) for i, c in enumerate(columns)]
        for r in rows
    ]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = []
    if title:
        lines.append(title)
    if columns:
        lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
    if not rows:
        lines.append("(no rows)")
    return "\n".join(lines) + "\n"


__all__ = [
    "AS_OF",
    "DATE",
    "DYAD",
    "Output",
    "Period",
    "Settings",
    "add_common_options",
    "configure_logging",
    "note",
    "output_options",
    "period_options",
    "quiet",
    "render",
    "store_options",
]
