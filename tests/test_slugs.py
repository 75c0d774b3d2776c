"""Topic names in, safe file names out: a page can only ever land directly inside topics/."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from topicgen.errors import TopicNameError, UsageError, VaultError
from topicgen.vault import Vault
from topicgen.vault.slugs import HASH_LENGTH, MAX_SLUG_LENGTH, STOP_WORDS, clean_topic_name, slug_for

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


# --- long names and collisions (issue 12.6) ---------------------------------------------------------

LONG_PREFIX = "The History Of The Theory Of Computation From Turing Machines To Lambda Calculus And"


def test_two_long_names_sharing_their_first_80_characters_get_two_slugs():
    first, second = slug_for(f"{LONG_PREFIX} Beyond"), slug_for(f"{LONG_PREFIX} Category Theory")
    assert first != second
    assert len(first) <= 80 and len(second) <= 80
    assert first.startswith("the-history-of-the-theory-of-computation")


def test_a_long_names_slug_is_the_same_every_time():
    assert slug_for(f"{LONG_PREFIX} Beyond") == slug_for(f"{LONG_PREFIX}  beyond")


def test_a_long_name_is_cut_after_a_whole_word_not_on_in_and_no_later_word_skipped_in():
    name = (
        "Byzantine Fault Tolerant Replication For Distributed Consensus In Decentralized Ledgers "
        "Across Adversarial Networks Of Untrusted Machines, A Survey Of Methods And Their Costs"
    )
    assert len(name) > 160
    head = slug_for(name)[: -HASH_LENGTH - 1]
    assert head == "byzantine-fault-tolerant-replication-for-distributed-consensus"


def test_a_cut_name_drops_every_stop_word_left_at_its_end():
    name = "Fault Tolerant Replication Protocols And Their Uses In The Study Of Consensus And Of The Rest"
    head = slug_for(name)[: -HASH_LENGTH - 1]
    assert head == "fault-tolerant-replication-protocols-and-their-uses-in-the-study"


@given(
    st.lists(
        st.sampled_from(["graph", "of", "theory", "in", "the", "x", "and", "consensus", "by"]), min_size=30
    )
)
def test_any_long_names_slug_ends_on_a_whole_word_that_is_no_stop_word(words):
    slug = slug_for(" ".join(["Survey", *words]))
    head, digest = slug[: -HASH_LENGTH - 1], slug[-HASH_LENGTH:]
    whole = "-".join(["survey", *words])
    assert len(slug) <= MAX_SLUG_LENGTH and re.fullmatch(r"[0-9a-f]+", digest)
    assert whole.startswith(head + "-")  # whole words, in order
    assert head.rsplit("-", 1)[-1] not in STOP_WORDS


def test_names_under_the_limit_keep_their_plain_slug():
    assert slug_for("Large Language Models") == "large-language-models"


def test_two_long_names_sharing_a_prefix_are_both_written(cli, empty_vault):
    names = [f"{LONG_PREFIX} Beyond", f"{LONG_PREFIX} Category Theory"]

    result = cli.run("new", *names, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    pages = sorted(path.name for path in (empty_vault / "topics").glob("the-history-*.md"))
    assert len(pages) == 2


def test_a_page_of_another_topic_on_the_same_slug_is_an_error_and_kept(cli, empty_vault):
    (empty_vault / "topics").mkdir()
    page = empty_vault / "topics" / "rust.md"
    other = "---\ntitle: 🦀 Rust Belt Economics\n---\n# 🦀 Rust Belt Economics\n"
    page.write_text(other, encoding="utf-8")

    result = cli.run("new", "Rust", "--force", "--verbose", "--vault", str(empty_vault))

    assert result.exit_code == 1
    row = next(line for line in result.stderr.splitlines() if "Rust" in line and "failed" in line)
    assert 'rust.md is the page of "Rust Belt Economics", another topic' in row
    assert page.read_text(encoding="utf-8") == other
    assert cli.server.requests == []


def test_a_page_whose_alias_names_the_topic_is_the_topics_own(cli, empty_vault):
    (empty_vault / "topics").mkdir()
    page = empty_vault / "topics" / "rust.md"
    page.write_text("---\ntitle: 🦀 The Rust Language\naliases:\n  - Rust\n---\n# Rust\n", encoding="utf-8")

    result = cli.run("new", "Rust", "--vault", str(empty_vault))

    assert result.exit_code == 0 and "exists" in result.stderr
