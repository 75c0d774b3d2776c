"""A page read back, written out again in the shape topicgen writes.

The renderer makes the summary; this adds what belongs to the page rather
than to the page data: its frontmatter keys (other tools' keys verbatim, via
``compose``), the text a person wrote after the summary, and the final
newline if the file had one. For every page topicgen generates,
``canonical_text(parse_page(page), ...)`` is the page, byte for byte.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from pydantic import BaseModel

from topicgen.page.render import (
    HARD_BREAK,
    PageContext,
    Provenance,
    generation_metadata,
    owned_frontmatter,
    page_title,
    render_body,
)
from topicgen.page.sections import Block, BodyParts, split_body
from topicgen.read.parse import OwnSection, ParsedPage
from topicgen.vault.frontmatter import compose

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


def canonical_body(parsed: ParsedPage, page: BaseModel, context: PageContext) -> str:
    """The rendered summary (a person's own sections where they were), then their text after it, if any."""
    body = with_own_sections(render_body(page, context), parsed.own_sections, context.hard_breaks)
    if not parsed.tail:
        return body
    end = HARD_BREAK if context.hard_breaks else ""
    return "\n".join([f"{body}{end}", end, *parsed.tail])


def with_own_sections(body: str, own: list[OwnSection], hard_breaks: bool) -> str:
    """A rendered body with a person's own sections put back after the sections they followed."""
    if not own:
        return body
    blank = HARD_BREAK if hard_breaks else ""
    parts = split_body(body)
    blocks: list[Block] = []
    placed: list[OwnSection] = []
    for block in parts.blocks:
        blocks.append(block)
        following = [section for section in own if section.after == block.key]
        blocks += [Block(None, list(section.lines)) for section in following]
        placed += following
    blocks += [Block(None, list(section.lines)) for section in own if section not in placed]
    for block, after in pairwise(blocks):
        if block.lines[-1].strip() and (block.key is None or after.key is None):
            block.lines.append(blank)  # a blank line before every heading, as the renderer writes
    return BodyParts(parts.head, blocks, parts.tail).join()


def canonical_text(
    parsed: ParsedPage,
    page: BaseModel,
    context: PageContext,
    provenance: Provenance | None = None,
) -> str:
    """The whole file: frontmatter (owned keys, the page's own keys, generation metadata) and body."""
    body = canonical_body(parsed, page, context) + ("\n" if parsed.final_newline else "")
    generation = generation_metadata(provenance, body) if provenance else {}
    owned = owned_frontmatter(page_title(page, context.topic), context)
    frontmatter = compose(owned, generation, parsed.frontmatter_raw)
    return f"{frontmatter}\n{body}"


def rendered_again(parsed: ParsedPage, context: PageContext) -> str:
    """A complete page rendered back from what was read, keeping its own provenance (the round trip)."""
    return canonical_text(parsed, parsed.summary(), context, provenance_of(parsed.frontmatter))
