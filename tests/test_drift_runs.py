"""Runs against the fake provider: drift costs nothing, wrong sections cost only themselves (issue 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
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


# --- the fake provider's drift mode (issue 8 acceptance) --------------------------------------------

TOPICS = [f"Drift Topic {n:03d}" for n in range(40)]


def forty_pages(cli: TopicgenCli, root: Path, provider: str, **fake: float) -> tuple[int, object]:
    """``topicgen new`` for forty topics with the fake provider set to ``fake``: (valid pages, stats)."""
    from topicgen.vault.slugs import slug_for

    cli.server.configure(seed=8, **fake)
    cli.server.reset_stats()
    listing = root.parent / f"{root.name}.txt"
    listing.write_text("\n".join(TOPICS) + "\n", encoding="utf-8")
    root.mkdir()
    result = cli.run("new", "--from", str(listing), "--vault", str(root), provider=provider, **NO_LOOKUPS)
    assert result.exit_code == 0, result.stderr
    written = 0
    for topic in TOPICS:
        assert_valid_page(root / "topics" / f"{slug_for(topic)}.md", topic)
        written += 1
    return written, cli.server.stats()


NO_LOOKUPS = {"TOPICGEN_VERIFY_ENABLED": "false", "TOPICGEN_CONCURRENCY": "8"}


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_with_drift_on_half_the_replies_forty_pages_are_written_at_no_extra_cost(
    cli: TopicgenCli, tmp_path: Path, provider: str
) -> None:
    clean_written, clean = forty_pages(cli, tmp_path / "clean", provider, drift_rate=0.0)
    written, drifted = forty_pages(cli, tmp_path / "drifted", provider, drift_rate=0.5)

    assert (clean_written, written) == (40, 40)
    assert 10 <= drifted.drift["replies"] <= 30  # about half of the replies drifted
    assert drifted.requests == clean.requests == 40  # drift never costs a call
    assert drifted.output_tokens <= 1.10 * clean.output_tokens


def test_a_wrong_section_is_re_asked_alone_and_costs_far_less_than_the_page(
    cli: TopicgenCli, tmp_path: Path
) -> None:
    written, stats = forty_pages(cli, tmp_path / "wrong", "openai", drift_rate=0.5, wrong_section_rate=0.2)
    assert written == 40
    assert stats.section_requests == stats.drift["wrong-section"] > 0
    per_page = (stats.output_tokens - stats.section_output_tokens) / 40
    assert stats.section_output_tokens < 0.25 * per_page * stats.section_requests


def test_the_fake_provider_drifts_the_same_replies_whatever_the_order(
    cli: TopicgenCli, tmp_path: Path
) -> None:
    pages = []
    for concurrency in ("1", "8"):
        cli.server.configure(seed=3, drift_rate=0.5)
        cli.server.reset_stats()
        root = tmp_path / f"c{concurrency}"
        root.mkdir()
        topics = TOPICS[:10]
        lookups = {**NO_LOOKUPS, "TOPICGEN_CONCURRENCY": concurrency}
        assert cli.run("new", *topics, "--vault", str(root), **lookups).exit_code == 0
        pages.append(
            {
                path.name: path.read_text(encoding="utf-8").split("\n---\n")[1]
                for path in root.glob("topics/d*")
            }
        )
    assert pages[0] == pages[1] and len(pages[0]) == 10
