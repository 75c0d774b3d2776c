"""The Markdown a topic page is made of, as a small tree: headings, paragraphs, nested bullets.

Pasted chat replies use every list and heading style Markdown allows. This
module knows only Markdown, not the outline: it turns a section's lines into
``Node``s (a bullet keeps its nested bullets as children; continuation lines
join their item or paragraph) and says which lines it could not make sense of
(code blocks, tables), so the parser can report them instead of losing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from topicgen.page.emoji import split_leading_emoji

HEADING = re.compile(r" {0,3}(#{1,6})\s")  # a heading's marks; its text is cut out without a pattern
BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<inner>[^*_\s](?:(?!\1).)*?)\1\s*(?::\s*)?$")
BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,3}[.)])\s+(?P<text>.*)$")
THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
TABLE_ROW = re.compile(r"^\s*\|")
QUOTE = re.compile(r"^\s*>\s?")
TAB_WIDTH = 4


class NodeKind:
    BULLET = "bullet"
    PARAGRAPH = "paragraph"
    HEADING = "heading"  # a sub-heading or a bold line standing alone


@dataclass
class Node:
    line: int
    kind: str
    text: str
    indent: int = 0
    marker: str = ""
    children: list[Node] = field(default_factory=list)
    end: int = 0  # the last line of its own text (continuation lines included)

    @property
    def last_line(self) -> int:
        own = max(self.line, self.end)
        return max(own, self.children[-1].last_line) if self.children else own


@dataclass
class Blocks:
    """A section's content: top-level nodes, plus what Markdown alone already cannot place."""

    nodes: list[Node] = field(default_factory=list)
    unplaced: list[tuple[int, int, str, str]] = field(default_factory=list)  # (line, last line, text, why)
    breaks: list[int] = field(default_factory=list)  # thematic breaks, ignored
    list_variants: list[int] = field(default_factory=list)  # '*', '+', numbered or indented top bullets


def indent_width(text: str) -> int:
    return len(text.expandtabs(TAB_WIDTH))


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, text) of a Markdown heading, or (0, text) of a line that is only bold text."""
    match = HEADING.match(line)
    if match:  # the text, without a closing run of '#' and the spaces around it
        return len(match.group(1)), line[match.end() :].strip().rstrip("#").rstrip()
    bold = BOLD_LINE.match(line)
    if bold:
        return 0, bold.group("inner").strip()
    return None


@dataclass(frozen=True)
class PseudoHeading:
    """A line that opens with bold text, as pasted chat replies write headings.

    ``👉 **What Is It?** 🤔 Attachment theory is ...`` has the text
    ``👉 What Is It?`` (emoji before the bold kept, emoji after it dropped) and
    the content ``Attachment theory is ...``. Whether it is a heading at all is
    for the outline to say.
    """

    text: str
    content: str
    trailing_emoji: str = ""  # the emoji right after the bold


_BOLD_OPENING = re.compile(r"^(\*\*|__)(?P<inner>[^*_\s](?:(?!\1).)*?)\1(?P<rest>.*)$")


def pseudo_heading(line: str) -> PseudoHeading | None:
    """The bold text a line opens with (after any emoji), and what follows it; None for other lines."""
    stripped = line.strip()
    if not stripped or line[:1] in " \t" or BULLET.match(line) or HEADING.match(line):
        return None
    lead, after = split_leading_emoji(stripped)
    match = _BOLD_OPENING.match(after)
    if match is None:
        return None
    rest = match.group("rest").strip()
    rest = rest[1:].strip() if rest.startswith(":") else rest
    trailing, content = split_leading_emoji(rest)
    return PseudoHeading(f"{lead} {match.group('inner').strip()}".strip(), content, trailing)


def parse_blocks(lines: list[tuple[int, str]]) -> Blocks:
    """Lines (number, text) of one section → nodes. Trailing hard breaks are ignored."""
    blocks = Blocks()
    open_bullets: list[Node] = []
    last: Node | None = None
    after_blank = True
    index = 0
    while index < len(lines):
        number, raw = lines[index]
        line = raw.rstrip()
        index += 1
        if not line.strip():
            after_blank = True
            continue
        if THEMATIC_BREAK.match(line):
            blocks.breaks.append(number)
            after_blank, last = True, None
            open_bullets.clear()
            continue
        if FENCE.match(line):
            fence = FENCE.match(line).group(1)  # type: ignore[union-attr]
            body = [line.strip()]
            while index < len(lines):
                body.append(lines[index][1].rstrip())
                index += 1
                if lines[index - 1][1].strip().startswith(fence):
                    break
            why = "a code block cannot be one line of a section"
            blocks.unplaced.append((number, lines[index - 1][0], " ".join(body), why))
            after_blank, last = True, None
            continue
        if TABLE_ROW.match(line):
            blocks.unplaced.append((number, number, line, "a table cannot be one line of a section"))
            after_blank, last = False, None
            continue
        bullet = BULLET.match(line)
        heading = None if bullet else heading_of(line)
        if bullet:
            node = Node(
                number,
                NodeKind.BULLET,
                bullet.group("text").strip(),
                indent_width(bullet.group("indent")),
                bullet.group("marker"),
            )
            while open_bullets and open_bullets[-1].indent >= node.indent:
                open_bullets.pop()
            if open_bullets:
                open_bullets[-1].children.append(node)
            else:
                if node.marker != "-" or node.indent:
                    blocks.list_variants.append(number)
                blocks.nodes.append(node)
            open_bullets.append(node)
            last = node
        elif heading is not None:
            last = Node(number, NodeKind.HEADING, heading[1])
            blocks.nodes.append(last)
            open_bullets.clear()
        else:
            text = QUOTE.sub("", line).strip()
            continues = last is not None and last.kind != NodeKind.HEADING
            indented = indent_width(line[: len(line) - len(line.lstrip())]) >= 2  # under the bullet
            if continues and (not after_blank or (last.kind == NodeKind.BULLET and indented)):
                last.text = f"{last.text} {text}".strip()  # type: ignore[union-attr]
                last.end = number  # type: ignore[union-attr]
            else:
                last = Node(number, NodeKind.PARAGRAPH, text)
                blocks.nodes.append(last)
                open_bullets.clear()
        after_blank = False
    return blocks
