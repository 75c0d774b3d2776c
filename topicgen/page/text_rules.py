"""Rules every piece of untrusted text must pass before it reaches a page.

Model output and vault content (note titles, file names) are untrusted: a
field must not be able to start a new line, a heading, a frontmatter block,
an HTML element or a link anywhere but an ``https`` address. The markup
check is an allow-list (``unsafe_markup``): plain text, emphasis, code spans
and inline links to ``https`` addresses are what a page's text may hold;
anything else that a Markdown, HTML, Obsidian or static-site renderer would
act on is refused. A failing model field raises ``ValueError`` with a
message the model can act on when re-asked; vault text that fails is left
out of links or escaped (``vault_link_text``, ``escape_text``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache
from urllib.parse import urlsplit

import emoji

from topicgen.page.outline import OUTLINE, TITLE_EMOJI_RANGE

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # JSON can carry them; no file can store them
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_FRONTMATTER_FENCE = re.compile(r"^\s*(---|\.\.\.)\s*$")
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


# --- the allow-list: what markup untrusted text may carry -------------------------------------------

# An HTML tag, comment, declaration or processing instruction, or an autolink (<scheme:...>): any
# "<" a renderer could read as markup. A "<" before a space or digit ("|E| < |V|") is text.
_MARKUP_START = re.compile(r"<[A-Za-z/!?]")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_IMAGE_OR_EMBED = re.compile(r"!\[")
_WIKILINK = re.compile(r"\[\[|\]\]")
_TEMPLATE = re.compile(r"\{[{%#]")  # jinja2, Liquid, Nunjucks, Hugo: static-site builders run them
_REFERENCE = re.compile(r"\]\[|^\s*\[[^\]]*\]:")  # reference links and definitions
_INLINE_LINK = re.compile(r"\]\(\s*(<)?")
_BARE_URL = re.compile(r"(?<![\w.+-])([A-Za-z][A-Za-z0-9+.-]*):(//|(?=\S))")
# Schemes a renderer may link without "//": scripts, and what GFM autolinks (mailto:, xmpp:).
_SCRIPT_SCHEMES = frozenset(
    {"javascript", "vbscript", "data", "file", "blob", "filesystem", "mailto", "xmpp"}
)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_ESCAPE = re.compile(r"\\(.)")
ALLOWED_SCHEME = "https"


def _destination_scheme(text: str) -> str:
    """The scheme a renderer would see at the start of a link destination, '' when there is none.

    Character references and backslash escapes are decoded and invisible
    characters dropped first, as browsers and Markdown renderers do
    (``java&#9;script:`` is ``javascript:``).
    """
    decoded = _INVISIBLE.sub("", html.unescape(_ESCAPE.sub(r"\1", text[:200])))
    scheme, colon, _ = decoded.partition(":")
    if not colon or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return ""
    return scheme.lower()


def unsafe_markup(value: str) -> str | None:
    """Why ``value`` holds markup a page must not carry, or None when it is allowed.

    Allowed: text, ``**bold**``, ``*emphasis*``, code spans and inline links to
    ``https`` addresses. Everything else a renderer acts on is refused: HTML of
    any kind, autolinks, images and embeds (``![...]``, ``![[...]]``),
    wikilinks, reference links, template syntax, and links or bare addresses
    with any scheme but https.
    """
    if _TEMPLATE.search(value):
        return "must not contain template syntax ('{{', '{%', '{#')"
    text = _CODE_SPAN.sub(" ", value)  # code spans show markup as code (but templates run even there)
    if _MARKUP_START.search(html.unescape(text)) or _MARKUP_START.search(text):
        return "must not contain raw HTML elements, comments or <...> links"
    if _IMAGE_OR_EMBED.search(text):
        return "must not contain images or embeds ('![')"
    if _WIKILINK.search(text):
        return "must not contain wikilinks ('[[...]]')"
    if _REFERENCE.search(text):
        return "must not contain reference-style links"
    for match in _INLINE_LINK.finditer(text):
        scheme = _destination_scheme(text[match.end() :])
        if scheme != ALLOWED_SCHEME:
            return "must link only to https:// addresses" + (f", not {scheme}:" if scheme else "")
    for match in _BARE_URL.finditer(html.unescape(text)):
        scheme = match.group(1).lower()  # "Training data: ..." is prose; "data:text/html" is not
        if scheme in _SCRIPT_SCHEMES or (match.group(2) == "//" and scheme != ALLOWED_SCHEME):
            return f"must not contain {scheme}: addresses (only https:// is allowed)"
    return None


def vault_link_text(value: str) -> str | None:
    """A vault note's title as link text, or None when it could break out of a link or the page.

    A title someone else wrote is held to the rules model output meets (one
    line, no control characters, no markup beyond the allow-list) and may not
    hold brackets or backslashes, which would end or escape the link early.
    """
    if _LINE_BREAKS.search(value.strip()):
        return None
    value = " ".join(value.split())
    if not value or len(value) > 300 or _CONTROL.search(value) or _SURROGATE.search(value):
        return None
    if any(char in value for char in "[]\\"):
        return None
    if _HEADING.match(value) or _FRONTMATTER_FENCE.match(value) or unsafe_markup(value) is not None:
        return None
    return value


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_text(value: str) -> str:
    """Any text as one inert line of Markdown: whitespace collapsed, controls dropped, ASCII
    punctuation backslash-escaped (so no tag, link, heading, template or marker survives)."""
    value = " ".join(_CONTROL.sub("", _SURROGATE.sub("\ufffd", value)).split())
    return _PUNCTUATION.sub(r"\\\1", value)


def link_target(name: str) -> str:
    """A file name as a link destination every renderer reads whole: percent-encoded where needed.

    ``Life 3.0 (Tegmark).md`` → ``Life%203.0%20%28Tegmark%29.md``. Letters of
    any script stay as they are; spaces, brackets, ASCII punctuation that
    Markdown or URLs give meaning, and invisible characters are encoded.
    """
    out = []
    for char in name:
        if (char.isascii() and (char.isalnum() or char in "-._~")) or (
            not char.isascii() and unicodedata.category(char)[0] not in "CZ"
        ):
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
    return "".join(out)


# --- style: what a model must write, beyond what is safe ------------------------------------------


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
    problem = unsafe_markup(value)
    if problem is not None:
        raise ValueError(problem)
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
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError("must be an https address")
    if parts.scheme.lower() == "http":  # every link on a page is https; YouTube serves both
        value = "https" + value[len(parts.scheme) :]
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
