"""Progress bars for long commands (downloads, ingests, simulations), drawn with rich.

Library code never draws: it takes a callback (``pipeline.ingest(progress=…)``,
``network.simulate(progress=…)``) and the command passes :meth:`Bar.advance` or
:meth:`Bar.update`. A bar

* appears only once the work has run for :data:`DELAY` seconds (quick commands stay quiet);
* is drawn on stderr, so stdout stays clean for ``--json`` and ``--csv``;
* is off when stderr is not a terminal (pipes, cron, CI, tests) or with ``--quiet``;
* disappears when the work ends (the command's summary line follows).

Examples
--------
>>> with Bar("ingest", total=3, enabled=False) as bar:
...     for _ in range(3):
...         bar.advance()
>>> bar.done
3
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dyadwatch.present.cli.options import quiet

DELAY = 2.0
"""Seconds of work before a bar appears."""


def wanted(stream: IO[str] | None = None) -> bool:
    """Whether bars are drawn: stderr (or ``stream``) is a terminal and not ``--quiet``."""
    target = stream if stream is not None else sys.stderr
    return bool(getattr(target, "isatty", lambda: False)()) and not quiet()


class Bar:
    """One progress bar over ``total`` steps, shown after ``delay`` seconds (see module).

    ``enabled`` None means :func:`wanted`; ``console`` is where to draw (default: stderr).
    ``total`` may be None for work of unknown size (the bar then counts without an end).
    """

    def __init__(
        self,
        description: str,
        total: int | None,
        *,
        unit: str = "",
        enabled: bool | None = None,
        delay: float = DELAY,
        console: Console | None = None,
    ) -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self.enabled = wanted() if enabled is None else enabled
        self.delay = delay
        self.done = 0
        self._console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Bar:
        if self.enabled:
            if self.delay <= 0:
                self._show()
            else:
                self._timer = threading.Timer(self.delay, self._show)
                self._timer.daemon = True
                self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    @property
    def shown(self) -> bool:
        """Whether the bar is on screen now."""
        return self._progress is not None

    def _show(self) -> None:
        with self._lock:
            if self._progress is not None:
                return
            columns = [
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            ]
            console = self._console or Console(stderr=True)
            self._progress = Progress(*columns, console=console, transient=True)
            self._task = self._progress.add_task(
                self.description, total=self.total, completed=self.done
            )
            self._progress.start()

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps are done (thread-safe)."""
        with self._lock:
            self.done += steps
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=self.done)

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` steps are done (for callbacks that report both)."""
        with self._lock:
            self.done = done
            if total is not None:
                self.total = total
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=done, total=self.total)


__all__ = ["DELAY", "Bar", "wanted"]
