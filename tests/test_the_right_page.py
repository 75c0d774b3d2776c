"""Never the wrong page (issue 21, items 1, 4, 5 and 6): what a new user met, and what they meet now.

Two names that share a file name are two topics: ``--force`` never rewrites
the other topic's page, in a live run, a batch or a regen, and the message
names the topic that holds the file. A forced rewrite names every edited
section it replaces, in the plan and in the summary. Estimates count only
what a run would ask for. A first run that fails leaves the folder as it was.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

import pytest
from conftest import FIXED_TIME, TopicgenCli, closed_port_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vault_content import names_of_one_file

from topicgen.config import open_vault
from topicgen.runs.draft import Drafter
from topicgen.runs.workshop import Status
from topicgen.upkeep.owners import page_note, same_topic, topic_name
from topicgen.vault.slugs import slug_for

PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CPP_PAGE = "topics/c-plus-plus.md"
HELD = f'{CPP_PAGE} is the page of "C++", another topic'
PRICED = ("--model", "openai:gpt-6-luna")  # a model genai-prices knows, so estimates carry a cost


def new(cli: TopicgenCli, vault: Path, *args: str, **env: str):
    return cli.run("new", *args, "--vault", str(vault), **env)


@pytest.fixture
def cpp_vault(cli: TopicgenCli, empty_vault: Path) -> Path:
    """A vault where `topicgen new "C++"` wrote topics/c-plus-plus.md."""
    assert new(cli, empty_vault, "C++").exit_code == 0
    return empty_vault


def edit_joke(page: Path, joke: str = "My own joke, written by hand.") -> None:
    """A person rewrites the page's joke."""
    text = page.read_text(encoding="utf-8")
    line = next(line for line in text.split("\n") if line.startswith("- 😂 "))
    page.write_text(text.replace(line, f'- 😂 "{joke}"  ', 1), encoding="utf-8")


# --- item 1: --force rewrote another topic's page ---------------------------------------------------


def test_new_c_plus_plus_force_leaves_the_cpp_page_and_names_cpp(cli: TopicgenCli, cpp_vault: Path):
    before = cli.snapshot(cpp_vault)
    asked = cli.server.stats().requests

    result = new(cli, cpp_vault, "C Plus Plus", "--force")

    assert result.exit_code == 1
    assert HELD in result.stderr
    assert cli.snapshot(cpp_vault) == before  # the page, its title, alias and index entry
    assert cli.server.stats().requests == asked


def test_new_c_plus_plus_without_force_names_cpp_instead_of_offering_force(cli: TopicgenCli, cpp_vault):
    result = new(cli, cpp_vault, "C Plus Plus")

    assert result.exit_code == 1
    assert HELD in result.stderr and "--force replaces it" not in result.stderr


def test_new_force_in_a_batch_leaves_the_cpp_page_and_submits_nothing(cli: TopicgenCli, cpp_vault: Path):
    page = cpp_vault / CPP_PAGE
    before = page.read_bytes()

    result = new(cli, cpp_vault, "C Plus Plus", "--force", "--batch", TOPICGEN_BATCH_POLL="0.02")

    assert result.exit_code == 1 and HELD in result.stderr
    assert page.read_bytes() == before
    assert cli.server.batch_desk.summary() == []


def test_regen_c_plus_plus_is_refused_before_any_call_naming_cpp(cli: TopicgenCli, cpp_vault: Path):
    asked = cli.server.stats().requests

    result = cli.run("regen", "C Plus Plus", "--vault", str(cpp_vault))

    assert result.exit_code == 2
    assert f'{CPP_PAGE} is the page of "C++", not of "C Plus Plus"' in result.stderr
    assert cli.server.stats().requests == asked
    assert cli.run("regen", "C++", "--sections", "joke", "--vault", str(cpp_vault)).exit_code == 0


def test_new_dry_run_of_c_plus_plus_says_the_file_is_cpps_and_counts_no_call(cli: TopicgenCli, cpp_vault):
    result = new(cli, cpp_vault, "C Plus Plus", "--force", "--dry-run")

    assert '(the page of "C++", another topic: refused, no call)' in result.stdout
    assert "0 to ask for" in result.stdout.splitlines()[-1]


def test_the_same_topic_written_in_lower_case_is_redone_under_the_pages_own_name(
    cli: TopicgenCli, empty_vault: Path
):
    assert new(cli, empty_vault, "Rust").exit_code == 0

    result = new(cli, empty_vault, "rust", "--force")

    assert result.exit_code == 0, result.stderr
    note = page_note(empty_vault / "topics" / "rust.md")
    assert note is not None and topic_name(note) == "Rust"
    assert all(alias.endswith(" Rust") for alias in note.aliases)


def test_two_topics_of_one_file_named_in_one_run_draft_the_first_and_name_it_to_the_second(
    cli: TopicgenCli, empty_vault: Path
):
    result = new(cli, empty_vault, "C#", "C Sharp")

    assert result.exit_code == 1
    assert 'topics/c-sharp.md is the page of "C#", another topic' in result.stderr
    note = page_note(empty_vault / "topics" / "c-sharp.md")
    assert note is not None and topic_name(note) == "C#"
    assert cli.server.stats().requests == 1


def draft(root: Path, client, topic: str, *, force: bool = False):
    vault, config = open_vault(root)
    return asyncio.run(Drafter(vault, config, client, force=force, clock=lambda: FIXED_TIME).draft(topic))


@PROPERTY
@given(names=names_of_one_file(), force=st.booleans())
def test_any_two_names_with_one_slug_never_share_a_page(page_answers, names, force):
    first, second = names
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        assert draft(root, page_answers(), first).status is Status.WRITTEN
        page = root / "topics" / f"{slug_for(first)}.md"
        before = page.read_bytes()
        client = page_answers()

        outcome = draft(root, client, second, force=force)

        note = page_note(page)
        assert note is not None and topic_name(note) == first  # still the first topic's page
        if same_topic(first, second):  # one topic written two ways: redone with --force, else left
            assert outcome.status is (Status.WRITTEN if force else Status.EXISTS)
        else:
            assert outcome.status is Status.FAILED
            assert f'is the page of "{first}", another topic' in outcome.detail
            assert page.read_bytes() == before and client.requests == []


# --- item 4: --force threw away edits without saying so ---------------------------------------------


def test_new_force_names_the_hand_edited_joke_it_replaces(cli: TopicgenCli, empty_vault: Path):
    assert new(cli, empty_vault, "Rust").exit_code == 0
    edit_joke(empty_vault / "topics" / "rust.md")

    result = new(cli, empty_vault, "Rust", "--force")

    assert result.exit_code == 0, result.stderr
    assert "written topics/rust.md" in result.stderr and "replaced edited joke" in result.stderr
    assert "1 edited section(s) replaced" in result.stderr


def test_regen_force_dry_run_names_the_edited_joke_in_the_replaced_column(cli: TopicgenCli, empty_vault):
    assert new(cli, empty_vault, "Rust").exit_code == 0
    edit_joke(empty_vault / "topics" / "rust.md")

    result = cli.run(
        "regen", "Rust", "--sections", "joke", "--force", "--dry-run", "--vault", str(empty_vault)
    )

    header, row = (line for line in result.stdout.splitlines() if "rust.md" in line or "replaced" in line)
    columns = [cell.strip() for cell in re.split(r"[┃│]", header)]
    cells = [cell.strip() for cell in re.split(r"[┃│]", row)]
    assert cells[columns.index("replaced (edited)")] == "joke"
    assert cells[columns.index("kept (edited)")] == ""


def test_new_force_dry_run_names_the_edited_joke_it_would_replace(cli: TopicgenCli, empty_vault: Path):
    assert new(cli, empty_vault, "Rust").exit_code == 0
    edit_joke(empty_vault / "topics" / "rust.md")

    result = new(cli, empty_vault, "Rust", "--force", "--dry-run")

    assert "(exists; --force regenerates it whole, replacing edited joke)" in result.stdout


# --- item 5: estimates counted pages that would not be asked for -------------------------------------


def test_new_dry_run_of_three_pages_that_exist_estimates_nothing(cli: TopicgenCli, empty_vault: Path):
    topics = ("Rust", "Graph Theory", "C++")
    assert new(cli, empty_vault, *topics).exit_code == 0

    result = new(cli, empty_vault, *topics, "--dry-run", *PRICED)

    last = result.stdout.splitlines()[-1]
    assert "0 to ask for, 3 left as they are (no call)" in last
    assert "about 0 input and 0 output tokens, about $0.0000" in last


def test_regen_dry_run_of_a_page_whose_only_section_asked_for_was_edited_estimates_no_tokens(
    cli: TopicgenCli, empty_vault: Path
):
    assert new(cli, empty_vault, "Rust").exit_code == 0
    edit_joke(empty_vault / "topics" / "rust.md")

    result = cli.run(
        "regen", "Rust", "--sections", "jokes", "--dry-run", "--vault", str(empty_vault), *PRICED
    )

    summary = " ".join(result.stdout.split())
    assert "0 of 1 page(s) asked" in summary
    assert "estimate 0 input and 0 output tokens, about $0.0000" in summary


# --- item 6: a failed first run made a vault --------------------------------------------------------


def test_a_first_run_without_a_key_leaves_the_folder_empty(cli: TopicgenCli, empty_vault: Path):
    result = new(cli, empty_vault, "Rust", OPENAI_API_KEY="")

    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.stderr
    assert list(empty_vault.iterdir()) == []


def test_a_first_run_whose_provider_cannot_be_reached_leaves_the_folder_empty(
    cli: TopicgenCli, empty_vault: Path
):
    result = new(cli, empty_vault, "Rust", OPENAI_BASE_URL=f"{closed_port_url()}/v1")

    assert result.exit_code == 1
    assert list(empty_vault.iterdir()) == []


def test_a_run_that_writes_a_page_leaves_no_empty_lock_folder(cli: TopicgenCli, empty_vault: Path):
    assert new(cli, empty_vault, "Rust").exit_code == 0

    assert (empty_vault / "topics" / "rust.md").is_file()
    assert not (empty_vault / ".topicgen" / "locks").exists()
