"""``topicgen batch clean``: the state of batches whose results are all collected and written goes; a
batch in flight, or one holding a reply a page still waits for, stays."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import assert_valid_page

from topicgen.testing import Fault
from topicgen.vault.slugs import slug_for

BATCH = {"TOPICGEN_BATCH_POLL": "0.02"}


def batch_folders(vault: Path) -> list[str]:
    """The batch folders the vault keeps, oldest batch first."""
    records = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (vault / ".topicgen" / "batches").glob("tg-*/batch.json")
    ]
    return [record["name"] for record in sorted(records, key=lambda record: record["created"])]


def batch_ids(vault: Path) -> dict[str, str]:
    """Folder name → the provider's batch id."""
    return {
        p.parent.name: json.loads(p.read_text(encoding="utf-8"))["batch_id"]
        for p in (vault / ".topicgen" / "batches").glob("tg-*/batch.json")
    }


def batch_state(vault: Path) -> list[Path]:
    """Every file and folder the vault keeps of its batches."""
    return sorted(path.relative_to(vault) for path in (vault / ".topicgen" / "batches").rglob("*"))


def page(vault: Path, topic: str) -> Path:
    return vault / "topics" / f"{slug_for(topic)}.md"


@pytest.fixture
def server(fake_provider):
    fake_provider.configure(batch_delay=0.05)
    return fake_provider


def test_clean_removes_a_batch_whose_pages_are_written_and_keeps_one_in_flight(cli, server, empty_vault):
    assert cli.run("new", "Graph Theory", "--batch", "--vault", str(empty_vault), **BATCH).exit_code == 0
    (done,) = batch_folders(empty_vault)
    done_id = batch_ids(empty_vault)[done]
    submitted = cli.run("new", "Rust", "--batch", "--no-wait", "--vault", str(empty_vault), **BATCH)
    assert submitted.exit_code == 0, submitted.stderr
    (flying,) = set(batch_folders(empty_vault)) - {done}

    cleaned = cli.run("batch", "clean", "--vault", str(empty_vault))

    assert cleaned.exit_code == 0, cleaned.stderr
    assert cleaned.stdout.split() == [done_id]
    assert batch_folders(empty_vault) == [flying]
    assert "removed 1 batch(es)" in cleaned.stderr and "kept 1 in flight" in cleaned.stderr
    collected = cli.run("batch", "collect", "--vault", str(empty_vault), **BATCH)
    assert collected.exit_code == 0, collected.stderr
    assert_valid_page(page(empty_vault, "Rust"), "Rust")
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")  # cleaning touched no page


def test_clean_keeps_a_collected_batch_until_the_page_waiting_on_its_follow_up_is_written(
    cli, server, empty_vault
):
    server.configure(batch_delay=0)
    server.script(Fault.SCHEMA_VIOLATION, topic="Graph Theory")  # its first reply needs a second look
    args = ("--vault", str(empty_vault))
    assert cli.run("new", "Graph Theory", "Rust", "--batch", "--no-wait", *args, **BATCH).exit_code == 0
    assert cli.run("batch", "collect", "--no-wait", *args, **BATCH).exit_code == 0  # Rust; a follow-up
    first, follow_up = batch_folders(empty_vault)
    assert page(empty_vault, "Rust").exists() and not page(empty_vault, "Graph Theory").exists()

    early = cli.run("batch", "clean", *args)

    assert early.exit_code == 0 and early.stdout == ""
    assert "kept 1 results not all written yet; 1 in flight" in early.stderr
    assert batch_folders(empty_vault) == [first, follow_up]
    assert cli.run("batch", "collect", *args, **BATCH).exit_code == 0
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")

    late = cli.run("batch", "clean", *args)

    assert late.exit_code == 0
    assert batch_folders(empty_vault) == []
    assert not list((empty_vault / ".topicgen" / "batches" / "runs").glob("*.json"))
    assert cli.run("batch", "collect", *args).stderr.strip() == "no batch runs to collect"


def test_clean_never_follows_a_batch_folder_that_is_a_link(cli, server, empty_vault, tmp_path):
    assert cli.run("new", "Graph Theory", "--batch", "--vault", str(empty_vault), **BATCH).exit_code == 0
    (name,) = batch_folders(empty_vault)
    elsewhere = tmp_path / "elsewhere"
    (empty_vault / ".topicgen" / "batches" / name).rename(elsewhere)
    os.symlink(elsewhere, empty_vault / ".topicgen" / "batches" / name)

    cleaned = cli.run("batch", "clean", "--vault", str(empty_vault))

    assert cleaned.exit_code == 0
    assert (elsewhere / "batch.json").exists()


def test_clean_dry_run_names_what_would_go_and_removes_nothing(cli, server, empty_vault):
    assert cli.run("new", "Graph Theory", "--batch", "--vault", str(empty_vault), **BATCH).exit_code == 0
    (done,) = batch_folders(empty_vault)
    state = batch_state(empty_vault)

    previewed = cli.run("batch", "clean", "--dry-run", "--vault", str(empty_vault))

    assert previewed.exit_code == 0, previewed.stderr
    assert previewed.stdout.split() == [batch_ids(empty_vault)[done]]
    assert "would remove 1 batch(es)" in previewed.stderr
    assert batch_state(empty_vault) == state
    cleaned = cli.run("batch", "clean", "--vault", str(empty_vault))
    assert cleaned.stdout == previewed.stdout and batch_folders(empty_vault) == []
