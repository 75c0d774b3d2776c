"""Whose page a file is: two names that share a slug are two topics.

``C++`` and ``C Plus Plus`` both become ``c-plus-plus.md``. The file belongs
to the topic its page names (its title or an alias), compared the way the
vault's notes are matched (``title_key``: emoji, accents, case and
punctuation aside), so ``rust`` asks for the page of ``Rust`` but ``C Plus
Plus`` does not ask for the page of ``C++``. Every command that writes a page
by a topic's name asks here first, and never writes another topic's page.
"""

from __future__ import annotations

import os
from pathlib import Path

from topicgen.errors import VaultError
from topicgen.vault.notes import Note, read_note, title_key


def page_note(path: Path) -> Note | None:
    """The title and aliases of the page at ``path``, or None when there is no readable page there."""
    if not path.is_file() or path.is_symlink():
        return None
    try:
        return read_note(path)
    except (OSError, VaultError):  # a FIFO or an endless file is no page (vault.files' bounded reader)
        return None


def topic_name(note: Note) -> str:
    """The topic a page names: its title without the leading emoji (the file name when it has none)."""
    from topicgen.page.emoji import split_leading_emoji  # the emoji tables load only when a name is shown

    _, name = split_leading_emoji(note.title)
    return name or note.title


def same_topic(one: str, other: str) -> bool:
    """Whether two names are one topic written two ways ('Rust', 'rust'), not two that share a slug."""
    return title_key(one) == title_key(other)


def names_topic(note: Note, topic: str) -> bool:
    """Whether the page ``note`` is the page of ``topic``: its title or an alias is the topic's name.

    A page with no title of its own (its file name stands in) or one whose
    title cannot be read is taken to be the topic's: there is no other name
    to tell them apart by.
    """
    if note.title == note.slug or "\ufffd" in note.title:
        return True
    return any(same_topic(name, topic) for name in (note.title, *note.aliases))


def holder(path: Path, topic: str) -> str | None:
    """The topic whose page is at ``path`` when it is not ``topic``'s, else None (no page, or its own)."""
    note = page_note(path)
    if note is None or names_topic(note, topic):
        return None
    return topic_name(note)


def held_by_another(shown: str, owner: str) -> str:
    """Why a topic may not have the file ``shown``: it is the page of ``owner``, in one line."""
    return f'{shown} is the page of "{owner}", another topic; name this one differently'


class FileClaims:
    """Which topic each file of one run belongs to: the topic its page names, or (no page yet) the
    first topic of the run that asks for it. The other names of that file are other topics."""

    def __init__(self) -> None:
        self._first: dict[Path, str] = {}

    def owner(self, path: Path, topic: str) -> str | None:
        """The other topic the file ``path`` belongs to, or None when it is ``topic``'s to write."""
        if os.path.lexists(path) and (found := holder(path, topic)) is not None:
            return found
        first = self._first.setdefault(path, topic)
        return None if first == topic or same_topic(first, topic) else first
