"""Pages are written with grounded references: checked against the stand-in catalog and YouTube.

The stand-in knows half of what the fake provider invents. Unknown videos and
channels become YouTube searches for their name; unknown books are asked for
again once and, still unknown, kept and named; with the services down the
pages are written anyway, marked unverified, with one warning for the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import closed_port_url
from topicgen.read.parse import read_page
from topicgen.testing import Reply
from topicgen.verify.youtube import LinkKind, classify, search_link

TOPICS = ["Graph Theory", "Kuramoto Model", "Sourdough Baking"]


def frontmatter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def page_of(vault: Path, topic: str) -> Path:
    return vault / "topics" / f"{topic.lower().replace(' ', '-')}.md"


def books_reasks(fake_provider, topic: str) -> list[dict]:
    """The requests for ``topic`` that asked for the books section alone."""
    return [
        record.body
        for record in fake_provider.requests
        if record.topic == topic and set(_schema(record.body)["properties"]) == {"books"}
    ]


def _schema(body: dict) -> dict:
    return body["response_format"]["json_schema"]["schema"]


def test_every_video_or_channel_link_exists_on_youtube_or_is_a_search(empty_vault, cli, references):
    references.learn_half_of(TOPICS)
    result = cli.run("new", *TOPICS, "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    kinds = []
    for topic in TOPICS:
        for video in read_page(page_of(empty_vault, topic)).sections["videos"]:
            link = classify(video["url"])
            kinds.append(link.kind)
            if link.kind is LinkKind.SEARCH:
                assert video["url"] == search_link(video["name"])
            else:
                assert link.key in references.videos | references.channels, video["url"]
            assert video["name"].startswith("Videos name")  # name and description stay
            assert video["description"].startswith("Videos description")
    assert {LinkKind.VIDEO, LinkKind.CHANNEL, LinkKind.SEARCH} <= set(kinds)
    assert kinds.count(LinkKind.SEARCH) == 4  # 9 links, the stand-in knows 5
    assert "4 video/channel link(s) not on YouTube, now searches for their name" in result.stderr


def test_unknown_books_are_asked_for_again_once_and_named_when_still_unknown(
    empty_vault, cli, references, fake_provider
):
    references.learn_half_of(TOPICS)
    result = cli.run("new", *TOPICS, "--verbose", "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    summary = " ".join(result.stderr.split())
    named = 0
    for topic in TOPICS:
        books = read_page(page_of(empty_vault, topic)).sections["books"]
        assert len(books) == 8  # nothing dropped
        unknown = [
            f'"{b["title"]}" by {b["authors"]}'
            for b in books.values()
            if not references.knows_book(b["title"])
        ]
        (reask,) = books_reasks(fake_provider, topic)  # once per page
        for book in unknown:
            assert book in reask["messages"][-1]["content"]
            assert f"{book} ({topic})" in summary
        named += len(unknown)
        assert frontmatter(page_of(empty_vault, topic))["topicgen_verified"] is True
    assert named == 12  # of 24 books, the stand-in knows every other one
    assert "12 book(s) not in the catalog asked for again; 12 still not found, kept:" in summary


def test_books_not_found_are_counted_per_page_in_lines_of_at_most_100_characters_without_a_terminal(
    empty_vault, cli, references
):
    references.learn_half_of(TOPICS)
    result = cli.run("new", *TOPICS, "--vault", str(empty_vault), COLUMNS="")

    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert max(len(line) for line in lines) <= 100, "\n".join(line for line in lines if len(line) > 100)
    summary = " ".join(result.stderr.split())
    counts = ", ".join(f"{topic} 4" for topic in TOPICS)
    assert (
        f"12 still not found, kept (by page: {counts}); --verbose or `topicgen check --verify` names"
        in summary
    )
    assert not [line for line in lines if '" by ' in line]  # no book named one by one


def test_a_book_the_re_ask_replaces_with_a_real_one_is_no_longer_reported(
    empty_vault, cli, references, fake_provider
):
    references.add_book("Networks", ["Mark Newman"])
    real = {"title": "Networks", "authors": "Mark Newman", "note": "🕸️"}
    replacement = {
        label: real
        for label in (
            "topical",
            "tangentially_related",
            "topically_opposed",
            "more_general",
            "more_specific",
            "fictional",
            "rigorous",
            "accessible",
        )
    }
    fake_provider.script(Reply(), Reply(data={"books": replacement}), topic="Graph Theory")
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    page = page_of(empty_vault, "Graph Theory")
    assert '"Networks" by Mark Newman' in page.read_text(encoding="utf-8")
    assert "8 book(s) not in the catalog asked for again" in result.stderr
    assert "still not found" not in result.stderr
    assert len(books_reasks(fake_provider, "Graph Theory")) == 1


def test_with_the_services_down_pages_are_written_marked_unverified_with_one_warning(
    empty_vault, cli, references
):
    references.outage()
    result = cli.run("new", *TOPICS, "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith(
        "warning: references on 3 page(s) could not be checked; cannot reach 127.0.0.1:"
    )
    assert "topicgen check --verify" in warnings[0] and "topicgen regen --verify-only" in warnings[0]
    for topic in TOPICS:
        assert frontmatter(page_of(empty_vault, topic))["topicgen_verified"] is False


def test_the_unverified_warning_without_a_terminal_is_broken_into_lines_of_at_most_100_characters(
    empty_vault, cli, references
):
    references.outage()
    result = cli.run("new", *TOPICS, "--vault", str(empty_vault), COLUMNS="")

    assert result.exit_code == 0, result.stderr
    assert max(len(line) for line in result.stderr.splitlines()) <= 100
    warning = " ".join(result.stderr.split("warning: ", 1)[1].split())
    assert warning.startswith("references on 3 page(s) could not be checked; cannot reach 127.0.0.1:")
    assert (
        "; they are marked unverified; `topicgen check --verify` or `topicgen regen --verify-only`" in warning
    )


def test_a_service_nobody_listens_at_fails_fast_and_the_run_still_succeeds(empty_vault, cli, monkeypatch):
    monkeypatch.setenv("TOPICGEN_VERIFY_ENABLED", "true")
    monkeypatch.setenv("TOPICGEN_VERIFY_BOOKS_URL", closed_port_url())
    monkeypatch.setenv("TOPICGEN_VERIFY_VIDEOS_URL", closed_port_url())
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    assert frontmatter(page_of(empty_vault, "Graph Theory"))["topicgen_verified"] is False
    assert sum(line.startswith("warning:") for line in result.stderr.splitlines()) == 1


def test_no_verify_looks_nothing_up_and_marks_the_pages_unverified_without_a_warning(
    empty_vault, cli, references
):
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault), "--no-verify")
    assert result.exit_code == 0, result.stderr
    assert references.stats().requests == 0
    assert "warning" not in result.stderr
    assert frontmatter(page_of(empty_vault, "Graph Theory"))["topicgen_verified"] is False


def test_enabled_false_in_the_vault_settings_turns_checks_off(empty_vault, cli, references, monkeypatch):
    monkeypatch.delenv("TOPICGEN_VERIFY_ENABLED")
    (empty_vault / "topicgen.toml").write_text("[verify]\nenabled = false\n", encoding="utf-8")
    assert cli.run("new", "Graph Theory", "--vault", str(empty_vault)).exit_code == 0
    assert references.stats().requests == 0


def test_a_replayed_run_never_looks_anything_up(vault, cli, references):
    from tests.conftest import EXCHANGES

    result = cli.run("new", "Large Language Models", "--vault", str(vault), "--model", f"replay:{EXCHANGES}")
    assert result.exit_code == 0, result.stderr
    assert references.stats().requests == 0


def test_lookups_are_cached_in_the_vault_so_a_second_run_asks_nothing(empty_vault, cli, references):
    references.learn_half_of(["Graph Theory"])
    assert cli.run("new", "Graph Theory", "--vault", str(empty_vault)).exit_code == 0
    first = references.stats().requests
    references.reset_stats()
    assert cli.run("new", "Graph Theory", "--vault", str(empty_vault), "--force").exit_code == 0
    assert first > 0 and references.stats().requests == 0
    assert list((empty_vault / ".topicgen" / "cache" / "verify").rglob("*.json"))


def test_every_lookup_of_a_run_names_topicgen_in_its_user_agent(empty_vault, cli, references):
    cli.run("new", "Graph Theory", "--vault", str(empty_vault))
    (agent,) = references.stats().user_agents
    assert agent.startswith("topicgen/")


def test_regenerating_the_videos_checks_them_and_other_sections_leave_the_mark_alone(
    empty_vault, cli, references
):
    references.learn_half_of(["Graph Theory"])
    cli.run("new", "Graph Theory", "--vault", str(empty_vault), "--no-verify")
    page = page_of(empty_vault, "Graph Theory")
    assert cli.run("regen", "Graph Theory", "--sections", "joke", "--vault", str(empty_vault)).exit_code == 0
    assert references.stats().requests == 0
    assert frontmatter(page)["topicgen_verified"] is False
    result = cli.run("regen", "Graph Theory", "--sections", "videos", "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    assert references.stats().routes == {"oembed": 2, "channel": 1}
    assert frontmatter(page)["topicgen_verified"] is True
    assert "search_query=" in json.dumps(read_page(page).sections["videos"])


def test_adopt_checks_the_references_of_the_sections_the_model_writes(
    vault, topics_page, variant, cli, references
):
    page = topics_page(variant("missing-sections"))  # no videos section: the model writes it
    result = cli.run("adopt", str(page), "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    videos = read_page(page).sections["videos"]
    assert [classify(video["url"]).kind for video in videos] == [LinkKind.SEARCH] * len(videos)
    assert "search" not in references.stats().routes  # the page's own books are the person's, not looked up
