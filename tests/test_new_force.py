"""`new --force` never replaces a person's text (issue 13, item 1).

A page topicgen did not write (no AI summary, or no generation metadata) is
refused in one line pointing at `adopt`, before any call. A page topicgen did
write is regenerated whole the way `regen --force` does it: the model is asked
again, and the keys, sections and notes a person added stay.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from conftest import REFERENCE_PAGE, TopicgenCli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vault_content import (
    assert_in_order,
    own_keys,
    own_notes,
    own_sections,
    persons_notes,
    with_own_text,
    yaml_lines,
)

from topicgen.config import open_vault
from topicgen.runs.draft import Drafter
from topicgen.runs.workshop import Status
from topicgen.vault.slugs import slug_for

PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
RUST_NOTE = "---\ntags:\n  - rust\n---\n# 🦀 Rust\n\nMy own notes about Rust.\n"


def new(cli: TopicgenCli, vault: Path, *args: str):
    return cli.run("new", *args, "--vault", str(vault))


def test_new_force_refuses_a_hand_written_note_in_one_line_pointing_at_adopt(cli, vault):
    page = vault / "topics" / "rust.md"
    page.parent.mkdir()
    page.write_text(RUST_NOTE, encoding="utf-8")

    result = new(cli, vault, "Rust", "--force")

    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: topics/rust.md was not written by topicgen")
    assert "`topicgen adopt topics/rust.md`" in line
    assert page.read_text(encoding="utf-8") == RUST_NOTE
    assert cli.server.stats().requests == 0


def test_new_force_refuses_a_pasted_ai_summary_without_topicgen_metadata(cli, vault):
    page = vault / "topics" / "large-language-models.md"
    page.parent.mkdir()
    page.write_bytes(REFERENCE_PAGE.read_bytes())

    result = new(cli, vault, "Large Language Models", "--force")

    assert result.exit_code == 2 and "topicgen adopt" in result.stderr
    assert page.read_bytes() == REFERENCE_PAGE.read_bytes()


def test_new_force_refuses_the_whole_run_before_any_call_when_one_page_is_a_persons(cli, vault):
    page = vault / "topics" / "rust.md"
    page.parent.mkdir()
    page.write_text(RUST_NOTE, encoding="utf-8")

    result = new(cli, vault, "Graph Theory", "Rust", "--force")

    assert result.exit_code == 2
    assert not (vault / "topics" / "graph-theory.md").exists()
    assert cli.server.stats().requests == 0


def force_draft(root: Path, client, topic: str):
    """``new --force`` on one topic, through the library's page job."""
    vault, config = open_vault(root)
    return asyncio.run(Drafter(vault, config, client, force=True).draft(topic))


def test_new_force_on_a_topicgen_page_keeps_a_persons_keys_sections_and_notes(cli, vault, draft_into):
    page = draft_into(vault)
    text = page.read_text(encoding="utf-8")
    text = text.replace("---\n", "---\ncssclass: wide\n", 1)
    deep_dive = "### 🔬 A Technical Deep Dive"
    text = text.replace(deep_dive, f"### 🧪 My Experiments  \nIt ran.  \n  \n{deep_dive}", 1)
    page.write_text(text + "\n\n## 📝 My Notes\nSee ![[diagram.png]].\n", encoding="utf-8")

    result = new(cli, vault, "Large Language Models", "--force")

    assert result.exit_code == 0, result.stderr
    after = page.read_text(encoding="utf-8")
    assert "cssclass: wide" in after and "topicgen_generated" in after
    assert "### 🧪 My Experiments  \nIt ran.  \n" in after
    assert after.endswith("## 📝 My Notes\nSee ![[diagram.png]].\n")
    assert cli.server.stats().requests == 1


@PROPERTY
@given(data=st.data())
def test_new_force_never_changes_a_page_topicgen_did_not_write(vault, page_answers, data):
    topic, text = data.draw(persons_notes(REFERENCE_PAGE.read_text(encoding="utf-8")))
    page = vault / "topics" / f"{slug_for(topic)}.md"
    page.parent.mkdir(exist_ok=True)
    page.write_text(text, encoding="utf-8")
    client = page_answers()
    outcome = force_draft(vault, client, topic)
    assert outcome.status is Status.FAILED
    assert f"`topicgen adopt topics/{page.name}`" in outcome.detail
    assert page.read_text(encoding="utf-8") == text
    assert client.requests == []
    page.unlink()


@pytest.fixture
def generated(vault: Path, draft_into) -> tuple[Path, str]:
    page = draft_into(vault)
    return page, page.read_text(encoding="utf-8")


@PROPERTY
@given(
    keys=own_keys,
    sections=st.lists(st.tuples(st.integers(1, 19), own_sections()), max_size=3),
    notes=st.lists(own_notes(), max_size=2),
)
def test_new_force_on_a_topicgen_page_keeps_every_line_a_person_added(
    vault, generated, page_answers, keys, sections, notes
):
    page, text = generated
    text, added = with_own_text(text.replace("---\n", f"---\n{yaml_lines(keys)}", 1), sections, notes)
    page.write_text(text, encoding="utf-8")

    outcome = force_draft(vault, page_answers(), "Large Language Models")

    assert outcome.status is Status.WRITTEN, outcome.detail
    after = page.read_text(encoding="utf-8")
    meta = yaml.safe_load(after.split("---\n")[1])
    assert {key: meta.get(key) for key in keys} == keys
    assert_in_order(added, after.split("\n"))
    if notes:
        assert after.rstrip("\n").endswith("\n".join(notes[-1].text()))
