"""Frontmatter topicgen writes reads back as the same strings under YAML 1.1 and 1.2 (issue 13.2), and a
person's comments in it survive every rewrite (issue 12.5).

PyYAML reads YAML 1.1; ruamel.yaml reads YAML 1.2, as the JavaScript parsers
Obsidian and Quartz use do: ``1e10`` is a string to the first and a number to
the second, ``yes`` the other way round.
"""

from __future__ import annotations

import io
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from topicgen.vault.frontmatter import compose, raw_frontmatter, yaml_scalar

YAML_1_2 = YAML(typ="safe", pure=True)


def both_readers(text: str) -> tuple[object, object]:
    return yaml.safe_load(text), YAML_1_2.load(io.StringIO(text))


HASHES = st.one_of(
    st.text(alphabet="0123456789abcdef", min_size=12, max_size=12),
    st.from_regex(r"\A[0-9]{1,11}e[0-9]{1,3}\Z"),
    st.from_regex(r"\A0[xob]?[0-9a-f]{1,10}\Z"),
)
TRICKY = st.sampled_from(
    ["1e10", "5267e9256347", "526729256347", "yes", "No", "on", "~", "null", "True", ".inf", "-.5", "0o17",
     "0x1F", "1_000", "1:20", "2026-11-01", "2026-11-01T09:00:00Z", "=", "<<", "", " ", "a: b", "#x", "- x",
     "\ufffe", "a\uffffb"]  # noncharacters: YAML 1.1 cannot hold them unescaped (found by this test)
)  # fmt: skip
ANY_TEXT = st.one_of(TRICKY, st.text(max_size=40))


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(HASHES, ANY_TEXT))
def test_a_scalar_reads_back_as_the_same_string_under_yaml_1_1_and_1_2(value: str) -> None:
    assert both_readers(f"k: {yaml_scalar(value)}") == ({"k": value}, {"k": value})


@settings(max_examples=150, deadline=None)
@given(
    title=ANY_TEXT,
    alias=ANY_TEXT,
    url=st.one_of(TRICKY, st.from_regex(r"\Ahttps://[a-z0-9.]{1,20}/[\w%:#?=&-]{0,20}\Z")),
    digest=HASHES,
)
def test_every_value_topicgen_writes_reads_back_the_same_under_both(
    title: str, alias: str, url: str, digest: str
) -> None:
    owned = {"share": True, "aliases": [title, alias], "title": title, "URL": url}
    generation = {"topicgen_body_hash": digest, "topicgen_sections": {"joke": digest, "books": digest}}

    text = compose(owned, generation)

    expected = {**owned, **generation}
    assert both_readers(raw_frontmatter(text + "\n")) == (expected, expected)


def test_an_all_digit_section_hash_written_by_relinking_stays_a_string(vault: Path, draft_into) -> None:
    from topicgen.upkeep.links import _with_hashes

    frontmatter = "title: x\ntopicgen_body_hash: abc\ntopicgen_sections:\n  joke: 0\n  books: 1"
    rewritten = _with_hashes(frontmatter, {"joke": "526729256347", "books": "5267e9256347"}, None)

    data = both_readers(rewritten)
    assert (
        data[0]["topicgen_sections"]
        == data[1]["topicgen_sections"]
        == {
            "joke": "526729256347",
            "books": "5267e9256347",
        }
    )


# --- comments (issue 12.5) ---------------------------------------------------------------------------

COMMENTED = """# my vault's header comment
share: true  # publish this one
aliases:
  - Old Name
# a note about the title
title: 🤖 Old Title
tags:  # my tags
  - ai  # the main one
topicgen_sections:
  joke: abc  # edited once
# trailing thoughts"""


def test_comments_beside_rewritten_keys_and_in_kept_blocks_survive_a_rewrite() -> None:
    text = compose(
        {"share": True, "aliases": ["🤖 New"], "title": "🤖 New"}, {"topicgen_sections": {}}, COMMENTED
    )

    for comment in (
        "# my vault's header comment",
        "# publish this one",
        "# a note about the title",
        "# my tags",
        "# the main one",
        "# edited once",
        "# trailing thoughts",
    ):
        assert comment in text, comment
    assert text.startswith("---\n# my vault's header comment\nshare: true  # publish this one\n")
    assert yaml.safe_load(raw_frontmatter(text + "\n"))["title"] == "🤖 New"


def test_a_hash_inside_a_quoted_value_is_not_taken_for_a_comment() -> None:
    text = compose({"title": "🤖 New"}, {}, 'title: "C# # not a comment"')
    assert "not a comment" not in text
