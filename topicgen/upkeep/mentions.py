"""The topics a page names: its Topics tree by role, its concepts and its comparisons.

Relinking after a run reads them to find the pages that name a topic just
written; growing a vault (``topicgen grow``) ranks the names no page holds
yet by where they were named. Both read them through the scan cache, so a
page is read again only when it changed (``MENTIONS``; a new field is a new
``version``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topicgen.errors import VaultError
from topicgen.page.emoji import split_leading_emoji, split_trailing_emoji
from topicgen.page.outline import SECTIONS, Kind
from topicgen.page.render import label_text
from topicgen.vault.stat_cache import Facts, ScanCache, read_pages

_LINK = re.compile(r"^\[(?P<title>[^\]]+)\]\((?P<href>[^)\s]+)\)(?P<rest>.*)$")
ROLES = ("parent", "children", "advanced")  # the Topics tree's labels, in the outline's order


def reference_prefixes(key: str) -> list[str]:
    """The rendered start of each item line of a Topics or Books section that holds a reference, in
    the order of the section's labels."""
    section = SECTIONS[key]
    if section.kind is Kind.BOOKS:
        return [f"- {label.emoji} {label_text(label)} " for label in section.labels]
    parent, *nested = section.labels
    return [f"- {parent.emoji} {label_text(parent)} ", *(f"    - {label.emoji} " for label in nested)]


def unlinked(ref: str) -> str:
    """A reference as the model wrote it: a link's note title without its emoji, else as is."""
    match = _LINK.match(ref)
    if not match:
        return ref
    _, name = split_leading_emoji(match.group("title"))
    return f"{name or match.group('title')}{match.group('rest')}"


_TOPICS_HEADING = f"\n### {SECTIONS['topics'].heading}"
_ITEM_SECTIONS = ("concepts", "comparisons")


def _block(text: str, key: str) -> str | None:
    """A section of the page: from its heading to the next heading; None when it has none."""
    heading = f"\n### {SECTIONS[key].heading}"
    start = text.find(heading)
    if start < 0:
        return None
    end = text.find("\n#", start + len(heading))
    return text[start : end if end >= 0 else len(text)]


def _topics_block(text: str) -> str:
    """The page's Topics section; the whole page when it has none (names may sit anywhere then)."""
    found = _block(text, "topics")
    return text if found is None else found


def named_topics(text: str) -> Iterator[tuple[str, str]]:
    """(role, name) for each name a page's Topics section links or could link (its parent, children
    and advanced topics), as relinking reads them: link markup and trailing emoji left out."""
    prefixes = list(zip(ROLES, reference_prefixes("topics"), strict=True))
    for line in _topics_block(text).split("\n"):
        body = line.rstrip(" ")
        for role, prefix in prefixes:
            if body.startswith(prefix) and len(body) > len(prefix):
                name, _ = split_trailing_emoji(unlinked(body[len(prefix) :]))
                yield role, name
                break


def topic_names(text: str) -> Iterator[str]:
    """The names of a page's Topics section (``named_topics`` without their roles)."""
    return (name for _, name in named_topics(text))


def _items(text: str, key: str) -> tuple[str, ...]:
    """The items of a bulleted section, bullet and trailing emoji left out."""
    block = _block(text, key)
    if block is None:
        return ()
    prefix = f"- {SECTIONS[key].emoji} "
    items = []
    for line in block.split("\n"):
        body = line.rstrip(" ")
        if body.startswith(prefix) and len(body) > len(prefix):
            items.append(split_trailing_emoji(body[len(prefix) :])[0])
    return tuple(items)


@dataclass(frozen=True)
class Mentions:
    """What a page names: its Topics tree by role, its concepts, and its comparisons (sentences that
    name the alternatives)."""

    path: Path
    parent: tuple[str, ...] = ()
    children: tuple[str, ...] = ()
    advanced: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    comparisons: tuple[str, ...] = ()

    @property
    def topics(self) -> tuple[str, ...]:
        """The Topics tree's names: the ones a page links to other topic notes."""
        return self.parent + self.children + self.advanced


def page_mentions(path: Path, text: str) -> Mentions:
    tree: dict[str, list[str]] = {role: [] for role in ROLES}
    for role, name in named_topics(text):
        tree[role].append(name)
    return Mentions(
        path,
        *(tuple(tree[role]) for role in ROLES),
        *(_items(text, key) for key in _ITEM_SECTIONS),
    )


def _nothing(path: Path, _: VaultError | OSError) -> Mentions:
    return Mentions(path)  # a page that cannot be read names nothing now


def _dump(mentions: Mentions) -> list[Any]:
    return [
        list(mentions.parent),
        list(mentions.children),
        list(mentions.advanced),
        list(mentions.concepts),
        list(mentions.comparisons),
    ]


def _load(path: Path, kept: list[Any]) -> Mentions:
    parent, children, advanced, concepts, comparisons = kept
    fields = (parent, children, advanced, concepts, comparisons)
    return Mentions(path, *(tuple(str(name) for name in names) for names in fields))


MENTIONS = Facts(
    "mentions",
    1,
    lambda path, raw: page_mentions(path, raw.decode("utf-8", "replace")),
    _nothing,
    _nothing,
    _dump,
    _load,
)


def read_mentions(topics_dir: Path, cache: ScanCache | None = None) -> Iterator[Mentions]:
    """What each topic page names, in name order; with a ``cache``, unchanged pages are not read."""
    return read_pages(topics_dir, MENTIONS, cache)
