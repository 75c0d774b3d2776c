"""Reading one outline section's content, by the section's kind.

The page parser (``topicgen.read.parse``) cuts a page into sections; this
reads each section's lines as its kind allows: plain bullet lists, a list
with a closing label, labelled items, the topic tree, books, videos, one
quoted line. Every departure from the canonical shape is noted through the
parser's callback, with its line number; what cannot be placed is reported,
never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from topicgen.page.emoji import split_leading_emoji
from topicgen.page.outline import SECTIONS, Kind, Label, Section
from topicgen.page.render import label_text
from topicgen.page.text_rules import echoes_instructions
from topicgen.page.wording import ITEMS, words
from topicgen.read.blocks import Node, NodeKind, parse_blocks
from topicgen.read.findings import Code, excerpt
from topicgen.read.recognise import (
    bare,
    join_parts,
    match_label,
    note_name,
    parse_book,
    parse_video,
    split_label,
    split_marker_emoji,
    split_sentences,
    strip_bullet_emoji,
)

JOKE_KEY = "joke"
Note = Callable[[int, Code, str, "str | None"], None]
Keep = Callable[[int, int], None]  # (first line, last line) of text no section can hold
_WHERE = re.compile(r"^where\b", re.IGNORECASE)
_NAME_LIST = re.compile(r"[,;]")
_DISPLAY_MATH = re.compile(r"^(\$\$|\\\[|\\begin\{)")


@dataclass
class Extract:
    """What one section's content yields before validation."""

    value: Any = None
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)  # data path → line
    unfit: str | None = None
    extras: list[tuple[int, str]] = field(default_factory=list)  # extra jokes
    labels: dict[str, str] = field(default_factory=dict)  # label field → its words, not the outline's
    items: dict[tuple[str, int | None], str] = field(default_factory=dict)  # (field, index) → as written

    def wrote_label(self, label: Label, written: str) -> None:
        """Remember a label's words as the page wrote them, where they are not the outline's."""
        _, text = split_leading_emoji(written.strip())
        if text and words(text) != words(label.text):
            self.labels[label.field] = text


@dataclass
class _Unit:
    """One item of a list section as the page wrote it: a bullet or paragraph, and what explains it."""

    line: int
    last: int
    parts: list[str]
    bullet: bool
    listing: bool = False  # bullets introduced by a "Where:" line are being taken in
    symbols: bool = False  # ... introduced by math ending in a colon: only bullets that open with math

    @property
    def text(self) -> str:
        return _join_explained(self.parts)

    def takes(self, node: Node, text: str) -> bool:
        """Whether ``node`` continues this item rather than starting one.

        A display equation, a "Where ..." line, a paragraph after a colon or
        starting in lower case continues the item it explains; bullets
        continue it after a "Where:" line and while that list goes on, and
        after math ending in a colon while they open with math (``$K$ is
        ...``): a bullet of plain text after "$x$:" is an item of its own, as
        topicgen writes it.
        """
        last = self.parts[-1]
        if node.kind == NodeKind.PARAGRAPH:
            explaining = _DISPLAY_MATH.match(text) or _WHERE.match(text)
            return last.endswith(":") or text[:1].islower() or bool(explaining)
        if node.kind != NodeKind.BULLET:
            return False
        opens_with_math = text.lstrip().startswith("$")
        if self.listing:
            return opens_with_math or not self.symbols
        if not last.endswith(":"):
            return False
        return bool(_WHERE.match(last)) or (any("$" in part for part in self.parts) and opens_with_math)

    def add(self, node: Node, text: str) -> None:
        starts = node.kind == NodeKind.BULLET and not self.listing and self.parts[-1].endswith(":")
        if starts:
            self.symbols = not _WHERE.match(self.parts[-1])
        self.listing = node.kind == NodeKind.BULLET and (self.listing or self.parts[-1].endswith(":"))
        self.parts.append(text)
        self.last = node.last_line


def _join_explained(parts: list[str]) -> str:
    """An item's parts on one line: equations and "Where" lines joined with a space, as written."""
    joined = parts[0] if parts else ""
    for part in parts[1:]:
        math = _DISPLAY_MATH.match(part) or joined.endswith("$$") or _WHERE.match(part)
        joined = f"{joined} {part}" if math else join_parts([joined, part])
    return joined


class SectionReader:
    """Reads sections' content; findings go to ``note(line, code, message, section)``.

    Text no section can hold is reported and handed to ``keep(first, last)``,
    so adopt can keep it after the summary; it never makes a section unfit.
    """

    def __init__(self, note: Note, keep: Keep) -> None:
        self._note = note
        self._keep = keep

    def extract(self, key: str, lines: list[tuple[int, str]]) -> Extract:
        """What the section ``key`` yields from its lines (line number, raw text), before validation."""
        section = SECTIONS[key]
        blocks = parse_blocks(lines)
        for number, last, text, why in blocks.unplaced:
            self._note(number, Code.UNPLACED, f"{why}: {excerpt(text)!r}", key)
            self._keep(number, last)
        if blocks.list_variants:
            self._note(
                blocks.list_variants[0],
                Code.LIST_VARIANT,
                "'*', '+', numbered or indented bullets",
                key,
            )
        reader = _KIND_READERS[section.kind]
        return reader(self, section, blocks.nodes)

    def _item(
        self, node: Node, section: Section, expected: Iterable[str], extract: Extract, path: tuple
    ) -> str:
        """A bullet's text without its bullet emoji, nested bullets joined onto it."""
        text, own = strip_bullet_emoji(node.text, expected)
        if own:
            self._note(
                node.line, Code.BULLET_EMOJI, f"bullet emoji {own} instead of the section's", section.key
            )
        parts = [text]
        for child in node.children:
            parts.append(self._item(child, section, expected, extract, path))
        if node.children:
            self._note(node.children[0].line, Code.FLATTENED, "nested list joined into one line", section.key)
        extract.lines[path] = node.line
        return join_parts(parts)

    def _drop_leaked(self, section: Section, units: list[_Unit]) -> list[_Unit]:
        """Items that repeat the prompt leave the section (kept after the summary)."""
        kept = []
        for unit in units:
            text = unit.text
            if echoes_instructions(text):
                message = f"item repeats the prompt: {excerpt(text)!r}"
                self._note(unit.line, Code.LEAKED_INSTRUCTIONS, message, section.key)
                self._keep(unit.line, unit.last)
            else:
                kept.append(unit)
        return kept

    def _unplaced(self, node: Node, section: Section, why: str) -> None:
        self._note(node.line, Code.UNPLACED, f"{why}: {excerpt(node.text)!r}", section.key)
        self._keep(node.line, node.last_line)

    def _list_items(
        self, section: Section, nodes: list[Node], extract: Extract
    ) -> list[tuple[int, str]] | None:
        """The items of a list section, as the page wrote them.

        Bullets and paragraphs are items in page order; display equations,
        "Where:" lines and the bullets they introduce stay with the item they
        explain. A section written only as paragraphs, with fewer of them than
        the outline asks for, is split into sentences.
        """
        units: list[_Unit] = []
        paragraphs = [node for node in nodes if node.kind == NodeKind.PARAGRAPH]
        for node in nodes:
            if node.kind == NodeKind.HEADING:
                self._unplaced(node, section, "a sub-heading inside a list section")
                continue
            bullet = node.kind == NodeKind.BULLET
            text = self._item(node, section, [section.emoji], extract, ()) if bullet else node.text
            if units and units[-1].takes(node, text):
                units[-1].add(node, text)
            else:
                units.append(_Unit(node.line, node.last_line, [text], bullet))
        if paragraphs:
            self._note(paragraphs[0].line, Code.PARAGRAPHS, "written as paragraphs, not bullets", section.key)
        units = self._drop_leaked(section, units)
        if not units:
            return None
        items = [(unit.line, unit.text) for unit in units]
        if not any(unit.bullet for unit in units) and len(items) < section.min_items:
            items = [(line, sentence) for line, text in items for sentence in split_sentences(text)]
        return items

    def _read_bullets(self, section: Section, nodes: list[Node]) -> Extract:
        extract = Extract()
        items = self._list_items(section, nodes, extract)
        if items is not None:
            extract.value = [text for _, text in items]
            extract.lines = {(index,): line for index, (line, _) in enumerate(items)}
        return extract

    def _read_bullets_then_label(self, section: Section, nodes: list[Node]) -> Extract:
        (closing,) = section.labels
        expected = [closing.emoji, section.emoji]
        extract = Extract()
        found = [
            index
            for index, node in enumerate(nodes)
            if _item_label(node, strip_bullet_emoji(node.text, expected)[0], [closing])[0]
        ]
        if not found:  # drift: the items stand without their closing label (topicgen.page.drift)
            items = self._list_items(section, nodes, extract)
            if items is None:
                extract.unfit = "has no items"
                return extract
            extract.value = {"items": [text for _, text in items], closing.field: ""}
            extract.lines = {("items", index): line for index, (line, _) in enumerate(items)}
            return extract
        at = found[-1]  # the closing item is the last one naming the label
        node = nodes[at]
        _, rest = self._label_of(
            node, strip_bullet_emoji(node.text, expected)[0], [closing], section, extract
        )
        parts = [rest] + [self._item(child, section, expected, extract, ()) for child in node.children]
        parts += [self._item(after, section, expected, extract, ()) for after in nodes[at + 1 :]]
        items = self._list_items(section, nodes[:at], extract)
        if items is None:
            extract.unfit = extract.unfit or "has no items before its closing item"
            return extract
        extract.value = {"items": [text for _, text in items], closing.field: join_parts(parts)}
        extract.lines = {("items", index): line for index, (line, _) in enumerate(items)}
        extract.lines[(closing.field,)] = node.line
        return extract

    def _label_of(
        self, node: Node, text: str, labels: Iterable[Label], section: Section, extract: Extract
    ) -> tuple[Label | None, str]:
        """The outline label an item or sub-heading starts with, and the text after it."""
        label, rest, candidate = _item_label(node, text, labels)
        if label is None:
            return None, text
        extract.wrote_label(label, candidate)
        if not (node.kind == NodeKind.BULLET and text.startswith(label_text(label))):
            written = excerpt(candidate)
            self._note(
                node.line, Code.LABEL_VARIANT, f"'{written}' written for '{label_text(label)}'", section.key
            )
        return label, rest

    def _labelled_parts(self, section: Section, nodes: list[Node], extract: Extract) -> dict[str, list[str]]:
        """label field → its text parts, from bullets, bold lines or sub-headings naming a label."""
        emojis = [label.emoji for label in section.labels]
        by_emoji = {bare(label.emoji): label for label in section.labels if emojis.count(label.emoji) == 1}
        parts: dict[str, list[str]] = {}
        current: Label | None = None
        for node in nodes:
            head, _ = split_marker_emoji(node.text)
            text, _ = strip_bullet_emoji(node.text, emojis)
            label, rest = self._label_of(node, text, section.labels, section, extract)
            if label is None and node.kind == NodeKind.BULLET and bare(head) in by_emoji:
                label, rest = by_emoji[bare(head)], text
            if label is None:
                if current is None:
                    self._unplaced(node, section, "text before the first labelled item")
                else:
                    parts[current.field].append(self._item(node, section, emojis, extract, (current.field,)))
                continue
            if label.field in parts:
                self._unplaced(node, section, f"a second '{label_text(label)}' item")
                continue
            current = label
            extract.lines[(label.field,)] = node.line
            parts[label.field] = [rest]
            parts[label.field] += [
                self._item(child, section, emojis, extract, (label.field,)) for child in node.children
            ]
            if node.children:
                self._note(
                    node.children[0].line, Code.FLATTENED, "nested list joined into one line", section.key
                )
        return parts

    def _read_labelled(self, section: Section, nodes: list[Node]) -> Extract:
        extract = Extract()
        parts = self._labelled_parts(section, nodes, extract)
        absent = [label_text(label) for label in section.labels if label.field not in parts]
        if absent:
            extract.unfit = extract.unfit or f"no {', '.join(absent)} item"
            return extract
        extract.value = {field: join_parts(texts) for field, texts in parts.items()}
        return extract

    def _read_tree(self, section: Section, nodes: list[Node]) -> Extract:
        parent, *_ = section.labels
        emojis = [label.emoji for label in section.labels]
        extract = Extract()
        value: dict[str, Any] = {}
        current: Label | None = None
        for node in nodes:
            text, _ = strip_bullet_emoji(node.text, emojis)
            label, rest = self._label_of(node, text, section.labels, section, extract)
            if label is None:
                if current is not None and current is not parent and node.kind == NodeKind.BULLET:
                    value[current.field].append(self._topic(node, section, current, extract))
                    continue
                self._unplaced(node, section, "text outside the parent, children and advanced topics")
                continue
            if label.field in value:
                self._unplaced(node, section, f"a second '{label_text(label)}' item")
                continue
            current = label
            extract.lines[(label.field,)] = node.line
            if label is parent:
                value[label.field] = self._parent(node, rest, section, label, extract)
                continue
            inline = [name.strip() for name in _NAME_LIST.split(rest) if name.strip()]
            for index, name in enumerate(inline):  # names on the label's line, then its nested list
                extract.lines[(label.field, index)] = node.line
                extract.items[(label.field, index)] = name
            names = [self._topic(child, section, label, extract) for child in node.children]
            value[label.field] = [note_name(name) for name in inline] + names
        absent = [label_text(label) for label in section.labels if label.field not in value]
        if absent:
            extract.unfit = extract.unfit or f"no {', '.join(absent)} item"
            return extract
        extract.value = value
        return extract

    def _parent(self, node: Node, rest: str, section: Section, label: Label, extract: Extract) -> str:
        """The parent topic: named on its label's line, or as the one item of a list under it."""
        if rest:
            for child in node.children:
                self._unplaced(child, section, "a list nested under the parent topic")
            extract.items[(label.field, None)] = rest
            return note_name(rest)
        names = [self._topic(child, section, label, extract) for child in node.children]
        if len(names) != 1:
            return ""
        extract.items[(label.field, None)] = extract.items.pop((label.field, 0))
        return names[0]

    def _topic(self, node: Node, section: Section, label: Label, extract: Extract) -> str:
        """One child or advanced topic: a name with its emoji (a link to a vault note unwrapped)."""
        text, own = strip_bullet_emoji(node.text, [label.emoji])
        if own:
            self._note(
                node.line, Code.BULLET_EMOJI, f"bullet emoji {own} instead of the section's", section.key
            )
        if node.children:
            self._unplaced(node.children[0], section, "a list nested under a topic")
        index = sum(1 for path in extract.lines if len(path) == 2 and path[0] == label.field)
        extract.lines[(label.field, index)] = node.line
        extract.items[(label.field, index)] = text
        return note_name(text)

    def _read_books(self, section: Section, nodes: list[Node]) -> Extract:
        extract = Extract()
        value: dict[str, Any] = {}
        for node in nodes:
            text, own = strip_bullet_emoji(node.text, [section.emoji])
            label_rest = split_label(text)
            label = match_label(label_rest[0], section.labels) if label_rest else None
            if label is None or label_rest is None:
                self._unplaced(node, section, "a book without one of the outline's labels")
                continue
            if label.field in value:
                self._unplaced(node, section, f"a second '{label_text(label)}' book")
                continue
            if own:
                self._note(
                    node.line, Code.BULLET_EMOJI, f"bullet emoji {own} instead of the section's", section.key
                )
            if not text.startswith(label_text(label)):
                written = excerpt(label_rest[0])
                self._note(
                    node.line,
                    Code.LABEL_VARIANT,
                    f"'{written}' written for '{label_text(label)}'",
                    section.key,
                )
            for child in node.children:
                self._unplaced(child, section, "a nested line under a book")
            book = parse_book(label_rest[1])
            extract.lines[(label.field,)] = node.line
            extract.wrote_label(label, label_rest[0])
            extract.items[(label.field, None)] = label_rest[1]
            if book is None:
                expected = "'\"Title\" by Authors'"
                extract.unfit = (
                    f"line {node.line}: cannot tell the title from the authors (expected {expected})"
                )
                continue
            value[label.field] = book
        absent = [label_text(label) for label in section.labels if label.field not in value]
        if absent and extract.unfit is None:
            extract.unfit = f"no {', '.join(absent)} book"
        if extract.unfit is None:
            extract.value = value
        return extract

    def _read_videos(self, section: Section, nodes: list[Node]) -> Extract:
        extract = Extract()
        videos = []
        for node in nodes:
            text, own = strip_bullet_emoji(node.text, [section.emoji])
            video = parse_video(text) if node.kind == NodeKind.BULLET else None
            if video is None:
                self._unplaced(node, section, "not a '[name](address) description' item")
                continue
            if own:
                self._note(
                    node.line, Code.BULLET_EMOJI, f"bullet emoji {own} instead of the section's", section.key
                )
            if not text.startswith("["):
                self._note(node.line, Code.LABEL_VARIANT, "video written as 'Name: address'", section.key)
            for child in node.children:
                self._unplaced(child, section, "a nested line under a video")
            extract.lines[(len(videos),)] = node.line
            extract.items[(ITEMS, len(videos))] = text
            videos.append(video)
        extract.value = videos
        return extract

    def _read_quote(self, section: Section, nodes: list[Node]) -> Extract:
        extract = Extract()
        bullets = [node for node in nodes if node.kind == NodeKind.BULLET]
        others = [node for node in nodes if node.kind != NodeKind.BULLET]
        if bullets:
            for node in others:
                self._unplaced(node, section, "text beside the item")
            expected = [section.emoji]
            texts = [self._item(node, section, expected, extract, ()) for node in bullets]
            units = [_Unit(n.line, n.last_line, [text], True) for n, text in zip(bullets, texts, strict=True)]
        elif others:
            self._note(others[0].line, Code.PARAGRAPHS, "written as a paragraph, not a bullet", section.key)
            text = join_parts(node.text for node in others)
            units = [_Unit(others[0].line, others[-1].last_line, [text], False)]
        else:
            units = []
        units = self._drop_leaked(section, units)
        if not units:
            extract.unfit = "holds nothing the outline can use"
            return extract
        if section.key == JOKE_KEY:
            for unit in units[1:]:
                self._keep(unit.line, unit.last)
            extract.extras = [(unit.line, unit.text) for unit in units[1:]]
            units = units[:1]
        extract.value = join_parts(unit.text for unit in units)
        extract.lines[()] = units[0].line
        return extract


_KIND_READERS: dict[Kind, Callable[[SectionReader, Section, list[Node]], Extract]] = {
    Kind.BULLETS: SectionReader._read_bullets,
    Kind.BULLETS_THEN_LABEL: SectionReader._read_bullets_then_label,
    Kind.LABELLED: SectionReader._read_labelled,
    Kind.TREE: SectionReader._read_tree,
    Kind.BOOKS: SectionReader._read_books,
    Kind.VIDEOS: SectionReader._read_videos,
    Kind.QUOTE: SectionReader._read_quote,
}


def _item_label(node: Node, text: str, labels: Iterable[Label]) -> tuple[Label | None, str, str]:
    """(label, text after it, the label as written) when an item or sub-heading names a label."""
    if node.kind == NodeKind.HEADING:
        candidate, rest = text, ""
    else:
        split = split_label(text)
        if split is None:
            return None, text, ""
        candidate, rest = split
    return match_label(candidate, labels), rest, candidate
