"""Recognising the outline in page text: headings, labels, bullets, books, videos, sentences.

The vocabulary the page parser reads with, all derived from the outline
table: which section a heading names however it is worded, which label an
item starts with, where a bullet's own emoji ends, how a book or video line
splits into its fields, and how a paragraph splits into sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import emoji

from topicgen.page.emoji import split_leading_emoji
from topicgen.page.outline import OUTLINE, PAGE_HEADING, SECTIONS, ZWJ, Label

VS16 = "\ufe0f"
BREADCRUMB = re.compile(r"^\[[^\]]+\]\([^)]*\)(?:\s*>\s*\[[^\]]+\]\([^)]*\))+\s*$")
_WORD = re.compile(r"[^\W_]+")
_NUMBERING = re.compile(r"^\d{1,2}[.)]\s+")
_STOP_TEXT = (
    "a an and are as at be by for how in is it its of on or s some that the to use uses what when which with"
)
_STOP_WORDS = frozenset(_STOP_TEXT.split())  # ignored when a shortened heading is matched
# A label ends on a non-space ((?<!\s)), so the spaces before its colon are read once, not once for
# every length the label might have.
_LABEL_FORMS = (
    re.compile(r"^(?:\*\*|__)(?P<label>[^*_]{1,60}?)(?<!\s)\s*:\s*(?:\*\*|__)(?:\s+(?P<rest>.*)|$)"),
    re.compile(r"^(?:\*\*|__)(?P<label>[^*_]{1,60}?)(?:\*\*|__)\s*:(?:\s+(?P<rest>.*)|$)"),
    re.compile(r"^(?P<label>[^:*_\[\]()]{1,60}?)(?<!\s)\s*:(?:\s+(?P<rest>.*)|$)"),
)
_LINK_START = re.compile(r"^\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)\s*(?P<rest>.*)$")
# The space before "by" is tried from its first character only ((?<!\s)): a title followed by a long
# run of spaces is then read once, not once per space (linear time).
_BY = r"(?<!\s)\s+(?:(?P<role>edited|translated|compiled)\s+)?by\s+(?P<rest>.+)$"
_QUOTED_TITLE = re.compile(r'^(?:\*\*|\*|_)?(?:"(?P<a>.+)"|“(?P<b>.+)”)(?:\*\*|\*|_)?' + _BY, re.IGNORECASE)
_EMPHASIS_TITLE = re.compile(r"^(?:\*\*|\*|_)(?P<title>[^*_]+?)(?:\*\*|\*|_)" + _BY, re.IGNORECASE)
_PLAIN_TITLE = re.compile(r"^(?P<title>.+?)" + _BY, re.IGNORECASE)
_LINKED_TITLE = re.compile(
    r"^(?P<em>\*\*|\*|_)?\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)(?P=em)?" + _BY, re.IGNORECASE
)
_ROLES = {"edited": "editors", "translated": "translators", "compiled": "compilers"}
# A link's text and address hold no '[' (no search scans past the next link to the line's end).
_ANY_LINK = re.compile(r"\[(?P<text>[^\[\]]+)\]\((?P<href>[^)\s\[]+)\)")
_VIDEO_LINK = re.compile(r"^\[(?P<name>[^\]]+)\]\((?P<url>[^)\s]+)\)\s*(?P<description>.*)$")
_VIDEO_LABEL = re.compile(
    r"^(?:\*\*|__)?(?P<name>[^*_:\[\]]*[^*_:\[\]\s])\s*(?:(?:\*\*|__)\s*)?:\s*(?:(?:\*\*|__)\s*)?"
    r"(?:\[[^\]]*\]\((?P<linked>[^)\s]+)\)|<?(?P<bare>https?://[^\s>]+)>?)\s*(?P<description>.*)$"
)
_BARE_ADDRESS = re.compile(
    r"^<?(?P<url>https?://[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+?)>?(?P<description>(?:\s|[^\x00-\x7f]).*|)$"
)
# The punctuation and spaces a text ends with, tried from the start of that run only (linear time).
_TRAILING_NON_WORD = re.compile(r"(?<!\W)\W*\Z")
_CLAUSE_MARKS = frozenset('.!?:;)"”')
_SENTENCE_END = re.compile(r"[.!?][\"”')\]]*(?=\s)")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "vs", "etc", "dr", "mr", "mrs", "ms", "st", "no", "fig", "approx"})


# ---------------------------------------------------------------- matching headings and labels


def bare(text: str) -> str:
    """Text compared without zero-width joiners or emoji presentation selectors."""
    return text.replace(ZWJ, "").replace(VS16, "")


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_stems(words: Iterable[str]) -> frozenset[str]:
    return frozenset(stem(word) for word in words if word not in _STOP_WORDS)


@dataclass(frozen=True)
class HeadingMatch:
    key: str
    how: str  # exact | reworded | leaked | shortened | emoji
    extra: str = ""  # wording after the outline's heading (leaked prompt text)


@cache
def _outline_words() -> dict[str, tuple[list[str], frozenset[str], str]]:
    return {
        section.key: (
            words_of(section.heading_text),
            content_stems(words_of(section.heading_text)),
            bare(section.heading_emoji),
        )
        for section in OUTLINE
    }


def match_heading(text: str, *, allow_weak: bool = True) -> HeadingMatch | None:
    """The outline section a heading names, however it is worded.

    Strong matches (the outline's words, possibly followed by leaked prompt
    wording) always count; weak ones (a shortened heading, or only the
    section's heading emoji) only for real Markdown headings.
    """
    written = text.strip()
    text = _NUMBERING.sub("", written.strip("*_").strip())
    lead, rest = split_leading_emoji(text)
    words = words_of(rest)
    if not words:
        return None
    table = _outline_words()
    for key, (outline_words, _, _) in table.items():
        if words == outline_words:
            exact = bare(written) == bare(SECTIONS[key].heading)
            return HeadingMatch(key, "exact" if exact else "reworded")
    prefixed = [key for key, (ow, _, _) in table.items() if len(words) > len(ow) and words[: len(ow)] == ow]
    if prefixed:
        key = max(prefixed, key=lambda k: len(table[k][0]))
        return HeadingMatch(key, "leaked", _after_words(rest, len(table[key][0])))
    if not allow_weak:
        return None
    stems = content_stems(words)
    covering = [key for key, (_, outline_stems, _) in table.items() if stems and stems <= outline_stems]
    by_emoji = [key for key, (_, _, heading_emoji) in table.items() if lead and bare(lead) == heading_emoji]
    if len(covering) == 1:
        return HeadingMatch(covering[0], "shortened")
    if len(covering) > 1 and len(set(covering) & set(by_emoji)) == 1:
        return HeadingMatch((set(covering) & set(by_emoji)).pop(), "shortened")
    if len(by_emoji) == 1:
        return HeadingMatch(by_emoji[0], "emoji")
    return None


def section_heading(
    text: str, level: int, section_level: int | None, names_label: bool, seen: Iterable[str | None]
) -> HeadingMatch | None:
    """The outline section a heading inside a page's summary opens, if it opens one.

    Only at the level of the page's sections (``section_level``, the first
    section's; 0 for bold pseudo-headings): deeper is a sub-heading. A loose
    match (shortened, emoji only) for a section already ``seen`` is a heading
    of one's own, not the section again.
    """
    if section_level and level > section_level:
        return None
    found = match_heading(text, allow_weak=False)
    if found is None and level > 0 and not names_label:
        found = match_heading(text)
        if found is not None and found.key in set(seen):
            return None
    return found


def _after_words(text: str, count: int) -> str:
    matches = list(_WORD.finditer(text))
    return text[matches[count - 1].end() :].strip(" :;,.-—–") if count <= len(matches) else ""


def is_summary_heading(text: str) -> bool:
    return bare(" ".join(text.split())).casefold() == bare(PAGE_HEADING).casefold()


def match_label(candidate: str, labels: Iterable[Label]) -> Label | None:
    """The outline label a page's label text names ('Specific Common Examples' → Common examples)."""
    _, candidate = split_leading_emoji(candidate)
    words = [stem(word) for word in words_of(candidate)]
    if not words:
        return None
    labels = list(labels)
    for label in labels:
        if words == [stem(word) for word in words_of(label.text)]:
            return label
    containing = []
    for label in labels:
        wanted = [stem(word) for word in words_of(label.text)]
        if any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1)):
            containing.append(label)
    if len(containing) == 1:
        return containing[0]
    stems = content_stems(words_of(candidate))
    contained = [label for label in labels if stems and stems <= content_stems(words_of(label.text))]
    return contained[0] if len(contained) == 1 else None


def split_label(text: str) -> tuple[str, str] | None:
    """('Common examples', 'rest') from 'Common examples: rest' or '**Common examples:** rest'."""
    for form in _LABEL_FORMS:
        match = form.match(text)
        if match:
            return match.group("label").strip(), (match.group("rest") or "").strip()
    return None


# ---------------------------------------------------------------- item text helpers


def split_marker_emoji(text: str) -> tuple[str, str]:
    """('🚀', 'rest') when an item starts with an emoji standing alone, else ('', text)."""
    head, _, rest = text.partition(" ")
    if head and emoji.purely_emoji(head.replace(ZWJ, "")):
        return head, rest.strip()
    return "", text


def strip_bullet_emoji(text: str, expected: Iterable[str]) -> tuple[str, str]:
    """(item text, per-bullet emoji found instead of an expected one, or '')."""
    head, rest = split_marker_emoji(text)
    if not head:
        return text, ""
    if bare(head) in {bare(e) for e in expected if e}:
        return rest, ""
    return rest, head


def note_name(text: str) -> str:
    """A link to a vault note written back as the name it was rendered from; other text as is."""
    match = _LINK_START.match(text)
    if not match or not _is_internal(match.group("href")):
        return text
    _, name = split_leading_emoji(match.group("text"))
    rest = match.group("rest").strip()
    return f"{name} {rest}" if rest else name


def _is_internal(href: str) -> bool:
    return "://" not in href and not href.startswith(("mailto:", "#")) and ".md" in href


def _ends_clause(text: str) -> bool:
    """Whether ``text`` ends a clause: a closing mark, then only punctuation or spaces."""
    tail = _TRAILING_NON_WORD.search(text)
    return tail is not None and not _CLAUSE_MARKS.isdisjoint(tail.group())


def join_parts(parts: Iterable[str]) -> str:
    """Several lines of one item as one line: after a sentence a space, else a semicolon."""
    joined = ""
    for part in (part.strip() for part in parts):
        if not part:
            continue
        if not joined:
            joined = part
        elif _ends_clause(joined) or emoji.purely_emoji(joined.split()[-1]):
            joined = f"{joined} {part}"
        else:
            joined = f"{joined}; {part}"
    return joined


def split_sentences(text: str) -> list[str]:
    """A paragraph's sentences; an emoji after the full stop stays with its sentence."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()].split()
        word = before[-1].casefold().rstrip(".") if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        end = match.end()
        head, _ = split_marker_emoji(text[end:].lstrip())
        if head:
            end = text.index(head, end) + len(head)
        following = text[end:].lstrip()
        if not following or not (
            following[0].isupper() or following[0].isdigit() or following[0] in '"“*_(['
        ):
            continue
        sentences.append(text[start:end].strip())
        start = end
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


def regroup(units: list[str], count: int) -> list[str]:
    """``units`` merged, in order, into ``count`` items of about equal size."""
    size, spare = divmod(len(units), count)
    groups, index = [], 0
    for group in range(count):
        take = size + (1 if group < spare else 0)
        groups.append(join_parts(units[index : index + take]))
        index += take
    return groups


def parse_book(text: str) -> dict[str, str] | None:
    """'"Title" by Authors 🤯.' → title, authors, note.

    Links are unwrapped to their text wherever they sit: a whole title linking
    its note, a link inside the quotes (``"[Sync](../books/sync.md): The
    Emerging ..."``), a link in italics; the renderer links the book again by
    its title. "edited by" keeps the editors' role in the note.
    """
    link = _LINKED_TITLE.match(text)
    if link:  # the whole title links the book's note: the link is where the title ends
        _, title = split_leading_emoji(link.group("text"))
        groups = {"role": link.group("role"), "rest": link.group("rest")}
    else:
        match = _QUOTED_TITLE.match(_unwrap_links(text)) or _EMPHASIS_TITLE.match(_unwrap_links(text))
        match = match or _PLAIN_TITLE.match(_unwrap_links(text))
        if not match:
            return None
        groups = match.groupdict()
        title = groups.get("a") or groups.get("b") or groups.get("title") or ""
    authors, note = _split_authors(groups["rest"].strip())
    if groups.get("role"):
        note = f"({_ROLES[groups['role'].casefold()]}) {note}".strip()
    if not title.strip() or not authors:
        return None
    return {"title": title.strip(), "authors": authors, "note": note}


def _unwrap_links(text: str) -> str:
    """Links to vault notes replaced by their text (leading emoji of a note's title dropped)."""

    def text_of(match: re.Match[str]) -> str:
        if not _is_internal(match.group("href")):
            return match.group(0)  # an address outside the vault stays (the title then cannot be read)
        _, name = split_leading_emoji(match.group("text"))
        return name or match.group("text")

    return _ANY_LINK.sub(text_of, text)


def _split_authors(text: str) -> tuple[str, str]:
    """Authors end where an emoji or a parenthesis begins; what follows is the note."""
    cut = len(text)
    found = emoji.emoji_list(text)
    if found:
        cut = found[0]["match_start"]
    paren = text.find(" (")
    if 0 < paren < cut:
        cut = paren
    return text[:cut].rstrip(" ,"), text[cut:].strip()


def parse_video(text: str) -> dict[str, str] | None:
    """'[Name](https://youtube.com/...) 🤯 (what it offers)', 'Name: address description' or a bare address.

    A bare address (``https://www.youtube.com/%40Channel🔗``) is its own name:
    the page showed the address, so the link shows it too.
    """
    match = _VIDEO_LINK.match(text)
    if match:
        return {
            "name": match.group("name"),
            "url": match.group("url"),
            "description": match.group("description"),
        }
    match = _VIDEO_LABEL.match(text)
    if match:
        url = match.group("linked") or match.group("bare")
        return {"name": match.group("name").strip(), "url": url, "description": match.group("description")}
    match = _BARE_ADDRESS.match(text)
    if match:
        url = match.group("url")
        return {"name": url, "url": url, "description": match.group("description").strip()}
    return None
