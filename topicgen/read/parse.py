"""Reading a topic page back into page data: the inverse of the renderer, tolerant of real vaults.

Everything is derived from the outline table: headings are recognised by the
outline's heading text (exact, reworded, shortened, or followed by leaked
prompt wording) or its heading emoji; items by the section's kind, labels and
bullet emoji. Pages pasted from chat replies in other eras are accepted:
``*``/``+``/numbered/indented bullets, ``####`` headings, bold
pseudo-headings with their content on the same line and emoji on either side
of the bold (``👉 **What Is It?** 🤔 text``), a wrapper heading around the
outline (``### 🔨 Tool Report: ...``), per-bullet emoji, ``**Label:**``
prefixes, paragraphs instead of bullets, display math and "Where:" lines
kept with the item they explain, a repeated summary heading, a chatty
preamble, emoji that lost their zero-width joiners. Drift is normalised as in
model replies (``topicgen.page.drift``) and noted. Text no section can hold
is reported with its line number and kept for adopt (``ParsedPage.kept``),
never dropped.

A page is read as an outline page only when enough of its headings are the
outline's (``topicgen.read.kinds``); other pages are named and left alone.
``topicgen.read.recognise`` knows the outline's words; this module walks a
page with them; ``topicgen.read.parsed`` holds the result.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from topicgen.page.drift import PAGE_CONTEXT, Source, normalise
from topicgen.page.emoji import ZWJ, repair_zwj, split_leading_emoji
from topicgen.page.outline import OUTLINE, PAGE_HEADING, SECTIONS
from topicgen.page.sections import section_model
from topicgen.page.text_rules import check_title_emoji
from topicgen.page.titles import topic_name_problem
from topicgen.read.blocks import BULLET, THEMATIC_BREAK, PseudoHeading, heading_of, pseudo_heading
from topicgen.read.findings import Code, Finding, drift_code, excerpt
from topicgen.read.kinds import LEFT_ALONE, HeadingCount, PageKind, kind_of
from topicgen.read.order import insertion_line, note_out_of_order
from topicgen.read.parsed import TITLE_KEY, IncompletePage, OwnSection, ParsedPage
from topicgen.read.recognise import (
    BREADCRUMB,
    HeadingMatch,
    bare,
    is_summary_heading,
    match_heading,
    match_label,
    parse_book,
    parse_video,
    section_heading,
    split_label,
    split_sentences,
    words_of,
)
from topicgen.read.section_readers import JOKE_KEY, Extract, SectionReader
from topicgen.vault.frontmatter import load_yaml, split_blocks

__all__ = [
    "BREADCRUMB",
    "LEFT_ALONE",
    "TITLE_KEY",
    "IncompletePage",
    "PageKind",
    "ParsedPage",
    "match_heading",
    "match_label",
    "parse_book",
    "parse_page",
    "parse_video",
    "read_page",
    "split_sentences",
]

CATEGORY_WORD = "subcategor"  # category pages list their subcategories
LAST_KEY = OUTLINE[-1].key
WRAPPER_WORDS = frozenset({"report", "summary"})  # '### 🔨 Tool Report: <topic>'


def parse_page(text: str) -> ParsedPage:
    """Read one page's text (frontmatter included)."""
    return _PageParser(text).parse()


def read_page(path: str | os.PathLike[str]) -> ParsedPage:
    """Read a page file back into page data: its sections, what is missing, and what is wrong.

    ``read_page(p).summary()`` is the whole page as a ``TopicSummary`` when it is complete.
    """
    from topicgen.vault.files import read_page_text

    return parse_page(read_page_text(Path(path)))


@dataclass
class _Block:
    key: str | None  # None: a heading the outline does not have
    line: int
    heading: str
    level: int  # 0: a bold line standing in for a heading
    match: HeadingMatch | None
    index: int  # where the heading is in the body's lines
    lines: list[tuple[int, str]] = field(default_factory=list)


class _PageParser:
    def __init__(self, text: str) -> None:
        self.findings: list[Finding] = []
        if "\r\n" in text:
            text = text.replace("\r\n", "\n")
            self._note(1, Code.LINE_ENDINGS, "Windows (CRLF) line endings")
        self.final_newline = text.endswith("\n")
        self.text = text[:-1] if self.final_newline else text
        self.lines = self.text.split("\n")
        self.repair = bool(ZWJ not in self.text and repair_zwj(self.text) != self.text)
        self.kept: set[int] = set()
        self.own_bold = 0  # headings and bold lines under the summary, not the outline's (for the page kind)
        self._before: list[tuple[int, str]] = []  # text between the title and the first section
        self._reader = SectionReader(self._note, self._keep)

    def _note(self, line: int, code: Code, message: str, section: str | None = None) -> None:
        self.findings.append(Finding(line, code, message, section))

    def _keep(self, first: int, last: int) -> None:
        """Lines no section can hold: adopt keeps them after the summary, as they are."""
        self.kept.update(range(first, max(first, last) + 1))

    def _fix(self, text: str) -> str:
        return repair_zwj(text) if self.repair else text

    # -- the page

    def parse(self) -> ParsedPage:
        data, raw, start = _frontmatter(self.lines, self._note)
        page = ParsedPage(
            PageKind.TOPIC, frontmatter=data, frontmatter_raw=raw, final_newline=self.final_newline
        )
        body = [(index + 1, self.lines[index]) for index in range(start, len(self.lines))]
        position, title_line, summary_line = self._head(body, page)
        blocks, tail_at = self._sections(body, position)
        page.tail = [raw_line for _, raw_line in body[tail_at:]]
        known = [block for block in blocks if block.key is not None]
        others = len(blocks) - len(known) + self.own_bold
        count = HeadingCount(len({block.key for block in known}), len(known), others)
        marker = self._has_category_marker(body)
        page.kind = kind_of(count, has_summary=summary_line is not None, category_marker=marker)
        if page.kind is not PageKind.TOPIC:
            return self._finish(page, [])
        if summary_line is None:  # an outline page without it: adopt adds it above the first section
            self._note(title_line or 0, Code.HEADING_VARIANT, f"no '## {PAGE_HEADING}' heading")
        self._own_text(page, body, title_line, summary_line)
        self._title(page, title_line)
        page.own_sections = self._own_sections(blocks)
        end_line = body[tail_at - 1][0] if tail_at else len(self.lines)
        self._read_sections(page, known, end_line)
        if self.repair:
            self._note(0, Code.LOST_ZWJ, "emoji lost their zero-width joiners; restored")
        return self._finish(page, known)

    def _own_sections(self, blocks: list[_Block]) -> list[OwnSection]:
        """A person's own sections inside the summary: kept where they are, noted, never unplaced."""
        own: list[OwnSection] = []
        after: str | None = None
        for block in blocks:
            if block.key is not None:
                after = block.key
                continue
            end = max((number for number, raw in block.lines if raw.strip()), default=block.line)
            where = f"lines {block.line}-{end}" if end > block.line else f"line {block.line}"
            message = f"a section of your own: {excerpt(block.heading)!r} ({where}), kept where it is"
            self._note(block.line, Code.OWN_SECTION, message)
            own.append(OwnSection(after, [self.lines[block.line - 1], *(raw for _, raw in block.lines)]))
        return own

    def _finish(self, page: ParsedPage, blocks: list[_Block]) -> ParsedPage:
        if not page.is_topic:
            self.findings = []  # topicgen leaves the page alone: nothing to say about its shape
            self.kept = set()
        page.kept = [(number, self.lines[number - 1]) for number in sorted(self.kept)]
        page.findings = sorted(self.findings, key=lambda finding: (finding.line, finding.code.value))
        page.section_lines = {}
        for block in blocks:
            page.section_lines.setdefault(block.key, block.line)
        return page

    def _head(self, body: list[tuple[int, str]], page: ParsedPage) -> tuple[int, int | None, int | None]:
        """Walk breadcrumb, title and summary heading up to the first section.

        Returns (index of the first section line, title line, summary heading line).
        """
        title_line = summary_line = None
        own_heading = False
        preamble: list[tuple[int, str]] = []
        before: list[tuple[int, str]] = []
        index = 0
        while index < len(body):
            number, raw = body[index]
            line = raw.rstrip()
            heading = heading_of(line) if line.strip() else None
            after_title = summary_line is not None or title_line is not None
            if after_title and (heading is None or heading[0] == 0):
                if _outline_pseudo_heading(line):
                    break
                self.own_bold += pseudo_heading(line) is not None
            if heading is not None:
                level, text = heading
                if level == 1 and title_line is None and summary_line is None:
                    title_line = number
                    page.topic = text
                    index += 1
                    continue
                if level in (1, 2, 3) and is_summary_heading(text):
                    if summary_line is None:
                        summary_line = number
                    else:
                        self._note(number, Code.DUPLICATE_HEADING, f"'{PAGE_HEADING}' is repeated")
                    index += 1
                    continue
                if match_heading(text, allow_weak=False):
                    break
                if level > 1 and summary_line is not None and _is_wrapper(text, page.topic):
                    wrapper = f"a heading around the outline: {excerpt(text)!r}"
                    self._note(number, Code.HEADING_VARIANT, wrapper)
                    index += 1
                    continue
                if match_heading(text, allow_weak=level > 0):
                    break
                if level > 0 and summary_line is not None:
                    own_heading = True  # a heading of one's own: what follows is not chatter
                    self.own_bold += 1  # and one of the summary's headings, for the page kind
            if line.strip() and not (BREADCRUMB.match(line) and title_line is None):
                chatter = summary_line is not None and not own_heading
                (preamble if chatter else before).append((number, line))
            index += 1
        self._before = before
        if summary_line is not None:
            for number, line in before:
                if number < summary_line:
                    continue  # a person's text above the summary stays where it is (``_own_text``)
                self._note(number, Code.UNPLACED, f"text before the first section: {excerpt(line)!r}")
                self._keep(number, number)
            for number, _ in preamble:
                self._keep(number, number)
            if preamble:
                text = " ".join(line for _, line in preamble)
                self._note(
                    preamble[0][0],
                    Code.PREAMBLE,
                    f"chatty preamble before the first section: {excerpt(text)!r}",
                )
        return index, title_line, summary_line

    def _sections(self, body: list[tuple[int, str]], index: int) -> tuple[list[_Block], int]:
        """Cut the summary into section blocks; returns them and where the tail starts.

        A heading the outline does not have gets a block of its own (key None):
        in the middle of the summary it is a person's own section, kept where it
        is; after the last section it is a person's own text and joins the tail.
        Outline headings count only at the level of the page's sections (the
        first section's): a heading above that level ends the summary (a
        person's ``## 📝 My Notes``), one below it is a sub-heading, and a loose
        match (shortened, emoji only) for a section the page already has is a
        heading of one's own.
        """
        blocks: list[_Block] = []
        while index < len(body):
            number, raw = body[index]
            line = raw.rstrip()
            heading = heading_of(line) if line.strip() else None
            current = blocks[-1] if blocks else None
            pseudo = _outline_pseudo_heading(line) if heading is None or heading[0] == 0 else None
            if pseudo is not None and not _names_label(pseudo[1].text, current):
                found, written = pseudo
                blocks.append(_Block(found.key, number, written.text, 0, found, index))
                if written.content:
                    blocks[-1].lines.append((number, written.content))
                index += 1
                continue
            bold = pseudo_heading(line) if pseudo is None and (heading is None or heading[0] == 0) else None
            self.own_bold += bold is not None and not _names_label(bold.text, current)
            if heading is not None:
                level, text = heading
                if 1 <= level <= 3 and is_summary_heading(text):
                    self._note(number, Code.DUPLICATE_HEADING, f"'{PAGE_HEADING}' is repeated")
                    index += 1
                    continue
                section_level = blocks[0].level if blocks else None
                if section_level is not None and 1 <= level <= 2 and level != section_level:
                    break
                names_label = _names_label(text, current)
                found = section_heading(text, level, section_level, names_label, {b.key for b in blocks})
                if found is not None:
                    blocks.append(_Block(found.key, number, text, level, found, index))
                    index += 1
                    continue
                if level > 0 and not names_label:
                    blocks.append(_Block(None, number, text, level, None, index))
                    index += 1
                    continue
            elif current and current.key == LAST_KEY and self._starts_tail(current, line):
                break
            if current:
                current.lines.append((number, raw))
            index += 1
        while blocks and blocks[-1].key is None and any(block.key for block in blocks):
            index = blocks.pop().index  # headings of one's own after the summary: the tail
        return blocks, index

    @staticmethod
    def _starts_tail(block: _Block, line: str) -> bool:
        """After the last section's list, prose after a blank line is a person's own text."""
        if not line.strip() or line[:1].isspace() or BULLET.match(line):
            return False
        has_list = any(BULLET.match(raw) for _, raw in block.lines)
        return has_list and bool(block.lines) and not block.lines[-1][1].strip()

    def _own_text(
        self, page: ParsedPage, body: list[tuple[int, str]], title_line: int | None, summary_line: int | None
    ) -> None:
        """A person's text above the summary heading (or, with none, above the first section) is
        theirs where it is: noted, never unplaced, and kept in place (``ParsedPage.head``)."""
        own = [n for n, _ in self._before if n != title_line and (summary_line is None or n < summary_line)]
        if not own:
            return
        where = f"lines {own[0]}-{own[-1]}" if len(own) > 1 else f"line {own[0]}"
        message = (
            f"text of your own above the summary ({where}): {excerpt(self.lines[own[0] - 1])!r}, kept there"
        )
        self._note(own[0], Code.OWN_TEXT, message)
        last = summary_line if summary_line is not None else own[-1]
        head = []
        for number, raw in body:
            if number > last:
                break
            if number == title_line:
                raw = raw.rstrip()
            elif number == summary_line:
                raw = f"## {PAGE_HEADING}"  # however the page wrote it, the place topicgen's heading goes
            elif number not in own and BREADCRUMB.match(raw.rstrip()) and not raw.startswith("[Home]("):
                continue  # another breadcrumb: topicgen's takes its place at the top
            head.append(raw)
        page.head = head

    def _has_category_marker(self, body: list[tuple[int, str]]) -> bool:
        for _, raw in body:
            heading = heading_of(raw.rstrip()) if raw.strip() else None
            if heading and any(word.startswith(CATEGORY_WORD) for word in words_of(heading[1])):
                return True
        return False

    def _title(self, page: ParsedPage, title_line: int | None) -> None:
        title = page.topic or str(page.frontmatter.get("title") or "")
        line = title_line or 0
        if title_line is None:
            self._note(0, Code.TITLE_VARIANT, "no '# title' heading; the frontmatter title is used")
        lead, name = split_leading_emoji(title.strip())
        page.topic = name or None
        if not name:
            self._note(line, Code.BAD_TITLE, "the page has no title")
            return
        problem = topic_name_problem(name)
        if problem is not None:  # it would become the heading of the page topicgen writes
            self._note(line, Code.BAD_TITLE, f"the title cannot be a page's title: {problem}")
        if lead:
            data, drift = normalise({TITLE_KEY: self._fix(lead)}, fields=(TITLE_KEY,), source=Source.PAGE)
            try:
                page.title_emoji = check_title_emoji(data[TITLE_KEY], most=None)
            except ValueError as error:
                self._note(line, Code.BAD_TITLE, f"title emoji {lead!r}: {error}")
            for note in drift:
                self._note(line, drift_code(note.drift), f"{note.where}: {note.detail}")
        fm_title = page.frontmatter.get("title")
        if isinstance(fm_title, str) and title_line and bare(fm_title.strip()) != bare(title.strip()):
            self._note(2, Code.TITLE_VARIANT, f"frontmatter title {fm_title!r} differs from the heading")

    # -- sections

    def _read_sections(self, page: ParsedPage, blocks: list[_Block], end_line: int) -> None:
        first: dict[str, _Block] = {}
        for block in blocks:
            self._heading_findings(block)
            if block.key not in first:
                first[block.key] = block
                continue
            self._note(
                block.line, Code.DUPLICATE_HEADING, f"section '{block.heading}' appears again", block.key
            )
            if not _has_text(first[block.key]):
                first[block.key] = block
        extracts = {
            key: self._reader.extract(block.key, block.lines)
            for key, block in first.items()
            if _has_text(block)
        }
        for block in blocks:
            if block is not first[block.key]:
                self._duplicate(block, extracts.get(block.key))
        for key, block in first.items():
            if key not in extracts:
                self._note(block.line, Code.EMPTY_SECTION, f"section '{block.heading}' is empty", key)
        for key, extract in extracts.items():
            self._validate(page, first[key], extract)
        note_out_of_order(blocks, self._note)
        page.missing = [s.key for s in OUTLINE if s.key not in page.sections and s.key not in page.unfit]
        if page.title_emoji is None and not any(f.code is Code.BAD_TITLE for f in self.findings):
            page.missing.insert(0, TITLE_KEY)
        for key in page.missing:
            if key == TITLE_KEY or key in first:
                continue
            self._note(
                insertion_line(key, first, end_line),
                Code.MISSING_SECTION,
                f"no '{SECTIONS[key].heading}' section",
                key,
            )

    def _heading_findings(self, block: _Block) -> None:
        section = SECTIONS[block.key]
        if block.match.how == "leaked":
            self._note(
                block.line,
                Code.LEAKED_INSTRUCTIONS,
                f"heading carries prompt wording after '{section.heading_text}': "
                f"{excerpt(block.match.extra)!r}",
                block.key,
            )
        elif block.match.how != "exact":
            self._note(
                block.line,
                Code.HEADING_VARIANT,
                f"heading '{excerpt(block.heading)}' for '{section.heading}'",
                block.key,
            )
        if block.level != 3 and block.match.how == "exact":
            form = "a bold line" if block.level == 0 else "#" * block.level
            self._note(block.line, Code.HEADING_VARIANT, f"heading written as {form}, not ###", block.key)

    def _duplicate(self, block: _Block, kept: Extract | None) -> None:
        if not _has_text(block):
            return
        extract = self._reader.extract(block.key, block.lines)
        last_line = max((number for number, raw in block.lines if raw.strip()), default=block.line)
        if block.key == JOKE_KEY and extract.value:
            jokes = [(extract.lines.get((), block.line), extract.value), *extract.extras]
            for line, joke in jokes:
                self._note(line, Code.EXTRA_JOKE, f"extra joke: {excerpt(str(joke))!r}", block.key)
            self._keep(block.line, last_line)
            return
        if kept is not None and extract.value == kept.value:
            return
        first_line = block.lines[0][0] if block.lines else block.line
        self._note(
            first_line,
            Code.UNPLACED,
            f"a second '{SECTIONS[block.key].heading_text}' section differs from the first "
            f"(lines {block.line}-{last_line}); kept after the summary to merge by hand",
            block.key,
        )
        self._keep(block.line, last_line)

    def _validate(self, page: ParsedPage, block: _Block, extract: Extract) -> None:
        key = block.key
        for line, joke in extract.extras:
            self._note(line, Code.EXTRA_JOKE, f"extra joke: {excerpt(joke)!r}", key)
        if extract.unfit or extract.value is None:
            why = extract.unfit or "has nothing the outline can use"
            self._note(block.line, Code.UNFIT_SECTION, f"{key} does not fit the outline: {why}", key)
            self._unfit(page, block)
            return
        value = _map_strings(extract.value, self._fix)
        data, drift = normalise({key: value}, fields=(key,), source=Source.PAGE)
        try:
            model = section_model((key,)).model_validate(data, context=PAGE_CONTEXT)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                path = tuple(item["loc"][1:])
                line = _line_for(extract.lines, path, block.line)
                where = ".".join(str(part) for part in (key, *path))
                message = item["msg"].removeprefix("Value error, ")
                self._note(line, Code.UNFIT_SECTION, f"{where}: {message}", key)
            self._unfit(page, block)
            return
        for note in drift:
            line = _line_for(extract.lines, note.path[1:], block.line)
            self._note(line, drift_code(note.drift), f"{note.where}: {note.detail}", key)
        page.sections[key] = model.model_dump(mode="json")[key]
        page.item_lines[key] = dict(extract.lines)
        page.wording.labels.update({(key, field): self._fix(text) for field, text in extract.labels.items()})
        page.wording.items.update({(key, *path): self._fix(text) for path, text in extract.items.items()})

    def _unfit(self, page: ParsedPage, block: _Block) -> None:
        """A section the outline cannot hold: adopt keeps its lines as they are, under its heading."""
        page.unfit.append(block.key)
        self.kept -= {number for number, _ in block.lines}  # they stay in the section itself
        lines = [raw.rstrip() for _, raw in block.lines]
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        page.unfit_lines[block.key] = lines


def _frontmatter(
    lines: list[str], note: Callable[[int, Code, str], None]
) -> tuple[dict[str, Any], str | None, int]:
    """(data, raw YAML, index of the first body line); problems go to ``note``."""
    if not lines or lines[0].rstrip() != "---":
        note(1, Code.NO_FRONTMATTER, "the page has no frontmatter")
        return {}, None, 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        note(1, Code.MALFORMED_FRONTMATTER, "the frontmatter's closing '---' is missing")
        start = next((i for i, line in enumerate(lines) if line.startswith(("# ", "["))), 1)
        return {}, None, start
    raw = "\n".join(lines[1:end])
    try:
        data = load_yaml(raw) if raw.strip() else {}  # no aliases, bounded depth: a YAML bomb is one finding
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(error, "problem", None) or "invalid YAML"
        note(line, Code.MALFORMED_FRONTMATTER, f"the frontmatter is not valid YAML: {problem}")
        return {}, raw, end + 1
    if not isinstance(data, dict):
        note(2, Code.MALFORMED_FRONTMATTER, "the frontmatter is not a set of 'key: value' lines")
        return {}, raw, end + 1
    seen: dict[str, int] = {}
    offset = 2
    for key, block in split_blocks(raw):
        if key is not None and key in seen:
            note(offset, Code.MALFORMED_FRONTMATTER, f"key {key!r} appears twice (line {seen[key]})")
        elif key is not None:
            seen[key] = offset
        offset += block.count("\n") + 1
    return data, raw, end + 1


def _outline_pseudo_heading(line: str) -> tuple[HeadingMatch, PseudoHeading] | None:
    """A bold line naming an outline section (``👉 **What Is It?** 🤔 text``), with what follows it.

    The outline's heading words count; shortened words only with the
    section's own heading emoji beside the bold (``💡 **Examples Of ...**``)
    or when they are the heading's first words (three or more).
    """
    written = pseudo_heading(line)
    if written is None:
        return None
    found = match_heading(written.text, allow_weak=False)
    lead, name = split_leading_emoji(written.text)
    for emoji in (lead, written.trailing_emoji) if found is None else ():
        weak = match_heading(f"{emoji} {name}".strip())
        if weak is not None and weak.how in ("shortened", "emoji"):
            section = SECTIONS[weak.key]
            words = words_of(name)
            begins = len(words) >= 3 and words == words_of(section.heading_text)[: len(words)]
            if (emoji and bare(emoji) == bare(section.heading_emoji) and weak.how == "shortened") or begins:
                found = weak
                break
    return (found, written) if found else None


def _is_wrapper(text: str, topic: str | None) -> bool:
    """A heading wrapped around the outline: '### 🔨 Tool Report: Attachment Theory 👶'."""
    words = set(words_of(text))
    topic_words = set(words_of(topic or "")) - {"the", "a", "an", "of"}
    return bool(words & WRAPPER_WORDS) or bool(topic_words and topic_words <= words)


def _names_label(text: str, block: _Block | None) -> bool:
    """Whether a sub-heading names one of the labels of the section it is in ('#### For A Child')."""
    if block is None or block.key is None or not SECTIONS[block.key].labels:
        return False
    split = split_label(text)
    return match_label(split[0] if split else text, SECTIONS[block.key].labels) is not None


def _has_text(block: _Block) -> bool:
    return any(raw.strip() and not THEMATIC_BREAK.fullmatch(raw.strip()) for _, raw in block.lines)


def _map_strings(value: Any, fix: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [_map_strings(item, fix) for item in value]
    if isinstance(value, dict):
        return {key: _map_strings(item, fix) for key, item in value.items()}
    return value


def _line_for(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...], default: int) -> int:
    for size in range(len(path), -1, -1):
        if path[:size] in lines:
            return lines[path[:size]]
    return default
