"""Reading pages back (issue 3): a page in any era's shape gives the data generation produces."""

from __future__ import annotations

import json
import random

import pytest
from conftest import CORPUS, LLM_PAGE_JSON, REFERENCE_PAGE, SAME_CONTENT_VARIANTS, VARIANTS

from topicgen.page.emoji import ZWJ
from topicgen.page.outline import OUTLINE, PAGE_HEADING, SECTIONS
from topicgen.page.schema import TopicSummary
from topicgen.read.findings import Code
from topicgen.read.parse import (
    IncompletePage,
    PageKind,
    match_heading,
    match_label,
    parse_book,
    parse_page,
    parse_video,
    split_sentences,
)

QUANTUM = CORPUS / "variants" / "quantum-computing.md"
ENGINEERING = CORPUS / "variants" / "engineering.md"


def reference_data() -> dict:
    return json.loads(LLM_PAGE_JSON.read_text(encoding="utf-8"))


def codes(parsed) -> set[Code]:
    return {finding.code for finding in parsed.findings}


def findings(parsed, code: Code) -> list:
    return [finding for finding in parsed.findings if finding.code is code]


# --- the reference page ---------------------------------------------------------------------------


def test_the_reference_page_reads_back_as_the_data_generation_produces():
    parsed = parse_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    assert parsed.complete
    assert parsed.summary() == TopicSummary.model_validate(reference_data())


def test_the_reference_page_is_a_topic_page_named_by_its_title():
    parsed = parse_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    assert (parsed.kind, parsed.topic, parsed.title_emoji) == (
        PageKind.TOPIC,
        "Large Language Models",
        "🤖🦜",
    )


def test_emoji_that_lost_their_joiners_are_restored_and_noted():
    parsed = parse_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    assert parsed.sections["performance"][1].endswith("human evaluation 🧑\u200d⚖️.")
    assert codes(parsed) == {Code.LOST_ZWJ}


def test_a_page_that_kept_its_joiners_is_not_rejoined():
    text = REFERENCE_PAGE.read_text(encoding="utf-8").replace("🧙♂️", "🧙\u200d♂️")
    parsed = parse_page(text)  # joiners present: two emoji side by side were meant to be two
    assert "🧑⚖️" in parsed.sections["performance"][1]
    assert Code.LOST_ZWJ not in codes(parsed)


# --- variants holding the same content --------------------------------------------------------------


@pytest.mark.parametrize("name", SAME_CONTENT_VARIANTS)
def test_a_variant_of_the_reference_page_reads_back_as_the_same_data(variant, name):
    parsed = parse_page(variant(name))
    assert parsed.is_topic
    assert parsed.data() == reference_data()


def test_star_plus_numbered_and_indented_bullets_are_noted_as_list_variants(variant):
    parsed = parse_page(variant("star-and-indented-bullets"))
    assert {f.section for f in findings(parsed, Code.LIST_VARIANT)} == {
        "qualities",
        "capabilities",
        "concepts",
        "deep_dive",
    }


def test_h4_and_bold_headings_are_noted_once_per_section(variant):
    for name in ("h4-headings", "bold-pseudo-headings"):
        parsed = parse_page(variant(name))
        assert len(findings(parsed, Code.HEADING_VARIANT)) == len(OUTLINE)


def test_per_bullet_emoji_are_noted_with_their_lines(variant):
    parsed = parse_page(variant("per-bullet-emoji"))
    notes = findings(parsed, Code.BULLET_EMOJI)
    assert notes and all(note.line > 0 and note.section in SECTIONS for note in notes)


def test_a_heading_with_leaked_prompt_wording_is_a_defect_naming_the_wording(variant):
    parsed = parse_page(variant("leaked-prompt-wording"))
    leaked = {f.section: f for f in findings(parsed, Code.LEAKED_INSTRUCTIONS)}
    assert "Tell A Single, Witty One Liner In The Style Of Mitch Hedberg" in leaked["joke"].message
    assert leaked["problems"].line == 92


def test_an_item_repeating_the_prompt_is_left_out_and_reported(variant):
    parsed = parse_page(variant("leaked-prompt-wording"))
    (item,) = [f for f in findings(parsed, Code.LEAKED_INSTRUCTIONS) if f.section == "what_is_it"]
    assert item.line == 16 and "Define the topic" in item.message
    assert parsed.sections["what_is_it"] == reference_data()["what_is_it"]


def test_shortened_headings_are_recognised_and_noted(variant):
    parsed = parse_page(variant("shortened-headings"))
    assert {f.section for f in findings(parsed, Code.HEADING_VARIANT)} == {
        "overview",
        "examples",
        "deep_dive",
        "not_suited",
        "history",
        "books",
        "videos",
    }


def test_a_repeated_summary_heading_is_a_duplicated_heading(variant):
    parsed = parse_page(variant("repeated-summary-heading"))
    (duplicate,) = findings(parsed, Code.DUPLICATE_HEADING)
    assert duplicate.line == 11 and PAGE_HEADING in duplicate.message


def test_a_chatty_preamble_is_reported_with_its_line(variant):
    parsed = parse_page(variant("chatty-preamble"))
    (preamble,) = findings(parsed, Code.PREAMBLE)
    assert preamble.line == 11 and "Okay, here is a topic note" in preamble.message


def test_a_paragraph_becomes_one_item_per_sentence_when_the_section_wants_several(variant):
    parsed = parse_page(variant("paragraph-sections"))
    assert len(parsed.sections["what_is_it"]) == 3
    assert {f.section for f in findings(parsed, Code.PARAGRAPHS)} >= {"what_is_it", "history", "joke"}


# --- the older era in the corpus ------------------------------------------------------------------


@pytest.fixture
def quantum():
    return parse_page(QUANTUM.read_text(encoding="utf-8"))


def test_the_older_era_reads_every_section(quantum):
    assert quantum.missing == [] and quantum.unfit == []
    assert set(quantum.sections) == set(SECTIONS)


def test_h4_label_sub_headings_become_the_labelled_items(quantum):
    assert quantum.sections["overview"]["for_a_child"].startswith("Imagine a light switch 💡.")
    assert quantum.sections["overview"]["for_a_world_expert"].endswith("tackling real-world problems.")


def test_a_what_is_it_paragraph_is_split_into_sentences(quantum):
    assert [item.split()[0] for item in quantum.sections["what_is_it"]] == ["Quantum", "Unlike", "It"]


def test_per_bullet_emoji_are_dropped_and_bold_item_names_written_as_the_outline_does(quantum):
    # issue 8: '**Name:** text' is drift, normalised to the outline's 'Name: text' and noted
    first = quantum.sections["qualities"][0]
    assert first.startswith("Potential for Exponential Speedup: For certain problems")
    assert first.endswith("classical computers. 💨")
    assert 34 in [f.line for f in findings(quantum, Code.BOLD_LABEL)]


def test_labels_are_matched_however_they_are_worded(quantum):
    problems = quantum.sections["problems"]
    assert problems["common_examples"].startswith("Drug Discovery: Simulating molecular interactions")
    assert problems["surprising_example"].startswith("Creating more realistic")
    assert quantum.sections["not_suited"]["alternatives"].startswith("High-performance computing (HPC)")


def test_book_links_give_their_titles_and_quoted_books_their_authors(quantum):
    books = quantum.sections["books"]
    assert books["more_general"] == {
        "title": "Gödel, Escher, Bach: An Eternal Golden Braid",
        "authors": "Douglas Hofstadter",
        "note": "",
    }
    assert books["topical"] == {
        "title": "Quantum Computing for Everyone",
        "authors": "Chris Bernhardt",
        "note": "📖",
    }


def test_videos_written_as_name_colon_address_are_read(quantum):
    assert quantum.sections["videos"][2] == {
        "name": "IBM Research",
        "url": "https://www.youtube.com/@ibmresearch",
        "description": "💻⚛️",
    }


def test_a_section_without_its_closing_label_keeps_its_items_and_is_noted(quantum):
    # issue 8: a missing 'Improvement:' is drift (a note), not a section that does not fit
    (note,) = findings(quantum, Code.NO_CLOSING_LABEL)
    assert note.line == 141 and note.section == "not_optimal" and not note.is_defect
    assert quantum.sections["not_optimal"]["improvement"] == ""
    assert len(quantum.sections["not_optimal"]["items"]) == 5
    assert quantum.summary().not_optimal.improvement == ""


def test_the_sections_that_fit_are_a_partial_model(variant):
    partial = parse_page(variant("missing-sections")).partial()
    assert "comparisons" not in type(partial).model_fields
    assert partial.joke.startswith("I asked my Large Language Model")


# --- defects --------------------------------------------------------------------------------------


def test_missing_sections_are_listed_with_where_they_belong(variant):
    parsed = parse_page(variant("missing-sections"))
    assert parsed.missing == ["comparisons", "history", "videos"]
    assert [(f.section, f.line) for f in findings(parsed, Code.MISSING_SECTION)] == [
        ("comparisons", 118),
        ("history", 122),
        ("videos", 139),
    ]
    assert set(parsed.sections) == set(SECTIONS) - {"comparisons", "history", "videos"}


def test_a_page_with_missing_sections_is_not_a_whole_summary(variant):
    with pytest.raises(IncompletePage, match="missing comparisons, history, videos"):
        parse_page(variant("missing-sections")).summary()


def test_an_empty_section_counts_as_missing(variant):
    parsed = parse_page(variant("empty-section"))
    assert parsed.missing == ["deep_dive"]
    assert [f.line for f in findings(parsed, Code.EMPTY_SECTION)] == [83]


def test_a_section_pasted_twice_is_a_duplicated_heading(variant):
    parsed = parse_page(variant("duplicated-heading"))
    assert [(f.section, f.line) for f in findings(parsed, Code.DUPLICATE_HEADING)] == [("qualities", 31)]


def test_a_second_copy_that_differs_cannot_be_placed(variant):
    text = variant("duplicated-heading").replace("Versatile: Can perform", "Flexible: Can perform", 1)
    parsed = parse_page(text)
    assert [f.section for f in parsed.unplaced] == ["qualities"]


def test_sections_out_of_order_are_named(variant):
    parsed = parse_page(variant("out-of-order"))
    assert [(f.section, f.line) for f in findings(parsed, Code.OUT_OF_ORDER)] == [("joke", 23)]


def test_a_second_joke_is_an_extra_joke_and_the_first_is_kept(variant):
    parsed = parse_page(variant("extra-jokes"))
    (extra,) = findings(parsed, Code.EXTRA_JOKE)
    assert extra.line == 141 and "cross the road" in extra.message
    assert parsed.sections["joke"] == reference_data()["joke"]


def test_invalid_yaml_frontmatter_is_malformed_at_its_line(variant):
    parsed = parse_page(variant("malformed-frontmatter"))
    (malformed,) = findings(parsed, Code.MALFORMED_FRONTMATTER)
    assert malformed.line == 7
    assert not parsed.complete


def test_a_frontmatter_key_written_twice_is_malformed():
    text = REFERENCE_PAGE.read_text(encoding="utf-8").replace("share: true\n", "share: true\nshare: false\n")
    assert [f.line for f in findings(parse_page(text), Code.MALFORMED_FRONTMATTER)] == [3]


def test_text_the_parser_cannot_place_is_reported_with_line_numbers_and_kept(variant):
    parsed = parse_page(variant("unplaced-text"))
    assert [f.line for f in parsed.unplaced] == [46, 47, 48]
    assert parsed.unfit == [] and len(parsed.sections["performance"]) == 4  # the table is not an item
    assert [line for line, _ in parsed.kept] == [46, 47, 48]


def test_a_heading_of_ones_own_inside_the_summary_is_a_kept_section_not_unplaced_text(variant):
    parsed = parse_page(variant("unplaced-text"))
    (own,) = parsed.own_sections
    assert own.after == "not_optimal" and own.lines[0].startswith("### 🎨 Fun Facts")
    assert [f.line for f in parsed.notes if f.code is Code.OWN_SECTION] == [121]


def test_a_heading_of_ones_own_after_the_summary_is_kept_as_the_tail(variant):
    parsed = parse_page(variant("own-keys-and-notes"))
    assert parsed.tail[0].startswith("## 💬 My Notes")
    assert parsed.final_newline


# --- pages of another kind --------------------------------------------------------------------------


def test_a_category_page_is_recognised_and_carries_no_findings():
    parsed = parse_page(ENGINEERING.read_text(encoding="utf-8"))
    assert parsed.kind is PageKind.CATEGORY
    assert parsed.findings == []


def test_a_page_without_an_ai_summary_is_left_alone(variant):
    assert parse_page(variant("no-summary")).kind is PageKind.NO_SUMMARY


def test_a_summary_in_another_outline_is_another_kind(vault):
    book_page = (vault / "books" / "deep-learning.md").read_text(encoding="utf-8")
    assert parse_page(book_page).kind is PageKind.OTHER


# --- the pieces ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "key", "how"),
    [
        ("👉 What Is It?", "what_is_it", "exact"),
        ("⚛️ What Is It?", "what_is_it", "reworded"),
        ("what is it", "what_is_it", "reworded"),
        ("😂 A Joke: Tell A Single, Witty One Liner", "joke", "leaked"),
        ("📜 History", "history", "shortened"),
        ("🧩 Problems", "problems", "shortened"),
        ("📝 Usage Example", "example", "emoji"),
        ("2. 🌟 High-Level Qualities", "qualities", "reworded"),
    ],
)
def test_headings_are_matched_to_the_outline(heading, key, how):
    match = match_heading(heading)
    assert (match.key, match.how) == (key, how)


@pytest.mark.parametrize("heading", ["Fun Facts", "Alternatives", "Subcategories"])
def test_headings_the_outline_does_not_have_match_nothing(heading):
    assert match_heading(heading) is None


def test_weak_heading_matches_are_only_for_real_headings():
    assert match_heading("📜 History", allow_weak=False) is None


def test_labels_are_matched_by_their_words():
    problems = SECTIONS["problems"].labels
    assert match_label("Specific Common Examples", problems).field == "common_examples"
    assert match_label("A Surprising Example", problems).field == "surprising_example"
    assert match_label("Examples", problems) is None


def test_sentences_keep_their_trailing_emoji_and_abbreviations():
    text = "It is fast 🚀. It uses e.g. caching. It ends here. 🌟"
    assert split_sentences(text) == ["It is fast 🚀.", "It uses e.g. caching.", "It ends here. 🌟"]


def test_a_book_line_splits_into_title_authors_and_note():
    assert parse_book('"Klara and the Sun" by Kazuo Ishiguro ☀️.') == {
        "title": "Klara and the Sun",
        "authors": "Kazuo Ishiguro",
        "note": "☀️.",
    }
    assert parse_book("no author here") is None


def test_a_video_line_splits_into_name_address_and_description():
    assert parse_video("[Veritasium](https://www.youtube.com/@veritasium) 💡🤔") == {
        "name": "Veritasium",
        "url": "https://www.youtube.com/@veritasium",
        "description": "💡🤔",
    }


def test_windows_line_endings_are_read_and_noted():
    parsed = parse_page(REFERENCE_PAGE.read_text(encoding="utf-8").replace("\n", "\r\n"))
    assert parsed.complete and Code.LINE_ENDINGS in codes(parsed)


def test_no_zero_width_joiner_is_needed_to_recognise_the_fixed_emoji():
    text = REFERENCE_PAGE.read_text(encoding="utf-8")
    assert ZWJ not in text
    assert parse_page(text).sections["topics"]["children"][0] == "Natural Language Processing (NLP) 🗣️"


# --- the command ------------------------------------------------------------------------------------


def run(*args: str, stdin: str | None = None):
    from typer.testing import CliRunner

    from topicgen.cli import app

    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_import_prints_the_pages_data_as_json():
    result = run("import", str(REFERENCE_PAGE))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == reference_data()


def test_import_reads_a_page_from_stdin():
    result = run("import", "-", stdin=REFERENCE_PAGE.read_text(encoding="utf-8"))
    assert result.exit_code == 0 and json.loads(result.stdout)["title_emoji"] == "🤖🦜"


def test_import_of_an_incomplete_page_prints_what_it_has_and_exits_1(tmp_path, variant):
    page = tmp_path / "page.md"
    page.write_text(variant("missing-sections"), encoding="utf-8")
    result = run("import", str(page))
    assert result.exit_code == 1
    assert "history" not in json.loads(result.stdout) and "joke" in json.loads(result.stdout)
    assert f"{page}:122: missing-section:" in result.stderr
    assert "not a whole page: missing comparisons, history, videos" in result.stderr


def test_import_of_a_category_page_says_it_is_left_alone():
    result = run("import", str(ENGINEERING))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {ENGINEERING}: a category page; topicgen leaves it alone"


@pytest.mark.parametrize(("content", "message"), [(None, "no such page"), (b"\xff\xfe", "is not UTF-8 text")])
def test_import_of_a_bad_file_is_a_one_line_usage_error(tmp_path, content, message):
    page = tmp_path / "page.md"
    if content is not None:
        page.write_bytes(content)
    result = run("import", str(page))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr


# --- damaged pages --------------------------------------------------------------------------------

DAMAGE = ["```", "| a | b |", "---", "**x**", "#### Foo", "- ", "* **A:**", "   - 👶 Parent:", "### ", "> q"]
DAMAGE += ["- [x](y.md) by", '- 😂 ""', "- 📖 Topical: by", "- 📺 [a](b)", "## 🤖 AI Summary", "title: ["]


@pytest.mark.parametrize("seed", range(150))
def test_a_damaged_page_is_read_without_error_and_findings_point_into_it(seed):
    rng = random.Random(seed)
    lines = rng.choice(sorted(VARIANTS.glob("*.md"))).read_text(encoding="utf-8").split("\n")
    for _ in range(rng.randint(1, 8)):
        index = rng.randrange(len(lines))
        damage = rng.randrange(4)
        if damage == 0:
            del lines[index]
        elif damage == 1:
            lines[index] = lines[index][: rng.randrange(len(lines[index]) + 1)]
        elif damage == 2:
            lines[index] = rng.choice(DAMAGE)
        else:
            lines.insert(index, rng.choice(lines))
    parsed = parse_page("\n".join(lines))
    assert all(0 <= finding.line <= len(lines) for finding in parsed.findings)
    if parsed.complete:
        parsed.summary()
