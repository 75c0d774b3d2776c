"""What reading a page can say about it: one vocabulary shared by import, check and adopt.

A *defect* is something wrong with a page (a missing section, leaked prompt
wording, a link to a note that does not exist); ``check`` fails on defects.
A *note* is a shape from another era that the parser accepts and ``adopt``
rewrites into the canonical one (``*`` bullets, ``####`` headings, per-bullet
emoji): worth knowing, not wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from topicgen.page.drift import Drift


class Severity(StrEnum):
    DEFECT = "defect"
    NOTE = "note"


class Code(StrEnum):
    # defects
    MISSING_SECTION = "missing-section"
    EMPTY_SECTION = "empty-section"
    DUPLICATE_HEADING = "duplicate-heading"
    LEAKED_INSTRUCTIONS = "leaked-instructions"
    PREAMBLE = "preamble"
    OUT_OF_ORDER = "out-of-order"
    EXTRA_JOKE = "extra-joke"
    BROKEN_LINK = "broken-link"
    MALFORMED_FRONTMATTER = "malformed-frontmatter"
    NO_FRONTMATTER = "no-frontmatter"
    BAD_TITLE = "bad-title"
    UNFIT_SECTION = "unfit-section"  # present, but its content does not fit the outline
    UNPLACED = "unplaced"  # text the parser could not place in any section
    UNREADABLE = "unreadable"
    OWN_SECTION = "own-section"  # a person's own section inside the summary: kept where it is, a note
    OWN_TEXT = "own-text"  # a person's text above the summary: kept where it is, a note
    UNKNOWN_BOOK = "unknown-book"  # check --verify: the book catalog does not have it
    UNKNOWN_VIDEO = "unknown-video"  # check --verify: no such video or channel on YouTube
    # notes: variants the parser accepts and adopt normalises
    HEADING_VARIANT = "heading-variant"
    LIST_VARIANT = "list-variant"
    BULLET_EMOJI = "bullet-emoji"
    LABEL_VARIANT = "label-variant"
    PARAGRAPHS = "paragraphs"
    FLATTENED = "flattened"
    LOST_ZWJ = "lost-zwj"
    TITLE_VARIANT = "title-variant"
    LINE_ENDINGS = "line-endings"
    UNVERIFIED = "unverified"  # references not checked yet (topicgen_verified: false, or a service was down)
    # notes: drift a reader would not mind (topicgen.page.drift), normalised on import and adopt
    LIST_LENGTH = Drift.LIST_LENGTH.value
    BOLD_LABEL = Drift.BOLD_LABEL.value
    REPEATED_LABEL = Drift.REPEATED_LABEL.value
    QUOTED = Drift.QUOTED.value
    MATH = Drift.MATH.value
    EMOJI = Drift.EMOJI.value
    WHITESPACE = Drift.WHITESPACE.value
    NO_CLOSING_LABEL = Drift.NO_CLOSING_LABEL.value
    UNKNOWN_FIELD = Drift.UNKNOWN_FIELD.value


def drift_code(drift: Drift) -> Code:
    """The finding code of a kind of drift (a note: never a defect)."""
    return Code(drift.value)


NOTE_CODES = frozenset(
    {
        Code.OWN_SECTION,
        Code.OWN_TEXT,
        Code.HEADING_VARIANT,
        Code.LIST_VARIANT,
        Code.BULLET_EMOJI,
        Code.LABEL_VARIANT,
        Code.PARAGRAPHS,
        Code.FLATTENED,
        Code.LOST_ZWJ,
        Code.TITLE_VARIANT,
        Code.LINE_ENDINGS,
        Code.UNVERIFIED,
        *(drift_code(drift) for drift in Drift),
    }
)

# Defects adopt repairs by moving the text out of the summary: it is kept after it, never dropped.
KEPT_BY_ADOPT = frozenset(
    {Code.PREAMBLE, Code.EXTRA_JOKE, Code.DUPLICATE_HEADING, Code.LEAKED_INSTRUCTIONS, Code.UNPLACED}
)
# Defects that stop adopt: rewriting would lose keys or a title it cannot read.
BLOCKS_ADOPT = frozenset({Code.MALFORMED_FRONTMATTER, Code.BAD_TITLE, Code.UNREADABLE})


@dataclass(frozen=True)
class Finding:
    """One thing about a page, at a 1-based line of the file (0: the page as a whole)."""

    line: int
    code: Code
    message: str
    section: str | None = None  # the outline key it concerns, if any

    @property
    def severity(self) -> Severity:
        return Severity.NOTE if self.code in NOTE_CODES else Severity.DEFECT

    @property
    def is_defect(self) -> bool:
        return self.severity is Severity.DEFECT

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "code": self.code.value, "severity": self.severity.value}

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "page"
        return f"{where}: {self.code.value}: {self.message}"


def excerpt(text: str, width: int = 60) -> str:
    """A short, one-line quote of page text for a message."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class HasFindings:
    """Splits a ``findings`` list into defects (``check`` fails on them) and notes."""

    findings: list[Finding]

    @property
    def defects(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.is_defect]

    @property
    def notes(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.is_defect]
