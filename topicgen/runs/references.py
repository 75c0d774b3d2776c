"""Grounding a page's references between validation and rendering (issue 11).

Every book and YouTube link of a freshly generated page (or of the sections
regenerated) is looked up. An unknown video or channel becomes a YouTube
search for its name, at no model cost. Unknown books are asked for again
once, with one section-level request for just the books section naming the
titles not found (its valid answer kept in the reply cache, so a resumed run
does not pay for it again); a book still unknown after that is kept and
reported, never dropped. When a service cannot be reached the page is still written,
marked unverified, and the run warns once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from pydantic import BaseModel

from topicgen.errors import ModelError
from topicgen.model.clients.base import ModelClient, Usage
from topicgen.model.generate import context_page, reask_sections
from topicgen.model.prompt import Prompts
from topicgen.model.reply_cache import ReplyCache
from topicgen.page.sections import section_model
from topicgen.verify.checker import (
    BookRef,
    PageReferences,
    Verdict,
    Verifier,
    page_books,
    page_videos,
    with_search_links,
)

CONTEXT = ("title_emoji", "books")  # what the books re-ask shows: the topic and its books, not the page
SHOWN = 20  # unknown books named in the summary line with --verbose; `check --verify` lists every one
PAGES_SHOWN = 10  # pages named, with their count of unknown books, in the summary line without it


def unknown_book_problem(label: str, book: str) -> str:
    return (
        f"books.{label}: {book} was not found in a library catalog; recommend a real, "
        "published book whose exact title and authors you are sure of"
    )


async def ground(
    verifier: Verifier | None,
    client: ModelClient,
    prompts: Prompts,
    topic: str,
    page: BaseModel,
    spent: list[Usage],
    *,
    max_output_tokens: int = 16_000,
    cache: ReplyCache | None = None,
) -> tuple[BaseModel, PageReferences]:
    """The page (or the sections) with its references grounded, and what was found and done.

    The books re-ask shows the model the topic and the books it gave, not the whole page:
    the books are about the topic, and the page would cost far more input tokens.
    With a ``cache``, its answer is read from and kept in the reply cache (see ``reask_sections``).
    """
    has_books = "books" in type(page).model_fields
    if verifier is None or not (has_books or "videos" in type(page).model_fields):
        return page, PageReferences(verified=verifier is not None)
    started = time.perf_counter()
    books, videos = page_books(page), page_videos(page)
    book_verdicts, video_verdicts = await asyncio.gather(
        verifier.books(list(books.values())), verifier.videos(videos)
    )
    lookups = time.perf_counter() - started
    searched = {index for index, verdict in enumerate(video_verdicts) if verdict is Verdict.UNKNOWN}
    page = with_search_links(page, searched)
    verdicts = dict(zip(books, book_verdicts, strict=True))
    unknown = {label: books[label] for label, verdict in verdicts.items() if verdict is Verdict.UNKNOWN}
    reask_tokens, reask_cached = 0, False
    if unknown:
        data = page.model_dump(mode="json")
        shown = context_page(topic, {key: data[key] for key in CONTEXT if key in data})
        fresh, usage, reask_cached = await _reask_books(
            client, prompts, topic, unknown, shown, spent, max_output_tokens, cache
        )
        reask_tokens = usage.input_tokens + usage.output_tokens
        if fresh is not None:
            page = page.model_copy(update={"books": fresh})
            books = page_books(page)
            started = time.perf_counter()
            verdicts = dict(zip(books, await verifier.books(list(books.values())), strict=True))
            lookups += time.perf_counter() - started
    still = tuple(str(books[label]) for label, verdict in verdicts.items() if verdict is Verdict.UNKNOWN)
    checked = [*verdicts.values(), *video_verdicts]
    return page, PageReferences(
        verified=Verdict.UNCHECKED not in checked,
        unknown_books=still,
        searched=tuple(videos[index].name for index in sorted(searched)),
        reasked_books=len(unknown),
        reask_tokens=reask_tokens,
        reask_cached=reask_cached,
        unreachable=tuple(verifier.problems) if Verdict.UNCHECKED in checked else (),
        seconds=lookups,
    )


async def _reask_books(
    client: ModelClient,
    prompts: Prompts,
    topic: str,
    unknown: dict[str, BookRef],
    current_page: str,
    spent: list[Usage],
    max_output_tokens: int,
    cache: ReplyCache | None,
) -> tuple[BaseModel | None, Usage, bool]:
    """(a new books section, or None when the one re-ask gave none; what it cost; whether the
    reply cache answered it)."""
    problems = {"books": [unknown_book_problem(label, str(book)) for label, book in unknown.items()]}
    try:
        answer = await reask_sections(
            client,
            prompts,
            topic,
            problems,
            current_page,
            attempts=1,
            max_output_tokens=max_output_tokens,
            on_usage=spent.append,
            cache=cache,
        )
    except ModelError:  # the page keeps its books; they are reported as not found
        return None, Usage(), False
    if "books" not in answer.data:
        return None, answer.usage, answer.cached
    books = section_model(("books",)).model_validate({"books": answer.data["books"]}).books
    return books, answer.usage, answer.cached


def summary_lines(found: Iterable[tuple[str, PageReferences]], *, verbose: bool = False) -> list[str]:
    """``summary_parts`` as whole lines."""
    return ["; ".join(parts) for parts in summary_parts(found, verbose=verbose)]


def summary_parts(found: Iterable[tuple[str, PageReferences]], *, verbose: bool = False) -> list[list[str]]:
    """The run summary's lines about references, each as parts a line may be broken between: what
    was replaced, re-asked and not found; one warning when services could not be reached.

    Books still not found are counted per page (``verbose``: each one named, up to ``SHOWN``), so
    a run of many pages says so in a line or two. Books whose re-ask the reply cache answered are
    counted apart: no call was made for them.
    """
    found = list(found)
    searched = sum(len(refs.searched) for _, refs in found)
    reasked = sum(refs.reasked_books for _, refs in found)
    cached = sum(refs.reasked_books for _, refs in found if refs.reask_cached)
    lines = []
    parts = []
    if searched:
        parts.append(f"{searched} video/channel link(s) not on YouTube, now searches for their name")
    if reasked:
        from_cache = f" ({cached} answered from the reply cache)" if cached else ""
        parts.append(f"{reasked} book(s) not in the catalog asked for again{from_cache}")
    parts += _not_found(found, verbose)
    if parts:
        lines.append(["references: " + parts[0], *parts[1:]])
    unreachable = [refs for _, refs in found if refs.unreachable]
    if unreachable:
        reasons = sorted({reason for refs in unreachable for reason in refs.unreachable})
        lines.append(
            [
                f"warning: references on {len(unreachable)} page(s) could not be checked",
                *reasons,
                "they are marked unverified",
                "`topicgen check --verify` or `topicgen regen --verify-only` finishes the job",
            ]
        )
    return lines


def _not_found(found: list[tuple[str, PageReferences]], verbose: bool) -> list[str]:
    """The summary's parts about books still not found: each named (verbose), else a count a page."""
    unknown = [f"{book} ({topic})" for topic, refs in found for book in refs.unknown_books]
    if not unknown:
        return []
    if verbose:
        more = f" and {len(unknown) - SHOWN} more (`topicgen check --verify`)" if len(unknown) > SHOWN else ""
        return [f"{len(unknown)} still not found, kept: {'; '.join(unknown[:SHOWN])}{more}"]
    pages = [(topic, len(refs.unknown_books)) for topic, refs in found if refs.unknown_books]
    named = ", ".join(f"{topic} {count}" for topic, count in pages[:PAGES_SHOWN])
    more = f" and {len(pages) - PAGES_SHOWN} more page(s)" if len(pages) > PAGES_SHOWN else ""
    return [
        f"{len(unknown)} still not found, kept (by page: {named}{more})",
        "--verbose or `topicgen check --verify` names them",
    ]
