"""Links, FIFOs and huge files in a vault: topicgen never follows a link out, never writes through one,
and never reads what is not a regular file of sensible size (issues 12.4 and 12.10)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from topicgen.errors import UsageError, VaultError
from topicgen.vault.files import MAX_PAGE_BYTES, UnsafeFile, page_lock, read_regular, write_atomic

TOPIC = "Graph Theory"


def test_a_topics_folder_linked_out_of_the_vault_is_refused_before_any_call(
    cli, empty_vault: Path, elsewhere: Path
) -> None:
    os.symlink(elsewhere, empty_vault / "topics")

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "leads outside the vault" in line
    assert sorted(path.name for path in elsewhere.iterdir()) == ["index.md"]
    assert (elsewhere / "index.md").read_text(encoding="utf-8") == "someone else's index\n"
    assert cli.server.requests == []


def test_a_state_folder_linked_out_of_the_vault_is_refused(cli, empty_vault: Path, elsewhere: Path) -> None:
    os.symlink(elsewhere, empty_vault / ".topicgen")

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 2 and "leads outside the vault" in result.stderr
    assert sorted(path.name for path in elsewhere.iterdir()) == ["index.md"]


def test_a_linked_page_is_not_replaced_by_new_force(cli, empty_vault: Path, elsewhere: Path) -> None:
    (empty_vault / "topics").mkdir()
    page = empty_vault / "topics" / "graph-theory.md"
    os.symlink(elsewhere / "index.md", page)

    result = cli.run("new", TOPIC, "--force", "--verbose", "--vault", str(empty_vault))

    assert result.exit_code == 2 and "symbolic link" in result.stderr  # refused before any call
    assert page.is_symlink()
    assert (elsewhere / "index.md").read_text(encoding="utf-8") == "someone else's index\n"


def test_a_linked_page_is_refused_by_regen(cli, empty_vault: Path, elsewhere: Path) -> None:
    (empty_vault / "topics").mkdir()
    os.symlink(elsewhere / "index.md", empty_vault / "topics" / "graph-theory.md")

    result = cli.run("regen", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert cli.server.requests == []


def test_a_linked_page_is_no_page_to_scan_or_relink(cli, empty_vault: Path, elsewhere: Path) -> None:
    (empty_vault / "topics").mkdir()
    os.symlink(elsewhere / "index.md", empty_vault / "topics" / "graph-theory.md")

    result = cli.run("stale", "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert "graph-theory" not in result.stdout


def test_a_linked_index_is_not_written_through(cli, empty_vault: Path, elsewhere: Path) -> None:
    (empty_vault / "topics").mkdir()
    os.symlink(elsewhere / "index.md", empty_vault / "topics" / "index.md")

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert (empty_vault / "topics" / "graph-theory.md").is_file()  # the page is written; the index is not
    assert "symbolic link" in result.stderr
    assert (elsewhere / "index.md").read_text(encoding="utf-8") == "someone else's index\n"


def test_a_linked_lock_file_creates_nothing_at_its_target(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    locks.mkdir()
    target = tmp_path / "created-by-the-link"
    os.symlink(target, locks / "graph-theory.lock")

    with pytest.raises(UnsafeFile, match="symbolic link"), page_lock(locks, "graph-theory"):
        pass

    assert not target.exists()


def test_a_linked_lock_folder_is_refused(tmp_path: Path, elsewhere: Path) -> None:
    os.symlink(elsewhere, tmp_path / "locks")

    with pytest.raises(UnsafeFile, match="symbolic link"), page_lock(tmp_path / "locks", "graph-theory"):
        pass

    assert sorted(path.name for path in elsewhere.iterdir()) == ["index.md"]


def test_writing_over_a_linked_page_is_refused_and_keeps_the_link(tmp_path: Path, elsewhere: Path) -> None:
    page = tmp_path / "graph-theory.md"
    os.symlink(elsewhere / "index.md", page)

    with pytest.raises(UnsafeFile):
        write_atomic(page, "generated", overwrite=True)

    assert page.is_symlink()
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


# --- what is read: regular files only, within a size cap (issue 12.10) ---------------------------


def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)

    with pytest.raises(UnsafeFile, match="not a regular file"):
        read_regular(fifo)


def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    os.symlink("/dev/zero", tmp_path / "zero.md")

    with pytest.raises(UnsafeFile, match="symbolic link"):
        read_regular(tmp_path / "zero.md")


def test_a_page_over_the_size_cap_is_one_finding_in_check(cli, empty_vault: Path) -> None:
    topics = empty_vault / "topics"
    topics.mkdir()
    (topics / "huge.md").write_text("---\ntitle: Huge\n---\n" + "x" * MAX_PAGE_BYTES, encoding="utf-8")
    (topics / "small.md").write_text("---\ntitle: Small\n---\n# Small\n", encoding="utf-8")

    result = cli.run("check", "--vault", str(empty_vault))

    assert "huge.md is 1.0 MiB, over the 1.0 MiB topicgen reads; left alone" in result.stdout
    assert "small.md" in result.stdout


def test_a_page_over_the_size_cap_is_that_pages_problem_in_stale(cli, empty_vault: Path) -> None:
    topics = empty_vault / "topics"
    topics.mkdir()
    (topics / "huge.md").write_text("---\ntitle: Huge\n---\n" + "x" * MAX_PAGE_BYTES, encoding="utf-8")

    result = cli.run("stale", "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert "over the 1.0 MiB topicgen reads" in result.stdout


def test_new_dry_run_over_many_topics_prints_the_system_prompt_once(cli, vault: Path, tmp_path: Path) -> None:
    names = tmp_path / "topics.txt"
    names.write_text("\n".join(f"Topic number {n}" for n in range(2_000)), encoding="utf-8")

    result = cli.run("new", "--from", str(names), "--dry-run", "--vault", str(vault))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("--- system") == 1
    assert result.stdout.count("=== Topic number") == 2_000
    assert len(result.stdout) < 2_000 * 400 + 20_000  # a few lines a topic, not the whole prompt


def test_a_vault_folder_setting_resolving_outside_is_refused(tmp_path: Path, elsewhere: Path) -> None:
    from topicgen.vault import Vault

    (tmp_path / "vault").mkdir()
    os.symlink(elsewhere, tmp_path / "vault" / "books")

    with pytest.raises(VaultError, match="outside the vault"):
        Vault.open(tmp_path / "vault")
    assert issubclass(VaultError, UsageError)


def test_a_reply_cache_entry_that_is_a_link_or_a_fifo_is_a_miss_not_a_hang(tmp_path: Path) -> None:
    from topicgen.model.reply_cache import ReplyCache

    cache = ReplyCache(tmp_path / "replies")
    key = "ab" + "0" * 62
    entry = tmp_path / "replies" / "ab" / f"{key}.json"
    entry.parent.mkdir(parents=True)
    os.symlink("/dev/zero", entry)
    assert cache.get(key) is None
    entry.unlink()
    os.mkfifo(entry)
    assert cache.get(key) is None


def test_a_lookup_cache_entry_that_is_a_link_or_a_fifo_is_a_miss_not_a_hang(tmp_path: Path) -> None:
    from topicgen.verify.cache import LookupCache

    cache = LookupCache(tmp_path / "verify", max_age_days=30)
    cache.put("book:networks", True)
    (entry,) = (tmp_path / "verify").rglob("*.json")
    assert cache.get("book:networks") is True
    entry.unlink()
    os.symlink("/dev/zero", entry)
    assert cache.get("book:networks") is None
    entry.unlink()
    os.mkfifo(entry)
    assert cache.get("book:networks") is None
    entry.unlink()
    padded = {"found": True, "checked": time.time(), "pad": "x" * (1 << 20)}
    entry.write_text(json.dumps(padded), encoding="utf-8")
    assert cache.get("book:networks") is None  # a valid answer, but over the size cap: never read
