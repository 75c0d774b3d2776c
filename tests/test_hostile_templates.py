"""A vault's prompt overrides are text to fill in, never code (issue 12.1, issue 13.5), at a bounded cost
(issue 20.7).

The overrides here are kept in tests/hostile/templates/: one that runs a shell
command through jinja2's globals, one that walks Python's classes, one that
mutates a list, one that includes a file outside the vault, two broken ones
(an undefined name, a syntax error), and nine that would exhaust time, memory
or the stack.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import HOSTILE

from topicgen.errors import UsageError
from topicgen.model import template_sandbox
from topicgen.model.prompt import Prompts, PromptTemplateError

TEMPLATES = HOSTILE / "templates"


def plant(vault: Path, fixture: str, as_name: str) -> Path:
    """Copy a hostile template into the vault's .topicgen/prompts/ under the name it overrides."""
    folder = vault / ".topicgen" / "prompts"
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(TEMPLATES / fixture, folder / as_name))


def test_an_override_that_reaches_for_os_system_is_refused_and_runs_nothing(
    cli, vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plant(vault, "run-code.md.j2", "system.md.j2")
    monkeypatch.chdir(tmp_path)

    result = cli.run("new", "Rust", "--dry-run", "--vault", str(vault))

    assert result.exit_code == 2
    assert not (tmp_path / "topicgen-ran-vault-code").exists()
    (line,) = result.stderr.strip().splitlines()
    assert ".topicgen/prompts/system.md.j2, line 2" in line and "unsafe" in line


@pytest.mark.parametrize("fixture", ["class-walk.md.j2", "mutation.md.j2"])
def test_an_override_that_walks_python_objects_or_mutates_them_is_refused(vault: Path, fixture: str) -> None:
    plant(vault, fixture, "user.md.j2")

    with pytest.raises(PromptTemplateError, match=r"user\.md\.j2, line 1: .*unsafe"):
        Prompts(vault)


def test_an_override_cannot_include_a_file_outside_its_folder(vault: Path) -> None:
    plant(vault, "include-escape.md.j2", "user.md.j2")

    with pytest.raises(PromptTemplateError, match=r"user\.md\.j2.*etc/passwd"):
        Prompts(vault)


def test_an_undefined_name_is_one_line_naming_file_line_and_name_with_exit_2(cli, vault: Path) -> None:
    plant(vault, "undefined-name.md.j2", "user.md.j2")

    result = cli.run("new", "Rust", "--dry-run", "--vault", str(vault))

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: prompt template .topicgen/prompts/user.md.j2, line 2: 'topc' is undefined"
    ]


def test_a_syntax_error_is_one_line_naming_file_and_line_with_exit_2(cli, vault: Path) -> None:
    plant(vault, "syntax-error.md.j2", "user.md.j2")

    result = cli.run("new", "Rust", "--dry-run", "--vault", str(vault))

    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: prompt template .topicgen/prompts/user.md.j2, line 1: ")


def test_a_broken_override_is_found_at_start_up_before_any_call(cli, vault: Path) -> None:
    plant(vault, "undefined-name.md.j2", "reask.md.j2")  # only used when a reply is re-asked

    result = cli.run("new", "Rust", "--vault", str(vault))

    assert result.exit_code == 2
    assert "reask.md.j2, line 2: 'topc' is undefined" in result.stderr
    assert cli.server.requests == []
    assert not (vault / "topics" / "rust.md").exists()


def test_dry_run_names_the_templates_that_come_from_the_vault(cli, vault: Path) -> None:
    (vault / ".topicgen" / "prompts").mkdir(parents=True)
    (vault / ".topicgen" / "prompts" / "user.md.j2").write_text("About {{ topic }}.", encoding="utf-8")

    result = cli.run("new", "Rust", "--dry-run", "--vault", str(vault))

    assert result.exit_code == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("--- templates:")]
    assert "user.md.j2 from the vault (.topicgen/prompts/user.md.j2)" in line
    assert "system.md.j2, reask.md.j2, sections.md.j2 built in" in line


def test_a_linked_override_is_refused_rather_than_read(vault: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("not the vault's to send", encoding="utf-8")
    folder = vault / ".topicgen" / "prompts"
    folder.mkdir(parents=True)
    os.symlink(secret, folder / "system.md.j2")

    with pytest.raises(UsageError, match="symbolic link"):
        Prompts(vault)


def test_a_prompts_folder_linked_out_of_the_vault_is_refused(vault: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "user.md.j2").write_text("About {{ topic }}.", encoding="utf-8")
    (vault / ".topicgen").mkdir()
    os.symlink(elsewhere, vault / ".topicgen" / "prompts")

    with pytest.raises(UsageError, match="outside the vault"):
        Prompts(vault)


# --- templates that would exhaust the machine (issue 20.7) ------------------------------------------

EXHAUSTING = {
    "nested-loops.md.j2": "took more than 0.5 s to render",
    "lipsum.md.j2": "'lipsum' is undefined",
    "string-bomb.md.j2": "the result of '*' would hold more than",
    "self-calling-macro.md.j2": "calls nest more than 50 deep",
    "self-include.md.j2": "loads more than 100 templates",
    "huge-prompt.md.j2": "its output would hold more than",
    "doubling-macro.md.j2": "a '~' joining would hold more than",
    "format-width.md.j2": "a format string asks for a field of 0999999999 characters",
    "power.md.j2": "is a number too large to compute",
}


@pytest.mark.parametrize(("fixture", "problem"), EXHAUSTING.items(), ids=EXHAUSTING)
def test_an_override_that_would_exhaust_time_memory_or_the_stack_is_one_line_and_exit_2_before_any_call(
    cli, vault: Path, monkeypatch: pytest.MonkeyPatch, fixture: str, problem: str
) -> None:
    monkeypatch.setattr(template_sandbox, "MAX_SECONDS", 0.5)  # the bound, made short for the test
    plant(vault, fixture, "user.md.j2")

    result = cli.run("new", "Rust", "--vault", str(vault))

    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: prompt template .topicgen/prompts/user.md.j2") and problem in line
    assert cli.server.requests == []
    assert not (vault / "topics" / "rust.md").exists()


def test_an_override_within_the_bounds_renders_as_before(vault: Path) -> None:
    folder = vault / ".topicgen" / "prompts"
    folder.mkdir(parents=True)
    (folder / "user.md.j2").write_text(
        "{% macro item(s) %}- {{ s.heading }}{% endmacro %}"
        "Write about {{ topic | upper }} in {{ outline | length }} sections:\n"
        "{% for s in outline %}{{ item(s) }}\n{% endfor %}{{ '%-12s|' % topic }}{{ '{:>8}'.format(1) }}",
        encoding="utf-8",
    )

    (_, user) = Prompts(vault).messages("Graph Theory")

    assert user.content.startswith("Write about GRAPH THEORY in 20 sections:\n- 👉 What Is It?")
    assert user.content.endswith("Graph Theory|       1")
