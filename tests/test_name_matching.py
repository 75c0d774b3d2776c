"""A name finds a page under any spelling: title, alias, slug, its abbreviation, plural or singular."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from slugify import slugify

from topicgen.vault.notes import _NON_WORD, Note, NoteIndex, is_abbreviation, name_keys, title_key
from topicgen.vault.slugs import slug_for


def index(*titles: str) -> NoteIndex:
    return NoteIndex([Note(re.sub(r"\W+", "-", title.lower()).strip("-"), title) for title in titles])


def test_a_trailing_abbreviation_is_a_name_of_its_own():
    notes = index("🗣️ Natural Language Processing (NLP)")
    assert notes.find("NLP").title.endswith("(NLP)")
    assert notes.find("Natural Language Processing").title.endswith("(NLP)")
    assert notes.find("natural language processing (nlp) 🧠").title.endswith("(NLP)")


def test_a_plural_finds_its_singular_and_the_singular_its_plural():
    assert index("⚡ Transformer Network").find("Transformer Networks") is not None
    assert index("Transformer Networks").find("Transformer Network") is not None
    assert index("Caches").find("Cache") is not None
    assert index("Theories of Mind").find("Theory of Mind") is None  # only the last word is made singular
    assert index("Graph Theories").find("Graph Theory") is not None


def test_a_title_as_written_outranks_another_notes_plural():
    notes = NoteIndex([Note("statistics", "Statistics"), Note("statistic", "Statistic")])
    assert notes.find("Statistic").slug == "statistic"
    assert notes.find("Statistics").slug == "statistics"


def test_a_disambiguation_in_parentheses_is_no_abbreviation():
    assert not is_abbreviation("UK", "Labour Party")
    assert not is_abbreviation("Tegmark", "Life 3.0")
    assert not is_abbreviation("2017", "Transformers")
    assert is_abbreviation("LLMs", "Large Language Models")
    assert is_abbreviation("k-NN", "k-Nearest Neighbors")
    assert "uk" not in name_keys("Labour Party (UK)")
    assert index("Labour Party (UK)").find("UK") is None


@given(st.text(alphabet="abcXYZ019 -", min_size=1, max_size=100))
def test_a_plain_names_slug_is_the_one_slugify_makes(name: str):
    expected = slugify(name)
    if expected and len(expected) <= 80:
        assert slug_for(name) == expected


@given(st.text(alphabet="abcXYZ019 _-\t.()", max_size=40))
def test_a_plain_ascii_name_reduces_as_the_punctuation_pass_would(name: str):
    """Names of ASCII letters, digits and spaces skip the punctuation pass: with the same key."""
    assert title_key(name) == " ".join(_NON_WORD.sub(" ", name.casefold()).split())
