"""The local HTTP server the download tests run their fault mirrors on.

A client that gives up on a slow or truncated reply closes its socket; the handler thread
then fails writing the rest (``BrokenPipeError``, ``ConnectionResetError``). That is the
fault working as designed, not a server error, so it is not printed: the standard
``socketserver`` prints a traceback to stderr, which lands in whatever the test is capturing
and reads as a crash of the code under test.
"""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class FaultServer(http.server.ThreadingHTTPServer):
    """A threading server on 127.0.0.1 that stays quiet when a client hangs up."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free local port for the ``with`` block; yields the base URL."""
    server = FaultServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
