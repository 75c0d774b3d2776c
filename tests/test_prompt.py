"""The prompt: fixed part first, topic last, built from the outline, overridable per vault."""

from __future__ import annotations

from pathlib import Path

import pytest

from topicgen.model.prompt import Prompts, PromptTemplateError, fingerprint
from topicgen.page.outline import OUTLINE
from topicgen.page.schema import schema_text

REPO = Path(__file__).resolve().parent.parent


def override(vault: Path, name: str, text: str) -> None:
    folder = vault / ".topicgen" / "prompts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_the_system_message_comes_first_and_the_topic_last():
    messages = Prompts().messages("Kuramoto Model")
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[-1].content.endswith("Kuramoto Model")


def test_the_system_message_is_identical_across_topics_so_prompt_caching_applies():
    prompts = Prompts()
    first, second = prompts.messages("Kuramoto Model"), prompts.messages("Graph Theory")
    assert first[0] == second[0]
    assert "Kuramoto" not in first[0].content


def test_the_user_message_is_short_and_holds_only_the_variable_part():
    system, user = Prompts().messages("Graph Theory")
    assert len(user.content) < 100 < len(system.content)


def test_the_system_message_carries_every_sections_guidance():
    system = Prompts().system()
    for section in OUTLINE:
        assert section.guidance in system
        for label in section.labels:
            assert label.instruction in system


def test_the_templates_live_in_the_prompts_folder():
    names = {path.name for path in (REPO / "prompts").glob("*.j2")}
    assert {"system.md.j2", "user.md.j2", "reask.md.j2"} <= names


def test_a_vault_override_replaces_the_shipped_template(vault: Path):
    override(vault, "user.md.j2", "Write a short note about {{ topic }}, please.")
    messages = Prompts(vault).messages("Graph Theory")
    assert messages[-1].content == "Write a short note about Graph Theory, please."
    assert messages[0] == Prompts().messages("Graph Theory")[0]  # the other templates are still shipped


def test_a_vault_override_changes_the_fingerprint(vault: Path):
    before = fingerprint(Prompts(vault), schema_text())
    override(vault, "system.md.j2", "You write short notes.")
    after = fingerprint(Prompts(vault), schema_text())
    assert after != before
    assert after.startswith("sha256:")


def test_the_fingerprint_is_stable_for_the_same_inputs(vault: Path):
    assert fingerprint(Prompts(vault), schema_text()) == fingerprint(Prompts(), schema_text())


def test_a_schema_change_changes_the_fingerprint():
    assert fingerprint(Prompts(), schema_text()) != fingerprint(Prompts(), schema_text() + " ")


def test_a_broken_vault_override_is_reported_with_the_template_name(vault: Path):
    override(vault, "user.md.j2", "Write about {{ topic ")
    with pytest.raises(PromptTemplateError, match=r"user\.md\.j2"):
        Prompts(vault).messages("Graph Theory")


def test_an_override_using_an_unknown_variable_fails_loudly(vault: Path):
    override(vault, "user.md.j2", "Write about {{ subject }}")
    with pytest.raises(PromptTemplateError, match="subject"):
        Prompts(vault).messages("Graph Theory")


def test_the_reask_message_lists_every_error_and_names_the_topic():
    message = Prompts().reask("Graph Theory", "the reply is not valid JSON", ["a: bad", "b: worse"])
    assert message.role == "user"
    assert "the reply is not valid JSON" in message.content
    assert "- a: bad" in message.content
    assert "- b: worse" in message.content
    assert "Graph Theory" in message.content
