"""How a new page starts and ends follows the vault (issue 13, item 13).

A written page ends with a newline unless the vault's own pages do not
(``final_newline``; the reference page has none), and ``share: true`` is the
default of the ``[frontmatter]`` table, not a constant.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import REFERENCE_PAGE, TopicgenCli

TOPIC = "Graph Theory"


def new_page(cli: TopicgenCli, vault: Path, *flags: str) -> str:
    result = cli.run("new", TOPIC, "--vault", str(vault), *flags)
    assert result.exit_code == 0, result.stderr
    return (vault / "topics" / "graph-theory.md").read_text(encoding="utf-8")


def frontmatter_keys(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1])


def test_a_new_page_ends_with_a_newline_in_a_vault_with_no_pages(cli, empty_vault):
    assert new_page(cli, empty_vault).endswith("\n")


def test_a_new_page_ends_as_the_vaults_own_pages_do(cli, empty_vault):
    (empty_vault / "topics").mkdir()
    (empty_vault / "topics" / "large-language-models.md").write_bytes(REFERENCE_PAGE.read_bytes())
    assert not REFERENCE_PAGE.read_bytes().endswith(b"\n")
    assert not new_page(cli, empty_vault).endswith("\n")


@pytest.mark.parametrize(("setting", "ends"), [("true", True), ("false", False)])
def test_the_final_newline_setting_overrides_what_the_vault_does(cli, empty_vault, setting, ends):
    (empty_vault / "topicgen.toml").write_text(f"final_newline = {setting}\n", encoding="utf-8")
    assert new_page(cli, empty_vault).endswith("\n") is ends


def test_the_reference_vault_writes_the_reference_page_without_a_final_newline(cli, vault):
    assert not new_page(cli, vault).endswith("\n")


def test_share_true_is_the_default_of_the_frontmatter_table(cli, empty_vault):
    text = new_page(cli, empty_vault)
    assert text.startswith("---\nshare: true\naliases:\n")


def test_the_frontmatter_table_sets_a_new_pages_first_keys(cli, empty_vault):
    (empty_vault / "topicgen.toml").write_text(
        '[frontmatter]\nshare = false\ndraft = true\ntags = ["topic"]\n', encoding="utf-8"
    )
    text = new_page(cli, empty_vault)
    assert text.startswith("---\nshare: false\ndraft: true\ntags:\n")
    assert frontmatter_keys(text)["tags"] == ["topic"]


def test_an_empty_frontmatter_table_writes_no_share_key(cli, empty_vault):
    (empty_vault / "topicgen.toml").write_text("frontmatter = {}\n", encoding="utf-8")
    assert "share" not in frontmatter_keys(new_page(cli, empty_vault))


def test_a_pages_own_value_wins_over_the_frontmatter_table(cli, empty_vault):
    new_page(cli, empty_vault)
    page = empty_vault / "topics" / "graph-theory.md"
    page.write_text(page.read_text(encoding="utf-8").replace("share: true", "share: false"), encoding="utf-8")
    text = new_page(cli, empty_vault, "--force")
    assert frontmatter_keys(text)["share"] is False


@pytest.mark.parametrize("key", ["title", "aliases", "URL", "topicgen_model"])
def test_the_frontmatter_table_cannot_set_topicgens_own_keys(cli, empty_vault, key):
    (empty_vault / "topicgen.toml").write_text(f'[frontmatter]\n{key} = "x"\n', encoding="utf-8")
    result = cli.run("new", TOPIC, "--vault", str(empty_vault))
    assert result.exit_code == 2
    assert "is written by topicgen itself" in result.stderr and len(result.stderr.splitlines()) == 1
