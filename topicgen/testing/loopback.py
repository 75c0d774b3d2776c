"""What every test server shares: an HTTP server on a free 127.0.0.1 port, served from a thread."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class LoopbackServer:
    """Start, stop and address a server made by ``_make_server``; a context manager."""

    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _stopping: threading.Event

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
