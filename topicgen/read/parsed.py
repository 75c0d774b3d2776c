"""A page read back: what ``topicgen.read.parse`` makes of a page, and what it lacks.

A page with sections missing cannot be a full ``TopicSummary``, so the result
is a ``ParsedPage``: the sections it has (each validated by the same models
generation uses, as a page: any list length is the page's own), what is
missing or does not fit, the text no section can hold, and the findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from topicgen.page.drift import PAGE_CONTEXT
from topicgen.page.schema import TopicSummary
from topicgen.page.sections import SECTIONS, section_model
from topicgen.page.wording import Wording
from topicgen.read.findings import BLOCKS_ADOPT, Code, Finding, HasFindings
from topicgen.read.kinds import LEFT_ALONE, PageKind

TITLE_KEY = "title_emoji"


class IncompletePage(ValueError):
    """The page lacks sections (or holds text that fits nowhere), so it is not a whole TopicSummary."""


@dataclass(frozen=True)
class OwnSection:
    """A heading the outline does not have, inside the summary, with its lines as written."""

    after: str | None  # the outline section it follows
    lines: list[str]


@dataclass
class ParsedPage(HasFindings):
    """A page read back: the sections it has, what is missing or unfit, and everything noticed."""

    kind: PageKind
    topic: str | None = None
    title_emoji: str | None = None
    sections: dict[str, Any] = field(default_factory=dict)  # outline key → validated data
    missing: list[str] = field(default_factory=list)  # absent or empty, in outline order
    unfit: list[str] = field(default_factory=list)  # present, but not in a shape the outline allows
    findings: list[Finding] = field(default_factory=list)
    frontmatter: dict[str, Any] = field(default_factory=dict)
    frontmatter_raw: str | None = None
    tail: list[str] = field(default_factory=list)  # a person's own text after the summary, verbatim
    # the lines above the summary when a person wrote some there, verbatim (topicgen's breadcrumb,
    # title and summary heading among them mark where rendering puts its own); else empty
    head: list[str] = field(default_factory=list)
    own_sections: list[OwnSection] = field(default_factory=list)  # a person's sections inside it
    kept: list[tuple[int, str]] = field(default_factory=list)  # (line, text) no section holds, as written
    unfit_lines: dict[str, list[str]] = field(default_factory=dict)  # unfit section → its lines, verbatim
    final_newline: bool = False
    section_lines: dict[str, int] = field(default_factory=dict)  # key → line of its heading
    item_lines: dict[str, dict[tuple[Any, ...], int]] = field(default_factory=dict)  # key → data path → line
    wording: Wording = field(default_factory=Wording)  # labels and references in the page's own words

    @property
    def is_topic(self) -> bool:
        return self.kind is PageKind.TOPIC

    @property
    def unplaced(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.code is Code.UNPLACED]

    @property
    def blockers(self) -> list[Finding]:
        """What keeps the page from being read (and rewritten) without losing anything."""
        return [finding for finding in self.findings if finding.code in BLOCKS_ADOPT]

    @property
    def complete(self) -> bool:
        whole = not self.missing and not self.unfit and not self.blockers
        return self.is_topic and whole and self.title_emoji is not None

    def summary(self) -> BaseModel:
        """The whole page as a ``TopicSummary``, or ``IncompletePage`` saying what is lacking."""
        if not self.complete:
            raise IncompletePage(self.lacking())
        data = {TITLE_KEY: self.title_emoji, **self.sections}
        return TopicSummary.model_validate(data, context=PAGE_CONTEXT)

    def partial(self) -> BaseModel:
        """The sections the page has, as a model of only those sections."""
        keys = tuple(key for key in SECTIONS if key in self.sections)
        data = {key: self.sections[key] for key in keys}
        return section_model(keys).model_validate(data, context=PAGE_CONTEXT)

    def lacking(self) -> str:
        parts = []
        if not self.is_topic:
            parts.append(LEFT_ALONE[self.kind])
        if self.missing:
            parts.append(f"missing {', '.join(self.missing)}")
        if self.unfit:
            parts.append(f"{', '.join(self.unfit)} do(es) not fit the outline")
        for finding in self.blockers:
            parts.append(str(finding))
        return "; ".join(parts) or "nothing"

    def data(self) -> dict[str, Any]:
        """The page data it has, in outline order (a TopicSummary's JSON when complete)."""
        data: dict[str, Any] = {TITLE_KEY: self.title_emoji} if self.title_emoji else {}
        data.update({key: self.sections[key] for key in SECTIONS if key in self.sections})
        return data
