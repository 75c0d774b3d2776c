"""Runs against the fake provider: drift costs nothing, wrong sections cost only themselves (issue 8)."""

from __future__ import annotations

from pathlib import Path

from conftest import TopicgenCli, assert_valid_page

from topicgen.testing import Reply

TOPIC = "Graph Theory"


def test_the_run_summary_lists_drift_and_the_re_asked_sections(cli: TopicgenCli, empty_vault: Path) -> None:
    cli.server.script(Reply(patch={"joke": "", "qualities.0": "**Sparse:** few edges"}))

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    _, second = cli.server.requests
    assert set(second.body["response_format"]["json_schema"]["schema"]["properties"]) == {"joke"}
    assert "bold-label" in result.stderr and "re-asked joke" in result.stderr
    assert "1 section(s) re-asked" in result.stderr and "1 drift note(s)" in result.stderr
    page = empty_vault / "topics" / "graph-theory.md"
    assert_valid_page(page, TOPIC)
    assert "- 🌟 Sparse: few edges" in page.read_text(encoding="utf-8")
