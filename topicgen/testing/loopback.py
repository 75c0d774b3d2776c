"""What every test server shares: an HTTP server on a free 127.0.0.1 port, served from a thread.

A client that hangs up (a run interrupted or killed, a timeout, a stream
closed before its body was read) is what these servers exist to see: it is
never reported. socketserver would print a traceback for it on stderr from
the handler's thread, and a test capturing that stream (``CliRunner``
swaps ``sys.stderr`` for the whole process) would find a traceback in the
command's output that the command never wrote.
"""

from __future__ import annotations

import errno
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any, Self

# what a socket raises when the other end has gone, besides ConnectionError and TimeoutError
HANG_UP_ERRNOS = frozenset({errno.ENOTCONN, errno.ESHUTDOWN, errno.ETIMEDOUT})


def hung_up(error: BaseException | None) -> bool:
    """Whether ``error`` means only that the client went away (reset, broken pipe, gone)."""
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    return isinstance(error, OSError) and error.errno in HANG_UP_ERRNOS


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that says nothing when a client hangs up (a real error still shows)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not hung_up(sys.exc_info()[1]):
            super().handle_error(request, client_address)


class LoopbackServer:
    """Start, stop and address a server made by ``_make_server``; a context manager."""

    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _stopping: threading.Event
    bind_port: int = 0  # the port to listen on, 0 for any free one; the address is always 127.0.0.1

    @property
    def bind_address(self) -> tuple[str, int]:
        """Where ``_make_server`` listens: loopback only, never another interface."""
        return ("127.0.0.1", self.bind_port)

    def _make_server(self) -> ThreadingHTTPServer:
        raise NotImplementedError

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = self._make_server()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled and sleeping handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"the {type(self).__name__} is not running; call start()")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The server's root, e.g. for ANTHROPIC_BASE_URL or TOPICGEN_VERIFY_BOOKS_URL."""
        return f"http://127.0.0.1:{self.port}"
