"""Rules every piece of untrusted text must pass before it reaches a page.

Model output and vault content (note titles, file names) are untrusted: a
field must not be able to start a new line, a heading, a frontmatter block,
an HTML element or a link anywhere but an ``https`` address. The markup
check is an allow-list decided by a CommonMark parser
(``topicgen.page.markup``): plain text, emphasis, code spans and links to
``https`` addresses are what a page's text may hold; anything else that a
Markdown, HTML, Obsidian or static-site renderer would act on is refused. A
failing model field raises ``ValueError`` with a message the model can act
on when re-asked; vault text that fails is left out of links or escaped
(``vault_link_text``, ``escape_text``). YouTube addresses are rebuilt from
their parts, never copied (``check_youtube_url``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from urllib.parse import parse_qsl, quote_plus, unquote, urlsplit

from topicgen.page.markup import unsafe_markup
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


def vault_link_text(value: str) -> str | None:
    """A vault note's title as link text, or None when it could break out of a link or the page.

    A title someone else wrote is held to the rules model output meets (one
    line, no control characters, no markup beyond the allow-list) and may not
    hold brackets or backslashes, which would end or escape the link early, or
    a backtick, which would pair with one in the next field on the line.
    """
    if _LINE_BREAKS.search(value.strip()):
        return None
    value = " ".join(value.split())
    if not value or len(value) > 300 or _CONTROL.search(value) or _SURROGATE.search(value):
        return None
    if any(char in value for char in "[]\\`"):
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
    import emoji  # its tables load when a title is checked, not when a command starts and checks a name

    value = "".join(value.split())
    found = emoji.emoji_list(value)
    if not found or "".join(item["emoji"] for item in found) != value:
        raise ValueError("must be emoji only, with no letters, digits or punctuation")
    if most is not None and len(found) > most:
        low, high = TITLE_EMOJI_RANGE
        raise ValueError(f"must be {low} to {high} emoji, not {len(found)}")
    return value


_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_PLAYLIST_ID = re.compile(r"[A-Za-z0-9_-]{2,64}")
_HANDLE = re.compile(r"@[A-Za-z0-9._-]{3,30}")  # YouTube's handles: 3 to 30 letters, digits, '.', '_', '-'
_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")  # the older /c/<name> and /user/<name>
_VIDEO_PATHS = frozenset({"shorts", "embed", "live"})
# Parameters kept after the address's own: a share id, a start time, a video's playlist and place in it.
_KEPT_PARAMETERS = {
    "si": re.compile(r"[A-Za-z0-9_-]{1,64}"),
    "t": re.compile(r"\d{1,6}s?|(?=\d)(?:\d{1,3}h)?(?:\d{1,3}m)?(?:\d{1,3}s)?"),
    "list": _PLAYLIST_ID,
    "index": re.compile(r"\d{1,5}"),
}


def check_youtube_url(value: str) -> str:
    """A YouTube address rebuilt from its parsed parts, never the model's string: the host from a
    fixed set, then a video id, playlist id, channel handle or name, or a search, each from a strict
    pattern, and the few parameters worth keeping (``si``, ``t``, ``list``, ``index``) that pass
    theirs. Anything else the address held (other parameters, a fragment) is dropped; an address of
    no such shape is refused."""
    value = value.strip()
    if _SURROGATE.search(value):
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)")
    parts = urlsplit(value)
    if parts.scheme.lower() not in {"http", "https"}:  # every link on a page is https; YouTube serves both
        raise ValueError("must be an https address")
    if any(char in value for char in " <>()[]\"'`") or _LINE_BREAKS.search(value) or _CONTROL.search(value):
        raise ValueError("must be a plain address with no spaces, quotes or brackets")
    host = parts.netloc.lower()  # the whole authority: no user, port or backslash trick passes
    if host not in YOUTUBE_HOSTS:
        raise ValueError("must be a YouTube address (youtube.com or youtu.be)")
    path = [segment for segment in unquote(parts.path).split("/") if segment]
    pairs = parse_qsl(parts.query)
    built = _youtube_path(host, path, dict(reversed(pairs)))
    if built is None:
        raise ValueError(
            "must be a YouTube video (watch?v=<11-character id>, youtu.be/<id>), playlist, "
            "channel (/@handle, /channel/<id>) or search address"
        )
    shape, own = built
    kept: dict[str, str] = {}
    for name, text in pairs:
        rule = _KEPT_PARAMETERS.get(name)
        if rule is not None and rule.fullmatch(text) and name != own:
            kept.setdefault(name, text)
    extra = "&".join(f"{name}={text}" for name, text in kept.items())
    return f"https://{host}/{shape}" + (("&" if "?" in shape else "?") + extra if extra else "")


def _youtube_path(host: str, path: list[str], query: dict[str, str]) -> tuple[str, str] | None:
    """The path of a YouTube address and the parameter it is built on ('' for none), rebuilt from the
    parts that pass their patterns, or None."""
    first, rest = (path[0], path[1:]) if path else ("", [])
    if host == "youtu.be":
        return (first, "") if _VIDEO_ID.fullmatch(first) and not rest else None
    if not path:
        return "", ""  # YouTube's front page: no video, but nothing of the model's either
    if first == "watch" and not rest:
        video = query.get("v", "")
        return (f"watch?v={video}", "v") if _VIDEO_ID.fullmatch(video) else None
    if first in _VIDEO_PATHS and len(rest) == 1:
        return (f"{first}/{rest[0]}", "") if _VIDEO_ID.fullmatch(rest[0]) else None
    if first == "playlist" and not rest:
        playlist = query.get("list", "")
        return (f"playlist?list={playlist}", "list") if _PLAYLIST_ID.fullmatch(playlist) else None
    if first == "results" and not rest:
        search = " ".join(query.get("search_query", query.get("q", "")).split())
        return (f"results?search_query={quote_plus(search)}", "search_query") if search else None
    if _HANDLE.fullmatch(first):
        return first, ""  # a channel tab (/@name/videos) links to the channel
    if first == "channel" and rest and _CHANNEL_ID.fullmatch(rest[0]):
        return f"channel/{rest[0]}", ""
    if first in {"c", "user"} and rest and _CHANNEL_NAME.fullmatch(rest[0]):
        return f"{first}/{rest[0]}", ""
    return None


def check_link_text(value: str) -> str:
    """Text shown inside a Markdown link: brackets would end the link early."""
    value = check_line(value)
    if any(char in value for char in "[]"):
        raise ValueError("must not contain square brackets")
    return value
