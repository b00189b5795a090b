"""One writer at a time: an advisory ``flock`` on ``<store>/writer.lock``.

The kernel drops the lock when its process dies, so a crashed writer never leaves the store
locked. The file records who holds it, so the next writer can say who is in the way.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from dyadwatch.errors import StoreLockedError


class WriterLock:
    """Exclusive writer lock (a context manager): fails at once, or after ``wait`` seconds."""

    def __init__(self, path: Path, wait: float = 0.0) -> None:
        self.path = path
        self.wait = wait
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            try:
                self._try_acquire()
                return
            except StoreLockedError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                time.sleep(min(0.5, left))

    def _try_acquire(self) -> None:
        fh = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            who = ""
            try:
                info = json.loads(holder)
                who = f" by pid {info['pid']} on {info['host']} since {info['since']}"
            except (ValueError, KeyError, TypeError):
                pass
            raise StoreLockedError(
                f"store {self.path.parent} is being written{who}; "
                "wait for that ingest to finish (readers are not blocked)."
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
