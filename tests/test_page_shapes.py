"""Hand-made pages in other plausible real shapes (fixtures/shapes, issue 8), so the reader is not built for
three files: what import reads from each, and what adopt and check make of them."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from conftest import FIXED_TIME, SHAPES, sentences_lost

from topicgen.config import open_vault
from topicgen.page.outline import OUTLINE
from topicgen.read.findings import Code
from topicgen.read.parse import PageKind, parse_page
from topicgen.runs.adopt import Adopter
from topicgen.runs.workshop import Status


def shape(name: str) -> str:
    return (SHAPES / f"{name}.md").read_text(encoding="utf-8")


@pytest.fixture
def graph():
    return parse_page(shape("graph-theory"))


def adopt(vault: Path, name: str, client) -> tuple[Path, object]:
    path = vault / "topics" / f"{name}.md"
    path.parent.mkdir(exist_ok=True)
    shutil.copy(SHAPES / f"{name}.md", path)
    the_vault, settings = open_vault(vault)
    adopter = Adopter(the_vault, settings, client, clock=lambda: FIXED_TIME)
    return path, asyncio.run(adopter.adopt(path))


# --- bold pseudo-headings under a wrapper (graph-theory.md) ------------------------------------------


def test_bold_headings_with_emoji_inside_or_outside_and_shortened_are_the_outline(graph):
    assert graph.kind is PageKind.TOPIC and graph.complete, graph.lacking()
    assert graph.section_lines["what_is_it"] == 15 and graph.section_lines["overview"] == 17
    assert graph.sections["what_is_it"] == [
        "Graph theory is the branch of mathematics that studies graphs: sets of vertices joined by edges 🕸️."
    ]


def test_the_wrapper_heading_is_noted_and_is_no_section(graph):
    (wrapper,) = [f for f in graph.findings if f.line == 13]
    assert wrapper.code is Code.HEADING_VARIANT and "Topic Report" in wrapper.message


def test_numbered_and_plus_bullets_with_bold_labels_are_items(graph):
    assert graph.sections["qualities"][0] == "Abstract: It captures only what is connected to what 🧩."
    assert graph.sections["overview"]["for_a_child"].startswith("Imagine dots on paper")


def test_ten_examples_and_two_children_are_kept_and_noted(graph):
    assert len(graph.sections["examples"]) == 10 and len(graph.sections["topics"]["children"]) == 2
    noted = {f.section for f in graph.findings if f.code is Code.LIST_LENGTH}
    assert noted == {"what_is_it", "examples", "topics"}  # one sentence where it asks 2 to 5


def test_a_display_block_and_where_lines_stay_with_their_item(graph):
    first, second, third = graph.sections["deep_dive"]
    assert first.startswith("A graph is a pair $G = (V, E)$ where: $$ E \\subseteq")
    assert first.endswith("$$ where the edges are unordered pairs of vertices.")
    assert second.endswith(
        "Where: $V$ is the number of vertices. $E$ is the number of edges. $F$ is the number of faces."
    )
    assert third.startswith("The adjacency matrix")


def test_closing_labels_are_read_when_bold_and_left_out_when_missing(graph):
    assert graph.sections["not_suited"]["alternatives"] == "Statistics, calculus or linear programming 🧮."
    assert graph.sections["not_optimal"]["improvement"] == ""


def test_italic_titles_translators_and_videos_without_descriptions(graph):
    books, videos = graph.sections["books"], graph.sections["videos"]
    assert books["accessible"] == {
        "title": "Graphs and Applications",
        "authors": "Joan Aldous and Robin Wilson",
        "note": "(translators) 🧭",
    }
    assert videos[0] == {
        "name": "3Blue1Brown",
        "url": "https://www.youtube.com/@3blue1brown",
        "description": "",
    }
    assert graph.sections["example"] == "She used graph theory to plan the delivery routes."


def test_the_bold_heading_page_is_adopted_whole_without_a_model(vault, page_answers):
    client = page_answers()
    path, outcome = adopt(vault, "graph-theory", client)
    assert outcome.status is Status.WRITTEN and client.requests == []
    after = path.read_text(encoding="utf-8")
    headings = [line.rstrip() for line in after.split("\n") if line.startswith("### ")]
    assert headings == [f"### {section.heading}" for section in OUTLINE]
    assert sentences_lost(shape("graph-theory"), after) == []
    assert after.endswith("## 💬 My Notes  \nGraph theory came up in my algorithms course.  \n")


# --- numbered #### headings, tables, code, two jokes, no videos (photosynthesis.md) --------------


def test_an_older_page_asks_the_model_only_for_what_is_missing_and_keeps_the_rest(vault, page_answers):
    client = page_answers()
    path, outcome = adopt(vault, "photosynthesis", client)
    assert outcome.status is Status.WRITTEN, outcome.detail
    assert [list(request.schema["properties"]) for request in client.requests] == [["videos"]]
    after = path.read_text(encoding="utf-8")
    assert sentences_lost(shape("photosynthesis"), after) == []
    kept = after.split("## 📌 Kept From The Original Page", 1)[1]
    for text in (
        "Sure! Here's a detailed",
        "| sugarcane | 8% |",
        "6 CO2 + 6 H2O",
        "a long day at the office",
    ):
        assert text in kept
    assert "[Life at the Extremes](https://www.example.com/extremes)" in after  # books kept as written
    assert "kept books as written (unfit)" in outcome.detail


def test_check_names_what_the_older_page_holds_by_line():
    parsed = parse_page(shape("photosynthesis"))
    defects = [(f.line, f.code.value) for f in parsed.defects]
    assert (7, "preamble") in defects and (34, "unplaced") in defects and (62, "unplaced") in defects
    assert (100, "leaked-instructions") in defects and (102, "extra-joke") in defects
    assert (112, "missing-section") in defects and parsed.unfit == ["books"]


# --- pages of other kinds: left alone ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [("stoicism", PageKind.ESSAY), ("sourdough", PageKind.FREE_FORM)])
def test_an_essay_and_a_free_form_summary_with_outline_words_are_named_and_left_alone(
    vault, page_answers, name, kind
):
    parsed = parse_page(shape(name))
    assert parsed.kind is kind and parsed.findings == []
    client = page_answers()
    path, outcome = adopt(vault, name, client)
    assert outcome.status is Status.UNCHANGED and outcome.detail.startswith("left alone: ")
    assert path.read_text(encoding="utf-8") == shape(name) and client.requests == []


@pytest.mark.parametrize(
    "written",
    ["**Examples** 💡", "**Examples Of Prominent Products, Applications, Or Services**", "💡 **Examples**"],
    ids=["emoji-after-the-bold", "the-headings-first-words", "emoji-before-the-bold"],
)
def test_a_shortened_bold_heading_counts_with_its_emoji_on_either_side_or_its_first_words(written):
    parsed = parse_page(shape("graph-theory").replace("💡 **Examples** 💡", written))
    assert len(parsed.sections["examples"]) == 10 and parsed.complete


def test_an_outline_page_without_its_summary_heading_is_still_one_and_adopt_adds_the_heading(
    vault, page_answers
):
    text = shape("graph-theory").replace("## 🤖 AI Summary  \n", "")
    parsed = parse_page(text)
    assert parsed.kind is PageKind.TOPIC and parsed.complete
    assert any("no '## 🤖 AI Summary' heading" in f.message for f in parsed.notes)
    path = vault / "topics" / "graph-theory.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    the_vault, settings = open_vault(vault)
    asyncio.run(Adopter(the_vault, settings, page_answers(), clock=lambda: FIXED_TIME).adopt(path))
    assert "# 🕸️📐 Graph Theory  \n## 🤖 AI Summary  \n### 👉 What Is It?" in path.read_text(encoding="utf-8")


def test_a_persons_note_with_a_few_outline_like_headings_and_no_summary_is_theirs():
    text = "# 🌱 Garden\n### 📜 History\nPlanted in 2020.\n### 💡 Examples\n- Tomatoes\n### 📖 Books\n- One\n"
    assert parse_page(text).kind is PageKind.NO_SUMMARY
