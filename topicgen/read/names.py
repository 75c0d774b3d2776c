"""The topics a page names: what ``topicgen grow`` reads from each page, a pure function of its bytes.

A page names other topics in its outline's naming sections: the Topics tree
(its parent, children and advanced topics), the theoretical concepts and
disciplines, and the comparisons. ``names_on_page`` reads them, with the
page's title and aliases and whether topicgen wrote or adopted it (its
generation metadata), so a caller can cache the result by the file's stat.

Only the outline's sections inside the AI summary are read, never a person's
own sections or notes after it. A section in the shape topicgen renders is
read with the outline's own labels and bullets (the fast path, on the page's
bytes: a vault of 10,000 pages is read in about a second); any other shape
goes through the page reader's section reader (``section_readers``), as
``import`` would read it. Names lose their trailing emoji and markup; a name
that is a link to a vault note keeps that note's file name (``Mention.target``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import unquote as url_unquote

from topicgen.page.outline import SECTIONS
from topicgen.page.sections import outline_key
from topicgen.vault.notes import note_of_text

TREE = ("parent", "children", "advanced")
NAMING = (*TREE, "concepts", "comparisons")  # where a name can be found, strongest first
_SECTION_KEYS = ("topics", "concepts", "comparisons")
_GENERATION_KEYS = ("\ntopicgen_model:", "\ntopicgen_generated:", "\ntopicgen_fingerprint:")
_HEADINGS = {key: f"\n### {SECTIONS[key].heading}".encode() for key in _SECTION_KEYS}
_HEADING_LINE = re.compile(r"\n(?P<marks>#{1,6})[ \t]+(?P<text>[^\n]*)")  # faster than ^ with MULTILINE
_LINK = re.compile(r"^\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)(?P<rest>.*)$")
_MARKUP = re.compile(r"\*\*|__|`")
# How a comparison opens before the alternative it names ('Compared to X, ...'), longest first.
_COMPARED = (
    "in contrast with ",
    "in contrast to ",
    "compared with ",
    "compared to ",
    "relative to ",
    "versus ",
    "unlike ",
    "vs. ",
    "vs ",
)
_LONGEST_OPENING = max(map(len, _COMPARED))
_STOP = re.compile(r"[,:;]")
# Starts only where a run of spaces starts, so a long run without 'vs' is read once (linear time).
_VERSUS = re.compile(r"(?<!\s)\s+(?:vs\.?|versus)\s+", re.IGNORECASE)
MAX_NAME_WORDS = 8
MAX_NAME_LENGTH = 80
_EDGE_CATEGORIES = frozenset({"So", "Sk", "Cf", "Me", "Zs"})  # emoji, their modifiers and joiners, spaces
_SELECTORS = frozenset({"\ufe0e", "\ufe0f"})


class Mention(NamedTuple):
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


def names_on_page(page: bytes | str) -> PageNames:
    """The page's title, aliases and whether topicgen wrote or adopted it; for such a page, the
    topics its naming sections name, in outline order (a name may appear under several sections).

    Works on the file's bytes: only the frontmatter and the names are decoded.
    """
    raw = page.encode("utf-8", "surrogatepass") if isinstance(page, str) else page
    end = raw.find(b"\n---", 3) if raw.startswith(b"---") else -1
    frontmatter = raw[: end + 4].decode("utf-8", "replace") if end > 0 else ""
    note = note_of_text("", frontmatter) if frontmatter else None
    if note is None or not note.title:  # no title in the frontmatter: the H1, read from the whole page
        note = note_of_text("", raw.decode("utf-8", "replace"))
    if not all(key in frontmatter for key in _GENERATION_KEYS):
        return PageNames(note.title, note.aliases, False)
    mentions: list[Mention] = []
    for key, section in _naming_sections(raw, max(end, 0)):
        found = _canonical(key, section) if isinstance(section, bytes) else None
        if found is None:
            lines = section.decode("utf-8", "replace").split("\n") if isinstance(section, bytes) else section
            found = _read(key, lines)
        mentions += found
    return PageNames(note.title, note.aliases, True, tuple(dict.fromkeys(mentions)))


def _naming_sections(raw: bytes, start: int) -> list[tuple[str, bytes | list[str]]]:
    """(outline key, what is under its heading) of the naming sections inside the AI summary.

    The summary is the run of ``###`` outline sections; a heading above them (a person's
    ``## My Notes``) ends it, and a ``###`` heading the outline does not have is a person's own.
    The canonical headings are found in the bytes directly (their sections come back as bytes);
    a heading not found so (written with lost joiners or other spacing, or absent) is looked for
    heading by heading (``_walk_headings``; those sections come back as lines).
    """
    first = raw.find(b"\n### ", start)
    if first < 0:
        return []
    at = {key: raw.find(heading, first) for key, heading in _HEADINGS.items()}
    furthest = max(at.values())
    cuts = [
        cut for cut in (raw.find(b"\n## ", first, furthest), raw.find(b"\n# ", first, furthest)) if cut >= 0
    ]
    summary_end = min(cuts) if cuts else len(raw)
    found: list[tuple[str, bytes | list[str]]] = []
    walked: dict[str, list[str]] | None = None
    for key in _SECTION_KEYS:
        after = at[key] + len(_HEADINGS[key])
        if at[key] < 0 or at[key] >= summary_end or raw[after : after + 1] not in (b"\n", b" ", b""):
            if walked is None:
                walked = _walk_headings(raw[first:summary_end].decode("utf-8", "replace"))
            if key in walked:
                found.append((key, walked[key]))
            continue
        line_end = raw.find(b"\n", after)
        line_end = len(raw) if line_end < 0 else line_end
        close = raw.find(b"\n#", line_end)
        found.append((key, raw[line_end : close if close >= 0 else len(raw)]))
    return found


def _walk_headings(text: str) -> dict[str, list[str]]:
    """The naming sections of a summary whose headings are not all written as topicgen writes
    them (a section missing, lost joiners, other spacing), each found by ``outline_key``."""
    found: dict[str, list[str]] = {}
    headings = list(_HEADING_LINE.finditer(text))
    for index, heading in enumerate(headings):
        key = outline_key(heading.group("text")) if heading.group("marks") == "###" else None
        if key not in _SECTION_KEYS or key in found:
            continue
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        found[key] = text[heading.end() : end].split("\n")
    return found


_BULLET_LINE = re.compile(rb"\n( *)- (\S+) ([^\n]*)")
_NONBLANK = re.compile(rb"\n[ \t]*\S")
_ZWJ, _VS16 = "\u200d".encode(), "\ufe0f".encode()


def load_page_readers() -> None:
    """Load what reading a page takes, before worker processes are forked (each would load it again).

    A scan whose pages are all remembered (``grow`` through the scan cache) reads none: the
    renderer's labels and the section readers are loaded when a page is first read.
    """
    from topicgen.read import section_readers  # noqa: F401  (``_read``: a section in another shape)

    _canonical_lines()


@lru_cache(maxsize=8)
def _canonical_lines() -> dict[str, dict[tuple[bytes, bytes], tuple[bytes, str | None]]]:
    """Per naming section, its lines as topicgen renders them (joiners and selectors off): the
    bullet's indent and emoji → (the label the line starts with, or b'' for an item; the section
    its item names, or None for a label line that names nothing)."""
    from topicgen.page.render import label_text
    from topicgen.read.recognise import bare

    def emoji(label: Any) -> bytes:
        return bare(label.emoji).encode()

    parent, children, advanced = SECTIONS["topics"].labels
    tree = {(b"", emoji(parent)): (label_text(parent).encode(), "parent")}
    for label, field in ((children, "children"), (advanced, "advanced")):
        tree[(b"", emoji(label))] = (label_text(label).encode(), None)
        tree[(b"    ", emoji(label))] = (b"", field)
    lines: dict[str, dict[tuple[bytes, bytes], tuple[bytes, str | None]]] = {"topics": tree}
    for key in ("concepts", "comparisons"):
        lines[key] = {(b"", emoji(SECTIONS[key])): (b"", key)}
    return lines


def _canonical(key: str, section: bytes) -> list[Mention] | None:
    """The section read in the shape topicgen renders it, or None when it is in another shape."""
    section = section.replace(_ZWJ, b"").replace(_VS16, b"")
    shapes = _canonical_lines()[key]
    lines = _BULLET_LINE.findall(section)
    if len(lines) != len(_NONBLANK.findall(section)):
        return None
    mentions: list[Mention] = []
    for indent, emoji, rest in lines:
        shape = shapes.get((indent, emoji))
        if shape is None:
            return None
        label, field = shape
        if field is None:  # a label line: 'Children:'
            if rest.rstrip() != label:
                return None
            continue
        if label:  # 'Parent: <name>'
            if not rest.startswith(label + b" "):
                return None
            rest = rest[len(label) + 1 :]
        mentions += _mentioned(rest, field)
    return mentions


@lru_cache(maxsize=1 << 17)  # the same items recur on many pages; a hit costs no decoding
def _mentioned(item: bytes, section: str) -> tuple[Mention, ...]:
    """``_named`` of an item as the page's bytes hold it."""
    return _named(item.decode("utf-8", "replace"), section)


def _read(key: str, lines: list[str]) -> list[Mention]:
    """A section in another shape, read by the page reader's section reader (findings ignored)."""
    from topicgen.read.section_readers import SectionReader

    extract = SectionReader(lambda *_: None, lambda *_: None).extract(key, list(enumerate(lines, 1)))
    value = extract.value
    if value is None:
        return []
    if key == "topics":
        pairs = [("parent", value.get("parent") or "")]
        pairs += [(field, name) for field in TREE[1:] for name in value.get(field) or []]
        return [mention for field, name in pairs for mention in _named(name, field)]
    return [mention for item in value for mention in _named(item, key)]


def _named(text: str, section: str) -> tuple[Mention, ...]:
    """The topic an item names (none when it names no topic): a tree item's name or the note it
    links to, a concept's name (before its ': description'), the alternative a comparison names."""
    if section in TREE:
        name, target = _tree_item(text)
        return (Mention(name, section, target),) if name else ()
    return _listed(text, section)


def _tree_item(text: str) -> tuple[str, str | None]:
    """(name, the file name of the note it links to or None): '[🧠 AI](./ai.md) 🧠' → ('AI', 'ai')."""
    target = None
    if "[" in text and (link := _LINK.match(text.strip())) is not None:
        href = link.group("href")
        if "://" not in href and href.endswith(".md"):
            target = url_unquote(href.rsplit("/", 1)[-1][:-3])
        text = link.group("text") + link.group("rest")
    return strip_symbols(_unmarked(text)), target


def _listed(text: str, section: str) -> tuple[Mention, ...]:
    text = _unmarked(text)
    names = _comparison_names(text) if section == "comparisons" else [_concept_name(text)]
    return tuple(Mention(name, section) for name in names if name)


def _unmarked(text: str) -> str:
    return _MARKUP.sub("", text) if "*" in text or "_" in text or "`" in text else text


def _concept_name(text: str) -> str:
    label = _label(text)
    name = strip_symbols(text if label is None else label)
    return name if _is_name(name) else ""


def _label(text: str) -> str | None:
    """'Name' of 'Name: description' (a short name, its colon followed by a space), else None."""
    colon = text.find(":")
    if 2 <= colon <= MAX_NAME_LENGTH and text[colon + 1 : colon + 2].isspace():
        return text[:colon]
    return None


def _comparison_names(text: str) -> list[str]:
    """The alternatives a comparison names: 'Compared to X, ...', 'X: ...' or 'A vs. B: ...'.

    Only names written as names (a capital, a digit) count: 'Compared to simpler models, ...'
    names no topic.
    """
    opening = text[:_LONGEST_OPENING].casefold()
    candidates: list[str] = []
    for words in _COMPARED:
        if opening.startswith(words):
            rest = text[len(words) :]
            stop = _STOP.search(rest)
            candidates = [rest[: stop.start()]] if stop is not None else []
            break
    else:
        label = _label(text)
        candidates = _VERSUS.split(label) if label is not None else []
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
    if text.endswith(".", start, end):
        end -= 1
        while end > start and _edge(text[end - 1]):
            end -= 1
    return text[start:end]


@lru_cache(maxsize=4096)
def _edge(char: str) -> bool:
    return char in _SELECTORS or char.isspace() or unicodedata.category(char) in _EDGE_CATEGORIES
