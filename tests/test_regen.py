"""Regeneration asks only for the sections that need it and never loses a human edit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import frontmatter
import pytest
from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.config import open_vault
from topicgen.model.clients.function import FunctionBatchClient
from topicgen.model.prompt import Prompts, fingerprint
from topicgen.page.schema import schema_text
from topicgen.page.sections import split_body
from topicgen.runs.batch.api import batch_runner, regen_command
from topicgen.runs.regen import Regenerator, plan_regen
from topicgen.runs.workshop import Status
from topicgen.upkeep.staleness import ALL_KEYS, read_page_state

NEW_JOKE = "Why did the language model cross the road? It predicted the other side."


def regen(vault_root: Path, client, *, targets=(), stale=False, sections=None, force=False, mode="live"):
    """Regenerate as ``topicgen regen`` would, live or (``mode="batch"``) through a batch run."""
    vault, settings = open_vault(vault_root)
    current = fingerprint(Prompts(vault.root), schema_text())
    jobs, _ = plan_regen(
        vault.topics_dir,
        settings,
        current,
        targets=list(targets),
        stale=stale,
        sections=sections,
        force=force,
    )
    if mode == "batch":
        command = regen_command(
            vault, settings, targets=list(targets), stale=stale, sections=sections, force=force, jobs=jobs
        )
        runner = batch_runner(vault, settings, command, client=FunctionBatchClient(client))
        return [outcome for _, outcome in asyncio.run(runner.run()).results]
    worker = Regenerator(vault, settings, client, force=force, clock=lambda: "2026-11-28T10:00:00Z")
    return [asyncio.run(worker.regen(job)) for job in jobs]


def regen_in(mode: str, vault_root: Path, client, **options):
    return regen(vault_root, client, mode=mode, **options)


@pytest.fixture(params=["live", "batch"])
def mode(request) -> str:
    """Each human-edit rule holds for live runs and for batch runs alike (``regen --batch``)."""
    return request.param


def section_text(page: Path, key: str) -> str:
    body = frontmatter.loads(page.read_text(encoding="utf-8")).content
    return split_body(body).section(key).text


def edit(page: Path, old: str, new: str) -> None:
    text = page.read_text(encoding="utf-8")
    assert old in text
    page.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_regenerating_one_section_asks_for_that_section_only(mode, vault, draft_into, page_answers):
    page = draft_into(vault)
    before = page.read_text(encoding="utf-8")
    client = page_answers(joke=NEW_JOKE)
    (outcome,) = regen_in(mode, vault, client, targets=["Large Language Models"], sections=["joke"])
    assert outcome.status is Status.WRITTEN
    (request,) = client.requests
    assert list(request.schema["properties"]) == ["joke"]
    assert "Large Language Models" in request.messages[-1].content  # the rest of the page is context
    assert NEW_JOKE in section_text(page, "joke")
    old_body = split_body(frontmatter.loads(before).content)
    new_body = split_body(frontmatter.loads(page.read_text(encoding="utf-8")).content)
    for key in ALL_KEYS:
        if key != "joke":
            assert new_body.section(key).text == old_body.section(key).text


def test_a_section_a_person_edited_is_kept_verbatim_and_reported(mode, vault, draft_into, page_answers):
    page = draft_into(vault)
    edit(page, "It just sucked.", "It just sucked. (My favourite.)")
    edited = section_text(page, "joke")
    (outcome,) = regen_in(mode, vault, page_answers(joke=NEW_JOKE), targets=["Large Language Models"])
    assert outcome.status is Status.WRITTEN
    assert outcome.kept == ("joke",)
    assert section_text(page, "joke") == edited
    assert read_page_state(page).edited == ("joke",)  # still marked as a person's edit


def test_force_is_the_only_way_to_replace_an_edited_section(mode, vault, draft_into, page_answers):
    page = draft_into(vault)
    edit(page, "It just sucked.", "It just sucked. (My favourite.)")
    (kept,) = regen_in(
        mode, vault, page_answers(joke=NEW_JOKE), targets=["Large Language Models"], sections=["joke"]
    )
    assert kept.status is Status.UNCHANGED
    assert "(My favourite.)" in section_text(page, "joke")
    (forced,) = regen_in(
        mode,
        vault,
        page_answers(joke=NEW_JOKE),
        targets=["Large Language Models"],
        sections=["joke"],
        force=True,
    )
    assert forced.status is Status.WRITTEN
    assert NEW_JOKE in section_text(page, "joke")
    assert read_page_state(page).edited == ()


def test_foreign_frontmatter_keys_survive_in_their_order(mode, vault, draft_into, page_answers):
    page = draft_into(vault)
    edit(page, "URL: https://", "tags:\n  - ai\nlink_analysis_model: gemini\nURL: https://")
    regen_in(mode, vault, page_answers(joke=NEW_JOKE), targets=["Large Language Models"], sections=["joke"])
    keys = list(frontmatter.loads(page.read_text(encoding="utf-8")).metadata)
    assert keys.index("tags") < keys.index("link_analysis_model")
    metadata = frontmatter.loads(page.read_text(encoding="utf-8")).metadata
    assert metadata["tags"] == ["ai"]
    assert metadata["link_analysis_model"] == "gemini"


def test_text_after_the_summary_and_unknown_headings_survive(mode, vault, draft_into, page_answers):
    page = draft_into(vault)
    text = page.read_text(encoding="utf-8")
    text = text.replace("### 😂 A Joke", "### 🗒️ My Own Notes  \n  \n- mine  \n  \n### 😂 A Joke")
    text += "  \n  \n## 💬 Discussion  \nA person's own words.  \n<blockquote>embed</blockquote>"
    page.write_text(text, encoding="utf-8")
    regen_in(mode, vault, page_answers(joke=NEW_JOKE), targets=["Large Language Models"], sections=["joke"])
    after = page.read_text(encoding="utf-8")
    assert "### 🗒️ My Own Notes  \n  \n- mine  \n" in after
    assert after.endswith("## 💬 Discussion  \nA person's own words.  \n<blockquote>embed</blockquote>")
    assert NEW_JOKE in after


def test_a_missing_section_is_asked_for_alone_and_put_back_in_outline_order(
    mode, vault, draft_into, page_answers
):
    page = draft_into(vault)
    original = page.read_text(encoding="utf-8")
    start, end = original.index("### 😂 A Joke"), original.index("### 📖 Book Recommendations")
    page.write_text(original[:start] + original[end:], encoding="utf-8")
    client = page_answers()
    (outcome,) = regen_in(mode, vault, client, stale=True)
    assert outcome.status is Status.WRITTEN
    assert list(client.requests[0].schema["properties"]) == ["joke"]
    body = frontmatter.loads(page.read_text(encoding="utf-8")).content
    assert split_body(body).keys() == list(ALL_KEYS)
    assert body == frontmatter.loads(original).content


def test_regen_stale_never_touches_pages_topicgen_did_not_write(mode, vault, page_answers):
    topics = vault / "topics"
    topics.mkdir()
    foreign = topics / "quantum-computing.md"
    variant = Path(__file__).parent.parent / "fixtures/corpus/variants/quantum-computing.md"
    foreign.write_text(variant.read_text(encoding="utf-8"), encoding="utf-8")
    client = page_answers()
    assert regen_in(mode, vault, client, stale=True) == []
    assert foreign.read_text(encoding="utf-8") == variant.read_text(encoding="utf-8")
    assert client.requests == []


def test_a_page_changed_during_regeneration_is_left_as_the_person_left_it(vault, draft_into, llm_page_data):
    import json

    from topicgen.model.clients.function import FunctionClient

    page = draft_into(vault)

    def answer_while_someone_edits(request):
        edit(page, "It just sucked.", "It just sucked. Edited meanwhile.")
        return json.dumps({"joke": NEW_JOKE})

    (outcome,) = regen(
        vault,
        FunctionClient(answer_while_someone_edits),
        targets=["Large Language Models"],
        sections=["joke"],
    )
    assert outcome.status is Status.FAILED
    assert "changed while it was being regenerated" in outcome.detail
    assert "Edited meanwhile." in page.read_text(encoding="utf-8")


def test_whole_page_regeneration_when_the_prompt_changed_keeps_edits(mode, vault, draft_into, page_answers):
    page = draft_into(vault)
    edit(page, "It just sucked.", "It just sucked. (Mine.)")
    overrides = vault / ".topicgen" / "prompts"
    overrides.mkdir(parents=True)
    (overrides / "user.md.j2").write_text("Note for: {{ topic }}\n", encoding="utf-8")
    client = page_answers(what_is_it=["A new definition 🧠.", "Another sentence 🤖."])
    (outcome,) = regen_in(mode, vault, client, stale=True)
    assert outcome.kept == ("joke",)
    assert len(client.requests[0].schema["properties"]) == len(ALL_KEYS) - 1
    assert "A new definition 🧠." in section_text(page, "what_is_it")
    assert "(Mine.)" in section_text(page, "joke")
    assert read_page_state(page).fingerprint == fingerprint(Prompts(vault), schema_text())


def test_regen_dry_run_shows_the_plan_and_spends_nothing(vault, draft_into):
    page = draft_into(vault)
    before = page.read_text(encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["regen", "Large Language Models", "--sections", "jokes,books", "--dry-run", "--vault", str(vault)],
    )
    assert result.exit_code == 0, result.output
    assert "joke, books" in result.stdout
    assert "no call made" in result.stdout
    assert page.read_text(encoding="utf-8") == before


def test_regen_of_an_unknown_section_is_a_usage_error(vault, draft_into):
    draft_into(vault)
    result = CliRunner().invoke(app, ["regen", "Large Language Models", "--sections", "limericks"])
    assert result.exit_code == 2
    assert "unknown section 'limericks'" in result.output


def test_a_section_a_person_edits_while_its_batch_runs_is_kept(vault, draft_into, page_answers):
    page = draft_into(vault)
    answers = page_answers(joke=NEW_JOKE)

    def answer_while_someone_edits(request):
        edit(page, "It just sucked.", "It just sucked. Edited while the batch ran.")
        answers.function = page_answers(joke=NEW_JOKE).function  # the next answers are plain ones
        return page_answers(joke=NEW_JOKE).function(request)

    answers.function = answer_while_someone_edits
    (outcome,) = regen_in("batch", vault, answers, targets=["Large Language Models"], sections=["joke"])
    assert outcome.status is Status.UNCHANGED
    assert outcome.kept == ("joke",)
    assert "Edited while the batch ran." in section_text(page, "joke")
    assert NEW_JOKE not in page.read_text(encoding="utf-8")


def test_a_section_edited_after_the_plan_is_kept_not_replaced(vault, draft_into, page_answers):
    """A plan may come from the scan cache or from minutes ago: the page under its lock has the last word."""
    page = draft_into(vault)
    opened, settings = open_vault(vault)
    stale_fingerprint = "sha256:0000000000000000"
    jobs, _ = plan_regen(
        opened.topics_dir, settings, stale_fingerprint, targets=[], stale=True, sections=None, force=False
    )
    (job,) = jobs
    assert "joke" in job.sections
    edit(page, "It just sucked.", "It just sucked. (Written after the plan.)")
    client = page_answers(joke=NEW_JOKE)
    outcome = asyncio.run(Regenerator(opened, settings, client).regen(job))
    assert outcome.status is Status.WRITTEN
    assert outcome.kept == ("joke",)
    assert "joke" not in client.requests[0].schema["properties"]
    assert "(Written after the plan.)" in section_text(page, "joke")
