"""Topic names in, safe file names out.

A slug is lowercase ASCII letters, digits and hyphens, so a page can only
ever land directly inside its folder, whatever the topic name holds.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from slugify import slugify

from topicgen.errors import TopicNameError

MAX_NAME_LENGTH = 200
MAX_SLUG_LENGTH = 80
HASH_LENGTH = 6  # a truncated slug ends in '-' and this many hex digits of the whole name's slug
RESERVED_SLUGS = frozenset({"index"})  # topics/index.md lists the topics
_SUFFIX_SYMBOLS = (
    (re.compile(r"(?<=[A-Za-z0-9])\+\+"), " plus plus"),
    (re.compile(r"(?<=[A-Za-z0-9])\+(?![\w+])"), " plus"),
    (re.compile(r"(?<=[A-Za-z0-9])#(?!\w)"), " sharp"),
)
_PLAIN = re.compile(r"[A-Za-z0-9 -]+")
_PLAIN_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHES = re.compile(r"(?<=\w)['’](?=\w)")
_PATH_LIKE = re.compile(r"(^|[\\/])\.\.?([\\/]|$)|^[\\/~]")
# What Markdown would render rather than show: an HTML tag, comment or declaration; a link or wikilink.
_MARKUP = re.compile(r"<[A-Za-z/!?]|\]\(|\[\[|\]\]")


def clean_topic_name(name: str) -> str:
    """The topic name as a page title, or ``TopicNameError`` explaining why it can't be one."""
    if any(unicodedata.category(char) == "Cc" for char in name) or "\u2028" in name or "\u2029" in name:
        raise TopicNameError("topic name contains control characters or line breaks")
    if any(unicodedata.category(char) == "Cs" for char in name):  # undecodable bytes in argv
        raise TopicNameError("topic name is not valid UTF-8 text")
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise TopicNameError("topic name is empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise TopicNameError(f"topic name is too long ({len(cleaned)} characters; at most {MAX_NAME_LENGTH})")
    if _PATH_LIKE.search(cleaned):
        raise TopicNameError(f"{cleaned[:60]!r} looks like a file path, not a topic name")
    if cleaned.startswith("#"):
        raise TopicNameError(f"{cleaned[:60]!r} starts with '#', which would make a Markdown heading")
    if _MARKUP.search(cleaned):
        raise TopicNameError(
            f"{cleaned[:60]!r} holds HTML or link markup ('<tag', '](' or '[['), which a page would "
            "render instead of showing; write the name without it"
        )
    if slug_for(cleaned) in RESERVED_SLUGS:
        raise TopicNameError(
            f"{cleaned!r} would be written over the topics folder's {slug_for(cleaned)}.md; "
            f"name the topic more precisely, e.g. '{cleaned} (publishing)'"
        )
    return cleaned


@functools.lru_cache(maxsize=1 << 16)  # names repeat across a vault's pages; relinking asks for each often
def slug_for(name: str) -> str:
    """'Large Language Models' → 'large-language-models'; 'C++' → 'c-plus-plus'.

    A name whose slug would pass ``MAX_SLUG_LENGTH`` is cut at a word and given
    a short hash of its whole slug, so two long names sharing their first 80
    characters still get two pages.
    """
    if _PLAIN.fullmatch(name):  # what slugify makes of letters, digits, spaces and hyphens, without it
        plain = "-".join(_PLAIN_WORD.findall(name.lower()))
        if plain and len(plain) <= MAX_SLUG_LENGTH:
            return plain
    text = _APOSTROPHES.sub("", name)
    for pattern, replacement in _SUFFIX_SYMBOLS:
        text = pattern.sub(replacement, text)
    slug = slugify(text)
    if not slug:
        raise TopicNameError(f"topic name {name[:60]!r} has no letters or digits to name a file after")
    if len(slug) <= MAX_SLUG_LENGTH:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:HASH_LENGTH]
    head = slugify(text, max_length=MAX_SLUG_LENGTH - HASH_LENGTH - 1, word_boundary=True)
    return f"{head}-{digest}"


def clean_topics(names: list[str]) -> list[str]:
    """Validated, de-duplicated topic names (by slug), in the order given."""
    if not names:
        raise TopicNameError("no topics given")
    seen: set[str] = set()
    topics = []
    for name in names:
        topic = clean_topic_name(name)
        slug = slug_for(topic)
        if slug not in seen:
            seen.add(slug)
            topics.append(topic)
    return topics


def names_page(name: str, slug: str) -> bool:
    """Whether ``name`` (a title, with or without emoji, or an alias) is a name of the page ``slug``."""
    try:
        return slug_for(name) == slug
    except TopicNameError:
        return False
