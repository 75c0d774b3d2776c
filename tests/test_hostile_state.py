"""What a cloned vault's ``.topicgen/`` and settings file can make topicgen do with the disk (issue 20,
items 3, 5 and 8): no write through a planted link, no read that never ends, no cache entry taken for
the model's answer unless this user wrote it. The hostile layouts are in tests/hostile/state/ and
tests/hostile/cache/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HOSTILE, TopicgenCli, assert_valid_page

from topicgen.model.clients.base import Usage
from topicgen.model.reply_cache import ReplyCache
from topicgen.runs.batch.store import BatchStore
from topicgen.vault.files import UnsafeFile
from topicgen.verify.cache import LookupCache

TOPIC = "Graph Theory"
BATCH = {"TOPICGEN_BATCH_POLL": "0.02"}
ESCAPING_LINKS = json.loads((HOSTILE / "state" / "escaping-links.json").read_text(encoding="utf-8"))
UNBOUNDED_READS = json.loads((HOSTILE / "state" / "unbounded-reads.json").read_text(encoding="utf-8"))
NO_HANG = 60  # seconds: a read that blocks on a FIFO or never ends would not finish at all


def files_beside(vault: Path) -> dict[str, bytes]:
    """Every file outside ``vault`` in its parent folder (the test's tmp folder)."""
    return {
        str(path.relative_to(vault.parent)): path.read_bytes()
        for path in sorted(vault.parent.rglob("*"))
        if path.is_file() and vault not in path.parents and not path.is_symlink()
    }


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# --- 20.3: nothing is written through a link inside .topicgen/ -------------------------------------


@pytest.mark.parametrize("plant", ESCAPING_LINKS, ids=[plant["link"] for plant in ESCAPING_LINKS])
def test_a_link_planted_in_the_state_folder_leads_no_write_out_of_the_vault(
    cli: TopicgenCli, empty_vault: Path, elsewhere: Path, plant: dict
) -> None:
    link = empty_vault / plant["link"]
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(plant["to"], link)
    before = files_beside(empty_vault)

    result = cli.run(*plant["run"], "--vault", str(empty_vault), **BATCH)

    line = one_error_line(result)
    assert "symbolic link" in line or "leads outside the vault" in line
    assert files_beside(empty_vault) == before
    assert not (elsewhere / "escaped").exists()
    assert cli.server.requests == []


@pytest.mark.parametrize("cache", ["replies", "verify"])
def test_a_link_deeper_in_a_cache_is_never_written_through(
    cli: TopicgenCli, references, empty_vault: Path, elsewhere: Path, cache: str
) -> None:
    """(``references`` turns reference checks on, so lookups are cached too.)"""
    assert cli.run("new", TOPIC, "--vault", str(empty_vault)).exit_code == 0
    folders = [path for path in (empty_vault / ".topicgen" / "cache" / cache).iterdir() if path.is_dir()]
    assert folders
    for folder in folders:  # each entry's two-letter folder becomes a link out of the vault
        for entry in folder.iterdir():
            entry.unlink()
        folder.rmdir()
        os.symlink(elsewhere, folder)
    before = files_beside(empty_vault)

    result = cli.run("new", TOPIC, "--force", "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert_valid_page(empty_vault / "topics" / "graph-theory.md", TOPIC)
    assert files_beside(empty_vault) == before


@pytest.mark.parametrize("name", ["counted", "replies.part", "requests.jsonl"])
def test_a_batch_file_planted_as_a_link_is_never_written_through(
    tmp_path: Path, elsewhere: Path, name: str
) -> None:
    store = BatchStore.of_vault(tmp_path / ".topicgen")
    folder = tmp_path / ".topicgen" / "batches" / "tg-planted"
    folder.mkdir(parents=True)
    os.symlink(elsewhere / "index.md", folder / name)

    if name == "counted":
        store.count([("tg-planted", "request-1")])
    else:
        from topicgen.vault.files import open_for_writing

        with pytest.raises(UnsafeFile, match="symbolic link"):
            open_for_writing(folder / name)

    assert (elsewhere / "index.md").read_text(encoding="utf-8") == "someone else's index\n"


def test_a_batch_record_naming_a_folder_outside_is_not_one_of_ours(tmp_path: Path, elsewhere: Path) -> None:
    folder = tmp_path / ".topicgen" / "batches" / "tg-planted"
    folder.mkdir(parents=True)
    record = {"name": "../../../elsewhere", "run": "r", "spec": "openai:x", "provider": "openai"}
    (folder / "batch.json").write_text(json.dumps({**record, "requests": 1, "bytes": 1}), encoding="utf-8")

    assert BatchStore.of_vault(tmp_path / ".topicgen").batches() == []


# --- 20.5: every vault file is read bounded, regular files only ------------------------------------


def plant_endless(path: Path, kind: str) -> None:
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.symlink("/dev/zero", path)


def run_bounded(cli: TopicgenCli, vault: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """``topicgen`` in a process of its own: a read that never ends fails the test, not hangs it."""
    env = {**os.environ, **cli.env(), **BATCH}
    return subprocess.run(
        [sys.executable, "-m", "topicgen", *args, "--vault", str(vault)],
        capture_output=True,
        text=True,
        env=env,
        timeout=NO_HANG,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
@pytest.mark.parametrize(
    "case", UNBOUNDED_READS, ids=[f"{case['file']}:{case['run'][0]}" for case in UNBOUNDED_READS]
)
def test_a_vault_file_that_never_ends_is_one_line_and_exit_2_not_a_hang(
    cli: TopicgenCli, empty_vault: Path, case: dict, kind: str
) -> None:
    (empty_vault / "topicgen.toml").write_text("concurrency = 2\n", encoding="utf-8")
    made = cli.run("new", TOPIC, "--batch", *case.get("made_with", []), "--vault", str(empty_vault), **BATCH)
    assert made.exit_code == 0, made.stderr
    if case["expect"] == "miss":
        assert cli.run("new", TOPIC, "--output", "-", "--vault", str(empty_vault)).exit_code == 0
    (path,) = empty_vault.glob(case["file"])
    plant_endless(path, kind)
    asked = len(cli.server.requests)

    result = run_bounded(cli, empty_vault, case["run"])

    if case["expect"] == "refused":
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert result.returncode == 2 and len(errors) == 1, result.stderr
        assert path.name in errors[0] and ("symbolic link" in errors[0] or "not a regular file" in errors[0])
        assert "Traceback" not in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert len(cli.server.requests) > asked  # the model was asked: the planted entry was no answer


# --- 20.8: a cache entry is this user's, or it is a miss -------------------------------------------


@pytest.fixture
def cached(cli: TopicgenCli, empty_vault: Path) -> Path:
    """A vault whose reply cache holds the answer for TOPIC (previewed, not written): its entry's path."""
    assert cli.run("new", TOPIC, "--output", "-", "--vault", str(empty_vault)).exit_code == 0
    (entry,) = (empty_vault / ".topicgen" / "cache" / "replies").glob("*/*.json")
    return entry


def test_a_cached_reply_of_this_user_is_served_without_a_request(
    cli: TopicgenCli, empty_vault: Path, cached: Path
) -> None:
    asked = len(cli.server.requests)

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert len(cli.server.requests) == asked


def test_a_shipped_cache_entry_edited_in_the_vault_is_never_written_as_the_models_answer(
    cli: TopicgenCli, empty_vault: Path, cached: Path
) -> None:
    forged = json.loads((HOSTILE / "cache" / "forged-reply.json").read_text(encoding="utf-8"))
    entry = json.loads(cached.read_text(encoding="utf-8"))
    entry["page"]["joke"], entry["seal"] = forged["joke"], forged["seal"]
    cached.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
    asked = len(cli.server.requests)

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert len(cli.server.requests) == asked + 1
    assert "FORGED" not in (empty_vault / "topics" / "graph-theory.md").read_text(encoding="utf-8")


def test_a_cache_entry_another_user_sealed_is_a_miss(
    cli: TopicgenCli, empty_vault: Path, cached: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "someone-else"))  # another user: another key
    asked = len(cli.server.requests)

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert len(cli.server.requests) == asked + 1


def test_an_unsealed_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "replies")
    cache.put("ab" * 32, {"joke": "a joke"}, "m", Usage(), "Topic")
    (path,) = (tmp_path / "replies").glob("*/*.json")
    entry = json.loads(path.read_text(encoding="utf-8"))
    del entry["seal"]
    path.write_text(json.dumps(entry), encoding="utf-8")

    assert cache.get("ab" * 32) is None


def test_a_cache_entry_moved_to_another_requests_name_is_a_miss(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "replies")
    cache.put("ab" * 32, {"joke": "a joke"}, "m", Usage(), "Topic")
    (path,) = (tmp_path / "replies").glob("*/*.json")
    moved = tmp_path / "replies" / "cd" / f"{'cd' * 32}.json"
    moved.parent.mkdir()
    path.rename(moved)

    assert cache.get("cd" * 32) is None


def test_the_users_key_is_kept_outside_the_vault_readable_by_the_user_alone(
    cli: TopicgenCli, empty_vault: Path, cached: Path, user_folders: Path
) -> None:
    key = user_folders / "data" / "topicgen" / "cache-key"

    assert key.is_file() and oct(key.stat().st_mode & 0o777) == oct(0o600)
    secret = key.read_text(encoding="utf-8").strip().encode()
    assert not [path for path in empty_vault.rglob("*") if path.is_file() and secret in path.read_bytes()]


def test_a_lookup_cache_entry_saying_a_made_up_book_was_found_is_a_miss_unless_sealed_here(
    tmp_path: Path,
) -> None:
    ours = LookupCache(tmp_path / "verify", max_age_days=30, key=b"k" * 32)
    theirs = LookupCache(tmp_path / "verify", max_age_days=30, key=b"t" * 32)
    theirs.put("book:a made up book", True)

    assert ours.get("book:a made up book") is None
    assert theirs.get("book:a made up book") is True


# --- 20.8, the batch store: a batch, a run or a reply someone else recorded is not this user's ----------


def another_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, who: str) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / who))  # another user: another key


def test_a_batch_planned_in_a_cloned_vault_is_never_submitted_with_the_users_key(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    state = empty_vault / ".topicgen"
    shipped = BatchStore(state / "batches", state, key=b"someone else's key, 32 bytes ...")
    run = shipped.open_run("new", {"topics": ["Expensive Topic"]}, "openai:fake-model")
    name = shipped.new_name(run)
    lines = "".join(json.dumps({"custom_id": f"x{n}", "body": {}}) + "\n" for n in range(3))
    shipped.requests_path_of(name).write_text(lines, encoding="utf-8")
    shipped.record_planned(name, run, "openai", {"x0": "a", "x1": "b", "x2": "c"}, len(lines))

    collected = cli.run("batch", "collect", "--vault", str(empty_vault), **BATCH)
    drafted = cli.run("new", TOPIC, "--batch", "--vault", str(empty_vault), **BATCH)

    assert collected.stderr.strip() == "no batch runs to collect"
    assert drafted.exit_code == 0, drafted.stderr
    assert [batch["requests"] for batch in cli.server.batch_desk.summary()] == [1]  # the user's own, alone


def test_batch_replies_shipped_with_a_vault_are_not_the_models_answer(
    cli: TopicgenCli, empty_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    another_user(monkeypatch, tmp_path, "the-author")
    assert cli.run("new", TOPIC, "--batch", "--vault", str(empty_vault), **BATCH).exit_code == 0
    (empty_vault / "topics" / "graph-theory.md").unlink()  # the clone ships its state, not the page
    another_user(monkeypatch, tmp_path, "the-user")

    result = cli.run("new", TOPIC, "--batch", "--vault", str(empty_vault), **BATCH)

    assert result.exit_code == 0, result.stderr
    assert len(cli.server.batch_desk.summary()) == 2  # asked anew, not answered from the author's batch


def test_an_edited_batch_reply_is_no_answer(tmp_path: Path) -> None:
    import asyncio

    from topicgen.model.clients.base import Finish, ModelReply
    from topicgen.model.clients.batch import BatchResult
    from topicgen.runs.batch.store import RunRecord

    store = BatchStore(tmp_path / "batches", key=b"k" * 32)
    run = RunRecord("run1", "new", {}, "openai:m")
    name = store.new_name(run)
    store.requests_path_of(name).write_text('{"custom_id": "a"}\n', encoding="utf-8")
    (record,) = [store.record_planned(name, run, "openai", {"a": "Rust"}, 1)]

    async def results():
        yield BatchResult("a", ModelReply('{"joke": "the model\'s"}', Finish.STOP, "m"))

    asyncio.run(store.collect(record, results(), ""))
    replies = tmp_path / "batches" / name / "replies.tsv"
    assert store.answers("openai:m").get("a") is not None
    replies.write_text(replies.read_text(encoding="utf-8").replace("the model's", "FORGED"), encoding="utf-8")

    assert store.answers("openai:m").get("a") is None


def test_a_requests_file_changed_after_planning_is_not_uploaded(tmp_path: Path) -> None:
    from topicgen.errors import VaultError
    from topicgen.runs.batch.store import RunRecord

    store = BatchStore(tmp_path / "batches", key=b"k" * 32)
    run = RunRecord("run1", "new", {}, "openai:m")
    name = store.new_name(run)
    store.requests_path_of(name).write_text('{"custom_id": "a"}\n', encoding="utf-8")
    record = store.record_planned(name, run, "openai", {"a": "Rust"}, 1)
    store.check_requests(record)  # as planned: fine
    store.requests_path_of(name).write_text('{"custom_id": "a"}\n{"custom_id": "z"}\n', encoding="utf-8")

    with pytest.raises(VaultError, match="changed since its batch was planned"):
        store.check_requests(record)
