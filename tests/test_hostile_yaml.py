"""Frontmatter from a vault is untrusted YAML: no alias bombs, no stack overflows, one bad page is that
page's error (issue 12.7). The YAML is kept in tests/hostile/yaml/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import HOSTILE

from topicgen.errors import VaultError
from topicgen.vault.frontmatter import MAX_DEPTH, UnsafeYaml, compose, load_yaml, read_frontmatter

BOMB = (HOSTILE / "yaml" / "billion-laughs.yaml").read_text(encoding="utf-8")
DEEP = (HOSTILE / "yaml" / "deep-nesting.yaml").read_text(encoding="utf-8")
MERGE = (HOSTILE / "yaml" / "merge-key-alias.yaml").read_text(encoding="utf-8")
TOPIC = "Large Language Models"


def poison(page: Path, yaml_text: str) -> None:
    """Put hostile YAML at the top of a page's frontmatter."""
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("---\n", "---\n" + yaml_text, 1), encoding="utf-8")


@pytest.mark.parametrize(("text", "problem"), [(BOMB, "aliases"), (MERGE, "aliases"), (DEEP, "deeper")])
def test_aliases_and_deep_nesting_are_refused_before_anything_is_built(text: str, problem: str) -> None:
    with pytest.raises(UnsafeYaml, match=problem):
        load_yaml(text)


def test_ordinary_frontmatter_loads_as_before() -> None:
    text = "title: 🤖 Rust\ntags:\n  - lang\nnested: {a: [1, {b: c}]}\nanchor_only: &x 1\n"
    assert load_yaml(text) == yaml.safe_load(text)


def test_nesting_up_to_the_cap_is_allowed() -> None:
    inner = MAX_DEPTH - 1  # the frontmatter's own mapping is the first level
    assert load_yaml("k: " + "[" * inner + "]" * inner) is not None


def test_a_note_with_hostile_frontmatter_reads_as_having_none() -> None:
    assert read_frontmatter(f"---\n{BOMB}---\n# Body\n") == ({}, f"---\n{BOMB}---\n# Body\n")


def test_rewriting_hostile_frontmatter_is_an_error_not_a_hang() -> None:
    with pytest.raises(VaultError, match="aliases"):
        compose({"title": "t"}, {}, BOMB)


def test_check_reports_each_hostile_page_and_checks_the_others(cli, vault: Path, draft_into) -> None:
    good = draft_into(vault)
    for name, text in (("laughs", BOMB), ("deep", DEEP)):
        page = vault / "topics" / f"{name}.md"
        page.write_text(good.read_text(encoding="utf-8"), encoding="utf-8")
        poison(page, text)

    result = cli.run("check", "--vault", str(vault))

    assert result.exit_code == 1, result.stderr
    assert "RecursionError" not in result.stdout + result.stderr
    assert "laughs.md" in result.stdout and "aliases" in result.stdout
    assert "deep.md" in result.stdout and "deeper than" in result.stdout
    assert "large-language-models.md" in result.stdout


def test_import_of_a_deeply_nested_page_is_one_finding(cli, vault: Path, draft_into) -> None:
    page = draft_into(vault)
    poison(page, DEEP)

    result = cli.run("import", str(page))

    assert "deeper than" in result.stderr
    assert result.exit_code in (0, 1)


def test_adopt_all_reports_the_hostile_page_and_goes_on(cli, vault: Path, draft_into) -> None:
    page = draft_into(vault)
    poison(page, BOMB)

    result = cli.run("adopt", "--all", "--dry-run", "--vault", str(vault))

    assert "RecursionError" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 1)


def test_regen_fails_only_the_page_with_a_yaml_bomb(cli, vault: Path, draft_into) -> None:
    bombed = draft_into(vault)
    other = draft_into(vault, "Graph Theory")
    poison(bombed, BOMB)
    before = bombed.read_text(encoding="utf-8")

    result = cli.run("regen", TOPIC, "Graph Theory", "--vault", str(vault), "--verbose")

    row = next(line for line in result.stderr.splitlines() if TOPIC in line and "failed" in line)
    assert "cannot be read safely" in row and "aliases" in row
    assert bombed.read_text(encoding="utf-8") == before
    assert "Graph Theory" in other.read_text(encoding="utf-8")
    assert [line for line in result.stderr.splitlines() if "graph-theory.md" in line and "written" in line]


def test_new_force_over_a_yaml_bomb_fails_that_page(cli, vault: Path, draft_into) -> None:
    page = draft_into(vault)
    poison(page, BOMB)
    before = page.read_text(encoding="utf-8")

    result = cli.run("new", TOPIC, "--force", "--verbose", "--vault", str(vault))

    assert result.exit_code == 1
    row = next(line for line in result.stderr.splitlines() if TOPIC in line and "failed" in line)
    assert "aliases" in row
    assert page.read_text(encoding="utf-8") == before
    assert cli.server.requests == []  # refused before paying for a reply
