"""Note titles and file names are someone else's text: they become links only as plain text (issue 12.2).

The notes in tests/hostile/notes/ try to close a link and open a script link,
an image, a heading and a frontmatter fence; to run template syntax or embed a
private note; to end the index's generated block. File names that hold HTML
or brackets are made by the tests (not every filesystem can check them out).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from conftest import FIXED_TIME, HOSTILE, page_structure
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topicgen.config import open_vault
from topicgen.page.render import PageContext, render_page
from topicgen.page.schema import TopicSummary
from topicgen.runs.draft import Drafter
from topicgen.runs.workshop import Status
from topicgen.upkeep.index import END, START, write_index
from topicgen.vault.notes import Note, NoteIndex

TOPIC = "Large Language Models"


def plant_notes(vault: Path, *names: str) -> None:
    """Copy hostile notes (``books/deep-learning.md`` ...) into the vault."""
    for name in names:
        target = vault / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(HOSTILE / "notes" / name, target)


def draft(vault: Path, page_answers) -> str:
    the_vault, settings = open_vault(vault)
    outcome = asyncio.run(Drafter(the_vault, settings, page_answers(), clock=lambda: FIXED_TIME).draft(TOPIC))
    assert outcome.status is Status.WRITTEN, outcome.detail
    return outcome.path.read_text(encoding="utf-8")


def reference_structure(vault: Path, page_answers, tmp_path: Path):
    """The structure of the page drafted into an untouched copy of the vault."""
    clean = tmp_path / "clean"
    shutil.copytree(vault, clean)
    return page_structure(draft(clean, page_answers))


def test_a_book_title_that_closes_the_link_becomes_no_script_image_or_heading(
    vault: Path, page_answers, tmp_path: Path
) -> None:
    expected = reference_structure(vault, page_answers, tmp_path)
    plant_notes(vault, "books/deep-learning.md")

    page = draft(vault, page_answers)

    shape = page_structure(page)
    assert (shape.keys, shape.headings, shape.links) == (expected.keys, expected.headings, expected.links)
    assert (shape.html, shape.images) == ([], [])
    assert "javascript" not in page and "Injected heading" not in page
    assert "[Deep Learning](../books/deep-learning.md) by" in page


def test_a_book_title_with_template_syntax_or_embeds_is_not_copied_onto_the_page(
    vault: Path, page_answers
) -> None:
    plant_notes(vault, "books/speech-and-language-processing.md")

    page = draft(vault, page_answers)

    assert "[Speech and Language Processing](../books/speech-and-language-processing.md)" in page
    assert "{{" not in page and "{%" not in page and "[[" not in page


def test_a_file_name_with_spaces_and_parentheses_becomes_a_link_that_renders(
    vault: Path, page_answers
) -> None:
    (vault / "books" / "life-3-0.md").unlink()
    plant_notes(vault, "books/Life 3.0 (Tegmark).md")

    page = draft(vault, page_answers)

    target = "../books/Life%203.0%20%28Tegmark%29.md"
    assert f"[Life 3.0: Being Human in the Age of Artificial Intelligence]({target})" in page
    assert target in page_structure(page).links


def test_a_file_name_holding_html_and_brackets_is_percent_encoded(vault: Path, page_answers) -> None:
    topics = vault / "topics"
    topics.mkdir()
    shutil.copy(HOSTILE / "notes" / "topics" / "transformer-networks.md", topics / "x](y) <img src=x>.md")

    page = draft(vault, page_answers)

    shape = page_structure(page)
    assert "./x%5D%28y%29%20%3Cimg%20src%3Dx%3E.md" in shape.links
    assert shape.html == [] and shape.images == []


def test_a_topic_title_with_a_script_and_the_index_marker_cannot_break_the_index(vault: Path) -> None:
    plant_notes(vault, "topics/machine-learning.md")
    the_vault, _ = open_vault(vault)

    first = write_index(the_vault, hard_breaks=True)
    text = first.path.read_text(encoding="utf-8")
    again = write_index(the_vault, hard_breaks=True)

    assert not again.changed
    assert text.count(START) == 1 and text.count(END) == 1
    assert "<script>" not in text
    assert "](./machine-learning.md)" in text
    assert [html.strip() for html in page_structure(text).html] == [START, END]


# --- property: no title or file name changes a page's structure ---------------------------------

# Text rich in what Markdown, HTML, YAML and templates give meaning to.
HOSTILE_TEXT = st.lists(
    st.sampled_from(
        [
            *"<>[]()!{}%#&;:/\\`*_|-=\"' \n\t\r\u2028aZ9.",
            "javascript:",
            "https://",
            "<img ",
            "---",
            "{{",
            "![[",
        ]
    ),
    min_size=1,
    max_size=25,
).map("".join)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(book_title=HOSTILE_TEXT, book_file=HOSTILE_TEXT, topic_title=HOSTILE_TEXT, topic_file=HOSTILE_TEXT)
def test_no_note_title_or_file_name_changes_the_page_structure(
    llm_page_data: dict, book_title: str, book_file: str, topic_title: str, topic_file: str
) -> None:
    page = TopicSummary.model_validate(llm_page_data)
    books = NoteIndex([Note(book_file, book_title, ("Deep Learning",))])
    topics = NoteIndex([Note(topic_file, topic_title, ("Machine Learning",))])
    plain = NoteIndex([Note("deep-learning", "Deep Learning")])
    expected = page_structure(
        render_page(
            page,
            PageContext(
                TOPIC, "large-language-models", plain, NoteIndex([Note("ml", "ML", ("Machine Learning",))])
            ),
        )
    )

    shape = page_structure(render_page(page, PageContext(TOPIC, "large-language-models", books, topics)))

    assert shape.keys == expected.keys
    assert shape.headings == expected.headings
    assert len(shape.links) == len(expected.links)
    assert (shape.html, shape.images, shape.fences) == ([], [], expected.fences)
    assert all(link.startswith(("../", "./", "https://")) for link in shape.links)
