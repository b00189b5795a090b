"""The ``dyadwatch`` command: a thin skin over the Python API.

Each command calls one library function and renders its result. Errors are translated here,
once: a :class:`~dyadwatch.errors.DyadwatchError` becomes one line on stderr
(``error: …``) and exit status 1; a bad argument becomes click's usage error (status 2).
Commands live in their own modules and are imported only when used, so ``dyadwatch --help``
and quick commands start fast.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from dyadwatch.errors import DyadwatchError, did_you_mean

# name -> "module:attribute" of a click command or group. Modules load on first use.
COMMANDS: dict[str, str] = {
    "init": "dyadwatch.present.cli.store_cmds:init",
    "ingest": "dyadwatch.present.cli.store_cmds:ingest",
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
            return command
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            hint = did_you_mean(name, self.list_commands(ctx))
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="dyadwatch")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Watch a bilateral security relationship (default: United States–Mexico).

    \b
    Example:
      dyadwatch run            # build the store from what ships, print its status
      dyadwatch events --dyad USA-MEX --since 2020-01-01 --count
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and translate dyadwatch errors into one line and an exit code."""
    try:
        rv = cli.main(args=argv, prog_name="dyadwatch", standalone_mode=False)
    except DyadwatchError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except KeyboardInterrupt:
        click.echo(
            "interrupted: the store is left as it was before the artifact in progress.", err=True
        )
        return 130
    except BrokenPipeError:
        return 0
    # In non-standalone mode click returns ctx.exit()'s code (or the command's return value).
    return rv if isinstance(rv, int) else 0


def run() -> None:
    sys.exit(main())
