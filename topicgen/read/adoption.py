"""Deciding, from a page alone, what adopting it takes: leave it alone, refuse it, or ask for what is missing.

``check`` reports this decision; ``adopt`` carries it out. No model is
involved here: the decision is made before anything is paid for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from topicgen.page.schema import TopicSummary
from topicgen.read.canonical import is_generated
from topicgen.read.findings import KEPT_BY_ADOPT, Code, Finding
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
    refused: str | None = None  # adopting it would lose keys or its title: why
    as_written: tuple[str, ...] = ()  # unfit sections kept as the page wrote them, under their headings

    @property
    def moved(self) -> list[Finding]:
        """Text the rewrite takes out of the summary (a preamble, an extra joke, text no section holds).

        It is kept after the summary, as the page wrote it: never dropped.
        """
        kept = {line for line, _ in self.parsed.kept}
        return [f for f in self.parsed.findings if f.code in KEPT_BY_ADOPT and f.line in kept]

    @property
    def left_out(self) -> list[Finding]:
        """Repairs that leave words out: prompt wording in a heading, a second identical copy."""
        kept = {line for line, _ in self.parsed.kept}
        return [f for f in self.parsed.findings if f.code in KEPT_BY_ADOPT and f.line not in kept]


def plan_adoption(path: Path, text: str, *, rewrite_unfit: bool = False) -> Adoption:
    """Read a page and decide: leave it alone, refuse it, or adopt it asking the model for ``asks``.

    Sections that are present but do not fit the outline are kept as the
    page wrote them; with ``rewrite_unfit`` the model is asked to redo them
    (it sees their text in the page). Missing sections are asked for.
    """
    parsed = parse_page(text)
    if not parsed.is_topic:
        return Adoption(path, text, parsed, left_alone=LEFT_ALONE[parsed.kind])
    if is_generated(parsed):
        return Adoption(path, text, parsed, left_alone=ALREADY_MAINTAINED)
    blockers = list(parsed.blockers)
    if parsed.topic is None and not blockers:
        blockers = [Finding(0, Code.BAD_TITLE, "the page has no title")]
    if blockers:
        reasons = "; ".join(str(finding) for finding in blockers[:REASONS_SHOWN])
        more = f" (and {len(blockers) - REASONS_SHOWN} more)" if len(blockers) > REASONS_SHOWN else ""
        return Adoption(path, text, parsed, refused=f"{reasons}{more}")
    order = [TITLE_KEY, *(key for key in TopicSummary.model_fields if key != TITLE_KEY)]
    wanted = set(parsed.missing) | (set(parsed.unfit) if rewrite_unfit else set())
    asks = tuple(key for key in order if key in wanted)
    as_written = tuple(key for key in order if key in parsed.unfit and key not in wanted)
    return Adoption(path, text, parsed, asks=asks, as_written=as_written)
