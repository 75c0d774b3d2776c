"""``topics/index.md``: every topic page, by its emoji title, sorted.

The generated list sits between two HTML comments; whatever a person wrote
outside them is kept. An index without the markers keeps all its text and
gets the list appended.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from topicgen.errors import VaultError
from topicgen.page.text_rules import escape_text, link_target, vault_link_text
from topicgen.upkeep.staleness import topic_pages
from topicgen.vault import Vault
from topicgen.vault.files import page_lock, read_page_text, write_atomic
from topicgen.vault.frontmatter import compose
from topicgen.vault.notes import Note, read_note, title_key

START = "<!-- topicgen:index:start -->"
END = "<!-- topicgen:index:end -->"
INDEX_TITLE = "Topics"


@dataclass(frozen=True)
class IndexResult:
    path: Path
    entries: int
    changed: bool


def index_lines(topics_dir: Path, hard_breaks: bool, notes: list[Note] | None = None) -> list[str]:
    """The list's lines; ``notes`` are the topic notes when the caller has read them already."""
    notes = [read_note(path) for path in topic_pages(topics_dir)] if notes is None else list(notes)
    notes.sort(key=lambda note: (title_key(note.title), note.slug))
    suffix = "  " if hard_breaks else ""
    return [f"- {index_link(note)}{suffix}" for note in notes]


def index_link(note: Note) -> str:
    """A note's line in the index: a title that fails the text rules is shown escaped, never as markup."""
    text = vault_link_text(note.title) or escape_text(note.title) or escape_text(note.slug)
    return f"[{text}](./{link_target(note.slug + '.md')})"


def _new_index(site_url: str | None) -> str:
    owned: dict = {"share": True, "aliases": [INDEX_TITLE], "title": INDEX_TITLE}
    if site_url:
        owned["URL"] = f"{site_url}/topics/"
    return f"{compose(owned, {})}\n[Home](../index.md)  \n# {INDEX_TITLE}  \n"


def updated_index(current: str | None, lines: list[str], site_url: str | None) -> str:
    text = current if current is not None else _new_index(site_url)
    block = "\n".join([START, *lines, END])
    if START in text and END in text.split(START, 1)[1]:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        return before + block + after
    return text.rstrip("\n") + "\n\n" + block + "\n"


def write_index(
    vault: Vault, *, hard_breaks: bool = True, site_url: str | None = None, notes: list[Note] | None = None
) -> IndexResult:
    path = vault.topics_dir / "index.md"
    lines = index_lines(vault.topics_dir, hard_breaks, notes)
    with page_lock(vault.lock_dir, "index"):
        try:
            current = read_page_text(path) if os.path.lexists(path) else None
        except VaultError as error:  # its hand-written part can't be kept: leave it be
            raise VaultError(f"cannot update the index: {error}") from None
        text = updated_index(current, lines, site_url)
        changed = text != current
        if changed:
            write_atomic(path, text, overwrite=True)
    return IndexResult(path, len(lines), changed)
