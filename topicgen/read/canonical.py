"""A page read back, written out again in the shape topicgen writes.

The renderer makes the summary; this adds what belongs to the page rather
than to the page data: its frontmatter keys (other tools' keys verbatim, via
``compose``), the text a person wrote above and after the summary, and the final
newline if the file had one. For every page topicgen generates,
``canonical_text(parse_page(page), ...)`` is the page, byte for byte.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import Any

from pydantic import BaseModel

from topicgen.page.outline import SECTIONS
from topicgen.page.render import (
    HARD_BREAK,
    PageContext,
    Provenance,
    generation_metadata,
    owned_frontmatter,
    page_title,
    render_body,
    section_texts,
)
from topicgen.page.sections import Block, BodyParts, merge_head, splice, split_body
from topicgen.page.wording import Wording
from topicgen.read.parse import ParsedPage
from topicgen.read.parsed import OwnSection
from topicgen.vault.frontmatter import compose

KEPT_HEADING = "## 📌 Kept From The Original Page"  # text adopt could not place, after the summary
GENERATION_KEYS = ("topicgen_model", "topicgen_generated", "topicgen_fingerprint")


def provenance_of(frontmatter: dict[str, Any]) -> Provenance | None:
    """How a page says it was made (its generation metadata), or None for a page topicgen did not write."""
    values = [frontmatter.get(key) for key in GENERATION_KEYS]
    if any(value is None for value in values):
        return None
    model, generated, fingerprint = (str(value) for value in values)
    return Provenance(model, generated, fingerprint)


def is_generated(parsed: ParsedPage) -> bool:
    return provenance_of(parsed.frontmatter) is not None


def canonical_body(
    parsed: ParsedPage, page: BaseModel, context: PageContext, as_written: dict[str, list[str]] | None = None
) -> str:
    """The rendered summary, then what the page held outside it, each after a blank line.

    ``as_written`` holds sections kept as the page wrote them (they do not fit
    the outline), put under their exact headings. Text no section could hold
    follows the summary under ``KEPT_HEADING``; then the person's own text.
    """
    end = HARD_BREAK if context.hard_breaks else ""
    body = with_own_sections(render_body(page, context), parsed.own_sections, end)
    if as_written:
        blocks = {
            key: [f"### {SECTIONS[key].heading}{end}", end, *(f"{line}{end}" for line in lines), end]
            for key, lines in as_written.items()
        }
        body = splice(split_body(body), blocks).join()
    if parsed.head:  # a person's text above the summary stays there, around topicgen's own lines
        parts = split_body(body)
        body = BodyParts(merge_head(parsed.head, parts.head), parts.blocks, parts.tail).join()
    after = ([[f"{KEPT_HEADING}{end}", *kept_lines(parsed, end)]] if parsed.kept else []) + (
        [parsed.tail] if parsed.tail else []
    )
    if not after:
        return body
    return "\n".join([f"{body}{end}", *(line for block in after for line in (end, *block))])


def with_own_sections(body: str, own: list[OwnSection], blank: str) -> str:
    """A rendered body with a person's own sections put back after the sections they followed."""
    if not own:
        return body
    parts = split_body(body)
    blocks: list[Block] = []
    for block in parts.blocks:
        blocks.append(block)
        blocks += [Block(None, list(section.lines)) for section in own if section.after == block.key]
    rendered = {block.key for block in parts.blocks}
    blocks += [Block(None, list(section.lines)) for section in own if section.after not in rendered]
    for block, after in pairwise(blocks):
        if block.lines[-1].strip() and (block.key is None or after.key is None):
            block.lines.append(blank)  # a blank line before every heading, as the renderer writes
    return BodyParts(parts.head, blocks, parts.tail).join()


def kept_lines(parsed: ParsedPage, blank: str = "") -> list[str]:
    """The text no section could hold, as the page wrote it; a blank line between separate runs."""
    lines: list[str] = []
    previous: int | None = None
    for number, raw in parsed.kept:
        if previous is not None and number > previous + 1 and lines[-1].strip():
            lines.append(blank)
        lines.append(raw)
        previous = number
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def canonical_text(
    parsed: ParsedPage,
    page: BaseModel,
    context: PageContext,
    provenance: Provenance | None = None,
    as_written: dict[str, list[str]] | None = None,
) -> str:
    """The whole file: frontmatter (owned keys, the page's own keys, generation metadata) and body."""
    body = canonical_body(parsed, page, context, as_written) + ("\n" if parsed.final_newline else "")
    generation = generation_metadata(provenance, body) if provenance else {}
    if generation and (theirs := in_their_words(page, context)):
        for key in theirs:  # a person's words: their edit, kept by regen and relinking (--force names it)
            generation["topicgen_sections"].pop(key, None)
        del generation["topicgen_body_hash"]  # the body is not all topicgen's: no shortcut for staleness
    owned = owned_frontmatter(page_title(page, context.topic), context)
    frontmatter = compose(owned, generation, parsed.frontmatter_raw)
    return f"{frontmatter}\n{body}"


def in_their_words(page: BaseModel, context: PageContext) -> list[str]:
    """The sections written in the page's own words (``Wording``) rather than as the renderer writes
    them from the data: those whose text the wording changes."""
    if not context.wording:
        return []
    theirs = section_texts(render_body(page, context))
    ours = section_texts(render_body(page, replace(context, wording=Wording())))
    return [key for key, text in theirs.items() if ours.get(key) != text]


def rendered_again(parsed: ParsedPage, context: PageContext) -> str:
    """A complete page rendered back from what was read, keeping its own provenance (the round trip)."""
    return canonical_text(parsed, parsed.summary(), context, provenance_of(parsed.frontmatter))
