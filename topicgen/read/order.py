"""Where sections stand: which are out of the outline's order, and where a missing one belongs.

Only the longest run of sections already in order stays put; every other
section is named with the section the outline puts it before, so one moved
section is one finding, not a cascade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from topicgen.page.outline import OUTLINE, SECTIONS
from topicgen.read.findings import Code


class Placed(Protocol):
    """A section as the page has it: its outline key and the line of its heading."""

    key: str | None
    line: int


def note_out_of_order(blocks: Sequence[Placed], note: Callable[..., None]) -> None:
    """Sections out of the outline's order, each named with where it belongs."""
    seen: list[Placed] = []
    for block in blocks:
        if all(block.key != other.key for other in seen):
            seen.append(block)
    ranks = [OUTLINE.index(SECTIONS[block.key]) for block in seen]
    keep = longest_increasing(ranks)
    for index, block in enumerate(seen):
        if index not in keep:
            before = next((seen[j] for j in sorted(keep) if ranks[j] > ranks[index]), None)
            where = f"; the outline puts it before '{SECTIONS[before.key].heading_text}'" if before else ""
            note(
                block.line,
                Code.OUT_OF_ORDER,
                f"section '{SECTIONS[block.key].heading_text}' is out of order{where}",
                block.key,
            )


def insertion_line(key: str, present: Mapping[str, Placed], end_line: int) -> int:
    """Where a missing section belongs: the heading of the next section the page has."""
    rank = OUTLINE.index(SECTIONS[key])
    following = [block.line for k, block in present.items() if OUTLINE.index(SECTIONS[k]) > rank]
    return min(following) if following else end_line


def longest_increasing(ranks: list[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence (sections already in order)."""
    best: list[list[int]] = []
    for index, rank in enumerate(ranks):
        chain = max((c for c in best if ranks[c[-1]] < rank), key=len, default=[])
        best.append([*chain, index])
    return set(max(best, key=len, default=[]))
