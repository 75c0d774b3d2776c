"""The topics a page names: what ``topicgen grow`` reads from each page, a pure function of its text.

A page names other topics in its outline's naming sections: the Topics tree
(its parent, children and advanced topics), the theoretical concepts and
disciplines, and the comparisons. ``names_on_page`` reads them, with the
page's title and aliases and whether topicgen wrote or adopted it (its
generation metadata), so a caller can cache the result by the file's stat.

Only the outline's sections inside the AI summary are read, never a person's
own sections or notes after it. A section in the shape topicgen renders is
read line by line with the outline's own labels and bullets (the fast path: a
vault of 10,000 pages is read in about a second); any other shape goes
through the page reader's section reader (``section_readers``), as ``import``
would read it. Names lose their trailing emoji and markup; a name that is a
link to a vault note keeps that note's file name (``Mention.target``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote as url_unquote

from topicgen.page.outline import SECTIONS
from topicgen.page.render import label_text
from topicgen.page.sections import outline_key
from topicgen.read.recognise import bare
from topicgen.read.section_readers import SectionReader
from topicgen.vault.notes import note_of_text

TREE = ("parent", "children", "advanced")
NAMING = (*TREE, "concepts", "comparisons")  # where a name can be found, strongest first
_SECTION_KEYS = frozenset({"topics", "concepts", "comparisons"})
_GENERATED = re.compile(r"^topicgen_(model|generated|fingerprint):", re.MULTILINE)
_HEADING_LINE = re.compile(r"\n(?P<marks>#{1,6})[ \t]+(?P<text>[^\n]*)")  # faster than ^ with MULTILINE
_LINK = re.compile(r"^\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)(?P<rest>.*)$")
_MARKUP = re.compile(r"\*\*|__|`")
_LABEL = re.compile(r"^(?P<label>[^:]{2,80}?):\s")
_COMPARED = re.compile(
    r"^(?:compared (?:to|with)|versus|vs\.?|unlike|in contrast (?:to|with)|relative to)\s+"
    r"(?P<name>[^,:;]+?)\s*[,:;]",
    re.IGNORECASE,
)
_VERSUS = re.compile(r"\s+(?:vs\.?|versus)\s+", re.IGNORECASE)
MAX_NAME_WORDS = 8
MAX_NAME_LENGTH = 80
_EDGE_CATEGORIES = frozenset({"So", "Sk", "Cf", "Me", "Zs"})  # emoji, their modifiers and joiners, spaces
_SELECTORS = frozenset({"\ufe0e", "\ufe0f"})


@dataclass(frozen=True)
class Mention:
    """A topic named on a page: the name as written (emoji and markup off), the section it was
    named in (one of ``NAMING``), and the note it links to, when it is a link into the vault."""

    name: str
    section: str
    target: str | None = None


@dataclass(frozen=True)
class PageNames:
    """What a page says about itself and the topics it names."""

    title: str  # '' when the page has none (its file name stands in)
    aliases: tuple[str, ...]
    generated: bool  # topicgen wrote or adopted it: its names are read
    mentions: tuple[Mention, ...] = ()


def names_on_page(text: str) -> PageNames:
    """The page's title, aliases and whether topicgen wrote or adopted it; for such a page, the
    topics its naming sections name, in page order (a name may appear under several sections)."""
    frontmatter = _frontmatter(text)
    generated = len(set(_GENERATED.findall(frontmatter))) == 3
    note = note_of_text("", text)
    if not generated:
        return PageNames(note.title, note.aliases, False)
    mentions: list[Mention] = []
    for key, lines in _naming_sections(text):
        found = _canonical(key, lines)
        mentions += _read(key, lines) if found is None else found
    return PageNames(note.title, note.aliases, True, tuple(dict.fromkeys(mentions)))


def _frontmatter(text: str) -> str:
    if not text.startswith("---"):
        return ""
    end = text.find("\n---", 3)
    return text[: max(end, 0)]


def _naming_sections(text: str) -> list[tuple[str, list[str]]]:
    """(outline key, lines under its heading) of the naming sections inside the AI summary.

    The summary is the run of ``###`` outline sections; a heading above them (a person's
    ``## My Notes``) ends it, and a ``###`` heading the outline does not have is a person's own.
    Only heading lines are looked at, found with one search.
    """
    found: list[tuple[str, list[str]]] = []
    started = False
    headings = list(_HEADING_LINE.finditer("\n" + text))
    for index, heading in enumerate(headings):
        marks = heading.group("marks")
        if marks == "###":
            started = True
        elif started and len(marks) < 3:
            break  # a heading above the sections: the summary is over
        key = outline_key(heading.group("text")) if marks == "###" else None
        if key not in _SECTION_KEYS:
            continue
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text) + 1
        found.append((key, text[heading.end() : end - 1].split("\n")))
    return found


@lru_cache(maxsize=8)
def _tree_prefixes() -> tuple[str, tuple[str, str], tuple[str, str]]:
    """The canonical parent line's start, and each nested label's line and item start (joiners off)."""
    parent, children, advanced = SECTIONS["topics"].labels
    nested = tuple(
        (f"- {bare(label.emoji)} {label_text(label)}", f"    - {bare(label.emoji)} ")
        for label in (children, advanced)
    )
    return f"- {bare(parent.emoji)} {label_text(parent)} ", nested[0], nested[1]


def _canonical(key: str, lines: list[str]) -> list[Mention] | None:
    """The section read in the shape topicgen renders it, or None when it is in another shape."""
    mentions: list[Mention] = []
    if key == "topics":
        parent, *nested = _tree_prefixes()
        current: str | None = None
        for raw in lines:
            line = bare(raw).rstrip()
            if not line:
                continue
            if line.startswith(parent):
                mentions += _named(line[len(parent) :], "parent")
                current = None
                continue
            heads = [index for index, (head, _) in enumerate(nested) if line == head]
            if heads:
                current = TREE[1 + heads[0]]
                continue
            if current is None:
                return None
            item = nested[TREE.index(current) - 1][1]
            if not line.startswith(item):
                return None
            mentions += _named(line[len(item) :], current)
        return mentions
    bullet = f"- {bare(SECTIONS[key].emoji)} "
    for raw in lines:
        line = bare(raw).rstrip()
        if not line:
            continue
        if not line.startswith(bullet):
            return None
        mentions += _named(line[len(bullet) :], key)
    return mentions


def _read(key: str, lines: list[str]) -> list[Mention]:
    """A section in another shape, read by the page reader's section reader (findings ignored)."""
    extract = SectionReader(lambda *_: None, lambda *_: None).extract(key, list(enumerate(lines, 1)))
    value = extract.value
    if value is None:
        return []
    if key == "topics":
        pairs = [("parent", value.get("parent") or "")]
        pairs += [(field, name) for field in TREE[1:] for name in value.get(field) or []]
        return [mention for field, name in pairs for mention in _named(name, field)]
    return [mention for item in value for mention in _named(item, key)]


@lru_cache(maxsize=1 << 17)  # the same items recur on many pages
def _named(text: str, section: str) -> tuple[Mention, ...]:
    """The topic an item names (none when it names no topic): a link's note, a tree item's name,
    a concept's name (before its ': description'), the alternative a comparison is made with."""
    link = _LINK.match(text.strip())
    target = None
    if link is not None:
        href = link.group("href")
        if "://" not in href and href.endswith(".md"):
            target = url_unquote(href.rsplit("/", 1)[-1][:-3])
        text = link.group("text") + link.group("rest")
    text = _MARKUP.sub("", text).strip()
    if section in ("concepts", "comparisons"):
        names = _comparison_names(text) if section == "comparisons" else [_concept_name(text)]
        return tuple(Mention(name, section) for name in names if name)
    name = strip_symbols(text)
    return (Mention(name, section, target),) if name else ()


def _concept_name(text: str) -> str:
    label = _LABEL.match(text)
    name = strip_symbols(label.group("label") if label else text)
    return name if _is_name(name) else ""


def _comparison_names(text: str) -> list[str]:
    """The alternatives a comparison names: 'Compared to X, ...', 'X: ...' or 'A vs. B: ...'.

    Only names written as names (a capital, a digit) count: 'Compared to simpler models, ...'
    names no topic.
    """
    found = _COMPARED.match(text)
    if found is not None:
        candidates = [found.group("name")]
    else:
        label = _LABEL.match(text)
        candidates = _VERSUS.split(label.group("label")) if label else []
    names = [strip_symbols(candidate) for candidate in candidates]
    return [name for name in names if _is_name(name) and (name[0].isupper() or name[0].isdigit())]


def _is_name(name: str) -> bool:
    """A short phrase, not a sentence."""
    return bool(name) and len(name) <= MAX_NAME_LENGTH and len(name.split()) <= MAX_NAME_WORDS


def strip_symbols(text: str) -> str:
    """Text without the emoji (and their joiners and selectors) and spaces at either end, and
    without a closing full stop: 'Deep Learning 🤯' → 'Deep Learning'.

    Emoji are symbols (and modifiers, joiners, selectors) by their Unicode category, so no emoji
    table is consulted: this runs for every name of every page.
    """
    start, end = 0, len(text)
    while start < end and _edge(text[start]):
        start += 1
    while end > start and _edge(text[end - 1]):
        end -= 1
    return text[start:end].removesuffix(".").strip()


@lru_cache(maxsize=4096)
def _edge(char: str) -> bool:
    return char in _SELECTORS or char.isspace() or unicodedata.category(char) in _EDGE_CATEGORIES
