"""Every example in the README, run in order in a fresh git-tracked vault (issue 13, acceptance).

Each ``sh`` line is run by bash as a person would type it, against the fake
provider (OpenAI, Anthropic, Gemini, Ollama and OpenAI-compatible addresses all
point at it) and the stand-in book catalog and YouTube, so nothing leaves the
machine. Keys in the examples (``sk-...``, ``GEMINI_API_KEY=...``) become a fake one. The vault
starts as a git repository holding the files the examples read (a topic list,
a saved reply) and the README's own ``topicgen.toml``. Every command must
succeed, and afterwards ``git status`` may show only pages, ``topicgen.toml``
and the files the examples write on purpose (``> FILE``, ``--record DIR``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXCHANGES, FAKE_API_KEY, LLM_PAGE_JSON, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
# Run in the repository, not in a vault: the set-up (by CI), re-locking and the catalogue's refresh (by a
# maintainer; tests/test_model_catalogue.py runs the refresh on fixture sources).
SET_UP = ("pip install", "python -m pytest", "uv pip compile", "python -m topicgen.model.catalogue")
TOPICS_TXT = "Set Theory\nTopology\n"
IDEAS_TXT = "# ideas\nLinear Algebra\n"


STAND_IN = "python -m topicgen.testing serve"  # the "Try it without a key" script, run whole below


def sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.DOTALL)


def stand_in_script() -> str:
    """The README's "Try it without a key" block: a script, run as one (it starts a server, sources
    the variables it prints and works in the folder it makes)."""
    section = README.split("\n## Try it without a key\n", 1)[1].split("\n## ", 1)[0]
    (script,) = [block for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL) if STAND_IN in block]
    return script


def readme_commands() -> list[str]:
    """Every command line of the README's sh blocks, in order, set-up lines and the stand-in script
    aside."""
    blocks = [block for block in sh_blocks() if STAND_IN not in block]
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not any(part in line for part in SET_UP)]


def readme_toml() -> str:
    (config,) = [b for b in re.findall(r"```toml\n(.*?)```", README, re.DOTALL) if "model =" in b]
    return config


def written_on_purpose(commands: list[str]) -> set[str]:
    """Files and folders the examples ask for by name: ``> FILE`` and ``--record DIR``."""
    return {m for line in commands for m in re.findall(r"(?:>|--record|mkdir -p)\s+(\S+)", line)}


def local(line: str, fake) -> str:
    """A README line made to run here: fake keys, loopback addresses, the repository's fixtures."""
    line = line.replace("sk-ant-...", FAKE_API_KEY).replace("sk-...", FAKE_API_KEY)
    line = line.replace("GEMINI_API_KEY=...", f"GEMINI_API_KEY={FAKE_API_KEY}")
    line = line.replace("ollama serve & ", "")  # the fake provider stands in for the Ollama server
    line = line.replace("http://localhost:8000/v1", fake.openai_base_url)
    return line.replace("replay:fixtures/exchanges", f"replay:{EXCHANGES}")


def teach(references, topics: list[str]) -> None:
    """The stand-in catalog and YouTube know every book and video the pages will name."""
    from topicgen.page.schema import page_json_schema
    from topicgen.testing.fake_provider import page_for_schema

    pages = [page_for_schema(page_json_schema(), topic) for topic in topics]
    pages.append(json.loads(LLM_PAGE_JSON.read_text(encoding="utf-8")))
    for page in pages:
        for book in page.get("books", {}).values():
            references.add_book(book["title"], [name.strip() for name in book["authors"].split(" and ")])
        for video in page.get("videos", []):
            references.learn_link(video["url"])


def quoted_topics(commands: list[str]) -> list[str]:
    names = [name for line in commands if "topicgen new" in line for name in re.findall(r'"([^"]+)"', line)]
    return sorted({*names, *TOPICS_TXT.split("\n"), "Linear Algebra"} - {""})


def git(root: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args]
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout


def bash(script: str, cwd: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess:
    """``script`` run by bash as a person would type it, in ``cwd``."""
    return subprocess.run(
        ["bash", *options, "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def fresh_vault(tmp_path: Path, fake_provider) -> Path:
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("git and bash are needed to run the README as a person would")
    root = tmp_path / "my-vault"
    root.mkdir()
    (root / "topics.txt").write_text(TOPICS_TXT, encoding="utf-8")
    (root / "ideas.txt").write_text(IDEAS_TXT, encoding="utf-8")
    shutil.copyfile(LLM_PAGE_JSON, root / "reply.json")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "my notes")
    toml = readme_toml().replace("http://localhost:8000/v1", fake_provider.openai_base_url)
    (root / "topicgen.toml").write_text(toml, encoding="utf-8")
    return root


def test_every_readme_example_succeeds_and_git_status_shows_only_pages(
    fresh_vault: Path, fake_provider, references
):
    commands = readme_commands()
    teach(references, quoted_topics(commands))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "OPENAI_API_KEY": FAKE_API_KEY,
        "ANTHROPIC_API_KEY": FAKE_API_KEY,
        "VLLM_API_KEY": FAKE_API_KEY,
        "OPENAI_BASE_URL": fake_provider.openai_base_url,
        "ANTHROPIC_BASE_URL": fake_provider.anthropic_base_url,
        "GOOGLE_GEMINI_BASE_URL": fake_provider.gemini_base_url,
        "OLLAMA_BASE_URL": fake_provider.ollama_base_url,
        "TOPICGEN_RETRY_WAIT": "0.01",
        "TOPICGEN_BATCH_POLL": "0.05",
        "NO_COLOR": "1",
    }
    for line in commands:
        done = bash(local(line, fake_provider), fresh_vault, env)
        assert done.returncode == 0, (
            f"`{line}` failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
        )

    purposeful = written_on_purpose(commands)
    status = git(fresh_vault, "status", "--porcelain", "--untracked-files=all").splitlines()
    others = [
        entry
        for entry in status
        if not entry[3:].startswith("topics/")
        and entry[3:] != "topicgen.toml"
        and not any(entry[3:] == name or entry[3:].startswith(f"{name}/") for name in purposeful)
    ]
    assert others == [], f"git status shows more than pages and topicgen.toml: {others}"
    assert any(entry.startswith("?? topics/") for entry in status)


def test_the_try_it_without_a_key_script_runs_with_no_key_and_stops_its_stand_in(tmp_path: Path):
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run the README as a person would")
    cleared = ("OPENAI_", "ANTHROPIC_", "OLLAMA_", "TOPICGEN_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(cleared)}
    env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}

    done = bash(stand_in_script(), tmp_path, env, "-e")

    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    pages = sorted(path.name for path in (tmp_path / "try-vault" / "topics").glob("*.md"))
    assert pages == ["graph-theory.md", "index.md", "rust.md", "set-theory.md"]
    exported = dict(re.findall(r"^export (\w+)=(\S+)$", done.stdout, re.MULTILINE))
    assert {value for name, value in exported.items() if name.endswith("_URL")} <= {
        value for value in exported.values() if value.startswith("http://127.0.0.1:")
    }
    assert "not in the catalog" not in done.stderr  # the stand-in catalog knows the stand-in's books
    assert not (tmp_path / "stand-in.env").exists()  # removed when the stand-in stopped
