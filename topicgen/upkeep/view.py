"""The vault as rendering sees it: settings, and the notes a page may link to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from topicgen.config import Settings
from topicgen.page.render import PageContext, relative_href
from topicgen.vault import Vault
from topicgen.vault.notes import NoteIndex, pages_end_with_newline
from topicgen.vault.slugs import slug_for
from topicgen.vault.stat_cache import ScanCache


@dataclass(frozen=True)
class VaultView:
    """The vault as rendering sees it: settings, and the notes pages may link to."""

    vault: Vault
    settings: Settings
    books: NoteIndex
    topics: NoteIndex
    final_newline: bool = False  # new pages end with a newline (``final_newline``, else as the vault's do)

    @classmethod
    def scan(cls, vault: Vault, settings: Settings, *, remember: bool = True) -> VaultView:
        """The vault's notes, through the scan cache (which ``remember=False`` reads but never writes:
        a command that only prints leaves the vault as it was)."""
        cache = ScanCache.of(vault, settings.scan_cache, remember=remember)
        books, topics = NoteIndex.scan(vault.books_dir, cache), NoteIndex.scan(vault.topics_dir, cache)
        final = settings.final_newline
        if final is None:
            final = pages_end_with_newline(vault.topics_dir)
        return cls(vault, settings, books, topics, final)

    def context(self, topic: str, page: Path | None = None) -> PageContext:
        """How ``topic``'s page renders; an existing ``page`` keeps its own file name as its slug."""
        return PageContext(
            topic=topic,
            slug=page.stem if page is not None else slug_for(topic),
            books=self.books,
            topics=self.topics,
            site_url=self.settings.site_url,
            hard_breaks=self.settings.trailing_spaces,
            books_href=relative_href(self.vault.topics_dir, self.vault.books_dir),
            frontmatter=tuple(self.settings.frontmatter.items()),
            final_newline=self.final_newline,
        )
