"""What a new user met on a fresh clone (issue 21.12 and 21.13), each as they saw it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.upkeep.index import END, START

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that is no vault and has none above it (the search stops at the temporary root)."""
    folder = tmp_path / "not-a-vault"
    folder.mkdir()
    monkeypatch.chdir(folder)
    from topicgen.config import find_vault

    if find_vault(folder) is not None:
        pytest.skip("a folder above the temporary folder looks like a vault")
    return folder


@pytest.mark.parametrize("command", [("status",), ("collect",), ("cancel",), ("clean",)])
def test_batch_commands_outside_a_vault_refuse_with_exit_2_like_every_vault_command(nowhere, command):
    result = run("batch", *command)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no vault here:")
    assert "batch(es) in flight" not in result.stdout + result.stderr
    assert list(nowhere.iterdir()) == []


def test_new_dry_run_outside_a_vault_prints_no_path_a_real_run_refuses(nowhere):
    result = run("new", "Rust", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert str(nowhere) not in result.stdout
    assert "=== Rust → topics/rust.md (new)" in result.stdout
    assert "no vault here: a real run needs one (run it inside a vault, or pass --vault DIR)" in result.stdout


@pytest.mark.parametrize(
    ("command", "shown"), [("new", "TOPIC..."), ("check", "PAGE..."), ("render", "REPLY.json")]
)
def test_help_names_arguments_without_python_type_names(command, shown):
    result = run(command, "-h")
    assert result.exit_code == 0
    assert not re.search(r"<(list|path|text|str|int)\b[^>]*>|\{REPLY", result.stdout), result.stdout
    (arguments,) = re.findall(r"Arguments:\n  (\S+)", result.stdout)
    assert arguments == shown


def test_every_commands_help_is_free_of_type_names():
    result = run("-h")
    commands = re.findall(r"^  (\w+) ", result.stdout.split("Commands:")[1], re.MULTILINE)
    for name in commands:
        subcommands = [(name,)]
        if name == "batch":
            subcommands = [("batch", sub) for sub in ("status", "collect", "cancel", "clean")]
        for words in subcommands:
            shown = run(*words, "-h").stdout
            assert not re.search(r"<(list|path|text|str|int|float)\b", shown), (words, shown)


def test_the_readme_names_the_index_markers_topicgen_writes():
    assert f"`{START}`" in README and f"`{END}`" in README
    assert "`<!-- topicgen:index -->`" not in README


def test_vault_on_a_missing_folder_says_how_to_start_one(tmp_path):
    missing = tmp_path / "my-vault"
    result = run("new", "Rust", "--vault", str(missing))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: vault folder {missing} does not exist; to start a vault there, create the folder "
        f"(mkdir -p {missing}) and run the command again"
    )
    assert not missing.exists()


def test_check_calling_a_wiki_link_by_topic_name_broken_hints_at_the_pages_file(tmp_path):
    topics = tmp_path / "topics"
    topics.mkdir()
    (topics / "graph-theory.md").write_text(
        "---\ntitle: Graph Theory\n---\n# Graph Theory\n", encoding="utf-8"
    )
    page = topics / "networks.md"
    page.write_text(
        (REPO / "fixtures" / "corpus" / "vault" / "topics" / "large-language-models.md").read_text(
            encoding="utf-8"
        )
        + "\nSee [[Graph Theory]].\n",
        encoding="utf-8",
    )

    result = run("check", str(page), "--vault", str(tmp_path))

    (line,) = [line for line in result.stdout.splitlines() if "[[Graph Theory]]" in line]
    assert "points at Graph Theory, which does not exist" in line
    assert (
        "the page for 'Graph Theory' is topics/graph-theory.md: link it as [[graph-theory|Graph Theory]]"
        in line
    )


def test_the_first_using_it_example_runs_in_a_clone_that_is_no_vault(nowhere):
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run the README as a person would")
    shutil.copytree(
        REPO / "fixtures" / "exchanges", nowhere / "fixtures" / "exchanges"
    )  # the clone's fixtures
    section = README.split("\n## Using it\n", 1)[1]
    first = re.findall(r"```sh\n(.*?)\n", section)[0]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    done = subprocess.run(
        ["bash", "-c", first], cwd=nowhere, env=env, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert "no vault here" not in done.stderr
    assert (nowhere / "my-vault" / "topics" / "large-language-models.md").is_file()
