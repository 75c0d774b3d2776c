"""The hourly CI recipe (examples/github-actions/topicgen.yml), its commands run in order in a fresh
git vault against the stand-in provider: it commits only pages, and never a run that lost one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FAKE_API_KEY, REPO

from topicgen.model.fingerprint import vault_fingerprint
from topicgen.upkeep.staleness import read_page_state

RECIPE = REPO / "examples" / "github-actions" / "topicgen.yml"
README = REPO / "README.md"
SETUP = "python -m pip install --require-hashes -r requirements.lock && python -m pip install --no-deps "
SETUP += "--no-build-isolation -e ."
EXPRESSION = re.compile(r"\$\{\{\s*(secrets|env|github)\.([A-Za-z_]+)\s*\}\}")
GIT_PERSON = {
    "GIT_AUTHOR_NAME": "A Person",
    "GIT_AUTHOR_EMAIL": "person@example.invalid",
    "GIT_COMMITTER_NAME": "A Person",
    "GIT_COMMITTER_EMAIL": "person@example.invalid",
}


def recipe() -> dict:
    return yaml.safe_load(RECIPE.read_text(encoding="utf-8"))


def job() -> dict:
    return recipe()["jobs"]["topicgen"]


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_PERSON},
    )
    return done.stdout


@pytest.fixture
def workspace(tmp_path: Path, draft_into) -> Path:
    """A runner's workspace: ``vault/`` cloned from an ``origin`` holding a vault with the reference
    page as topicgen wrote it (stale: made with another prompt) and a person's note."""
    seed = tmp_path / "seed"
    (seed / "topics").mkdir(parents=True)
    (seed / "topicgen.toml").write_text('site_url = "https://bagrounds.org"\n', encoding="utf-8")
    page = draft_into(seed)
    text = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r"topicgen_fingerprint: .*", "topicgen_fingerprint: an-older-prompt", text))
    (seed / "topics" / "my-notes.md").write_text("---\ntitle: My Notes\n---\nMine, by hand.\n")
    git(seed, "init", "--quiet", "--initial-branch", "main")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "a vault")
    git(tmp_path, "clone", "--quiet", "--bare", str(seed), str(tmp_path / "origin"))
    work = tmp_path / "work"
    work.mkdir()
    git(work, "clone", "--quiet", str(tmp_path / "origin"), "vault")
    return work


def expand(value: str, env: dict[str, str]) -> str:
    """A workflow expression as GitHub fills it: the secret (the stand-in's key), env, the run id."""

    def value_of(match: re.Match[str]) -> str:
        kind, name = match.groups()
        if kind == "secrets":
            return FAKE_API_KEY
        return env[name] if kind == "env" else "1"

    return EXPRESSION.sub(value_of, str(value))


def run_recipe(workspace: Path, server, before=None) -> list[tuple[str, subprocess.CompletedProcess]]:
    """Every ``run`` step in order, as the runner would (bash -eo pipefail, the step's folder and
    environment), until one fails; ``uses`` steps are the checkouts the workspace already is.
    ``before(step name, folder)`` runs before each step."""
    bin_folder = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    env["OPENAI_BASE_URL"] = server.openai_base_url  # the stand-in, on 127.0.0.1
    for name, value in recipe()["env"].items():
        env[name] = expand(value, env)
    defaults = job()["defaults"]["run"]
    done: list[tuple[str, subprocess.CompletedProcess]] = []
    for step in job()["steps"]:
        if "uses" in step:
            continue
        if step["run"].strip() == SETUP:  # installed already: this test runs in that environment
            continue
        folder = workspace / step.get("working-directory", defaults["working-directory"])
        step_env = {**env, **{name: expand(value, env) for name, value in (step.get("env") or {}).items()}}
        if before is not None:
            before(step["name"], folder)
        shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
        result = subprocess.run(shell, cwd=folder, env=step_env, capture_output=True, text=True, timeout=300)
        done.append((step["name"], result))
        if result.returncode != 0:
            break
    return done


def test_the_recipe_commits_only_the_pages_it_wrote(workspace, fake_provider):
    steps = run_recipe(workspace, fake_provider)
    for name, result in steps:
        assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
    assert [name for name, _ in steps][-1] == "Commit the pages"
    vault = workspace / "vault"
    assert git(vault, "status", "--porcelain", "--untracked-files=all") == ""  # committed; state ignored
    changes = git(workspace.parent / "origin", "log", "-1", "--name-status", "--format=").split("\n")
    entries = [line.split("\t") for line in changes if line]
    assert all(path.startswith("topics/") for _, path in entries), entries
    added = [path for status, path in entries if status == "A" and path != "topics/index.md"]
    assert len(added) == int(recipe()["env"]["GROW_LIMIT"])
    assert ["M", "topics/large-language-models.md"] in entries  # regenerated (stale), relinked
    assert ["A", "topics/index.md"] in entries
    assert "my-notes.md" not in "".join(changes)
    page = read_page_state(vault / "topics" / "large-language-models.md")
    assert page.fingerprint == vault_fingerprint(vault)
    log = "".join(result.stdout + result.stderr for _, result in steps)
    assert FAKE_API_KEY not in log


@pytest.mark.parametrize("loss", ["deleted", "emptied"])
def test_a_run_that_would_delete_or_empty_a_page_fails_and_commits_nothing(workspace, fake_provider, loss):
    origin = workspace.parent / "origin"
    head = git(origin, "rev-parse", "HEAD")

    def lose_a_page(step: str, folder: Path) -> None:
        if step.startswith("Refuse"):  # as if a command had lost the page
            notes = folder / "topics" / "my-notes.md"
            if loss == "deleted":
                notes.unlink()
            else:
                notes.write_text("---\ntitle: My Notes\n---\n\n", encoding="utf-8")

    steps = run_recipe(workspace, fake_provider, before=lose_a_page)
    name, result = steps[-1]
    assert name.startswith("Refuse") and result.returncode == 1
    assert f"topics/my-notes.md ({loss})" in result.stdout and "::error::" in result.stdout
    assert git(origin, "rev-parse", "HEAD") == head  # nothing committed, nothing pushed


def test_the_recipe_runs_hourly_one_at_a_time_from_the_lock_with_the_key_from_a_secret():
    workflow = recipe()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    (schedule,) = triggers["schedule"]
    assert re.fullmatch(r"\d{1,2} \* \* \* \*", schedule["cron"])
    assert workflow["concurrency"]["cancel-in-progress"] is False and workflow["concurrency"]["group"]
    runs = [step.get("run", "").strip() for step in job()["steps"]]
    assert SETUP in runs  # the README's set-up, from the lock
    for step in job()["steps"]:
        if "topicgen grow" in step.get("run", "") or "topicgen regen" in step.get("run", ""):
            assert "--limit" in step["run"] and "--max-cost" in step["run"]
            assert step["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"


def test_the_readme_shows_the_recipe_as_it_is():
    readme = README.read_text(encoding="utf-8")
    assert f"```yaml\n{RECIPE.read_text(encoding='utf-8')}```" in readme
