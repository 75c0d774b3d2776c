"""``check --verify``: the books and YouTube links of existing pages, looked up, by line.

Pages are read the way ``check`` reads them (any era's shape); every book
and video it can place is looked up with the same ``Verifier`` the page jobs
use (cache, books/ notes, politeness). A book the catalog does not have and
a link that leads nowhere are defects at their line; a reference that could
not be checked (a service was down) is a note, and the command warns once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from topicgen.config import Settings
from topicgen.errors import VaultError
from topicgen.read.findings import Code, Finding, excerpt
from topicgen.read.parse import ParsedPage, parse_page
from topicgen.upkeep.check import PageReport
from topicgen.vault import Vault
from topicgen.vault.files import read_page_text
from topicgen.vault.notes import NoteIndex
from topicgen.verify.cache import LookupCache
from topicgen.verify.checker import BookRef, Verdict, Verifier, VideoRef

PAGES_AT_ONCE = 32  # pages whose lookups are in hand together (the services' limits still apply)


async def verify_reports(vault: Vault, settings: Settings, reports: list[PageReport]) -> list[str]:
    """Add each topic page's reference findings to its report; returns why a service could not be used."""
    verifier = Verifier(
        settings.verify,
        cache=LookupCache.of_vault(vault.state_dir, settings.verify.cache_days),
        books=NoteIndex.scan(vault.books_dir),
    )
    topic_reports = [report for report in reports if report.kind.value == "topic"]
    try:
        for start in range(0, len(topic_reports), PAGES_AT_ONCE):
            chunk = topic_reports[start : start + PAGES_AT_ONCE]
            await asyncio.gather(*(_verify_report(verifier, report) for report in chunk))
    finally:
        await verifier.aclose()
    return verifier.problems


async def _verify_report(verifier: Verifier, report: PageReport) -> None:
    try:
        parsed = parse_page(read_page_text(report.path))
    except VaultError:
        return  # check has reported it unreadable
    found = await reference_findings(verifier, parsed)
    checked = not any(finding.code is Code.UNVERIFIED for finding in found)
    kept = [f for f in report.findings if not (checked and f.code is Code.UNVERIFIED and f.line == 0)]
    report.findings = sorted(kept + found, key=lambda f: (f.line, f.code.value))


async def reference_findings(verifier: Verifier, parsed: ParsedPage) -> list[Finding]:
    """One finding per book or video of ``parsed`` that is unknown or could not be checked."""
    books = parsed.sections.get("books") or {}
    videos = parsed.sections.get("videos") or []
    book_lines = parsed.item_lines.get("books", {})
    video_lines = parsed.item_lines.get("videos", {})
    book_refs = [BookRef(book["title"], book["authors"]) for book in books.values()]
    video_refs = [VideoRef(video["name"], video["url"]) for video in videos]
    book_verdicts, video_verdicts = await asyncio.gather(
        verifier.books(book_refs), verifier.videos(video_refs)
    )
    findings = []
    for label, ref, verdict in zip(books, book_refs, book_verdicts, strict=True):
        line = book_lines.get((label,), parsed.section_lines.get("books", 0))
        if verdict is Verdict.UNKNOWN:
            findings.append(Finding(line, Code.UNKNOWN_BOOK, f"{ref} is not in the book catalog", "books"))
        elif verdict is Verdict.UNCHECKED:
            findings.append(Finding(line, Code.UNVERIFIED, f"{ref} could not be looked up", "books"))
    for index, (ref, verdict) in enumerate(zip(video_refs, video_verdicts, strict=True)):
        line = video_lines.get((index,), parsed.section_lines.get("videos", 0))
        shown = f"[{excerpt(ref.name, 40)}]({ref.url})"
        if verdict is Verdict.UNKNOWN:
            message = f"{shown} leads to no video or channel"
            findings.append(Finding(line, Code.UNKNOWN_VIDEO, message, "videos"))
        elif verdict is Verdict.UNCHECKED:
            findings.append(Finding(line, Code.UNVERIFIED, f"{shown} could not be looked up", "videos"))
    return findings


def unverified_pages(topics_dir: Path, pages: list[Path]) -> list[Path]:
    """The pages whose frontmatter says their references were not checked yet."""
    from topicgen.page.render import VERIFIED_KEY
    from topicgen.vault.notes import read_frontmatter

    marked = []
    for path in pages:
        try:
            data, _ = read_frontmatter(read_page_text(path))
        except VaultError:
            continue
        if data.get(VERIFIED_KEY) is False:
            marked.append(path)
    return marked
