"""What kind of page a vault page is, from its headings alone: an outline page, or one to leave alone.

A page is an outline page only when enough of its headings are the
outline's: at least ``MIN_TOPIC_SECTIONS`` different sections, making up at
least half of the headings under its AI summary. A few outline-like headings
in a free-form summary (``### ❓ What it is``, ``### 🔬 Science``) do not make
it one. Pages of the other kinds are named and left alone: no defects, no
rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MIN_TOPIC_SECTIONS = 5
MIN_SECTIONS_WITHOUT_SUMMARY = 10  # no AI summary heading: only a page that is plainly the outline
OUTLINE_SHARE = 0.5  # at least this share of the summary's headings are outline headings
ESSAY_HEADINGS = 2  # fewer headings of its own than this under the summary: prose


class PageKind(StrEnum):
    TOPIC = "topic"
    CATEGORY = "category"  # a category page (summary, subcategories, books): not topicgen's
    NO_SUMMARY = "no-summary"  # no AI summary heading: a person's own note
    FREE_FORM = "free-form"  # an AI summary with headings of its own, not the outline's
    ESSAY = "essay"  # an AI summary written as prose, with (almost) no headings
    OTHER = "free-form"  # the name this kind had before pages were told apart (an alias)


LEFT_ALONE = {
    PageKind.CATEGORY: "a category page; topicgen leaves it alone",
    PageKind.NO_SUMMARY: "a page with no AI summary; topicgen leaves it alone",
    PageKind.FREE_FORM: "a free-form summary with its own headings, not the topic outline; "
    "topicgen leaves it alone",
    PageKind.ESSAY: "an essay, not a page in the topic outline; topicgen leaves it alone",
}


@dataclass(frozen=True)
class HeadingCount:
    """The headings under a page's AI summary: outline sections (distinct, and all) and the others."""

    sections: int  # different outline sections named
    outline: int  # headings (or bold pseudo-headings) naming an outline section
    other: int  # headings the outline does not have


def kind_of(count: HeadingCount, *, has_summary: bool, category_marker: bool) -> PageKind:
    """The page's kind from what its headings are.

    A page without the AI summary heading is an outline page only when it is
    plainly one (``MIN_SECTIONS_WITHOUT_SUMMARY`` sections): else it is a
    person's own note.
    """
    total = count.outline + count.other
    least = MIN_TOPIC_SECTIONS if has_summary else MIN_SECTIONS_WITHOUT_SUMMARY
    if count.sections >= least and count.outline >= OUTLINE_SHARE * total:
        return PageKind.TOPIC
    if not has_summary:
        return PageKind.NO_SUMMARY
    if category_marker:
        return PageKind.CATEGORY
    return PageKind.ESSAY if total < ESSAY_HEADINGS else PageKind.FREE_FORM
