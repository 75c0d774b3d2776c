"""Pages are written whole or not at all, never over an existing page by accident, one writer each."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from topicgen.errors import PageLockedError, VaultError
from topicgen.vault.files import PageExists, page_lock, write_atomic


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_a_new_page_is_written_with_its_folder(tmp_path):
    page = tmp_path / "topics" / "graph-theory.md"
    write_atomic(page, "# Graph Theory\n", overwrite=False)
    assert page.read_text(encoding="utf-8") == "# Graph Theory\n"
    assert leftovers(page.parent) == []


def test_an_existing_page_is_not_replaced_without_overwrite(tmp_path):
    page = tmp_path / "graph-theory.md"
    page.write_text("a person's page", encoding="utf-8")
    with pytest.raises(PageExists, match="--force"):
        write_atomic(page, "generated page", overwrite=False)
    assert page.read_text(encoding="utf-8") == "a person's page"
    assert leftovers(tmp_path) == []


def test_overwrite_replaces_the_page_and_keeps_its_permissions(tmp_path):
    page = tmp_path / "graph-theory.md"
    page.write_text("old", encoding="utf-8")
    page.chmod(0o640)
    write_atomic(page, "new", overwrite=True)
    assert page.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(page.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_a_new_page_gets_the_usual_file_mode_not_the_temp_files(tmp_path):
    page = tmp_path / "graph-theory.md"
    write_atomic(page, "x", overwrite=False)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(page.stat().st_mode) == 0o666 & ~umask


def test_text_is_written_as_utf8_with_newlines_untranslated(tmp_path):
    page = tmp_path / "p.md"
    write_atomic(page, "🧙\u200d♂️ line  \r\nnext", overwrite=False)
    assert page.read_bytes() == "🧙\u200d♂️ line  \r\nnext".encode()


def test_an_unwritable_place_is_a_vault_error_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "topics"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(VaultError, match="cannot write"):
        write_atomic(blocker / "graph-theory.md", "x", overwrite=False)
    assert blocker.read_text(encoding="utf-8") == "a file where the folder should be"
    assert leftovers(tmp_path) == []


def test_text_no_file_can_hold_leaves_no_temp_file_behind(tmp_path):
    page = tmp_path / "p.md"
    with pytest.raises(VaultError, match="not valid Unicode"):
        write_atomic(page, "lone \ud800 surrogate", overwrite=False)
    assert not page.exists()
    assert leftovers(tmp_path) == []


def test_a_page_lock_is_exclusive(tmp_path):
    with (
        page_lock(tmp_path / "locks", "graph-theory"),
        pytest.raises(PageLockedError, match="another topicgen process"),
        page_lock(tmp_path / "locks", "graph-theory"),
    ):
        pass


def test_a_page_lock_is_released_on_exit(tmp_path):
    with page_lock(tmp_path / "locks", "graph-theory"):
        pass
    with page_lock(tmp_path / "locks", "graph-theory"):
        pass


def test_locks_on_different_pages_do_not_conflict(tmp_path):
    with page_lock(tmp_path / "locks", "graph-theory"), page_lock(tmp_path / "locks", "kuramoto-model"):
        pass


def test_the_moment_mtimes_are_compared_with_is_the_file_systems_not_the_process_clocks(tmp_path):
    """A batch run compares the reply cache's file times with the moment it began: both are the file
    system's, so a process clock that differs (moved, or faked a year ahead) changes nothing."""
    import datetime as dt

    import time_machine

    from topicgen.vault.files import filesystem_now

    written = tmp_path / "written.txt"
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=365), tick=True):
        before = filesystem_now(tmp_path / "not-made-yet")  # the nearest folder that exists
        written.write_text("x", encoding="utf-8")
        after = filesystem_now(tmp_path)

    assert before <= written.stat().st_mtime_ns <= after
