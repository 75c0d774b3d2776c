"""``topicgen adopt`` (issue 3): pages topicgen did not write, rewritten into its shape, content kept."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS, FIXED_TIME, REFERENCE_PAGE, RESHAPED_VARIANTS, TopicgenCli, assert_valid_page
from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.config import open_vault
from topicgen.model.clients.function import FunctionClient
from topicgen.model.prompt import Prompts, fingerprint
from topicgen.page.emoji import repair_zwj
from topicgen.page.outline import SECTIONS
from topicgen.page.schema import page_json_schema, schema_text
from topicgen.page.sections import section_model
from topicgen.read.adoption import plan_adoption
from topicgen.read.parse import parse_page
from topicgen.runs.adopt import Adopter
from topicgen.runs.workshop import Status
from topicgen.upkeep.staleness import assess, read_page_state
from topicgen.vault.files import page_lock
from topicgen.vault.frontmatter import split_page

MISSING = ("comparisons", "history", "videos")
QUANTUM = CORPUS / "variants" / "quantum-computing.md"
# variants whose extra text moves out of the summary: kept after it, never dropped (issue 8)
MOVED = {
    "chatty-preamble": [
        "Okay, here is a topic note about Large Language Models, following your outline exactly! 😊"
    ],
    "extra-jokes": ['- 😂 "Why did the LLM cross the road? It predicted the other side was more likely."'],
    "leaked-prompt-wording": ["- 👉 Define the topic in 2 to 5 short sentences, one per item."],
}


def books_without_their_labels() -> str:
    """The reference page with a books section the outline cannot read: no book has its label."""
    text = REFERENCE_PAGE.read_text(encoding="utf-8")
    for label in ("Topical", "Tangentially related", "Topically opposed", "More general"):
        text = text.replace(f"- 📖 {label}: ", "- 📖 ")
    return text


def refusing_client() -> FunctionClient:
    def refuse(request):
        raise AssertionError("adopt asked the model although nothing was missing")

    return FunctionClient(refuse)


def adopt(root: Path, path: Path, client=None, **options):
    vault, settings = open_vault(root)
    adopter = Adopter(vault, settings, client or refusing_client(), clock=lambda: FIXED_TIME, **options)
    return asyncio.run(adopter.adopt(path))


def frontmatter_of(path: Path) -> dict:
    raw, _ = split_page(path.read_text(encoding="utf-8"))
    return yaml.safe_load(raw)


# --- nothing missing: no model call -----------------------------------------------------------------


def test_a_page_missing_nothing_is_adopted_without_asking_the_model(vault, topics_page):
    client = refusing_client()
    outcome = adopt(vault, topics_page(REFERENCE_PAGE.read_text(encoding="utf-8")), client)
    assert (outcome.status, outcome.detail) == (Status.WRITTEN, "no model call")
    assert client.requests == []


def test_the_adopted_reference_page_is_the_reference_page_plus_generation_metadata(vault, topics_page):
    path = topics_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    adopt(vault, path)
    raw, body = split_page(path.read_text(encoding="utf-8"))
    _, reference_body = split_page(repair_zwj(REFERENCE_PAGE.read_text(encoding="utf-8")))
    assert body == reference_body
    assert raw.startswith("share: true\naliases:\n  - 🤖🦜 Large Language Models\n")


def test_an_adopted_page_is_fresh_to_stale_and_regen(vault, topics_page):
    path = topics_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    adopt(vault, path)
    vault_, settings = open_vault(vault)
    current = fingerprint(Prompts(vault_.root), schema_text())
    state = read_page_state(path)
    assert state.generated and state.fingerprint == current and state.edited == ()
    assert not assess(state, settings, current, state.generated_at).stale
    assert frontmatter_of(path)["topicgen_generated"] == FIXED_TIME


def adopted_summary_and_rest(vault, topics_page, text: str) -> tuple[str, str, str]:
    """(the adopted variant's summary, the canonical page's, and what follows the variant's summary)."""
    canonical = topics_page(REFERENCE_PAGE.read_text(encoding="utf-8"), "canonical")
    adopt(vault, canonical)
    page = topics_page(text, "variant")
    assert adopt(vault, page).status is Status.WRITTEN
    expected = canonical.read_text(encoding="utf-8").replace("/canonical", "/variant")
    _, body = split_page(page.read_text(encoding="utf-8"))
    summary, _, rest = body.partition("## 📌 Kept From The Original Page")
    _, expected_body = split_page(expected)
    return summary, expected_body, rest


@pytest.mark.parametrize("name", [name for name in RESHAPED_VARIANTS if name not in MOVED])
def test_a_variant_is_adopted_into_exactly_the_canonical_page(vault, topics_page, variant, name):
    canonical = topics_page(REFERENCE_PAGE.read_text(encoding="utf-8"), "canonical")
    adopt(vault, canonical)
    page = topics_page(variant(name), "variant")
    outcome = adopt(vault, page)
    assert outcome.status is Status.WRITTEN
    canonical.write_text(canonical.read_text(encoding="utf-8").replace("/canonical", "/variant"), "utf-8")
    assert page.read_text(encoding="utf-8") == canonical.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", MOVED)
def test_text_a_section_cannot_hold_is_kept_after_the_canonical_summary(vault, topics_page, variant, name):
    summary, expected, rest = adopted_summary_and_rest(vault, topics_page, variant(name))
    assert summary.rstrip() == expected.rstrip()
    assert [line.rstrip() for line in rest.strip().split("\n")] == MOVED[name]


def test_text_moved_by_the_repair_is_named_in_the_outcome(vault, topics_page, variant):
    outcome = adopt(vault, topics_page(variant("chatty-preamble")))
    assert outcome.detail == "no model call; kept after the summary: preamble (line 11)"


def test_the_pages_own_frontmatter_keys_and_notes_are_kept(vault, topics_page, variant):
    path = topics_page(variant("own-keys-and-notes"))
    adopt(vault, path)
    text = path.read_text(encoding="utf-8")
    raw, _ = split_page(text)
    assert "URL: https://bagrounds.org/topics/large-language-models\ntags:\n  - ai\n  - language\n" in raw
    assert "link_analysis_model: gemini-3.1-flash-lite-preview\nforce_analyze_links: false\n" in raw
    notes = (
        "## 💬 My Notes  \nI first used one of these in 2022; see [[machine-learning]] for background.  \n"
    )
    assert text.endswith(f"  \n{notes}")


def test_the_pages_own_url_is_kept_when_the_vault_sets_no_site_url(vault, topics_page):
    (vault / "topicgen.toml").write_text("", encoding="utf-8")
    path = topics_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    adopt(vault, path)
    assert frontmatter_of(path)["URL"] == "https://bagrounds.org/topics/large-language-models"


# --- missing sections: only those are asked for -------------------------------------------------------


def test_only_the_missing_sections_are_asked_for_with_the_page_as_context(
    vault, topics_page, variant, page_answers
):
    path = topics_page(variant("missing-sections"))
    client = page_answers()
    outcome = adopt(vault, path, client)
    assert outcome.status is Status.WRITTEN and outcome.detail == f"model wrote {', '.join(MISSING)}"
    (request,) = client.requests
    model = section_model(MISSING)
    assert request.schema == page_json_schema(model)
    _, body = split_page(variant("missing-sections"))
    expected = Prompts(vault).section_messages("Large Language Models", list(MISSING), body.strip())
    assert list(request.messages) == expected


def test_sections_it_read_are_kept_and_the_answers_fill_the_gaps(vault, topics_page, variant, page_answers):
    path = topics_page(variant("missing-sections"))
    before = parse_page(variant("missing-sections"))
    adopt(vault, path, page_answers(history=["Written by the model 📜.", "In two items 🕰️."]))
    after = parse_page(path.read_text(encoding="utf-8"))
    assert after.complete
    assert {key: after.sections[key] for key in before.sections} == before.sections
    assert after.sections["history"] == ["Written by the model 📜.", "In two items 🕰️."]
    assert_valid_page(path, "Large Language Models")


def test_an_empty_section_is_asked_for_like_a_missing_one(vault, topics_page, variant, page_answers):
    client = page_answers()
    adopt(vault, topics_page(variant("empty-section")), client)
    assert list(client.requests[0].schema["properties"]) == ["deep_dive"]


def test_rewrite_unfit_also_asks_for_sections_that_do_not_fit(vault, topics_page, page_answers):
    client = page_answers()
    path = topics_page(books_without_their_labels())
    outcome = adopt(vault, path, client, rewrite_unfit=True)
    assert outcome.status is Status.WRITTEN
    assert list(client.requests[0].schema["properties"]) == ["books"]
    assert parse_page(path.read_text(encoding="utf-8")).complete


# --- what adopt leaves alone or untouched ---------------------------------------------------------------


def test_a_section_that_does_not_fit_is_kept_as_written_under_its_exact_heading(vault, topics_page):
    # issue 8: no --rewrite-unfit needed, no model call, nothing lost
    path = topics_page(books_without_their_labels())
    outcome = adopt(vault, path)
    assert outcome.status is Status.WRITTEN and "kept books as written (unfit)" in outcome.detail
    text = path.read_text(encoding="utf-8")
    assert (
        "### 📖 Book Recommendations  \n  \n- 📖 [🧠💻🤖 Deep Learning](../books/deep-learning.md) by" in text
    )
    assert "- 📖 More specific: " in text
    assert_valid_page(path, "Large Language Models")


def test_the_older_era_is_adopted_without_a_model_call(vault, topics_page):
    path = topics_page(QUANTUM.read_text(encoding="utf-8"), "quantum-computing")
    outcome = adopt(vault, path)
    assert outcome.status is Status.WRITTEN and outcome.detail.startswith("no model call; left out")
    assert parse_page(path.read_text(encoding="utf-8")).complete


def test_a_page_whose_frontmatter_cannot_be_read_is_left_untouched(vault, topics_page, variant):
    path = topics_page(variant("malformed-frontmatter"))
    outcome = adopt(vault, path)
    assert outcome.status is Status.FAILED and "line 7" in outcome.detail
    assert path.read_text(encoding="utf-8") == variant("malformed-frontmatter")


def test_text_no_section_holds_is_kept_after_the_summary_as_written(vault, topics_page, variant):
    path = topics_page(variant("unplaced-text"))
    outcome = adopt(vault, path)
    assert outcome.status is Status.WRITTEN and "unplaced (line 46)" in outcome.detail
    summary, kept = path.read_text(encoding="utf-8").split("## 📌 Kept From The Original Page  \n", 1)
    assert kept.split("\n") == ["| model | parameters |  ", "| --- | --- |  ", "| GPT-3 | 175B |  "]
    own = "### 🎨 Fun Facts  \n  \n- 🎨 The first chatbot, ELIZA, dates from 1966.  \n  \n### 🔄 Comparisons"
    assert own in summary  # a section of one's own stays where it was


def test_a_category_page_is_left_alone(vault, topics_page):
    text = (CORPUS / "variants" / "engineering.md").read_text(encoding="utf-8")
    path = topics_page(text, "engineering")
    outcome = adopt(vault, path)
    assert (outcome.status, outcome.detail) == (
        Status.UNCHANGED,
        "left alone: a category page; topicgen leaves it alone",
    )
    assert path.read_text(encoding="utf-8") == text


def test_a_page_topicgen_wrote_is_left_to_regen(vault, draft_into):
    path = draft_into(vault)
    before = path.read_bytes()
    outcome = adopt(vault, path)
    assert outcome.status is Status.UNCHANGED and "topicgen regen" in outcome.detail
    assert path.read_bytes() == before


def test_plan_adoption_decides_without_a_model(variant):
    plan = plan_adoption(Path("x.md"), variant("missing-sections"))
    assert (plan.asks, plan.refused, plan.left_alone) == (MISSING, None, None)


# --- dry run, locking, races ------------------------------------------------------------------------------


def test_dry_run_prints_a_unified_diff_and_writes_nothing(vault, topics_page, variant):
    path = topics_page(variant("h4-headings"))
    outcome = adopt(vault, path, dry_run=True)
    assert outcome.status is Status.PRINTED
    assert outcome.text.startswith(
        "--- a/topics/large-language-models.md\n+++ b/topics/large-language-models.md\n"
    )
    assert "-#### 👉 What Is It?  \n+### 👉 What Is It?  " in outcome.text
    assert path.read_text(encoding="utf-8") == variant("h4-headings")
    assert not (vault / ".topicgen").exists()


def test_a_dry_run_spends_nothing_and_shows_placeholders_for_missing_sections(vault, topics_page, variant):
    path = topics_page(variant("missing-sections"))
    outcome = adopt(vault, path, refusing_client(), dry_run=True)  # the client fails if called
    assert outcome.status is Status.PRINTED
    assert "(the model writes this on adoption)" in outcome.text
    assert outcome.usage.input_tokens == 0
    assert path.read_text(encoding="utf-8") == variant("missing-sections")


def test_a_page_another_process_is_writing_is_not_touched(vault, topics_page, variant):
    path = topics_page(variant("h4-headings"))
    vault_, _ = open_vault(vault)
    with page_lock(vault_.lock_dir, path.stem):
        outcome = adopt(vault, path)
    assert outcome.status is Status.FAILED and "another topicgen process" in outcome.detail
    assert path.read_text(encoding="utf-8") == variant("h4-headings")


def test_a_page_edited_while_the_model_writes_is_not_overwritten(vault, topics_page, variant, llm_page_data):
    path = topics_page(variant("missing-sections"))

    def edit_then_answer(request):
        path.write_text(variant("missing-sections") + "\nedited meanwhile", encoding="utf-8")
        return json.dumps(
            {key: llm_page_data[key] for key in request.schema["properties"]}, ensure_ascii=False
        )

    outcome = adopt(vault, path, FunctionClient(edit_then_answer))
    assert outcome.status is Status.FAILED and "changed while it was being adopted" in outcome.detail
    assert path.read_text(encoding="utf-8").endswith("edited meanwhile")


# --- the command ------------------------------------------------------------------------------------------


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_adopt_all_dry_run_needs_no_model_key_when_nothing_is_missing(vault, topics_page, variant):
    topics_page(variant("shortened-headings"))
    topics_page((CORPUS / "variants" / "engineering.md").read_text(encoding="utf-8"), "engineering")
    result = run("adopt", "--all", "--dry-run", "--vault", str(vault))
    assert result.exit_code == 0
    assert "+### 📜 Some Notes On Its History" in result.stdout
    assert "a/topics/engineering.md" not in result.stdout
    assert (vault / "topics" / "large-language-models.md").read_text(encoding="utf-8") == variant(
        "shortened-headings"
    )


def test_adopt_writes_the_page_and_prints_its_path(vault, topics_page, variant):
    path = topics_page(variant("chatty-preamble"))
    result = run("adopt", str(path), "--vault", str(vault))
    assert result.exit_code == 0 and result.stdout.startswith(f"{path}\n")
    summary = path.read_text(encoding="utf-8").split("## 📌 Kept From The Original Page")[0]
    assert "Okay, here is" not in summary


def test_adopt_exits_1_when_a_page_is_left_untouched(vault, topics_page, variant):
    path = topics_page(variant("malformed-frontmatter"))
    result = run("adopt", str(path), "--vault", str(vault))
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "name the pages to adopt, or pass --all"),
        (("--all", "topics/large-language-models.md"), "name pages or pass --all, not both"),
        (("elsewhere.md",), "elsewhere.md: no such page"),
    ],
)
def test_bad_adopt_arguments_are_one_line_usage_errors(
    vault, topics_page, variant, args, message, monkeypatch
):
    topics_page(variant("h4-headings"))
    monkeypatch.chdir(vault)
    result = run("adopt", *args)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {message}"


def test_a_page_outside_the_topics_folder_is_a_usage_error(vault):
    page = vault / "books" / "deep-learning.md"
    result = run("adopt", str(page), "--vault", str(vault))
    assert result.exit_code == 2 and "is not a page in" in result.stderr


def test_adopt_asks_a_real_provider_for_the_missing_sections(
    topicgen_cli: TopicgenCli, vault, topics_page, variant
):
    path = topics_page(variant("missing-sections"))
    result = topicgen_cli.run("adopt", str(path), "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    parsed = parse_page(path.read_text(encoding="utf-8"))
    assert parsed.complete and set(parsed.sections) == set(SECTIONS)
    assert frontmatter_of(path)["topicgen_model"] == "openai:fake-model"
