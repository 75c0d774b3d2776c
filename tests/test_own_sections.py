"""``check`` and ``adopt`` keep what the README promises to keep (issue 13, item 3).

Outline headings count only inside the AI summary and at the level of the
page's sections: a person's own ``### 🧪 My Experiments`` is kept where it is
(a note, not "unplaced"), a ``## 📝 My Notes`` after the summary is their notes
(not the 📝 section), and wiki links and embeds resolve the way Obsidian
resolves them: by the shortest path that names a file, anywhere in the vault.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import REFERENCE_PAGE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vault_content import assert_in_order, own_notes, own_sections, with_own_text

from topicgen.config import open_vault
from topicgen.read.findings import Code
from topicgen.read.parse import parse_page
from topicgen.runs.adopt import Adopter
from topicgen.runs.workshop import Status
from topicgen.upkeep.check import LinkChecker, check_pages, check_text

PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
REFERENCE = REFERENCE_PAGE.read_text(encoding="utf-8")
DEEP_DIVE = "### 🔬 A Technical Deep Dive"
EXPERIMENTS = "### 🧪 My Experiments  \nI ran a small one locally.  \n  \n"


def check_one(vault: Path, text: str):
    path = vault / "topics" / "large-language-models.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    the_vault, _ = open_vault(vault)
    (report,) = check_pages(the_vault, [path])
    return report


def test_a_persons_own_section_inside_the_summary_is_kept_text_not_a_defect(vault):
    report = check_one(vault, REFERENCE.replace(DEEP_DIVE, EXPERIMENTS + DEEP_DIVE, 1))
    assert report.clean, report.defects
    (own,) = [f for f in report.notes if f.code is Code.OWN_SECTION]
    assert "My Experiments" in own.message and own.line == REFERENCE.split("\n").index(DEEP_DIVE + "  ") + 1
    assert report.adopt == "rewrite it with no model call"


def test_a_level_two_heading_after_the_summary_is_the_persons_notes_not_an_outline_section(vault):
    text = REFERENCE + "\n\n## 📝 My Notes\nSome notes of my own.\n"
    report = check_one(vault, text)
    assert report.clean, report.defects
    assert parse_page(text).tail[-2:] == ["## 📝 My Notes", "Some notes of my own."]


def test_a_loose_heading_match_for_a_section_the_page_has_is_a_heading_of_ones_own(vault):
    text = REFERENCE + "\n\n### 📝 My Notes\nSome notes of my own.\n"
    report = check_one(vault, text)
    assert report.clean, report.defects
    assert parse_page(text).tail[-2:] == ["### 📝 My Notes", "Some notes of my own."]


def test_sub_headings_below_the_outline_level_are_never_outline_sections():
    text = REFERENCE.replace(DEEP_DIVE, "#### 📖 Further Reading  \nA list.  \n  \n" + DEEP_DIVE, 1)
    parsed = parse_page(text)
    assert parsed.complete and "Further Reading" in parsed.own_sections[0].lines[0]


def test_adopt_keeps_a_persons_own_section_where_it_was(vault, page_answers):
    path = vault / "topics" / "large-language-models.md"
    path.parent.mkdir()
    path.write_text(REFERENCE.replace(DEEP_DIVE, EXPERIMENTS + DEEP_DIVE, 1), encoding="utf-8")
    the_vault, config = open_vault(vault)

    outcome = asyncio.run(Adopter(the_vault, config, page_answers()).adopt(path))

    assert outcome.status is Status.WRITTEN, outcome.detail
    assert EXPERIMENTS + DEEP_DIVE in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "link",
    [
        "![[diagram.png]]",
        "![[diagram.png|300]]",
        "![[images/diagram.png]]",
        "[[deep-learning]]",
        "[[Deep-Learning]]",
        "[[books/deep-learning|the book]]",
        "[[deep-learning#Overview]]",
        "[[deep-learning.md]]",
        "[[../books/deep-learning]]",
    ],
)
def test_embeds_and_wiki_links_resolve_anywhere_in_the_vault_by_shortest_path(vault, link):
    (vault / "attachments" / "images").mkdir(parents=True)
    (vault / "attachments" / "images" / "diagram.png").write_bytes(b"\x89PNG")
    report = check_one(vault, REFERENCE + f"\n\nMy notes: {link}\n")
    assert report.clean, report.defects


@pytest.mark.parametrize(
    "link", ["![[missing.png]]", "[[missing-note]]", "[[other/deep-learning]]", "[[settings]]"]
)
def test_a_wiki_link_that_names_no_file_of_the_vault_is_broken(vault, link):
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "settings.md").write_text("hidden", encoding="utf-8")
    report = check_one(vault, REFERENCE + f"\n\nMy notes: {link}\n")
    assert [f.code for f in report.defects] == [Code.BROKEN_LINK]


@PROPERTY
@given(
    sections=st.lists(st.tuples(st.integers(1, 19), own_sections()), max_size=3),
    notes=st.lists(own_notes(), max_size=2),
)
def test_check_finds_no_defect_in_a_persons_sections_notes_and_embeds(vault, sections, notes):
    text, _ = with_own_text(REFERENCE, sections, notes)
    for _, own in [*sections, *((0, note) for note in notes)]:
        for embed in own.embeds:
            (vault / embed.file).parent.mkdir(parents=True, exist_ok=True)
            (vault / embed.file).write_bytes(b"")
    path = vault / "topics" / "large-language-models.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")

    report = check_text(path, text, LinkChecker(open_vault(vault)[0]))

    assert report.clean, report.defects
    assert len([f for f in report.notes if f.code is Code.OWN_SECTION]) == len(sections)
    assert report.adopt == "rewrite it with no model call"


@PROPERTY
@given(
    sections=st.lists(st.tuples(st.integers(1, 19), own_sections()), max_size=3),
    notes=st.lists(own_notes(), max_size=2),
)
def test_adopt_keeps_every_line_of_a_persons_sections_and_notes(vault, page_answers, sections, notes):
    text, added = with_own_text(REFERENCE, sections, notes)
    path = vault / "topics" / "large-language-models.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    the_vault, config = open_vault(vault)

    outcome = asyncio.run(Adopter(the_vault, config, page_answers()).adopt(path))

    assert outcome.status is Status.WRITTEN, outcome.detail
    assert_in_order(added, path.read_text(encoding="utf-8").split("\n"))
