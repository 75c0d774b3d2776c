"""Keeping links current: topics and books point at the notes that exist now.

A page is rendered against the notes that existed when its run started, so a
topic drafted later in the same run (or a note deleted since) leaves links
out of date. After each run the Topics and Book Recommendations sections of
topicgen's pages are relinked: a name with a note becomes a link to it, a
link to a missing note becomes plain text again. Sections a person edited
are left alone; relinked sections get their recorded hash updated, so the
change is not mistaken for a human edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from topicgen.config import Settings
from topicgen.errors import PageLockedError, TopicNameError, VaultError
from topicgen.page.emoji import split_leading_emoji
from topicgen.page.hashing import body_hash, content_hash
from topicgen.page.outline import SECTIONS, Kind
from topicgen.page.render import PageContext, book_ref, topic_ref
from topicgen.page.sections import split_body
from topicgen.upkeep.mentions import read_mentions, reference_prefixes, unlinked
from topicgen.upkeep.staleness import page_state, topic_of, topic_pages
from topicgen.upkeep.view import VaultView
from topicgen.vault import Vault
from topicgen.vault.files import page_lock, read_regular, write_atomic
from topicgen.vault.frontmatter import split_page, yaml_scalar
from topicgen.vault.notes import name_keys
from topicgen.vault.slugs import slug_for
from topicgen.vault.stat_cache import ScanCache

_LINK = re.compile(r"^\[(?P<title>[^\]]+)\]\((?P<href>[^)\s]+)\)(?P<rest>.*)$")  # a linked book
_QUOTED = re.compile(r'^"(?P<title>.+?)"(?P<rest> by .*)$')


def _relink_topic(ref: str, context: PageContext) -> str:
    return topic_ref(context, unlinked(ref))


def _relink_book(ref: str, context: PageContext) -> str:
    link, quoted = _LINK.match(ref), _QUOTED.match(ref)
    if link and link.group("rest").startswith(" by "):
        _, title = split_leading_emoji(link.group("title"))
        return book_ref(context, title or link.group("title")) + link.group("rest")
    if quoted:
        return book_ref(context, quoted.group("title")) + quoted.group("rest")
    return ref


def _item_prefixes(key: str) -> list[tuple[str, Callable[[str, PageContext], str]]]:
    """The rendered start of each item line that holds a reference, and how to relink it."""
    relink = _relink_book if SECTIONS[key].kind is Kind.BOOKS else _relink_topic
    return [(prefix, relink) for prefix in reference_prefixes(key)]


LINKED_SECTIONS = tuple(s.key for s in SECTIONS.values() if s.kind in (Kind.TREE, Kind.BOOKS))


def relink_lines(key: str, lines: list[str], context: PageContext) -> list[str]:
    prefixes = _item_prefixes(key)
    relinked = []
    for line in lines:
        body = line.rstrip(" ")
        spacing = line[len(body) :]
        for prefix, relink in prefixes:
            if body.startswith(prefix) and len(body) > len(prefix):
                body = prefix + relink(body[len(prefix) :], context)
                break
        relinked.append(body + spacing)
    return relinked


def relink_page(path: Path, view: VaultView) -> bool:
    """Relink one page's unedited Topics and Books sections; True when the page changed.

    The page is read once, under its lock, so what counts as edited is judged on the text rewritten.
    """
    with page_lock(view.vault.lock_dir, path.stem):
        raw = read_regular(path)
        state = page_state(path, raw, hashes=True)
        if not state.generated or state.problem:
            return False
        previous, body = split_page(raw.decode("utf-8"))
        if previous is None:
            return False
        parts = split_body(body)
        context = view.context(topic_of(state.title, path), path)
        hashes = dict(state.section_hashes)
        for block in parts.blocks:
            if block.key in LINKED_SECTIONS and block.key not in state.edited:
                block.lines = relink_lines(block.key, block.lines, context)
                hashes[block.key] = content_hash(block.text)
        new_body = parts.join()
        if new_body == body:
            return False
        frontmatter = _with_hashes(previous, hashes, new_body if state.body_hash else None)
        write_atomic(path, f"---\n{frontmatter}\n---\n{new_body}", overwrite=True)
    return True


def _with_hashes(frontmatter: str, hashes: dict[str, str], body: str | None) -> str:
    lines = frontmatter.split("\n")
    out = []
    in_sections = False
    for line in lines:
        if in_sections and line.startswith((" ", "\t")):
            key = line.strip().split(":", 1)[0]
            if key in hashes:
                line = f"  {key}: {yaml_scalar(hashes[key])}"
            out.append(line)
            continue
        in_sections = line.startswith("topicgen_sections:")
        if body is not None and line.startswith("topicgen_body_hash:"):
            line = f"topicgen_body_hash: {yaml_scalar(body_hash(body))}"
        out.append(line)
    return "\n".join(out)


def relink_vault(
    vault: Vault,
    settings: Settings,
    *,
    written: list[Path] | None = None,
    new_topics: list[str] | None = None,
    view: VaultView | None = None,
    pages: list[Path] | None = None,
) -> list[Path]:
    """Relink topicgen's pages; the pages that changed.

    With no arguments every page is relinked (``topicgen index`` does this,
    catching links to notes deleted since). After a run (``written`` given),
    only pages that mention one of its ``new_topics`` can need it, so only
    those are relinked, which keeps a run's tail short in a big vault.
    ``pages`` names the pages to relink when the caller knows them (``grow``
    finds the pages that name a topic with a page without linking it).
    """
    view = view or VaultView.scan(vault, settings)
    candidates: Iterable[Path] = topic_pages(vault.topics_dir) if pages is None else iter(pages)
    if written is not None:
        cache = ScanCache.of(vault, settings.scan_cache)
        candidates = _affected(vault.topics_dir, NewNotes.of(view, new_topics or []), cache)
    changed = []
    for path in candidates:
        try:
            if relink_page(path, view):
                changed.append(path)
        except (PageLockedError, VaultError, OSError, UnicodeDecodeError):
            continue  # a page busy or unreadable now is relinked by the next run
    return changed


class NewNotes:
    """How a run's new topic notes are found by a name on a page: each key a name may find one by
    (``name_keys`` of its title and aliases), and its slug, mapped to the slugs of the notes found."""

    def __init__(self, by_key: dict[str, set[str]], slugs: set[str]) -> None:
        self.by_key = by_key
        self.slugs = slugs

    @classmethod
    def of(cls, view: VaultView, topics: Iterable[str]) -> NewNotes:
        by_key: dict[str, set[str]] = {}
        slugs = set()
        for topic in topics:
            slug = slug_for(topic)
            note = view.topics.by_slug(slug)
            names = (note.title, *note.aliases) if note is not None else (topic,)
            for key in {key for name in names for key in name_keys(name)}:
                by_key.setdefault(key, set()).add(slug)
            slugs.add(slug)
        return cls(by_key, slugs)

    def found_by(self, name: str) -> set[str]:
        """The slugs of the new notes ``name`` may find (a superset of what ``NoteIndex.find`` picks)."""
        found = {slug for key in name_keys(name) for slug in self.by_key.get(key, ())}
        slug = _slug_or_none(name) if self.slugs else None
        return found | {slug} if slug in self.slugs else found


def _slug_or_none(name: str) -> str | None:
    """The slug a name finds a note by, or None when it has no letters or digits (``slug_for`` is
    memoised: names repeat across pages)."""
    try:
        return slug_for(name)
    except (ValueError, TopicNameError):
        return None


def _affected(topics_dir: Path, new: NewNotes, cache: ScanCache | None = None) -> Iterator[Path]:
    """Pages that name a topic created in this run, other than the page of that topic itself.

    A page written in the run was rendered against the notes of the run's
    start, so only topics created since can be missing from its links. A
    topic is linked only in the Topics section, so only its items' names are
    read (through the scan cache: a page unchanged since the last scan is not
    read), and each is looked up in the new notes' keys: the work grows with
    the pages and their names, not with pages × new topics.
    """
    if not new.slugs:
        return
    for mentions in read_mentions(topics_dir, cache):
        if any(new.found_by(name) - {mentions.path.stem} for name in mentions.topics):
            yield mentions.path
