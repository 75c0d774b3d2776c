"""A person's words where the outline can hold them: labels and references as a page wrote them.

``adopt`` rewrites a page into topicgen's shape, but the words on it are the
person's. A label written ``Common:`` stays ``Common:`` (the outline's
``Common examples:`` is for new pages); a book ``edited by`` its editors stays
so; a link a person wrote stays as written, byte for byte, even when the note
it points at is missing from this copy of the vault (``check`` reports that,
as a broken link). The page reader records the wording; the renderer writes it
wherever rendering the page data would change a word or lose a link, and
writes the outline's shape everywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from topicgen.page.outline import ZWJ

ITEMS = "items"  # the field a list section's items (videos) are remembered under
_WORD = re.compile(r"[^\W_]+")
# A Markdown link or image, a wikilink or embed. No part runs past a bracket or parenthesis that
# could start another link, so a line of thousands of '[' or '](' is read in linear time.
_LINK = re.compile(r"!?\[\[[^\[\]]*\]\]|!?\[[^\[\]]*\]\([^()\s]*\)")
_LINK_TEXT = re.compile(r"!?\[(?P<text>[^\[\]]*)\]\((?P<href>[^()\s]*)\)")


def _shown(match: re.Match[str]) -> str:
    """A link as a reader reads it: its text, and a web address (``Name: https://...`` is a link too)."""
    href = match.group("href")
    return f"{match.group('text')} {href}" if "://" in href else match.group("text")


def words(text: str) -> list[str]:
    """What a reader reads: the words shown (a link's text and web address; a link to a note reads as
    its text), case, emoji and markup aside."""
    shown = _LINK_TEXT.sub(_shown, text).replace(ZWJ, "")
    return _WORD.findall(shown.casefold())


def links(text: str) -> list[str]:
    """Every link in ``text``, as written."""
    return _LINK.findall(text)


def keeps(written: str, rendered: str) -> bool:
    """Whether ``rendered`` still says what ``written`` said: the same words, and every link as written."""
    return words(written) == words(rendered) and all(link in rendered for link in links(written))


@dataclass
class Wording:
    """What a page wrote in its own words: labels, and items (a book, a topic) after their label.

    ``labels``: (section key, label field) → the label's words as written, only
    where they are not the outline's. ``items``: (section key, field, index or
    None) → the item's text after its label, as written.
    """

    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    items: dict[tuple[str, str, int | None], str] = field(default_factory=dict)

    def label(self, section: str, label_field: str) -> str | None:
        return self.labels.get((section, label_field))

    def item(self, rendered: str, section: str, item_field: str, index: int | None = None) -> str:
        """The item as the page wrote it when ``rendered`` would change its words or lose a link,
        else ``rendered`` (the outline's shape)."""
        written = self.items.get((section, item_field, index))
        return rendered if written is None or keeps(written, rendered) else written

    def __bool__(self) -> bool:
        return bool(self.labels or self.items)
