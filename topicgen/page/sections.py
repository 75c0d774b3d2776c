"""A page body cut into its outline sections, so single sections can be replaced.

``split_body`` is lossless: the head (breadcrumb, title, summary heading),
one block per ``###`` section, and the tail (whatever a person wrote after
the summary) join back into exactly the original text. Blocks under a
heading that is not in the outline belong to nobody and are always kept.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from topicgen.errors import UsageError
from topicgen.page.outline import OUTLINE, PAGE_HEADING, SECTIONS, ZWJ

if TYPE_CHECKING:
    from pydantic import BaseModel

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")  # the text keeps trailing spaces: outline_key ignores them
_SEPARATORS = re.compile(r"[\s\-]+")  # in a section's name as a user spells it
_LIST_OR_BLANK = re.compile(r"^(\s*$|\s*[-*+] |\s{2,}\S|\s*\d+[.)] )")


def _heading_key(text: str) -> str:
    return " ".join(text.replace(ZWJ, "").split())


_KEY_BY_HEADING = {_heading_key(section.heading): section.key for section in OUTLINE}


@lru_cache(maxsize=1024)  # the same few headings on every page
def outline_key(heading_text: str) -> str | None:
    """The outline key of a ``###`` heading's text, tolerating lost joiners and spacing."""
    return _KEY_BY_HEADING.get(_heading_key(heading_text))


@dataclass
class Block:
    key: str | None  # None: a heading the outline does not know, kept as written
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class BodyParts:
    head: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)

    def join(self) -> str:
        return "\n".join(self.head + [line for b in self.blocks for line in b.lines] + self.tail)

    def section(self, key: str) -> Block | None:
        return next((block for block in self.blocks if block.key == key), None)

    def keys(self) -> list[str]:
        return [block.key for block in self.blocks if block.key]


def split_body(body: str) -> BodyParts:
    lines = body.split("\n")
    parts = BodyParts()
    marks = [index for index, line in enumerate(lines) if line.startswith("#")]  # the only lines to look at
    index = next((mark for mark in marks if _is_section_heading(lines[mark])), len(lines))
    parts.head = lines[:index]
    last_key = OUTLINE[-1].key
    current: Block | None = None
    while index < len(lines):
        line = lines[index]
        match = _HEADING.match(line) if line.startswith("#") else None
        if match and len(match.group(1)) == 3:
            current = Block(outline_key(match.group(2)), [line])
            parts.blocks.append(current)
            if current.key != last_key:  # up to the next '#' line nothing can end the block
                following = marks[bisect_right(marks, index)] if marks[-1] > index else len(lines)
                current.lines.extend(lines[index + 1 : following])
                index = following
                continue
        elif match or (current is not None and current.key == last_key and _starts_tail(current, line)):
            break
        else:
            assert current is not None
            current.lines.append(line)
        index += 1
    parts.tail = lines[index:]
    return parts


def _head_role(line: str) -> str | None:
    """Which line of the head topicgen renders this is: the breadcrumb, the title or the summary heading."""
    text = line.strip()
    if text.startswith("[Home]("):
        return "breadcrumb"
    match = _HEADING.match(text)
    if match and len(match.group(1)) == 1:
        return "title"
    if match and len(match.group(1)) == 2 and _heading_key(match.group(2)) == _heading_key(PAGE_HEADING):
        return "summary"
    return None


def merge_head(old: list[str], new: list[str]) -> list[str]:
    """The head of a regenerated page: topicgen's new breadcrumb, title and summary heading in the
    places of the old ones, and every other line (a person's paragraph, an embed) kept where it was."""
    fresh = {role: line for line in new if (role := _head_role(line)) is not None}
    merged: list[str] = []
    placed: set[str] = set()
    for line in old:
        role = _head_role(line)
        if role in fresh and role not in placed:
            merged.append(fresh[role])
            placed.add(role)
        else:
            merged.append(line)
    for role in ("breadcrumb", "title", "summary"):  # a line the old head lacked goes where it belongs
        if role in fresh and role not in placed:
            crumbs = [i + 1 for i, line in enumerate(merged) if _head_role(line) == "breadcrumb"]
            at = {"breadcrumb": 0, "title": crumbs[0] if crumbs else 0, "summary": len(merged)}[role]
            merged.insert(at, fresh[role])
    return merged


def _is_section_heading(line: str) -> bool:
    match = _HEADING.match(line)
    return bool(match and len(match.group(1)) == 3)


def _starts_tail(block: Block, line: str) -> bool:
    """After the last outline section, prose following a blank line is a person's own text."""
    return not block.lines[-1].strip() and not _LIST_OR_BLANK.match(line)


def splice(parts: BodyParts, replacements: dict[str, list[str]]) -> BodyParts:
    """Replace (or insert, in outline order) the blocks of the given sections."""
    blocks = [Block(b.key, replacements.get(b.key or "", b.lines)) for b in parts.blocks]
    present = {b.key for b in blocks}
    for key, lines in replacements.items():
        if key in present:
            continue
        position = OUTLINE.index(SECTIONS[key])
        before = {s.key for s in OUTLINE[:position]}
        at = 0
        for index, block in enumerate(blocks):
            if block.key in before or (block.key is None and index and blocks[index - 1].key in before):
                at = index + 1
        blocks.insert(at, Block(key, lines))
        present.add(key)
    _separate(blocks, ends_page=not parts.tail)
    return BodyParts(list(parts.head), blocks, list(parts.tail))


def _separate(blocks: list[Block], *, ends_page: bool) -> None:
    """Blank line between blocks; a page's final line carries no blank line or hard break."""
    for block in blocks[:-1]:
        if block.lines[-1].strip():
            block.lines.append("  " if block.lines[-1].endswith("  ") else "")
    if blocks and ends_page:
        last = blocks[-1].lines
        while len(last) > 1 and not last[-1].strip():
            last.pop()
        last[-1] = last[-1].rstrip()


def resolve_sections(names: list[str]) -> list[str]:
    """Section keys from user spellings: 'joke', 'jokes', 'books', 'deep-dive', 'Deep Dive'."""
    keys = []
    for name in names:
        wanted = _SEPARATORS.sub("_", name.strip().lower())
        candidates = {wanted, wanted.removesuffix("s"), wanted + "s"}
        key = next((k for k in SECTIONS if k in candidates), None)
        if key is None:
            known = ", ".join(SECTIONS)
            raise UsageError(f"unknown section {name!r}; sections are: {known}")
        if key not in keys:
            keys.append(key)
    return sorted(keys, key=lambda k: OUTLINE.index(SECTIONS[k]))


@cache
def section_model(keys: tuple[str, ...]) -> type[BaseModel]:
    """A model holding only the given sections, for asking a model to rewrite just those."""
    from pydantic import create_model

    from topicgen.page.schema import Strict, TopicSummary

    fields = {
        key: (TopicSummary.model_fields[key].annotation, TopicSummary.model_fields[key]) for key in keys
    }
    name = "Sections_" + "_".join(keys)
    model = create_model(name, __base__=Strict, **fields)
    model.__doc__ = "Only the requested sections of a topic note."
    return model
