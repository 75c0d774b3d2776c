"""Topic names in, safe file names out: a page can only ever land directly inside topics/."""

from __future__ import annotations

import re

import pytest

from topicgen.errors import TopicNameError, UsageError, VaultError
from topicgen.vault import Vault
from topicgen.vault.slugs import MAX_SLUG_LENGTH, clean_topic_name, slug_for

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Large Language Models", "large-language-models"),
        ("C++", "c-plus-plus"),
        ("C#", "c-sharp"),
        ("F#: The Language", "f-sharp-the-language"),
        ("Gödel's Theorems", "godels-theorems"),
        ('Key: "Value" # [x]', "key-value-x"),
        ("Algorithms to Live By: The Computer Science of Human Decisions", None),
        ("日本語", "ri-ben-yu"),
        ("a/b", "a-b"),
    ],
)
def test_names_become_lowercase_ascii_hyphenated_slugs(name, slug):
    made = slug_for(clean_topic_name(name))
    assert SLUG.fullmatch(made)
    if slug is not None:
        assert made == slug


def test_slugs_are_bounded_in_length():
    assert len(slug_for("word " * 39)) <= MAX_SLUG_LENGTH


def test_whitespace_inside_a_name_is_collapsed_and_the_ends_trimmed():
    assert clean_topic_name("  Graph    Theory ") == "Graph Theory"


def test_names_are_normalized_to_composed_unicode():
    assert clean_topic_name("Go\u0308del") == "Gödel"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../etc/passwd", "looks like a file path"),
        ("/etc/passwd", "looks like a file path"),
        ("..", "looks like a file path"),
        ("~/notes", "looks like a file path"),
        ("", "empty"),
        ("   ", "empty"),
        ("\t\n", "control characters"),
        ("Graph\x00Theory", "control characters"),
        ("Graph\x1bTheory", "control characters"),
        ("Line\u2028Separator", "line breaks"),
        ("x" * 4000, "too long"),
        ("#hashtag", "Markdown heading"),
        ("🤖🦜", "no letters or digits"),
        ("+++", "no letters or digits"),
        ("Caf\udce9", "not valid UTF-8"),
        ("Index", "index.md"),
    ],
)
def test_unsafe_names_are_refused_with_a_one_line_reason(name, reason):
    with pytest.raises(TopicNameError) as caught:
        clean_topic_name(name)
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, UsageError)  # exit code 2


def test_the_vault_refuses_a_path_outside_topics(tmp_path):
    vault = Vault.open(tmp_path)
    with pytest.raises(VaultError, match="refusing to write outside"):
        vault.topic_path("../escape")


def test_a_topic_path_lands_directly_in_topics(tmp_path):
    vault = Vault.open(tmp_path)
    assert vault.topic_path("c-plus-plus") == (tmp_path / "topics" / "c-plus-plus.md").resolve()
