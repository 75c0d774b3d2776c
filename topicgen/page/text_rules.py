"""Rules every piece of model-written text must pass before it reaches a page.

Model output is untrusted: a field must not be able to start a new line, a
heading, a frontmatter block, an HTML element or a script link. A failing
field raises ``ValueError`` with a message the model can act on when re-asked.
"""

from __future__ import annotations

import html
import re
from functools import cache
from urllib.parse import urlsplit

import emoji

from topicgen.page.outline import OUTLINE, TITLE_EMOJI_RANGE

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # JSON can carry them; no file can store them
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_FRONTMATTER_FENCE = re.compile(r"^\s*(---|\.\.\.)\s*$")
_DANGEROUS_HTML = re.compile(
    r"<\s*/?\s*(script|iframe|style|object|embed|form|input|button|meta|link|base|svg|math|"
    r"img|video|audio|source|html|head|body|textarea|select|template)\b",
    re.IGNORECASE,
)
_EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"(javascript|vbscript|data|file)\s*:", re.IGNORECASE)
_LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)|<([a-z][a-z0-9+.-]*:[^>\s]*)>", re.IGNORECASE)
_HTML_LINK = re.compile(r"""\b(?:href|src|action|formaction)\s*=\s*["']?\s*([^"'\s>]*)""", re.IGNORECASE)
_META_PHRASES = (
    "as an ai language model",
    "as a large language model",
    "json schema",
    "this section should",
    "the instructions",
)
_WORD = re.compile(r"[a-z0-9']+")
_SHINGLE = 6
YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtu.be"}
)


@cache
def _instruction_shingles() -> frozenset[tuple[str, ...]]:
    """Runs of words from the outline's instructions, which a page must not repeat."""
    texts: list[str] = []
    for section in OUTLINE:
        texts.append(section.instruction)
        texts.extend(label.instruction for label in section.labels)
    shingles: set[tuple[str, ...]] = set()
    for text in texts:
        words = _WORD.findall(text.lower())
        shingles.update(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))
    return frozenset(shingles)


def echoes_instructions(text: str) -> bool:
    lowered = text.lower()
    if any(phrase in lowered for phrase in _META_PHRASES):
        return True
    words = _WORD.findall(lowered)
    shingles = _instruction_shingles()
    return any(tuple(words[i : i + _SHINGLE]) in shingles for i in range(len(words) - _SHINGLE + 1))


def check_line(value: str) -> str:
    """A single line of page text: trimmed, non-empty and unable to change the page's shape."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if _LINE_BREAKS.search(value):
        raise ValueError("must be a single line with no line breaks")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if _SURROGATE.search(value):
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)")
    if _HEADING.match(value) or value.startswith(("- ", "* ", "> ")):
        raise ValueError("must be plain text, not a Markdown heading, list or quote")
    if _FRONTMATTER_FENCE.match(value):
        raise ValueError("must not be a frontmatter delimiter")
    if _DANGEROUS_HTML.search(value) or _EVENT_HANDLER.search(value):
        raise ValueError("must not contain raw HTML elements")
    targets = [m.group(1) or m.group(2) or "" for m in _LINK_TARGET.finditer(value)]
    targets += [m.group(1) for m in _HTML_LINK.finditer(value)]
    for target in targets:
        if _SCRIPT_URL.match(html.unescape(target).strip()):  # renderers decode &#106; and friends
            raise ValueError("must not link to javascript:, data: or file: addresses")
    if echoes_instructions(value):
        raise ValueError("must be page content, not a repetition of the instructions")
    return value


def check_optional_line(value: str) -> str:
    """Like ``check_line``, but an empty value is allowed."""
    return check_line(value) if value.strip() else ""


def check_quote(value: str) -> str:
    """One line meant to be shown in quotes: the renderer adds the quotation marks."""
    value = check_line(value)
    stripped = True
    while stripped:  # every enclosing pair, so validating twice changes nothing (pages read back)
        stripped = False
        for left, right in (('"', '"'), ("“", "”"), ("'", "'")):
            if len(value) > 1 and value.startswith(left) and value.endswith(right):
                value = value[1:-1].strip()
                stripped = True
                break
    return check_line(value)


def check_title_emoji(value: str, most: int | None = TITLE_EMOJI_RANGE[1]) -> str:
    """Emoji and nothing else: one to ``most`` of them (None: no limit)."""
    value = "".join(value.split())
    found = emoji.emoji_list(value)
    if not found or "".join(item["emoji"] for item in found) != value:
        raise ValueError("must be emoji only, with no letters, digits or punctuation")
    if most is not None and len(found) > most:
        low, high = TITLE_EMOJI_RANGE
        raise ValueError(f"must be {low} to {high} emoji, not {len(found)}")
    return value


def check_youtube_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"}:
        raise ValueError("must be an http(s) address")
    if (parts.hostname or "").lower() not in YOUTUBE_HOSTS:
        raise ValueError("must be a YouTube address (youtube.com or youtu.be)")
    if _SURROGATE.search(value):
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)")
    if any(char in value for char in " <>()[]\"'`") or _LINE_BREAKS.search(value) or _CONTROL.search(value):
        raise ValueError("must be a plain address with no spaces, quotes or brackets")
    return value


def check_link_text(value: str) -> str:
    """Text shown inside a Markdown link: brackets would end the link early."""
    value = check_line(value)
    if any(char in value for char in "[]"):
        raise ValueError("must not contain square brackets")
    return value
