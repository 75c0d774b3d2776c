"""The book catalog and YouTube over HTTP, used politely.

Each ``Service`` lets at most ``concurrency`` requests be in flight, sends a
User-Agent naming topicgen and its version (and the vault owner's contact,
when given, as Open Library asks), times out quickly, and honours 429 with
``Retry-After``: every lookup of that service waits, not just the one that
was told. A service that cannot be reached (refused, timing out, failing
with 5xx, or asking to wait longer than ``max_wait``) is given up for the
rest of the run, so an outage costs one timeout rather than one per lookup.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import httpx2

from topicgen.verify.matching import book_matches, search_terms
from topicgen.verify.settings import VerifySettings
from topicgen.verify.youtube import LinkKind, YouTubeLink

FIRST_BACKOFF = 0.5  # seconds before retrying a 5xx or a timeout; doubles each time
CATALOG_LIMIT = 10  # entries asked for per search
CATALOG_FIELDS = "key,title,subtitle,author_name"


class Unreachable(Exception):
    """The service gave no usable answer; the message says why, in one line."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def user_agent(contact: str | None) -> str:
    """'topicgen/0.1.0 (you@example.org)': who is asking, as Open Library asks API users to say."""
    try:
        version = metadata.version("topicgen")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"topicgen/{version} ({contact or 'reference check'})"


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def http_client(settings: VerifySettings, transport: Any = None) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        headers={"User-Agent": user_agent(settings.contact)},
        timeout=httpx2.Timeout(settings.timeout, connect=min(settings.timeout, 5.0)),
        limits=httpx2.Limits(max_connections=settings.concurrency * 2),
        follow_redirects=True,
        transport=transport,
    )


class Service:
    """One remote service: a concurrency limit, shared 429 pauses, and giving up when it is down."""

    def __init__(
        self, name: str, base_url: str, settings: VerifySettings, client: httpx2.AsyncClient
    ) -> None:
        self.name = name
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc.rpartition("@")[2] or base_url  # never its user:password
        self.settings = settings
        self.client = client
        self.down: str | None = None
        self.requests = 0
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._resume_at = 0.0

    async def get(self, path: str, params: dict[str, str] | None = None, *, body: bool = True) -> Answer:
        """The answer to ``GET base_url + path``; ``Unreachable`` when there is none to be had."""
        failure = ""
        for attempt in range(self.settings.retries + 1):
            if self.down:
                raise Unreachable(self.down)
            async with self._slots:
                pause = self._resume_at - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                if self.down:
                    raise Unreachable(self.down)
                try:
                    answer, wait = await self._send(path, params, body)
                except httpx2.TimeoutException:
                    failure = f"{self.host} did not answer within {self.settings.timeout:g} s"
                except httpx2.TransportError as error:
                    self.down = f"cannot reach {self.host}: {_reason(error)}"
                    raise Unreachable(self.down) from None
                else:
                    if answer is not None:
                        return answer
                    if wait is None:
                        failure = f"{self.host} is failing (HTTP 5xx)"
                    elif wait > self.settings.max_wait:
                        self.down = f"{self.host} asks to wait {wait:.0f} s (HTTP 429)"
                        raise Unreachable(self.down)
                    else:
                        failure = f"{self.host} kept answering 429 (too many requests)"
                        self._resume_at = max(self._resume_at, time.monotonic() + wait)
                        continue
            if attempt < self.settings.retries:
                await asyncio.sleep(FIRST_BACKOFF * 2**attempt)
        self.down = failure
        raise Unreachable(failure)

    async def _send(
        self, path: str, params: dict[str, str] | None, body: bool
    ) -> tuple[Answer | None, float | None]:
        """(the answer, or None with the wait a 429 asked for; None and None after a 5xx)."""
        self.requests += 1
        async with self.client.stream("GET", self.base_url + path, params=params) as response:
            status = response.status_code
            if status == 429:
                return None, retry_after(response.headers.get("retry-after")) or 1.0
            if status >= 500:
                return None, None
            content = await response.aread() if body and status == 200 else b""
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Answer(status, kind, content), None


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[-1][:120].rstrip(".") if text else type(error).__name__


def _json(answer: Answer, service: Service) -> Any:
    try:
        return json.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        raise Unreachable(f"{service.host} answered something that is not JSON") from None


class Catalog:
    """A book catalog with Open Library's search API (``/search.json?title=&author=``)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def has(self, title: str, authors: str) -> bool:
        main, surname = search_terms(title, authors)
        params = {"title": main, "limit": str(CATALOG_LIMIT), "fields": CATALOG_FIELDS}
        if surname:
            params["author"] = surname
        answer = await self.service.get("/search.json", params)
        if answer.status != 200:
            raise Unreachable(f"{self.service.host} answered HTTP {answer.status} to a book search")
        data = _json(answer, self.service)
        docs = data.get("docs") if isinstance(data, dict) else None
        if not isinstance(docs, list):
            raise Unreachable(f"{self.service.host} answered a search without 'docs'")
        return any(isinstance(doc, dict) and book_matches(title, authors, doc) for doc in docs)


class YouTube:
    """YouTube: oEmbed for videos and playlists, the page itself for channels."""

    FOUND_OEMBED = frozenset({200, 401})  # 401: embedding is turned off, but the video is there
    MISSING = frozenset({400, 403, 404, 410})  # bad or unsupported address, private, gone

    def __init__(self, service: Service) -> None:
        self.service = service

    async def has(self, link: YouTubeLink) -> bool:
        if link.kind is LinkKind.CHANNEL:
            answer = await self.service.get(link.key, body=False)
            found = {200}
        else:
            params = {"url": link.oembed_url, "format": "json"}
            answer = await self.service.get("/oembed", params)
            found = self.FOUND_OEMBED
            if answer.status == 200 and answer.content_type != "application/json":
                return False  # YouTube has answered 200 "Forbidden" (text) for private videos
        if answer.status in found:
            return True
        if answer.status in self.MISSING:
            return False
        raise Unreachable(f"{self.service.host} answered HTTP {answer.status}")
