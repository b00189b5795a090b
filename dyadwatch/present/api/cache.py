"""A small thread-safe LRU cache that computes each missing key once (single flight).

The dashboard and the API run request handlers in a thread pool. When 32 requests for the
same cold page arrive together, the first computes and the other 31 wait for its result
instead of running the same multi-second index computation 32 times on a laptop's two cores.
Keys start with the store's generation, so a commit makes every older entry unreachable; the
LRU bound then evicts them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlightCache:
    """LRU of at most ``maxsize`` results; concurrent misses on one key compute once.

    A computation that raises is not cached: every waiter gets the exception, and the next
    request tries again.

    Examples
    --------
    >>> cache = SingleFlightCache(2)
    >>> cache.get(("a", 1), lambda: 41 + 1)
    42
    >>> cache.get(("a", 1), lambda: 0)
    42
    """

    def __init__(self, maxsize: int = 256) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._done: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                self.hits += 1
                return self._done[key]
            future = self._pending.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._pending[key] = future
                self.misses += 1
        if not owner:
            return future.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                self._pending.pop(key, None)
            future.set_exception(exc)
            raise
        with self._lock:
            self._pending.pop(key, None)
            self._done[key] = value
            self._done.move_to_end(key)
            while len(self._done) > self.maxsize:
                self._done.popitem(last=False)
        future.set_result(value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._done.clear()

    def __len__(self) -> int:
        return len(self._done)


__all__ = ["SingleFlightCache"]
