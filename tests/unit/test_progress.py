"""Progress bars: rich, on stderr, only on a terminal, never with --quiet, after a delay."""

from __future__ import annotations

import io

import click
import pytest
from rich.console import Console

from dyadwatch.present.cli.main import cli
from dyadwatch.present.cli.progress import DELAY, Bar, wanted

pytestmark = pytest.mark.unit


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def terminal() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=True, width=100), buf


def test_a_bar_draws_its_steps_on_the_console() -> None:
    console, buf = terminal()
    with Bar(
        "cdc_vsrr ingest", total=3, unit="file(s)", enabled=True, delay=0, console=console
    ) as bar:
        assert bar.shown
        bar.advance()
        bar.advance(2)
    assert not bar.shown and bar.done == 3
    assert "cdc_vsrr ingest" in buf.getvalue()


def test_callbacks_that_report_done_and_total() -> None:
    console, _ = terminal()
    with Bar("simulating", total=None, enabled=True, delay=0, console=console) as bar:
        bar.update(5, 10)
    assert (bar.done, bar.total) == (5, 10)


def test_quick_work_shows_no_bar() -> None:
    console, buf = terminal()
    with Bar("ingest", total=1, enabled=True, delay=DELAY * 30, console=console) as bar:
        bar.advance()
    assert not bar.shown and buf.getvalue() == ""


def test_disabled_bars_count_but_draw_nothing() -> None:
    console, buf = terminal()
    with Bar("ingest", total=2, enabled=False, delay=0, console=console) as bar:
        bar.advance(2)
    assert bar.done == 2 and buf.getvalue() == ""


def test_bars_only_on_a_terminal_and_never_with_quiet() -> None:
    assert not wanted(io.StringIO())
    assert wanted(Tty())
    ctx = click.Context(cli)
    ctx.meta["dyadwatch.quiet"] = True
    with ctx:
        assert not wanted(Tty())
