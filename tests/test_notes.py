"""Reading note titles quickly must give what a YAML parser gives."""

from __future__ import annotations

import json

import pytest
import yaml

from topicgen.vault.frontmatter import yaml_scalar
from topicgen.vault.notes import read_note

TITLES = [
    "🧠💻🤖 Deep Learning",
    "🤔💻🧠 Algorithms to Live By: The Computer Science of Human Decisions",
    "C++ # not a comment when quoted",
    "Gödel's Theorems",
    '"Quoted" words',
    "- a leading dash",
    "[brackets] and {braces}",
    "yes",
]


@pytest.mark.parametrize("title", TITLES)
def test_a_title_and_its_aliases_read_the_same_as_yaml_reads_them(tmp_path, title):
    note = tmp_path / "note.md"
    frontmatter = (
        f"share: true\naliases:\n  - {yaml_scalar(title)}\n  - other name\ntitle: {yaml_scalar(title)}\n"
    )
    note.write_text(f"---\n{frontmatter}---\n# heading\n", encoding="utf-8")
    expected = yaml.safe_load(frontmatter)
    read = read_note(note)
    assert read.title == str(expected["title"])
    assert list(read.aliases) == [str(a) for a in expected["aliases"]]


@pytest.mark.parametrize(
    "frontmatter",
    [
        "title: >\n  Folded Title\naliases: [One, Two]\n",
        "title: 'It''s single quoted'\naliases: Single Alias\n",
        f"title: {json.dumps('Tab	and Ünïcode')}\n",
    ],
)
def test_yaml_the_quick_reader_does_not_handle_still_reads_right(tmp_path, frontmatter):
    note = tmp_path / "note.md"
    note.write_text(f"---\n{frontmatter}---\nbody\n", encoding="utf-8")
    expected = yaml.safe_load(frontmatter)
    aliases = expected.get("aliases") or []
    aliases = [aliases] if isinstance(aliases, str) else aliases
    read = read_note(note)
    assert read.title == expected["title"].strip()
    assert list(read.aliases) == aliases
