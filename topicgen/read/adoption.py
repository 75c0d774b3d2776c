"""Deciding, from a page alone, what adopting it takes: leave it alone, refuse it, or ask for what is missing.

``check`` reports this decision; ``adopt`` carries it out. No model is
involved here: the decision is made before anything is paid for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from topicgen.page.schema import TopicSummary
from topicgen.read.canonical import is_generated
from topicgen.read.findings import DROPPED_BY_ADOPT, Code, Finding
from topicgen.read.parse import LEFT_ALONE, TITLE_KEY, ParsedPage, parse_page

ALREADY_MAINTAINED = "written by topicgen already; `topicgen regen` keeps it up to date"
REASONS_SHOWN = 3


@dataclass(frozen=True)
class Adoption:
    """What adopting one page takes, decided from the page alone, before any model call."""

    path: Path
    text: str
    parsed: ParsedPage
    asks: tuple[str, ...] = ()  # page data keys the model is asked for, in outline order
    left_alone: str | None = None  # not a page for adopt (a category page, one topicgen maintains)
    refused: str | None = None  # adopting it would lose text: why

    @property
    def dropped(self) -> list[Finding]:
        """Defects the rewrite repairs by leaving text out (a preamble, an extra joke, leaked wording)."""
        return [finding for finding in self.parsed.findings if finding.code in DROPPED_BY_ADOPT]


def plan_adoption(path: Path, text: str, *, rewrite_unfit: bool = False) -> Adoption:
    """Read a page and decide: leave it alone, refuse it, or adopt it asking the model for ``asks``.

    With ``rewrite_unfit``, sections that are present but do not fit the
    outline are asked for too (the model sees their text in the page).
    """
    parsed = parse_page(text)
    if not parsed.is_topic:
        return Adoption(path, text, parsed, left_alone=LEFT_ALONE[parsed.kind])
    if is_generated(parsed):
        return Adoption(path, text, parsed, left_alone=ALREADY_MAINTAINED)
    rewritten = set(parsed.unfit) if rewrite_unfit else set()
    blockers = [
        finding
        for finding in parsed.blockers
        if not (finding.section in rewritten and finding.code in (Code.UNFIT_SECTION, Code.UNPLACED))
    ]
    if parsed.topic is None and not blockers:
        blockers = [Finding(0, Code.BAD_TITLE, "the page has no title")]
    if blockers:
        reasons = "; ".join(str(finding) for finding in blockers[:REASONS_SHOWN])
        more = f" (and {len(blockers) - REASONS_SHOWN} more)" if len(blockers) > REASONS_SHOWN else ""
        hint = (
            " (--rewrite-unfit lets the model redo unfit sections)"
            if parsed.unfit and not rewrite_unfit
            else ""
        )
        return Adoption(path, text, parsed, refused=f"{reasons}{more}{hint}")
    order = [TITLE_KEY, *(key for key in TopicSummary.model_fields if key != TITLE_KEY)]
    wanted = set(parsed.missing) | rewritten
    return Adoption(path, text, parsed, asks=tuple(key for key in order if key in wanted))
