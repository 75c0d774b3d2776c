"""What users bring from git, ruff and llm (issue 13, items 7-10 and 12).

The vault is found upward like a git repository and never made by accident;
``.topicgen/`` keeps its working state out of commits; ``--version``, ``-h``,
``--from -`` and ``topicgen config`` behave as elsewhere; ``--record`` says
when there is nothing to record; help shows placeholders people can read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import EXCHANGES, FAKE_API_KEY, TopicgenCli
from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.config import find_vault
from topicgen.errors import PageLockedError
from topicgen.page.sections import resolve_sections
from topicgen.vault.files import page_lock

TOPIC = "Graph Theory"


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), input=input, env=env)


def git(root: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args]
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout


# --- 7. the vault is found like git finds a repository ----------------------------------------------


def test_the_vault_is_found_upward_from_inside_topics_and_named(cli, vault, monkeypatch):
    assert cli.run("new", TOPIC, "--vault", str(vault)).exit_code == 0
    monkeypatch.chdir(vault / "topics")
    result = cli.run("stale", "--all")
    assert result.exit_code == 0
    assert f"using the vault at {vault.resolve()} (it has topicgen.toml)" in result.stderr
    assert "graph-theory.md" in result.stdout


@pytest.mark.parametrize(("marker", "how"), [(".obsidian", ".obsidian/"), ("topics", "topics/")])
def test_an_obsidian_folder_or_a_topics_folder_marks_a_vault(tmp_path, marker, how):
    (tmp_path / marker).mkdir()
    (tmp_path / "notes" / "deep").mkdir(parents=True)
    found = find_vault(tmp_path / "notes" / "deep")
    assert (found.root, found.how) == (tmp_path.resolve(), how)


@pytest.mark.parametrize("command", [("index",), ("stale",), ("check",), ("new", TOPIC)])
def test_no_vault_found_is_refused_in_one_line_and_nothing_is_created(empty_vault, monkeypatch, command):
    monkeypatch.chdir(empty_vault)
    result = run(*command)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: no vault here") and "--vault DIR" in line
    assert list(empty_vault.iterdir()) == []


def test_printing_commands_run_outside_a_vault_and_leave_nothing(empty_vault, monkeypatch):
    monkeypatch.chdir(empty_vault)
    assert run("new", TOPIC, "--dry-run").exit_code == 0
    reply = EXCHANGES / "openai" / next((EXCHANGES / "openai").iterdir()).name
    assert run("render", str(reply)).exit_code == 0
    assert list(empty_vault.iterdir()) == []


def test_vault_names_a_new_vault_on_purpose(cli, empty_vault):
    assert cli.run("new", TOPIC, "--vault", str(empty_vault)).exit_code == 0
    assert (empty_vault / "topics" / "graph-theory.md").is_file()


# --- 8. .topicgen/ and git --------------------------------------------------------------------------


@pytest.fixture
def git_vault(vault: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(vault, "init", "-q")
    git(vault, "add", "-A")
    git(vault, "commit", "-qm", "vault")
    return vault


def test_a_run_leaves_git_status_showing_only_pages(cli, git_vault):
    assert cli.run("new", TOPIC, "--vault", str(git_vault)).exit_code == 0
    status = git(git_vault, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(status) == ["?? topics/graph-theory.md", "?? topics/index.md"]
    assert (git_vault / ".topicgen" / "cache").is_dir()


def test_prompt_overrides_stay_visible_to_git(cli, git_vault):
    assert cli.run("new", TOPIC, "--vault", str(git_vault)).exit_code == 0
    override = git_vault / ".topicgen" / "prompts" / "user.md.j2"
    override.parent.mkdir()
    override.write_text("Write the topic note for: {{ topic }}\n", encoding="utf-8")
    status = git(git_vault, "status", "--porcelain", "--untracked-files=all")
    assert "?? .topicgen/prompts/user.md.j2" in status.splitlines()


def test_no_lock_file_is_left_when_a_run_ends(cli, vault):
    assert cli.run("new", TOPIC, "--vault", str(vault)).exit_code == 0
    assert list((vault / ".topicgen" / "locks").glob("*")) == []


def test_a_lock_is_held_until_released_and_its_file_removed(tmp_path):
    with page_lock(tmp_path, "rust"):
        with pytest.raises(PageLockedError), page_lock(tmp_path, "rust"):
            pass
        assert (tmp_path / "rust.lock").exists()
    assert not (tmp_path / "rust.lock").exists()
    with page_lock(tmp_path, "rust"):
        pass


# --- 9. --version, -h, --from -, topicgen config ---------------------------------------------------


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"topicgen {version('topicgen')}\n"


@pytest.mark.parametrize("command", [(), ("new",), ("regen",), ("check",), ("adopt",), ("config",)])
def test_dash_h_is_help(command):
    result = run(*command, "-h")
    assert result.exit_code == 0 and result.stdout.startswith("Usage: topicgen")


def test_from_dash_reads_topic_names_from_stdin(vault):
    result = run("new", "--from", "-", "--dry-run", "--vault", str(vault), input="Rust\n# a note\n\nC++\n")
    assert result.exit_code == 0, result.stderr
    assert re.findall(r"^=== (.+?) →", result.stdout, re.MULTILINE) == ["Rust", "C++"]


def test_config_names_where_each_setting_came_from(vault, monkeypatch):
    (vault / "topicgen.toml").write_text("concurrency = 8\n[verify]\ntimeout = 3.0\n", encoding="utf-8")
    monkeypatch.setenv("TOPICGEN_RETRIES", "3")
    result = run("config", "--vault", str(vault), "--model", "anthropic:claude-x")
    assert result.exit_code == 0, result.stderr
    lines = {line.split("=")[0].strip(): line for line in result.stdout.splitlines()}
    assert lines["model"].endswith("# flag --model")
    assert lines["retries"].endswith("# environment TOPICGEN_RETRIES")
    assert lines["concurrency"].endswith(f"# file {vault / 'topicgen.toml'}")
    assert lines["verify.timeout"].endswith(f"# file {vault / 'topicgen.toml'}")
    assert lines["verify.retries"].endswith("# default")
    assert lines["reasks"].endswith("= 2  # default")


def test_config_never_prints_a_key(vault, monkeypatch):
    secret = "sk-" + "k" * 40
    (vault / "topicgen.toml").write_text(
        f'[providers.openai-compatible]\nbase_url = "http://me:{secret}@localhost:8000/v1"\n'
        'api_key_env = "VLLM_KEY"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("VLLM_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    for args in ((), ("--json",)):
        result = run("config", "--vault", str(vault), *args)
        assert result.exit_code == 0
        assert secret not in result.stdout and FAKE_API_KEY not in result.stdout
        assert "VLLM_KEY" in result.stdout


# --- 10. --record and render ------------------------------------------------------------------------


def test_record_on_an_existing_page_says_nothing_is_recorded(cli: TopicgenCli, vault, tmp_path):
    assert cli.run("new", TOPIC, "--vault", str(vault)).exit_code == 0
    folder = tmp_path / "recorded"
    result = cli.run("new", TOPIC, "--vault", str(vault), "--record", str(folder))
    assert result.exit_code == 0
    assert "topics/graph-theory.md already exists: nothing is recorded for it" in result.stderr
    assert not folder.exists() or list(folder.rglob("*.json")) == []


def test_record_with_force_records_a_fresh_draft(cli: TopicgenCli, vault, tmp_path):
    assert cli.run("new", TOPIC, "--vault", str(vault)).exit_code == 0
    folder = tmp_path / "recorded"
    result = cli.run("new", TOPIC, "--vault", str(vault), "--record", str(folder), "--force")
    assert result.exit_code == 0, result.stderr
    assert len(list(folder.rglob("*.json"))) == 1
    assert cli.server.stats().requests == 2


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_render_reads_the_topic_from_a_recorded_exchange(vault, provider):
    (exchange,) = (EXCHANGES / provider).iterdir()
    result = run("render", str(exchange), "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    assert "\n# 🤖🦜 Large Language Models" in result.stdout


# --- 12. help a person can read ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "placeholder"),
    [("new", "[TOPIC]..."), ("render", "REPLY.json"), ("check", "[PAGE]..."), ("regen", "[TOPIC|PAGE]...")],
)
def test_help_shows_readable_placeholders(command, placeholder):
    usage = run(command, "-h").stdout.splitlines()[0]
    assert placeholder in usage and "<" not in usage


def test_section_names_in_help_examples_are_ones_the_command_accepts():
    help_text = " ".join(run("regen", "-h", env={"COLUMNS": "300"}).stdout.split())
    (example,) = re.findall(r"e\.g\. ([a-z_,]+)\.", help_text)
    assert resolve_sections(example.split(","))
