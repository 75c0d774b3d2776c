"""One outline table drives the schema, the prompt and the renderer; nothing else names a section."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import emoji
import pytest

from topicgen.model.prompt import Prompts
from topicgen.page import outline
from topicgen.page.outline import OUTLINE, PAGE_HEADING, SECTIONS

REPO = Path(__file__).resolve().parent.parent
OUTLINE_SOURCE = REPO / "topicgen" / "page" / "outline.py"
ZWJ = "\u200d"

# The design card's table: heading, then bullet emoji (several for sections with labelled items).
DESIGN_TABLE = [
    ("👉 What Is It?", ["👉"]),
    ("☁️ A High Level, Conceptual Overview", ["🍼", "🏁", "🧙‍♂️"]),
    ("🌟 High-Level Qualities", ["🌟"]),
    ("🚀 Notable Capabilities", ["🚀"]),
    ("📊 Typical Performance Characteristics", ["📊"]),
    (
        "💡 Examples Of Prominent Products, Applications, Or Services That Use It Or Hypothetical, "
        "Well Suited Use Cases",
        ["💡"],
    ),
    ("📚 A List Of Relevant Theoretical Concepts Or Disciplines", ["📚"]),
    ("🌲 Topics:", ["👶", "👩‍👧‍👦", "🧙‍♂️"]),
    ("🔬 A Technical Deep Dive", ["🔬"]),
    ("🧩 The Problem(s) It Solves:", ["🧩"]),
    ("👍 How To Recognize When It's Well Suited To A Problem", ["👍"]),
    (
        "👎 How To Recognize When It's Not Well Suited To A Problem (And What Alternatives To Consider)",
        ["👎"],
    ),
    ("🩺 How To Recognize When It's Not Being Used Optimally (And How To Improve)", ["🩺"]),
    ("🔄 Comparisons To Similar Alternatives", ["🔄"]),
    ("🤯 A Surprising Perspective", ["🤯"]),
    (
        "📜 Some Notes On Its History, How It Came To Be, And What Problems It Was Designed To Solve",
        ["📜"],
    ),
    ("📝 A Dictionary-Like Example Using The Term In Natural Language", ["📝"]),
    ("😂 A Joke", ["😂"]),
    ("📖 Book Recommendations", ["📖"]),
    ("📺 Links To Relevant YouTube Channels Or Videos", ["📺"]),
]


def bullets(section) -> list[str]:
    found = [section.emoji] if section.emoji else []
    found += [label.emoji for label in section.labels if label.emoji not in found]
    return found


def names_written_in_the_outline() -> tuple[set[str], set[str], set[str]]:
    """(headings, item labels, emoji) the outline defines."""
    headings, labels, emojis = {PAGE_HEADING}, set(), set()
    for section in OUTLINE:
        headings |= {section.heading, section.heading_text}
        emojis |= {section.heading_emoji, section.emoji} - {""}
        for label in section.labels:
            labels.add(label.text)
            emojis.add(label.emoji)
    return headings, labels, emojis


def code_string_literals(path: Path) -> list[str]:
    """The string constants of a Python file that are code, not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def source_files() -> list[Path]:
    python = sorted((REPO / "topicgen").rglob("*.py"))
    templates = sorted((REPO / "topicgen").rglob("*.j2")) + sorted((REPO / "prompts").rglob("*"))
    return [path for path in python + templates if path.is_file()]


def test_the_outline_matches_the_design_cards_table_in_order():
    assert [(s.heading.replace(ZWJ, ""), [b.replace(ZWJ, "") for b in bullets(s)]) for s in OUTLINE] == [
        (heading.replace(ZWJ, ""), [b.replace(ZWJ, "") for b in emojis]) for heading, emojis in DESIGN_TABLE
    ]


def test_the_outline_writes_the_proper_zero_width_joiner_sequences():
    labels = {label.field: label.emoji for section in OUTLINE for label in section.labels}
    assert labels["for_a_world_expert"] == "🧙\u200d♂️"
    assert labels["children"] == "👩\u200d👧\u200d👦"


def test_section_keys_are_unique_and_indexed():
    assert len(SECTIONS) == len(OUTLINE) == 20


def written_names(text: str, *, emoji_as_content: bool) -> set[str]:
    """The outline's names a piece of source writes.

    A heading counts wherever it appears, an item label as ``Label:`` or on its
    own; an emoji in a Markdown bullet or heading position, or as a literal of
    its own unless the file writes emoji as page content (the fakes under
    topicgen/testing/ do).
    """
    headings, labels, emojis = names_written_in_the_outline()
    found = {name for name in headings if name in text}
    found |= {name for name in labels if text == name or f"{name}:" in text}
    for name in emojis:
        if f"- {name}" in text or f"### {name}" in text or (text == name and not emoji_as_content):
            found.add(name)
    return found


def test_no_heading_label_or_emoji_is_written_outside_the_outline():
    offenders = []
    for path in source_files():
        if path == OUTLINE_SOURCE:
            continue
        texts = code_string_literals(path) if path.suffix == ".py" else [path.read_text(encoding="utf-8")]
        content_fake = (REPO / "topicgen" / "testing") in path.parents
        for text in texts:
            for name in written_names(text, emoji_as_content=content_fake):
                offenders.append((path.relative_to(REPO).as_posix(), name))
    assert offenders == []


def test_the_source_scan_catches_a_heading_or_bullet_written_elsewhere():
    assert written_names("### 😂 A Joke", emoji_as_content=False) == {"😂", "A Joke", "😂 A Joke"}
    assert written_names("- 📖 **Rigorous:**", emoji_as_content=True) == {"📖", "Rigorous"}
    assert written_names("📺", emoji_as_content=False) == {"📺"}
    assert written_names("📺", emoji_as_content=True) == set()


def test_each_heading_and_emoji_is_written_once_in_the_outline():
    literals = Counter(code_string_literals(OUTLINE_SOURCE))
    headings = {section.heading_text for section in OUTLINE}
    emoji_literals = {text for text in literals if text and emoji.purely_emoji(text)}
    repeated = {
        text: n for text, n in literals.items() if n > 1 and (text in headings or text in emoji_literals)
    }
    assert repeated == {}


def test_the_prompt_lists_every_section_from_the_outline():
    system = Prompts().system()
    positions = [system.index(f"- {section.key} ({section.heading})") for section in OUTLINE]
    assert positions == sorted(positions)


def test_changing_the_outline_changes_its_fingerprint(monkeypatch: pytest.MonkeyPatch):
    before = outline.outline_digest()
    first = OUTLINE[0]
    changed = type(first)(**{**first.__dict__, "heading_text": "What Is This?"})
    monkeypatch.setattr(outline, "OUTLINE", (changed, *OUTLINE[1:]))
    assert outline.outline_digest() != before


@pytest.mark.parametrize("section", OUTLINE, ids=lambda s: s.key)
def test_list_sections_have_sane_bounds(section):
    if section.is_list:
        assert 1 <= section.min_items <= section.max_items <= 10
    assert re.fullmatch(r"[a-z_]+", section.key)
