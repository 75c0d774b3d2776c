"""Rendering reproduces the reference page, links the vault's notes and records how the page was made."""

from __future__ import annotations

import re
from pathlib import Path

import frontmatter
import pytest

from topicgen.config import open_vault
from topicgen.page.outline import OUTLINE
from topicgen.page.render import PageContext, Provenance, render_page
from topicgen.page.schema import TopicSummary
from topicgen.upkeep.view import VaultView
from topicgen.vault.notes import NoteIndex
from topicgen.vault.slugs import slug_for

REPO = Path(__file__).resolve().parent.parent
REFERENCE_PAGE = REPO / "fixtures" / "corpus" / "vault" / "topics" / "large-language-models.md"
TOPIC = "Large Language Models"
ZWJ = "\u200d"
PROVENANCE = Provenance("openai:gpt-test", "2026-01-02T03:04:05Z", "sha256:0123456789abcdef")


def split_page(text: str) -> tuple[str, str]:
    """(frontmatter YAML, body) of a page, byte for byte."""
    assert text.startswith("---\n")
    end = text.index("\n---\n", 4)
    return text[4:end], text[end + len("\n---\n") :]


def context_for(vault: Path, topic: str = TOPIC) -> PageContext:
    the_vault, settings = open_vault(vault)
    return VaultView.scan(the_vault, settings).context(topic)


def rendered(vault: Path, page_data: dict, topic: str = TOPIC, **kwargs) -> str:
    return render_page(TopicSummary.model_validate(page_data), context_for(vault, topic), **kwargs)


def add_note(folder: Path, slug: str, title: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    quoted = title.replace('"', '\\"')
    (folder / f"{slug}.md").write_text(f'---\ntitle: "{quoted}"\n---\n# {title}\n', encoding="utf-8")


# --- the reference page --------------------------------------------------------------------------


def test_the_body_is_identical_to_the_reference_page_with_joiners_ignored(vault, llm_page_data):
    _, body = split_page(rendered(vault, llm_page_data))
    _, reference = split_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    assert body.replace(ZWJ, "") == reference.replace(ZWJ, "")


def test_the_frontmatter_has_the_reference_pages_share_aliases_title_and_url(vault, llm_page_data):
    page = frontmatter.loads(rendered(vault, llm_page_data, provenance=PROVENANCE))
    reference = frontmatter.loads(REFERENCE_PAGE.read_text(encoding="utf-8"))
    for key in ("share", "aliases", "title", "URL"):
        assert page[key] == reference[key], key


def test_the_owned_frontmatter_lines_are_written_as_the_vault_writes_them(vault, llm_page_data):
    yaml_text, _ = split_page(rendered(vault, llm_page_data))
    reference_yaml, _ = split_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    assert yaml_text == reference_yaml


def test_the_proper_zero_width_joiner_sequences_are_written(vault, llm_page_data):
    _, body = split_page(rendered(vault, llm_page_data))
    assert "- 🧙\u200d♂️ **For A World Expert:**" in body
    assert "- 👩\u200d👧\u200d👦 Children:" in body


def test_lines_end_with_hard_breaks_except_the_last(vault, llm_page_data):
    _, body = split_page(rendered(vault, llm_page_data))
    lines = body.split("\n")
    assert all(line.endswith("  ") for line in lines[:-1])
    assert not lines[-1].endswith(" ")


def test_hard_breaks_can_be_turned_off(vault, llm_page_data):
    (vault / "topicgen.toml").write_text('site_url = "https://bagrounds.org"\ntrailing_spaces = false\n')
    _, body = split_page(rendered(vault, llm_page_data))
    assert not any(line.endswith(" ") for line in body.split("\n"))


def test_the_sections_follow_the_outline_in_order(vault, llm_page_data):
    _, body = split_page(rendered(vault, llm_page_data))
    headings = [line.rstrip() for line in body.split("\n") if line.startswith("### ")]
    assert headings == [f"### {section.heading}" for section in OUTLINE]


# --- links to the vault's notes ------------------------------------------------------------------


def test_a_book_with_a_note_in_books_is_a_link_to_that_note(vault, llm_page_data):
    _, body = split_page(rendered(vault, llm_page_data))
    assert "- 📖 Topical: [🧠💻🤖 Deep Learning](../books/deep-learning.md) by Ian Goodfellow" in body


def test_a_book_without_a_note_is_quoted(vault, llm_page_data):
    _, body = split_page(rendered(vault, llm_page_data))
    assert '- 📖 Fictional: "Klara and the Sun" by Kazuo Ishiguro ☀️.' in body


def test_books_are_matched_ignoring_emoji_and_case(vault, llm_page_data):
    llm_page_data["books"]["fictional"]["title"] = "KLARA AND THE SUN"
    add_note(vault / "books", "klara-and-the-sun", "☀️🤖 Klara and the Sun")
    _, body = split_page(rendered(vault, llm_page_data))
    assert "Fictional: [☀️🤖 Klara and the Sun](../books/klara-and-the-sun.md) by" in body


def test_every_book_is_quoted_in_a_vault_without_books(tmp_path, llm_page_data):
    _, body = split_page(rendered(tmp_path, llm_page_data))
    assert "](../books/" not in body
    assert '- 📖 Topical: "Deep Learning" by' in body


def test_a_related_topic_with_a_note_in_topics_is_linked_keeping_its_emoji(vault, llm_page_data):
    add_note(vault / "topics", "deep-learning", "🧠🕸️ Deep Learning")
    add_note(vault / "topics", "artificial-intelligence", "🤖 Artificial Intelligence")
    _, body = split_page(rendered(vault, llm_page_data))
    assert "- 👶 Parent: [🤖 Artificial Intelligence](./artificial-intelligence.md) 🧠" in body
    assert "    - 👩\u200d👧\u200d👦 [🧠🕸️ Deep Learning](./deep-learning.md) 🤯" in body
    assert "    - 👩\u200d👧\u200d👦 Machine Learning 🤖" in body  # no note: plain text


def test_a_page_never_links_to_itself(vault, llm_page_data):
    add_note(vault / "topics", "large-language-models", "🤖🦜 Large Language Models")
    llm_page_data["topics"]["advanced"][0] = "Large Language Models 🦜"
    _, body = split_page(rendered(vault, llm_page_data))
    assert "](./large-language-models.md)" not in body


def test_a_related_topic_made_only_of_emoji_is_written_as_plain_text(vault, llm_page_data):
    llm_page_data["topics"]["children"][0] = "🤖 🧠"
    llm_page_data["books"]["rigorous"]["title"] = "!!!"
    _, body = split_page(rendered(vault, llm_page_data))
    assert "    - 👩\u200d👧\u200d👦 🤖 🧠" in body
    assert '- 📖 Rigorous: "!!!" by' in body


def test_links_follow_configured_folders(tmp_path, llm_page_data):
    (tmp_path / "topicgen.toml").write_text('[paths]\ntopics = "notes/topics"\nbooks = "library"\n')
    add_note(tmp_path / "library", "deep-learning", "🧠 Deep Learning")
    _, body = split_page(rendered(tmp_path, llm_page_data))
    assert "[🧠 Deep Learning](../../library/deep-learning.md)" in body


# --- titles and frontmatter ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "topic",
    [
        "Algorithms to Live By: The Computer Science of Human Decisions",
        'Key: "Value" # [x]',
        "C++",
        "Gödel's Theorems",
        "- leading dash",
        "[bracketed] name",
        "null",
        "yes",
        "123",
    ],
)
def test_titles_yaml_would_misread_round_trip_through_python_frontmatter(vault, llm_page_data, topic):
    page = frontmatter.loads(rendered(vault, llm_page_data, topic=topic, provenance=PROVENANCE))
    title = f"🤖🦜 {topic}"
    assert page["title"] == title
    assert page["aliases"] == [title]
    assert page["URL"] == f"https://bagrounds.org/topics/{slug_for(topic)}"
    assert page.content.split("\n")[1].rstrip() == f"# {title}"


def test_a_title_with_colon_space_is_quoted_as_the_vault_does(vault, llm_page_data):
    topic = "Algorithms to Live By: The Computer Science of Human Decisions"
    yaml_text, _ = split_page(rendered(vault, llm_page_data, topic=topic))
    assert f'title: "🤖🦜 {topic}"' in yaml_text.split("\n")


def test_no_url_without_a_site_url(tmp_path, llm_page_data):
    page = frontmatter.loads(rendered(tmp_path, llm_page_data))
    assert "URL" not in page.metadata


# --- generation metadata -------------------------------------------------------------------------


def test_generation_metadata_records_model_time_fingerprint_and_hashes(vault, llm_page_data):
    page = frontmatter.loads(rendered(vault, llm_page_data, provenance=PROVENANCE))
    assert page["topicgen_model"] == "openai:gpt-test"
    assert page["topicgen_generated"] == "2026-01-02T03:04:05Z"
    assert page["topicgen_fingerprint"] == "sha256:0123456789abcdef"
    assert re.fullmatch(r"[0-9a-f]{12}", page["topicgen_body_hash"])
    assert list(page["topicgen_sections"]) == [section.key for section in OUTLINE]


def test_the_same_page_renders_to_the_same_hashes(vault, llm_page_data):
    first = frontmatter.loads(rendered(vault, llm_page_data, provenance=PROVENANCE))
    second = frontmatter.loads(rendered(vault, llm_page_data, provenance=PROVENANCE))
    assert first["topicgen_body_hash"] == second["topicgen_body_hash"]
    assert first["topicgen_sections"] == second["topicgen_sections"]


def test_a_changed_section_changes_the_body_hash_and_only_its_own_section_hash(vault, llm_page_data):
    before = frontmatter.loads(rendered(vault, llm_page_data, provenance=PROVENANCE))
    llm_page_data["joke"] = "A different joke about tokens."
    after = frontmatter.loads(rendered(vault, llm_page_data, provenance=PROVENANCE))
    assert after["topicgen_body_hash"] != before["topicgen_body_hash"]
    changed = {
        key for key, value in before["topicgen_sections"].items() if after["topicgen_sections"][key] != value
    }
    assert changed == {"joke"}


def test_section_hashes_ignore_the_hard_break_style(vault, llm_page_data):
    with_breaks = frontmatter.loads(rendered(vault, llm_page_data, provenance=PROVENANCE))
    (vault / "topicgen.toml").write_text('site_url = "https://bagrounds.org"\ntrailing_spaces = false\n')
    without = frontmatter.loads(rendered(vault, llm_page_data, provenance=PROVENANCE))
    assert with_breaks["topicgen_sections"] == without["topicgen_sections"]


def test_rewriting_a_page_keeps_keys_topicgen_does_not_own_in_order(vault, llm_page_data):
    previous = (
        "share: false\naliases:\n  - LLMs\ntitle: Old title\ntags:\n  - ai\n"
        "link_analysis_model: gemini\nlink_analysis_time: 2026-04-01T00:00:00Z\ntopicgen_model: old:model"
    )
    text = rendered(vault, llm_page_data, provenance=PROVENANCE, previous_frontmatter=previous)
    page = frontmatter.loads(text)
    assert page["share"] is False
    assert page["aliases"] == ["🤖🦜 Large Language Models", "LLMs"]
    assert page["tags"] == ["ai"]
    assert page["topicgen_model"] == "openai:gpt-test"
    keys = list(page.metadata)
    assert keys.index("tags") < keys.index("link_analysis_model") < keys.index("link_analysis_time")


def test_the_note_index_finds_titles_by_subtitle_and_slug():
    index = NoteIndex.scan(REPO / "fixtures" / "vaults" / "reference" / "books")
    assert index.find("Life 3.0").slug == "life-3-0"
    assert (
        index.find("artificial intelligence a modern approach").slug
        == "artificial-intelligence-a-modern-approach"
    )
    assert index.find("Klara and the Sun") is None
