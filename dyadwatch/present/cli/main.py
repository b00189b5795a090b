"""The ``dyadwatch`` command: a thin skin over the Python API.

Each command calls one library function and renders its result. Errors are translated here,
once, into one style: exactly one line on stderr, ``error: <what went wrong and what to do>``,
and an exit status —

* 0: done;
* 1 (:data:`EXIT_RUNTIME`): the command ran and failed (no store, a file that failed, a
  download that failed, an analysis that cannot be computed);
* 2 (:data:`EXIT_USAGE`): the command was given wrong — an unknown command, option or
  source, a bad value (``--budget 200%``, ``--dyad USA-XYZ``, a future ``--as-of``):
  click's usage errors, :class:`~dyadwatch.errors.UsageError` and
  :class:`~dyadwatch.errors.UnknownSourceError` alike;
* 130: interrupted.

Every command accepts ``-v``/``--verbose`` and ``-q``/``--quiet`` (added by
:func:`~dyadwatch.present.cli.options.add_common_options` as commands load). Commands live in
their own modules and are imported only when used, so ``dyadwatch --help`` and quick
commands start fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from dyadwatch.errors import DyadwatchError, UnknownSourceError, UsageError, did_you_mean
from dyadwatch.present.cli.options import LOGGER, add_common_options, configure_logging

EXIT_RUNTIME = 1
"""The command ran and failed."""
EXIT_USAGE = 2
"""The command was given wrong: unknown command or option, bad value."""
EXIT_INTERRUPTED = 130

# name -> "module:attribute" of a click command or group. Modules load on first use.
COMMANDS: dict[str, str] = {
    "init": "dyadwatch.present.cli.store_cmds:init",
    "ingest": "dyadwatch.present.cli.store_cmds:ingest",
    "code": "dyadwatch.present.cli.code:code",
    "events": "dyadwatch.present.cli.store_cmds:events",
    "status": "dyadwatch.present.cli.store_cmds:status",
    "quarantine": "dyadwatch.present.cli.store_cmds:quarantine",
    "sources": "dyadwatch.present.cli.store_cmds:sources",
    "run": "dyadwatch.present.cli.store_cmds:run",
    "update": "dyadwatch.present.cli.gdelt:update",
    "index": "dyadwatch.present.cli.index:index",
    "kb": "dyadwatch.present.cli.kb:kb",
    "instruments": "dyadwatch.present.cli.kb:instruments",
    "indicators": "dyadwatch.present.cli.kb:indicators",
    "network": "dyadwatch.present.cli.network:network",
    "serve": "dyadwatch.present.cli.serve:serve",
    "token": "dyadwatch.present.cli.serve:token",
    "brief": "dyadwatch.present.cli.brief:brief",
    "rules": "dyadwatch.present.cli.rules:rules",
    "backtest": "dyadwatch.present.cli.rules:backtest_cmd",
    "release": "dyadwatch.present.cli.release:release",
    "validate": "dyadwatch.present.cli.validate:validate",
    "schema": "dyadwatch.present.cli.schema:schema",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on demand (click's documented lazy pattern)."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            return add_common_options(command)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            hint = did_you_mean(name, self.list_commands(ctx))
            raise click.UsageError(f"no such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit status: 0 done, 1 the command failed, 2 the command was given wrong "
    "(unknown option, bad value), 130 interrupted. Errors are one line on stderr: "
    "'error: …'.",
)
@click.version_option(package_name="dyadwatch")
def cli() -> None:
    """Watch a bilateral security relationship (default: United States–Mexico).

    Every command takes -v (more log output) and -q/--quiet (no progress or status lines).

    \b
    Example:
      dyadwatch run            # build the store from what ships, print its status
      dyadwatch events --dyad USA-MEX --since 2020-01-01 --count
    """


add_common_options(cli)


def one_line(text: str) -> str:
    """``text`` on one line: its lines joined, runs of spaces kept as they were.

    >>> one_line("first line\\n  second line\\n")
    'first line second line'
    """
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def usage_message(exc: click.UsageError) -> str:
    """A click usage error as one sentence, with where to look for the right usage."""
    text = one_line(exc.format_message())
    if text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]
    if exc.ctx is not None and not isinstance(exc, click.BadParameter):
        # A bad value names its option and the valid range; for an unknown option or a
        # missing argument the command's help is where the right usage is.
        text = f"{text.rstrip('.')} (see '{exc.ctx.command_path} --help')."
    return text


def fail(message: str, status: int) -> int:
    """Write ``error: message`` on one line of stderr; return ``status``."""
    click.echo(f"error: {one_line(message)}", err=True)
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and translate every error into one line and an exit code."""
    level = LOGGER.level
    configure_logging()
    try:
        rv = cli.main(args=argv, prog_name="dyadwatch", standalone_mode=False)
    except (UsageError, UnknownSourceError) as exc:
        return fail(str(exc), EXIT_USAGE)
    except DyadwatchError as exc:
        return fail(str(exc), EXIT_RUNTIME)
    except click.exceptions.Abort:
        return fail("aborted.", EXIT_INTERRUPTED)
    except click.exceptions.NoArgsIsHelpError as exc:
        # `dyadwatch` or `dyadwatch update` alone: a request for help, not a mistake.
        click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        return 0
    except click.UsageError as exc:
        return fail(usage_message(exc), EXIT_USAGE)
    except click.ClickException as exc:
        return fail(exc.format_message(), exc.exit_code or EXIT_RUNTIME)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except KeyboardInterrupt:
        return fail(
            "interrupted: the store is left as it was before the artifact in progress.",
            EXIT_INTERRUPTED,
        )
    except BrokenPipeError:
        return 0
    finally:
        LOGGER.setLevel(level)
    # In non-standalone mode click returns ctx.exit()'s code (or the command's return value).
    return rv if isinstance(rv, int) else 0


def run() -> None:
    sys.exit(main())
