"""Honest numbers (issue 13, item 6): estimates come from the same prompt builder as the run.

``new --dry-run`` names the model and the cost; ``regen --dry-run`` estimates a
whole page as ``new`` does (it sends the same request); ``adopt --dry-run``
gives its estimate too, and a page it leaves alone is no failure.
"""

from __future__ import annotations

import re

from conftest import CORPUS, TopicgenCli

TOPIC = "Graph Theory"


def estimate_of(text: str) -> int:
    """The input tokens an estimate line names."""
    return int(re.search(r"([\d,]+) input", text).group(1).replace(",", ""))


def test_new_dry_run_names_the_model_and_the_cost(cli: TopicgenCli, vault):
    result = cli.run("new", TOPIC, "--dry-run", "--vault", str(vault), "--model", "openai:gpt-5-mini")
    assert result.exit_code == 0
    (last,) = [line for line in result.stdout.splitlines() if line.startswith("--- 1 topic(s) with")]
    assert "openai:gpt-5-mini" in last and re.search(r"about \$\d+\.\d{4}", last)
    assert cli.server.stats().requests == 0


def test_regen_dry_run_estimates_a_whole_page_as_new_dry_run_does(cli: TopicgenCli, vault):
    planned = cli.run("new", TOPIC, "--dry-run", "--vault", str(vault)).stdout
    assert cli.run("new", TOPIC, "--vault", str(vault)).exit_code == 0
    regen = cli.run("regen", TOPIC, "--dry-run", "--vault", str(vault), COLUMNS="300")
    assert regen.exit_code == 0
    assert estimate_of(" ".join(regen.stdout.split())) == estimate_of(planned.splitlines()[-1])


def test_the_estimate_is_within_a_tenth_of_what_the_run_sends(cli: TopicgenCli, vault):
    planned = estimate_of(cli.run("new", TOPIC, "--dry-run", "--vault", str(vault)).stdout.splitlines()[-1])
    assert cli.run("new", TOPIC, "--vault", str(vault)).exit_code == 0
    sent = cli.server.stats().input_tokens
    assert abs(planned - sent) <= sent / 10, (planned, sent)


def test_adopt_dry_run_gives_its_estimate_and_calls_nothing(cli: TopicgenCli, vault, topics_page, variant):
    topics_page(variant("missing-sections"))
    result = cli.run("adopt", "--all", "--dry-run", "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    assert "1 page(s) would ask openai:fake-model; no call made" in result.stderr
    assert estimate_of(result.stderr) > 0
    assert cli.server.stats().requests == 0


def test_adopt_dry_run_of_a_page_it_leaves_alone_is_no_failure(cli: TopicgenCli, vault, topics_page):
    topics_page((CORPUS / "variants" / "engineering.md").read_text(encoding="utf-8"), "engineering")
    result = cli.run("adopt", "--all", "--dry-run", "--vault", str(vault))
    assert result.exit_code == 0
    assert "1 page(s) left alone" in result.stderr and "no failure" in result.stderr
