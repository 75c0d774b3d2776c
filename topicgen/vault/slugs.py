"""Topic names in, safe file names out.

A slug is lowercase ASCII letters, digits and hyphens, so a page can only
ever land directly inside its folder, whatever the topic name holds.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from topicgen.errors import TopicNameError

MAX_NAME_LENGTH = 200
MAX_SLUG_LENGTH = 80
HASH_LENGTH = 6  # a truncated slug ends in '-' and this many hex digits of the whole name's slug
RESERVED_SLUGS = frozenset({"index"})  # topics/index.md lists the topics
# English function words a cut slug never ends on: articles, prepositions, conjunctions, copulas.
# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "nor", "so", "yet", "of", "in", "on", "at", "to", "for",
    "from", "by", "with", "without", "within", "into", "onto", "upon", "over", "under", "about",
    "above", "below", "between", "among", "through", "across", "against", "via", "vs", "versus",
    "per", "as", "than", "is", "are", "was", "were", "be", "been", "being", "its", "it", "this",
    "that", "these", "those", "their", "his", "her", "our", "your", "my",
})
# fmt: on
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

    A name whose slug would pass ``MAX_SLUG_LENGTH`` is cut after a whole word
    that is not a stop word and given a short hash of its whole slug, so two
    long names sharing their first 80 characters still get two pages.
    """
    if _PLAIN.fullmatch(name):  # what slugify makes of letters, digits, spaces and hyphens, without it
        plain = "-".join(_PLAIN_WORD.findall(name.lower()))
        if plain and len(plain) <= MAX_SLUG_LENGTH:
            return plain
    text = _APOSTROPHES.sub("", name)
    for pattern, replacement in _SUFFIX_SYMBOLS:
        text = pattern.sub(replacement, text)
    from slugify import slugify  # its tables load only for a name the plain path does not cover

    slug = slugify(text)
    if not slug:
        raise TopicNameError(f"topic name {name[:60]!r} has no letters or digits to name a file after")
    if len(slug) <= MAX_SLUG_LENGTH:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:HASH_LENGTH]
    return f"{_cut_at_a_word(slug, MAX_SLUG_LENGTH - HASH_LENGTH - 1)}-{digest}"


def _cut_at_a_word(slug: str, limit: int) -> str:
    """The slug's first whole words that fit in ``limit`` characters, without the stop words a cut
    would leave at its end (``...-consensus-in`` reads as cut mid-phrase); a first word longer than
    ``limit`` is the one thing cut inside a word."""
    kept: list[str] = []
    for word in slug.split("-"):
        if len("-".join([*kept, word])) > limit:
            break
        kept.append(word)
    while len(kept) > 1 and kept[-1] in STOP_WORDS:
        kept.pop()
    return "-".join(kept) if kept else slug[:limit]


def clean_topics(names: list[str]) -> list[str]:
    """Validated topic names in the order given, each topic once.

    ``Rust`` and ``rust`` are one topic, named twice. ``C++`` and ``C Plus
    Plus`` share a slug but are two topics: both stay, and the run refuses
    the second its page (``topicgen.upkeep.owners``).
    """
    from topicgen.vault.notes import title_key  # notes reads slugs: imported when called

    if not names:
        raise TopicNameError("no topics given")
    seen: set[tuple[str, str]] = set()
    topics = []
    for name in names:
        topic = clean_topic_name(name)
        key = (slug_for(topic), title_key(topic))
        if key not in seen:
            seen.add(key)
            topics.append(topic)
    return topics
