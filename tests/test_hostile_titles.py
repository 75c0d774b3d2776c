"""A topic name or a page's title becomes a page's heading: it meets the rules model text meets (issue 20.6).

``regen`` copied a frontmatter title holding ``<img onerror>`` and
``{{site.github}}`` into the page's H1, and ``new "{{site.github}} Graph"``
was accepted. Names from the command line, a ``--from`` file and a page's
title are all held to the allow-list. The names are in tests/hostile/text/titles.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import HOSTILE, TopicgenCli

from topicgen.read.adoption import plan_adoption

TITLES = json.loads((HOSTILE / "text" / "titles.json").read_text(encoding="utf-8"))
NAMES = TITLES["names"]


@pytest.mark.parametrize("attack", NAMES)
def test_a_topic_name_that_would_put_markup_in_a_heading_is_one_line_and_exit_2(
    cli: TopicgenCli, empty_vault: Path, attack: str
) -> None:
    result = cli.run("new", "--vault", str(empty_vault), "--", NAMES[attack])

    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and repr(NAMES[attack])[1:15] in line
    assert cli.server.requests == [] and not (empty_vault / "topics").exists()


def test_a_name_in_a_from_file_is_held_to_the_same_rules(
    cli: TopicgenCli, empty_vault: Path, tmp_path: Path
) -> None:
    names = tmp_path / "names.txt"
    names.write_text(
        f"Graph Theory\n{NAMES['template syntax a static-site builder runs']}\n", encoding="utf-8"
    )

    result = cli.run("new", "--from", str(names), "--vault", str(empty_vault))

    assert result.exit_code == 2 and "template syntax" in result.stderr
    assert cli.server.requests == []


def test_regen_fails_a_page_whose_frontmatter_title_holds_markup_and_leaves_it_as_it_was(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    assert cli.run("new", "Graph Theory", "--vault", str(empty_vault)).exit_code == 0
    page = empty_vault / "topics" / "graph-theory.md"
    text = page.read_text(encoding="utf-8")
    title = json.dumps(TITLES["frontmatter title"], ensure_ascii=False)
    edited = "\n".join(f"title: {title}" if line.startswith("title: ") else line for line in text.split("\n"))
    page.write_text(edited, encoding="utf-8")

    result = cli.run("regen", str(page), "--vault", str(empty_vault))

    assert result.exit_code == 1
    (row,) = [line for line in result.stderr.splitlines() if line.startswith("failed ")]
    assert "title" in row and "HTML" in row
    assert page.read_text(encoding="utf-8") == edited
    assert len(cli.server.requests) == 1  # the first draft's; regen asked nothing


def test_adopt_leaves_a_page_whose_heading_holds_template_syntax_alone(variant) -> None:
    text = variant("h4-headings")
    heading = next(line for line in text.split("\n") if line.startswith("# "))

    plan = plan_adoption(Path("x.md"), text.replace(heading, TITLES["heading"], 1))

    assert plan.refused is not None and "template syntax" in plan.refused
    assert plan.asks == ()
