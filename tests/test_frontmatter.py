"""Frontmatter is written the way the vault writes it, and always reads back to the same values."""

from __future__ import annotations

import frontmatter
import pytest

from topicgen.vault.frontmatter import compose, raw_frontmatter, split_blocks, yaml_scalar


def reads_back(owned: dict, generation: dict | None = None, previous: str | None = None) -> dict:
    return frontmatter.loads(compose(owned, generation or {}, previous) + "\nbody").metadata


@pytest.mark.parametrize(
    "value",
    [
        "🤖🦜 Large Language Models",
        "🤔💻🧠 Algorithms to Live By: The Computer Science of Human Decisions",
        '🤖 Key: "Value" # [x]',
        "🤖 C++",
        "🤖 Gödel's Theorems",
        "- leading dash",
        "[leading bracket",
        "{leading brace",
        "#hash",
        "a #comment-like tail",
        "trailing colon:",
        "null",
        "true",
        "no",
        "~",
        "123",
        "1e3",
        "2026-01-01",
        "'single quoted'",
        '"double quoted"',
        "back\\slash",
        "tab\tinside",
        "*star",
        "&anchor",
        "!tag",
        "%percent",
        "@at",
        "`tick",
        "|pipe",
        ">fold",
        "? question",
        "",
    ],
)
def test_every_string_round_trips_through_python_frontmatter(value):
    assert reads_back({"title": value, "aliases": [value]}) == {"title": value, "aliases": [value]}


def test_plain_titles_stay_unquoted_like_the_reference_page():
    assert yaml_scalar("🤖🦜 Large Language Models") == "🤖🦜 Large Language Models"


def test_titles_with_colon_space_are_double_quoted_like_the_real_vault():
    title = "🤔💻🧠 Algorithms to Live By: The Computer Science of Human Decisions"
    assert yaml_scalar(title) == f'"{title}"'


def test_owned_keys_come_first_in_the_vaults_order_then_generation_keys():
    text = compose(
        {"share": True, "aliases": ["T"], "title": "T", "URL": "https://x.org/topics/t"},
        {"topicgen_model": "openai:m", "topicgen_sections": {"joke": "abc"}},
    )
    assert text.split("\n") == [
        "---",
        "share: true",
        "aliases:",
        "  - T",
        "title: T",
        "URL: https://x.org/topics/t",
        "topicgen_model: openai:m",
        "topicgen_sections:",
        "  joke: abc",
        "---",
    ]


def test_foreign_keys_are_kept_verbatim_and_in_order():
    previous = (
        "share: true\ntitle: Old\ntags:\n  - ai\n  - ml\nlink_analysis_time: 2026-04-01T00:00:00Z\n"
        "affiliate link: https://amzn.to/x\nforce_analyze_links: false"
    )
    text = compose({"share": True, "aliases": ["New"], "title": "New"}, {"topicgen_model": "m"}, previous)
    lines = text.split("\n")
    start = lines.index("tags:")
    assert lines[start : start + 6] == [
        "tags:",
        "  - ai",
        "  - ml",
        "link_analysis_time: 2026-04-01T00:00:00Z",
        "affiliate link: https://amzn.to/x",
        "force_analyze_links: false",
    ]


def test_old_generation_keys_are_replaced_not_duplicated():
    previous = "title: Old\ntopicgen_model: old:model\ntopicgen_body_hash: aaa"
    data = reads_back({"aliases": ["New"], "title": "New"}, {"topicgen_model": "new:model"}, previous)
    assert data == {"aliases": ["New"], "title": "New", "topicgen_model": "new:model"}


def test_a_person_set_share_value_and_extra_aliases_are_kept():
    previous = "share: false\naliases:\n  - Old title\n  - LLMs\ntitle: Old title"
    data = reads_back({"share": True, "aliases": ["New title"], "title": "New title"}, previous=previous)
    assert data["share"] is False
    assert data["aliases"] == ["New title", "LLMs"]


def test_raw_frontmatter_is_the_text_between_the_fences():
    assert raw_frontmatter("---\na: 1\nb: 2\n---\nbody") == "a: 1\nb: 2"
    assert raw_frontmatter("no frontmatter") is None


def test_blocks_split_on_top_level_keys_with_their_continuation_lines():
    assert split_blocks("a: 1\nb:\n  - x\n  - y\nc: 3") == [
        ("a", "a: 1"),
        ("b", "b:\n  - x\n  - y"),
        ("c", "c: 3"),
    ]
