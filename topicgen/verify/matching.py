"""The rule that decides whether a catalog entry is the book a page names.

A page's book is found when one catalog entry matches both:

- **title**: the titles are equal once reduced (case, accents, punctuation,
  emoji and a leading "The"/"A"/"An" ignored, "&" read as "and"); or their
  main titles (before a ":" or " - " subtitle, or a "(...)" remark) are equal,
  since models add, drop and reword subtitles; or the reduced titles differ
  by a spelling slip (similarity of at least ``SIMILAR``).
- **authors**: at least one surname is shared. Surnames are the last word of
  each name, with "Jr.", "PhD" and the like dropped, so "Tunstall, von Werra,
  Wolf" matches "Lewis Tunstall"; an entry without authors never matches.

A real title credited to someone who did not write it is not found: that is
exactly the invention this check exists for.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from topicgen.vault.notes import title_key

SIMILAR = 0.92
_ARTICLES = ("the ", "a ", "an ")
# Where a subtitle starts; a run of spaces is tried from its first space only (linear time).
_SUBTITLE = re.compile(r"(?<!\s)(?:\s*:\s|\s+[-–—]\s+|\s*\()")
_NAME_SEPARATORS = re.compile(r",|;|&|\band\b|\bwith\b|\bet al\b\.?", re.IGNORECASE)
_NOT_SURNAMES = frozenset(
    {"jr", "sr", "ii", "iii", "iv", "phd", "md", "dr", "prof", "ed", "eds", "editor", "editors", "al", "et"}
)


def normal_title(title: str) -> str:
    """A title reduced for comparison: 'The Art of War!' → 'art of war'."""
    text = title_key(title.replace("&", " and "))
    for article in _ARTICLES:
        if text.startswith(article) and len(text) > len(article):
            return text[len(article) :]
    return text


def main_title(title: str) -> str:
    """The reduced title without its subtitle: 'Life 3.0: Being Human...' → 'life 3 0'."""
    return normal_title(_SUBTITLE.split(title, maxsplit=1)[0]) or normal_title(title)


def titles_match(ours: str, theirs: str, subtitle: str | None = None) -> bool:
    a, b = normal_title(ours), normal_title(theirs)
    if not a or not b:
        return False
    if a == b or (subtitle and a == normal_title(f"{theirs}: {subtitle}")):
        return True
    if main_title(ours) == main_title(theirs):
        return True
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILAR


def _surname(name: str) -> str | None:
    words = [word for word in title_key(name).split() if word not in _NOT_SURNAMES]
    return words[-1] if words else None


def surnames(authors: str) -> set[str]:
    """'Ian Goodfellow, Yoshua Bengio and Aaron Courville' → {'goodfellow', 'bengio', 'courville'}."""
    found = {_surname(name) for name in _NAME_SEPARATORS.split(authors)}
    return {name for name in found if name}


def catalog_surnames(names: list[str]) -> set[str]:
    """Surnames from a catalog's list of author names, one person each."""
    return {name for name in (_surname(entry) for entry in names) if name}


def book_matches(title: str, authors: str, entry: dict) -> bool:
    """Whether one catalog entry (``title``, ``subtitle``, ``author_name``) is this book."""
    their_title = entry.get("title")
    names = entry.get("author_name")
    if not isinstance(their_title, str) or not isinstance(names, list):
        return False
    subtitle = entry.get("subtitle") if isinstance(entry.get("subtitle"), str) else None
    if not titles_match(title, their_title, subtitle):
        return False
    return bool(surnames(authors) & catalog_surnames([str(name) for name in names]))


def search_terms(title: str, authors: str) -> tuple[str, str]:
    """What to ask the catalog for: the main title as written, and the first author's surname."""
    main = _SUBTITLE.split(title, maxsplit=1)[0].strip() or title.strip()
    first = next((_surname(name) for name in _NAME_SEPARATORS.split(authors) if _surname(name)), "")
    return main, first or ""


def book_key(title: str, authors: str) -> str:
    """The cache key of a book: its reduced title and its sorted surnames."""
    return f"{normal_title(title)}|{','.join(sorted(surnames(authors)))}"
