"""From a validated page to the Markdown note, in the vault's exact shape.

Links are resolved against the notes the vault already has: a recommended
book with a note in ``books/`` (or a related topic with one in ``topics/``)
becomes a link to it; anything else stays plain text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

from topicgen.page.emoji import split_trailing_emoji
from topicgen.page.hashing import body_hash, content_hash
from topicgen.page.outline import OUTLINE, PAGE_HEADING, SECTIONS, Label
from topicgen.page.sections import split_body
from topicgen.page.text_rules import link_target, vault_link_text
from topicgen.page.wording import ITEMS, Wording
from topicgen.vault.frontmatter import compose
from topicgen.vault.notes import Note, NoteIndex, title_key

TEMPLATE_DIR = Path(__file__).parent / "templates"
HARD_BREAK = "  "
VERIFIED_KEY = "topicgen_verified"  # false: references not checked yet (check --verify, regen --verify-only)
SECTION_START = "### "


@dataclass(frozen=True)
class PageContext:
    """Everything about the vault a page's rendering depends on."""

    topic: str
    slug: str
    books: NoteIndex = field(default_factory=lambda: NoteIndex([]))
    topics: NoteIndex = field(default_factory=lambda: NoteIndex([]))
    site_url: str | None = None
    hard_breaks: bool = True
    books_href: str = "../books"
    topics_href: str = "."
    frontmatter: tuple[tuple[str, Any], ...] = (("share", True),)  # [frontmatter]: a new page's first keys
    final_newline: bool = False  # the reference page ends without one
    wording: Wording = field(default_factory=Wording)  # a page's own words, kept by adopt (page.wording)


@dataclass(frozen=True)
class Provenance:
    """How a page was made, written into its frontmatter for later staleness checks."""

    model: str
    generated: str  # ISO 8601, UTC
    fingerprint: str
    verified: bool | None = None  # its books and YouTube links were checked (None: not a question asked)


def relative_href(from_dir: Path, to_dir: Path) -> str:
    return Path(os.path.relpath(to_dir, from_dir)).as_posix()


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        auto_reload=False,  # the package's own templates: no need to stat them on every render
    )


def label_text(label: Label, text: str | None = None) -> str:
    """A label as the outline writes it (bold or not, then a colon), with its words or ``text``."""
    text = text or label.text
    return f"**{text}:**" if label.bold else f"{text}:"


def note_link(note: Note, asked: str, folder_href: str) -> str:
    """A link to a vault note. Its title and file name are someone else's text: the title is
    shown only when it passes the text rules (else the name asked for, already validated),
    and the file name is percent-encoded so spaces or brackets cannot end the link early."""
    text = vault_link_text(note.title) or asked
    if _extends(asked, text):  # 'Sync: The Emerging Science ...' for the note 'Sync': keep every word
        text = asked
    return f"[{text}]({folder_href}/{link_target(note.slug + '.md')})"


def _extends(asked: str, title: str) -> bool:
    """Whether ``asked`` is ``title`` and more (a subtitle, a parenthesis), emoji and case aside."""
    asked_key, title_key_ = title_key(asked), title_key(title)
    return len(asked_key) > len(title_key_) and asked_key.startswith(title_key_ + " ")


def book_ref(context: PageContext, title: str) -> str:
    note = context.books.find(title)
    if note is None:
        return f'"{title}"'
    return note_link(note, title, context.books_href)


def topic_ref(context: PageContext, text: str) -> str:
    name, trailing = split_trailing_emoji(text)
    note = context.topics.find(name)
    if note is None or note.slug == context.slug:
        return text
    link = note_link(note, name, context.topics_href)
    return f"{link} {trailing}" if trailing else link


def book_text(context: PageContext, section: str, label: Label, book: dict[str, str]) -> str:
    """A book after its label: ``"Title" by Authors note`` (its title linked when the vault has its
    note), or the page's own words for it when those would be lost (``Wording``)."""
    note = f" {book['note']}" if book["note"] else ""
    rendered = f"{book_ref(context, book['title'])} by {book['authors']}{note}"
    return context.wording.item(rendered, section, label.field)


def topic_text(context: PageContext, section: str, label: Label, name: str, index: int | None = None) -> str:
    """A parent, child or advanced topic (linked when the vault has its note), or the page's own words."""
    return context.wording.item(topic_ref(context, name), section, label.field, index)


def page_title(page: BaseModel, topic: str) -> str:
    return f"{page.title_emoji} {topic}"


def _render_template(name: str, page: BaseModel, context: PageContext, **extra: Any) -> list[str]:
    return _render_data(name, page.model_dump(), context, **extra)


def _render_data(name: str, data: dict[str, Any], context: PageContext, **extra: Any) -> list[str]:
    template = _environment().get_template(name)
    text = template.render(page=data, **template_functions(context), **extra)
    return text.split("\n")


def template_functions(context: PageContext) -> dict[str, Any]:
    """What the page templates call, bound to a page's vault and its own words (``Wording``)."""
    wording = context.wording
    return {
        "label_text": lambda label, section: label_text(label, wording.label(section, label.field)),
        "book_text": lambda section, label, book: book_text(context, section, label, book),
        "topic_text": lambda section, label, name, index=None: topic_text(
            context, section, label, name, index
        ),
        "as_written": lambda rendered, section, index: wording.item(rendered, section, ITEMS, index),
    }


def render_lines(page: BaseModel, context: PageContext) -> list[str]:
    """The body as lines without line-end markup, from the breadcrumb to the last section."""
    lines = _render_template(
        "page.md.j2",
        page,
        context,
        outline=OUTLINE,
        title=page_title(page, context.topic),
        page_heading=PAGE_HEADING,
    )
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def join_lines(lines: list[str], hard_breaks: bool) -> str:
    """Lines end with two spaces (Markdown hard breaks), except the last one."""
    if not hard_breaks:
        return "\n".join(lines)
    return "\n".join(line + HARD_BREAK for line in lines[:-1]) + ("\n" + lines[-1] if lines else "")


def render_section_blocks(sections: BaseModel, context: PageContext) -> dict[str, list[str]]:
    """Each section of a partial page as body lines, ending in a blank line, ready to splice."""
    keys = [key for key in type(sections).model_fields if key in SECTIONS]
    lines = _render_template("sections.md.j2", sections, context, sections=[SECTIONS[k] for k in keys])
    suffix = HARD_BREAK if context.hard_breaks else ""
    blocks = {}
    for block in split_body("\n".join(line + suffix for line in lines)).blocks:
        while len(block.lines) > 1 and not block.lines[-1].strip() and not block.lines[-2].strip():
            block.lines.pop()
        if block.key:
            blocks[block.key] = block.lines
    return blocks


def section_lines(key: str, value: Any) -> list[str]:
    """One section's content (validated data) as a page shows it, with no vault notes to link: the
    lines the text rules read, since several fields share a line."""
    return str(_bare_section_macro()(SECTIONS[key], _plain(value))).split("\n")


_BARE_CONTEXT = PageContext(topic="", slug="")


@cache
def _bare_section_macro() -> Any:
    """The page template's section macro, bound once to a vault with no notes (a macro called
    directly costs a tenth of a template render: every section of every reply goes through it)."""
    module = _environment().get_template("section.md.j2").make_module(template_functions(_BARE_CONTEXT))
    return module.render_section


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def render_body(page: BaseModel, context: PageContext) -> str:
    return join_lines(render_lines(page, context), context.hard_breaks)


def section_texts(body: str) -> dict[str, str]:
    """Each outline section's text (heading through last line) by key."""
    return {block.key: block.text for block in split_body(body).blocks if block.key}


def generation_metadata(provenance: Provenance, body: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "topicgen_model": provenance.model,
        "topicgen_generated": provenance.generated,
        "topicgen_fingerprint": provenance.fingerprint,
    }
    if provenance.verified is not None:
        metadata[VERIFIED_KEY] = provenance.verified
    metadata["topicgen_body_hash"] = body_hash(body)
    metadata["topicgen_sections"] = {key: content_hash(text) for key, text in section_texts(body).items()}
    return metadata


def owned_frontmatter(title: str, context: PageContext) -> dict[str, Any]:
    """The frontmatter keys topicgen owns, as the reference page writes them."""
    owned: dict[str, Any] = {**dict(context.frontmatter), "aliases": [title], "title": title}
    if context.site_url:
        owned["URL"] = f"{context.site_url.rstrip('/')}/topics/{context.slug}"
    return owned


def render_page(
    page: BaseModel,
    context: PageContext,
    provenance: Provenance | None = None,
    previous_frontmatter: str | None = None,
) -> str:
    """The whole note: frontmatter (keeping foreign keys of ``previous_frontmatter``) and body."""
    body = render_body(page, context)
    generation = generation_metadata(provenance, body) if provenance else {}
    owned = owned_frontmatter(page_title(page, context.topic), context)
    frontmatter = compose(owned, generation, previous_frontmatter)
    return f"{frontmatter}\n{body}" + ("\n" if context.final_newline else "")
