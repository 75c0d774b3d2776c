"""A stand-in book catalog and YouTube on a loopback port, for tests and benchmarks.

``ReferenceServer`` answers what topicgen's reference checks ask, the way
the real services do:

- ``GET /search.json?title=&author=`` like Open Library's search API:
  ``{"numFound": n, "start": 0, "numFoundExact": true, "docs": [{"key",
  "title", "author_name": [...], "first_publish_year"}]}``. It searches
  loosely (every word of the title asked for is in the entry's title, the
  author asked for is in one of its names, case and accents folded as Open
  Library folds them: "Geron" finds "Géron"), as a search engine does; which
  entry is the book is topicgen's rule to decide.
- ``GET /oembed?url=...&format=json`` like YouTube's oEmbed: 200 JSON for a
  known video or playlist, 401 ``Unauthorized`` for one with embedding turned
  off, 404 ``Not Found`` for an unknown one and for any channel address,
  400 ``Bad Request`` for an address it cannot read (error bodies are text).
- ``GET /@handle``, ``/c/...``, ``/channel/...``, ``/user/...``: 200 HTML for a
  known channel, else 404.

It can answer slowly (``latency``), be scripted to answer 429 with a
``Retry-After`` or any other status, and go down (``outage``: connections
are closed unanswered). ``learn_half_of`` teaches it every other book,
video and channel the fake provider invents for some topics; ``learn_page``
every one of a page (``FakeProvider(on_page=...)``). ``stats()``
counts requests by route, the User-Agents seen and the most in flight.
Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from topicgen.testing.loopback import LoopbackServer, QuietServer, hung_up

_WORD = re.compile(r"\w+")
_VIDEO_URL = re.compile(r"(?:[?&]v=|youtu\.be/|/shorts/|/embed/|/live/)([A-Za-z0-9_-]+)")
_CHANNEL = re.compile(r"^/(@[^/?#]+|(?:c|channel|user)/[^/?#]+)")


@dataclass(frozen=True)
class Status:
    """A scripted answer with any status (a text body), and a ``Retry-After`` when given."""

    status: int
    body: str = "scripted"
    retry_after: float | None = None


def TooManyRequests(retry_after: float = 1.0) -> Status:
    """A scripted 429 with ``Retry-After: retry_after``."""
    return Status(429, "Too Many Requests", retry_after)


@dataclass(frozen=True)
class ReferenceStats:
    requests: int
    routes: dict[str, int]  # "search", "oembed", "channel", "other"
    user_agents: frozenset[str]
    max_in_flight: int


def _words(text: str) -> list[str]:
    """A text's words as the real search compares them: case and accents folded ("Géron" is "geron")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(char for char in decomposed if not unicodedata.combining(char)))


class ReferenceServer(LoopbackServer):
    """The stand-in services; a context manager. ``url`` is both ``books_url`` and ``videos_url``."""

    def __init__(self, *, latency: float = 0.0, port: int = 0) -> None:
        self.bind_port = port
        self.latency = latency
        self.books: list[dict[str, Any]] = []
        self.videos: set[str] = set()
        self.embedding_off: set[str] = set()
        self.channels: set[str] = set()
        self.down = False
        self._script: deque[Status] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.reset_stats()

    # -- what it knows ---------------------------------------------------------------------

    def add_book(self, title: str, authors: Iterable[str], year: int = 2001) -> None:
        with self._lock:
            key = f"/works/OL{len(self.books) + 1}W"
            self.books.append(
                {"key": key, "title": title, "author_name": list(authors), "first_publish_year": year}
            )

    def add_video(self, video_id: str, *, embeddable: bool = True) -> None:
        with self._lock:
            (self.videos if embeddable else self.embedding_off).add(video_id)

    def add_channel(self, path: str) -> None:
        """A channel by its path: '/@veritasium', '/c/DeeplearningTV', '/channel/UC...'."""
        with self._lock:
            self.channels.add(path.rstrip("/"))

    def learn_half_of(self, topics: Iterable[str], schema: dict[str, Any] | None = None) -> None:
        """Know every other book, video and channel the fake provider writes for ``topics``."""
        from topicgen.page.schema import page_json_schema
        from topicgen.testing.fake_provider import page_for_schema

        pages = [page_for_schema(schema or page_json_schema(), topic) for topic in topics]
        books = [book for page in pages for book in page.get("books", {}).values()]
        for book in books[::2]:
            self._learn_book(book)
        for video in [video for page in pages for video in page.get("videos", [])][::2]:
            self.learn_link(video["url"])

    def learn_page(self, page: Any) -> None:
        """Know every book, video and channel of a page (or of the sections) the fake provider wrote."""
        if not isinstance(page, dict):
            return
        for book in (page.get("books") or {}).values():
            self._learn_book(book)
        for video in page.get("videos") or []:
            self.learn_link(video["url"])

    def _learn_book(self, book: dict[str, str]) -> None:
        """A book as a page names it: its title, and its authors joined with 'and'."""
        self.add_book(book["title"], [name.strip() for name in book["authors"].split(" and ")])

    def knows_book(self, title: str) -> bool:
        with self._lock:
            return any(book["title"] == title for book in self.books)

    def learn_link(self, url: str) -> None:
        """Know whatever a YouTube address points at."""
        path = urlsplit(url).path
        if channel := _CHANNEL.match(path):
            self.add_channel("/" + channel.group(1))
        elif video := _VIDEO_URL.search(url):
            self.add_video(video.group(1))

    # -- faults ------------------------------------------------------------------------------

    def script(self, *answers: Status) -> None:
        """Answer the next requests like this, in order, whatever they ask."""
        with self._lock:
            self._script.extend(answers)

    def outage(self, down: bool = True) -> None:
        """While down, every connection is closed without an answer."""
        self.down = down

    # -- lifecycle: start, stop, port and url come from LoopbackServer ----------------------

    def _make_server(self) -> _Server:
        return _Server(self.bind_address, _Handler, self)

    def env(self) -> dict[str, str]:
        """The environment that points topicgen's checks here."""
        return {"TOPICGEN_VERIFY_BOOKS_URL": self.url, "TOPICGEN_VERIFY_VIDEOS_URL": self.url}

    # -- counting ------------------------------------------------------------------------------

    def reset_stats(self) -> None:
        with self._lock:
            self._routes: Counter[str] = Counter()
            self._agents: set[str] = set()
            self._in_flight = 0
            self._max_in_flight = 0

    def stats(self) -> ReferenceStats:
        with self._lock:
            return ReferenceStats(
                sum(self._routes.values()), dict(self._routes), frozenset(self._agents), self._max_in_flight
            )

    # -- answering -----------------------------------------------------------------------------

    def answer(self, target: str, agent: str) -> tuple[int, str, str, dict[str, str]] | None:
        """(status, content type, body, headers), or None to hang up."""
        parts = urlsplit(target)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        route = (
            "search"
            if parts.path == "/search.json"
            else "oembed"
            if parts.path == "/oembed"
            else "channel"
            if _CHANNEL.match(parts.path)
            else "other"
        )
        with self._lock:
            self._routes[route] += 1
            self._agents.add(agent)
            scripted = self._script.popleft() if self._script else None
        if self.down:
            return None
        if scripted is not None:
            retry = {} if scripted.retry_after is None else {"retry-after": f"{scripted.retry_after:g}"}
            return scripted.status, "text/plain", scripted.body, retry
        if route == "search":
            return self._search(query)
        if route == "oembed":
            return self._oembed(query)
        if route == "channel":
            known = _CHANNEL.match(parts.path).group(0) in self.channels  # type: ignore[union-attr]
            if known:
                return 200, "text/html; charset=utf-8", "<html><title>channel</title></html>", {}
            return 404, "text/html; charset=utf-8", "<html>404 Not Found</html>", {}
        return 404, "text/plain", "Not Found", {}

    def _search(self, query: dict[str, str]) -> tuple[int, str, str, dict[str, str]]:
        title = set(_words(query.get("title", "") or query.get("q", "")))
        author = " ".join(_words(query.get("author", "")))
        with self._lock:
            docs = [
                book
                for book in self.books
                if title <= set(_words(book["title"]))
                and (not author or any(author in " ".join(_words(n)) for n in book["author_name"]))
            ]
        limit = int(query.get("limit", "100") or 100)
        body = {"numFound": len(docs), "start": 0, "numFoundExact": True, "docs": docs[:limit]}
        return 200, "application/json", json.dumps(body), {}

    def _oembed(self, query: dict[str, str]) -> tuple[int, str, str, dict[str, str]]:
        url = query.get("url", "")
        if not url.startswith(("http://", "https://")):
            return 400, "text/plain", "Bad Request", {}
        video = _VIDEO_URL.search(url)
        playlist = parse_qs(urlsplit(url).query).get("list")
        key = video.group(1) if video else playlist[0] if playlist else None
        if key in self.embedding_off:
            return 401, "text/plain", "Unauthorized", {}
        if key is None or key not in self.videos:
            return 404, "text/plain", "Not Found", {}
        body = {
            "title": f"video {key}",
            "author_name": "someone",
            "author_url": "https://www.youtube.com/@someone",
            "type": "video",
            "version": "1.0",
            "provider_name": "YouTube",
            "provider_url": "https://www.youtube.com/",
        }
        return 200, "application/json", json.dumps(body), {}


class _Server(QuietServer):
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type, stand_in: ReferenceServer) -> None:
        self.stand_in = stand_in
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        stand_in = self.server.stand_in
        with stand_in._lock:
            stand_in._in_flight += 1
            stand_in._max_in_flight = max(stand_in._max_in_flight, stand_in._in_flight)
        try:
            answer = stand_in.answer(self.path, self.headers.get("user-agent", ""))
            if stand_in.latency and stand_in._stopping.wait(stand_in.latency):
                answer = None
            if answer is None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, kind, body, headers = answer
            data = body.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError as error:
            if not hung_up(error):
                raise
            self.close_connection = True
        finally:
            with stand_in._lock:
                stand_in._in_flight -= 1
