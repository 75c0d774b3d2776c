"""The allow-list: what markup untrusted text may carry, decided by a CommonMark parser.

Guessing with regular expressions where a code span starts and ends was
fooled by backslash-escaped and unpaired backticks, and by fields that pair
their backticks across one line (issue 20). Here markdown-it-py, a CommonMark
parser, says what a renderer makes of a field or of a rendered line (text,
code, links, HTML, images), and ``unsafe_markup`` / ``unsafe_lines`` allow
only text, emphasis, strong, code spans, line breaks and links to ``https``
addresses. On top of what CommonMark does, they refuse what other programs
act on in the same text: template syntax (static-site builders), Templater
commands, Dataview queries and Obsidian comments, links math renderers make,
embeds, wikilinks and reference links, addresses with other schemes, an
unclosed tag another field could close, and bidirectional controls. Bare
``www.`` addresses and e-mail addresses are left to the renderer.

``code_spans`` finds code spans by CommonMark's pairing rule in linear time,
for the drift normaliser, which needs their places in the text (parser tokens
carry none). The parser loads on the first text that needs it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# Inline tokens that carry no text of their own: emphasis, strong, line breaks, a link's end.
_PLAIN_MARKS = frozenset(
    {"em_open", "em_close", "strong_open", "strong_close", "softbreak", "hardbreak", "link_close"}
)
# Every inline construct of CommonMark starts with one of these: a backslash escape, a character
# reference, a code span, emphasis, a link or image, an autolink or raw HTML, a line break.
_INLINE_MARKUP = re.compile(r"[\\&`*_\[<\n]")
_TEXT = frozenset({"text", "text_special"})  # text_special: an escape or entity, shown as text


@dataclass(frozen=True)
class Span:
    """One thing a renderer makes of the text.

    ``kind`` is ``text`` (shown as text; character references decoded),
    ``code`` (a code span's content), ``link`` (``value`` is its destination),
    ``html`` (raw HTML), ``image``, or ``other`` (any other token: ``value``
    names it).
    """

    kind: str
    value: str


@cache
def _parser() -> MarkdownIt:
    """A strict CommonMark parser that shows every link, script links included (its default
    ``validateLink`` would turn a ``javascript:`` link into text, hiding it from the rules)."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark")
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


def inline_spans(text: str) -> list[Span]:
    """What a renderer makes of ``text`` inside a line (after a bullet or a label, as fields are)."""
    if not _INLINE_MARKUP.search(text):
        return [Span("text", text)]  # CommonMark's spec: nothing else can start inline markup
    (line,) = _parser().parseInline(text)
    return _inline(line.children or [])


def line_spans(lines: list[str]) -> list[Span]:
    """What a renderer makes of a section's lines as topicgen writes them: a heading, then bullets
    (nested ones indented). Each line's content after its ``###`` or bullet marker is read as the
    inline text it is; a line of any other shape is ``other``."""
    spans: list[Span] = []
    for line in lines:
        content = line.lstrip(" ")
        if content.startswith(("- ", "### ")):
            spans.extend(inline_spans(content.partition(" ")[2]))
        elif content:
            spans.append(Span("other", "line of its own"))
    return spans


def _inline(tokens: list[Token]) -> list[Span]:
    spans: list[Span] = []
    text: list[str] = []
    for token in tokens:
        if token.type in _TEXT:
            text.append(token.content)
            continue
        if text:  # adjacent text is one span, so a rule sees '[[' even when the parser split it
            spans.append(Span("text", "".join(text)))
            text = []
        if token.type in _PLAIN_MARKS:
            continue
        if token.type == "code_inline":
            spans.append(Span("code", token.content))
        elif token.type == "link_open":
            spans.append(Span("link", str(token.attrs.get("href", ""))))
        elif token.type == "html_inline":
            spans.append(Span("html", token.content))
        elif token.type == "image":
            spans.append(Span("image", str(token.attrs.get("src", ""))))
        else:
            spans.append(Span("other", token.type))
    if text:
        spans.append(Span("text", "".join(text)))
    return spans


# --- the rules ----------------------------------------------------------------------------------

# In text a renderer shows, what still makes markup: an HTML tag, comment, declaration or processing
# instruction, or an autolink (<scheme:...>), even one the parser saw as text, since fields on a line may
# complete it (a "<" before a space or digit, "|E| < |V|", is text); an image or Obsidian embed; a
# wikilink; a reference link or definition; and a link math renderers make (\href in $...$).
_TEXT_MARKUP = re.compile(
    r"(?P<html><[A-Za-z/!?])|(?P<image>!\[)|(?P<wikilink>\[\[|\]\])|(?P<reference>\]\[|^\s*\[[^\]]*\]:)"
    r"|(?P<math>\\(?:href|url|html\w*|includegraphics)\b)"
)
_TEMPLATE = re.compile(r"\{[{%#]")  # jinja2, Liquid, Nunjucks, Hugo: static-site builders run them
_TEMPLATER = "<%"  # Obsidian's Templater runs <% ... %> (and <%* ... %>) wherever it stands
_OBSIDIAN_COMMENT = "%%"  # Obsidian hides what follows, up to the next %%, however far
_DATAVIEW_PREFIXES = ("=", "$=")  # a code span starting so is a Dataview query, or JavaScript with '$='
_BARE_URL = re.compile(r"(?<![\w.+-])([A-Za-z][A-Za-z0-9+.-]*):(//|(?=\S))")
# Schemes a renderer may link without "//": scripts, and what GFM autolinks (mailto:, xmpp:).
_SCRIPT_SCHEMES = frozenset(
    {"javascript", "vbscript", "data", "file", "blob", "filesystem", "mailto", "xmpp"}
)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
# Unicode's Bidi_Control characters: they reorder how a line is shown (the "Trojan Source" trick).
BIDI_CONTROLS = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SCHEME_NAME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
ALLOWED_SCHEME = "https"
_HTML = "must not contain raw HTML elements, comments or <...> links"
_TEXT_PROBLEMS = {
    "html": _HTML,
    "image": "must not contain images or embeds ('![')",
    "wikilink": "must not contain wikilinks ('[[...]]')",
    "reference": "must not contain reference-style links",
    "math": "must not contain \\href, \\url or \\html in math (math renderers make them links)",
}


def _destination_scheme(text: str) -> str:
    """The scheme a renderer would see at the start of a link destination, '' when there is none.

    Percent-encoding and character references are decoded and invisible
    characters dropped first, as browsers and Markdown renderers do
    (``java&#9;script:`` is ``javascript:``).
    """
    decoded = _INVISIBLE.sub("", html.unescape(unquote(text[:200])))
    scheme, colon, _ = decoded.partition(":")
    if not colon or not _SCHEME_NAME.fullmatch(scheme):
        return ""
    return scheme.lower()


def _raw_problem(text: str) -> str | None:
    """What in the raw text runs whatever a Markdown parser makes of it (templates, Templater, Obsidian
    comments), or reorders the line (bidirectional controls)."""
    if _TEMPLATE.search(text):
        return "must not contain template syntax ('{{', '{%', '{#')"
    if _TEMPLATER in text:
        return "must not contain Templater commands ('<%')"
    if _OBSIDIAN_COMMENT in text:
        return "must not contain '%%' (Obsidian hides the text that follows as a comment)"
    if BIDI_CONTROLS.search(text):
        return "must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069, ...)"
    return None


def _span_problem(span: Span) -> str | None:
    """Why what a renderer makes of part of the text is not allowed, or None."""
    if span.kind == "code":
        if span.value.lstrip().startswith(_DATAVIEW_PREFIXES):
            return "must not start a code span with '=' or '$=' (Dataview runs it as a query or script)"
        return None
    if span.kind == "link":
        if span.value.lower().startswith(ALLOWED_SCHEME + "://"):
            return None
        scheme = _destination_scheme(span.value)
        return "must link only to https:// addresses" + (f", not {scheme}:" if scheme else "")
    if span.kind == "html":
        return _HTML
    if span.kind == "image":
        return _TEXT_PROBLEMS["image"]
    if span.kind != "text":
        return f"must be plain text, not Markdown that makes a {span.value.removesuffix('_open')}"
    return _text_problem(span.value)


def _text_problem(text: str) -> str | None:
    """Why text a renderer shows as text could still become markup elsewhere, or None: an unclosed tag
    another field may close, an Obsidian embed or wikilink, a reference link, a non-https address."""
    found = _TEXT_MARKUP.search(text)
    if found:
        return _TEXT_PROBLEMS[str(found.lastgroup)]
    if ":" not in text:
        return None
    for match in _BARE_URL.finditer(text):
        scheme = match.group(1).lower()  # "Training data: ..." is prose; "data:text/html" is not
        if scheme in _SCRIPT_SCHEMES or (match.group(2) == "//" and scheme != ALLOWED_SCHEME):
            return f"must not contain {scheme}: addresses (only https:// is allowed)"
    return None


def unsafe_markup(value: str) -> str | None:
    """Why ``value`` holds markup a page must not carry, or None when it is allowed.

    The parser decides what the text makes; allowed are text, ``**bold**``,
    ``*emphasis*``, code spans and links to ``https`` addresses.
    Everything else a renderer acts on is refused: HTML of any kind,
    autolinks but https ones, images and embeds, wikilinks, reference links,
    template and Templater syntax, Obsidian comments, Dataview queries, and
    addresses with any scheme but https.
    """
    problem = _raw_problem(value)
    if problem is None:
        problem = next(filter(None, map(_span_problem, inline_spans(value))), None)
    return problem


def unsafe_lines(lines: list[str]) -> str | None:
    """Why a section's rendered lines (several fields sharing each line) carry markup a page must not,
    or None. A backtick ending one field and one starting the next make a code span of neither, and
    what follows it is read afresh: only the lines as written tell."""
    problem = next(filter(None, map(_raw_problem, lines)), None)
    if problem is None:
        problem = next(filter(None, map(_span_problem, line_spans(lines))), None)
    return problem


_BACKTICKS = re.compile(r"`+")
_ESCAPE_OR_BACKTICKS = re.compile(r"\\[\s\S]|`+")


def code_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text``'s inline code spans are, as ``(start, end)`` offsets, in linear time.

    CommonMark's rule: a run of backticks not escaped by a backslash opens a
    span that the next run of the same length closes (backslashes inside do
    not escape); a run with no such closer is literal text.
    """
    if "`" not in text:
        return []
    closers: dict[int, list[int]] = {}  # run length → the starts of every run that long, in order
    for run in _BACKTICKS.finditer(text):
        closers.setdefault(run.end() - run.start(), []).append(run.start())
    seen = dict.fromkeys(closers, 0)  # per length, how many of its runs lie behind the scan
    spans: list[tuple[int, int]] = []
    position = 0
    while (token := _ESCAPE_OR_BACKTICKS.search(text, position)) is not None:
        start, end = token.span()
        position = end
        if text[start] == "\\":
            continue
        length = end - start
        runs = closers.get(length, [])
        index = seen.get(length, 0)
        while index < len(runs) and runs[index] < end:
            index += 1
        seen[length] = index
        if index < len(runs):
            position = runs[index] + length
            spans.append((start, position))
    return spans
