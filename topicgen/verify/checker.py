"""The ``Verifier``: is each book and YouTube link a page recommends real?

A book with a note in the vault's ``books/`` counts as found without a
lookup. Every other answer comes from the lookup cache or the services,
and each distinct lookup is made once per run however many pages share it.
A lookup that cannot be made leaves its reference ``UNCHECKED``: the page
is still written, and marked unverified.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from topicgen.vault.notes import NoteIndex
from topicgen.verify.cache import LookupCache
from topicgen.verify.matching import book_key
from topicgen.verify.services import Catalog, Service, Unreachable, YouTube, http_client
from topicgen.verify.settings import VerifySettings
from topicgen.verify.youtube import LinkKind, classify, search_link


class Verdict(StrEnum):
    FOUND = "found"
    UNKNOWN = "unknown"  # looked up, and not there
    UNCHECKED = "unchecked"  # could not be looked up (service unreachable)


@dataclass(frozen=True)
class BookRef:
    title: str
    authors: str

    def __str__(self) -> str:
        return f'"{self.title}" by {self.authors}'


@dataclass(frozen=True)
class VideoRef:
    name: str
    url: str


class Verifier:
    """Looks references up; one per run (it holds the HTTP connections: ``aclose`` it)."""

    def __init__(
        self,
        settings: VerifySettings,
        *,
        cache: LookupCache | None = None,
        books: NoteIndex | None = None,
        transport: Any = None,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.book_notes = books
        self.client = http_client(settings, transport)
        self.catalog = Catalog(Service("book catalog", settings.books_url, settings, self.client))
        self.youtube = YouTube(Service("YouTube", settings.videos_url, settings, self.client))
        self._pending: dict[str, asyncio.Future[Verdict]] = {}

    @property
    def problems(self) -> list[str]:
        """Why a service could not be used in this run (empty when both answered)."""
        return [service.down for service in (self.catalog.service, self.youtube.service) if service.down]

    @property
    def requests(self) -> int:
        return self.catalog.service.requests + self.youtube.service.requests

    async def aclose(self) -> None:
        await self.client.aclose()

    async def book(self, ref: BookRef) -> Verdict:
        if self.book_notes is not None and self.book_notes.find(ref.title) is not None:
            return Verdict.FOUND
        key = f"book:{book_key(ref.title, ref.authors)}"
        return await self._lookup(key, lambda: self.catalog.has(ref.title, ref.authors))

    async def video(self, ref: VideoRef) -> Verdict:
        link = classify(ref.url)
        if link.kind is LinkKind.SEARCH:
            return Verdict.FOUND
        if link.kind is LinkKind.OTHER:
            return Verdict.UNKNOWN
        return await self._lookup(f"youtube:{link.kind}:{link.key}", lambda: self.youtube.has(link))

    async def books(self, refs: list[BookRef]) -> list[Verdict]:
        return list(await asyncio.gather(*(self.book(ref) for ref in refs)))

    async def videos(self, refs: list[VideoRef]) -> list[Verdict]:
        return list(await asyncio.gather(*(self.video(ref) for ref in refs)))

    async def _lookup(self, key: str, ask: Callable[[], Awaitable[bool]]) -> Verdict:
        """The cached answer, the answer already on its way for another page, or a new lookup."""
        if key in self._pending:
            return await asyncio.shield(self._pending[key])
        if self.cache is not None and (cached := self.cache.get(key)) is not None:
            return Verdict.FOUND if cached else Verdict.UNKNOWN
        future: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            found = await ask()
        except Unreachable:
            verdict = Verdict.UNCHECKED
            del self._pending[key]  # not an answer: another page may try again
        except BaseException:
            del self._pending[key]
            future.cancel()
            raise
        else:
            verdict = Verdict.FOUND if found else Verdict.UNKNOWN
            if self.cache is not None:
                self.cache.put(key, found)
        future.set_result(verdict)
        return verdict


def page_books(page: BaseModel) -> dict[str, BookRef]:
    """The books of a page (or of a partial page holding the books section), by label field."""
    books = getattr(page, "books", None)
    if books is None:
        return {}
    return {label: BookRef(book["title"], book["authors"]) for label, book in books.model_dump().items()}


def page_videos(page: BaseModel) -> list[VideoRef]:
    videos = getattr(page, "videos", None) or []
    return [VideoRef(video.name, video.url) for video in videos]


def with_search_links(page: BaseModel, replace: set[int]) -> BaseModel:
    """The page with the videos at ``replace`` pointing at a YouTube search for their name."""
    if not replace:
        return page
    data = page.model_dump(mode="json")
    for index in replace:
        data["videos"][index]["url"] = search_link(data["videos"][index]["name"])
    return type(page).model_validate(data)


def with_books(page: BaseModel, books: BaseModel) -> BaseModel:
    """The page with its books section taken from ``books`` (a partial page holding it)."""
    return page.model_copy(update={"books": books.books})


@dataclass(frozen=True)
class PageReferences:
    """What checking one page's references found and did (carried by the page's outcome)."""

    verified: bool  # every reference was looked up; False when a service was down or checks were off
    unknown_books: tuple[str, ...] = ()  # '"Title" by Authors' still not found after the one re-ask
    searched: tuple[str, ...] = ()  # videos and channels now linked as YouTube searches, by name
    reasked_books: int = 0  # books named in the one re-ask of the books section
    reask_tokens: int = 0  # input and output tokens that re-ask cost
    reask_cached: bool = False  # that re-ask was answered from the reply cache: no call, no tokens
    unreachable: tuple[str, ...] = ()  # why something could not be checked
    seconds: float = 0.0  # wall time this page waited on lookups (not on the books re-ask)
