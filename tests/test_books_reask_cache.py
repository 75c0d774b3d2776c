"""The books re-ask of reference checks goes through the reply cache, as a page's reply does.

A run that paid for a page and for its books re-ask, but did not write the
page (stopped, or only previewed), asks for neither again when run once more.
``--fresh`` asks for both; an answer that is not fully valid is never stored,
and a stored one is validated again before it is used. ``regen --verify-only``
follows the same rules, and the run's summary counts the books answered from
the cache apart from those asked for.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from topicgen.read.parse import parse_page, read_page
from topicgen.runs.references import summary_lines
from topicgen.testing import Reply
from topicgen.verify.checker import PageReferences

TOPIC = "Graph Theory"
BATCH = {"TOPICGEN_BATCH_POLL": "0.02"}


def page_of(vault: Path) -> Path:
    return vault / "topics" / "graph-theory.md"


def books_reasks(fake_provider) -> int:
    """Requests for the books section alone (whole-page requests ask for every section)."""
    return sum(
        set(record.body["response_format"]["json_schema"]["schema"]["properties"]) == {"books"}
        for record in fake_provider.requests
        if record.topic == TOPIC
    )


def page_requests(fake_provider) -> int:
    return fake_provider.stats().requests - books_reasks(fake_provider)


def run(cli, vault: Path, *args: str, **env: str):
    result = cli.run(*args, "--vault", str(vault), **env)
    assert result.exit_code == 0, result.stderr
    return result


def cached_books(vault: Path) -> list[Path]:
    """The reply cache entries holding a books section alone."""
    entries = (vault / ".topicgen" / "cache" / "replies").rglob("*.json")
    return [path for path in entries if set(json.loads(path.read_bytes())["page"]) == {"books"}]


@pytest.fixture
def paid(empty_vault: Path, cli, references, fake_provider) -> Path:
    """A vault whose first run paid for the page and its books re-ask; the provider's counts reset."""
    references.learn_half_of([TOPIC])
    run(cli, empty_vault, "new", TOPIC)
    assert page_requests(fake_provider) == 1 and books_reasks(fake_provider) == 1
    fake_provider.reset_stats()
    return empty_vault


def test_a_run_stopped_after_its_books_re_ask_asks_for_neither_again_and_writes_the_page(
    paid, cli, fake_provider
):
    books = read_page(page_of(paid)).sections["books"]
    page_of(paid).unlink()  # as if the run had died after the re-ask, before the write
    resumed = run(cli, paid, "new", TOPIC)
    assert fake_provider.stats().requests == 0
    assert "from the reply cache" in resumed.stderr
    assert read_page(page_of(paid)).sections["books"] == books


def test_a_page_previewed_with_its_books_re_asked_is_then_written_without_a_request(
    empty_vault, cli, references, fake_provider
):
    references.learn_half_of([TOPIC])
    preview = run(cli, empty_vault, "new", TOPIC, "--output", "-")
    assert books_reasks(fake_provider) == 1 and not page_of(empty_vault).exists()
    fake_provider.reset_stats()
    run(cli, empty_vault, "new", TOPIC)
    assert fake_provider.stats().requests == 0
    written = page_of(empty_vault).read_text(encoding="utf-8")
    assert written.split("---\n", 2)[2].rstrip("\n") == preview.stdout.split("---\n", 2)[2].rstrip("\n")


def test_fresh_asks_for_the_page_and_its_books_again(paid, cli, fake_provider):
    page_of(paid).unlink()
    run(cli, paid, "new", TOPIC, "--fresh")
    assert page_requests(fake_provider) == 1 and books_reasks(fake_provider) == 1


def test_regen_force_asks_for_the_books_again_rather_than_reuse_the_answer_the_page_was_made_from(
    paid, cli, fake_provider
):
    run(cli, paid, "regen", TOPIC, "--force")
    assert page_requests(fake_provider) == 1 and books_reasks(fake_provider) == 1


@pytest.mark.parametrize(
    "answer",
    [
        Reply(data={"books": {"topical": {"title": "Networks", "authors": "Mark Newman", "note": "🕸️"}}}),
        Reply(text="Here are some better books."),
    ],
    ids=["books-missing", "not-json"],
)
def test_a_books_re_ask_answer_that_is_not_fully_valid_is_not_cached(
    answer, empty_vault, cli, references, fake_provider
):
    references.learn_half_of([TOPIC])
    fake_provider.script(Reply(), answer, topic=TOPIC)
    run(cli, empty_vault, "new", TOPIC)
    assert books_reasks(fake_provider) == 1
    assert cached_books(empty_vault) == []
    page_of(empty_vault).unlink()
    fake_provider.reset_stats()
    run(cli, empty_vault, "new", TOPIC)
    assert page_requests(fake_provider) == 0 and books_reasks(fake_provider) == 1  # asked again


def test_a_cached_books_answer_that_no_longer_validates_is_asked_again(paid, cli, fake_provider):
    (entry,) = cached_books(paid)
    saved = json.loads(entry.read_text(encoding="utf-8"))
    saved["page"]["books"] = {"topical": "not a book"}
    entry.write_text(json.dumps(saved), encoding="utf-8")
    page_of(paid).unlink()
    run(cli, paid, "new", TOPIC)
    assert page_requests(fake_provider) == 0 and books_reasks(fake_provider) == 1
    assert cached_books(paid) != [] and json.loads(entry.read_text(encoding="utf-8"))["page"] != saved["page"]


def test_a_batch_run_run_again_after_its_batches_are_cleaned_takes_the_books_from_the_reply_cache(
    empty_vault, cli, references, fake_provider
):
    references.learn_half_of([TOPIC])
    fake_provider.configure(batch_delay=0.1)
    run(cli, empty_vault, "new", TOPIC, "--batch", **BATCH)
    assert len(fake_provider.batch_desk.summary()) == 2  # the page, then its books alone
    run(cli, empty_vault, "batch", "clean", **BATCH)
    page_of(empty_vault).unlink()
    again = run(cli, empty_vault, "new", TOPIC, "--batch", **BATCH)
    assert len(fake_provider.batch_desk.summary()) == 2  # no new batch, no live call
    assert "from the reply cache" in again.stderr
    assert page_of(empty_vault).exists()


def books_asked_for(summary: str) -> int:
    """How many books the summary says were asked for again."""
    return int(re.search(r"(\d+) book\(s\) not in the catalog asked for again", summary).group(1))


def test_the_summary_says_how_many_books_answers_came_from_the_reply_cache(
    empty_vault, cli, references, fake_provider
):
    references.learn_half_of([TOPIC])
    first = run(cli, empty_vault, "new", TOPIC)
    asked = books_asked_for(first.stderr)
    assert "answered from the reply cache" not in first.stderr
    page_of(empty_vault).unlink()
    resumed = run(cli, empty_vault, "new", TOPIC)
    assert fake_provider.stats().requests == 2  # the first run's page and books re-ask, nothing more
    assert f"{asked} book(s) not in the catalog asked for again ({asked} answered from the reply cache)" in (
        resumed.stderr
    )


def test_the_summary_counts_books_answered_from_the_reply_cache_apart_from_books_asked_for():
    lines = summary_lines(
        [
            ("Graph Theory", PageReferences(verified=True, reasked_books=3)),
            ("Rust", PageReferences(verified=True, reasked_books=2, reask_cached=True)),
        ]
    )
    assert lines == [
        "references: 5 book(s) not in the catalog asked for again (2 answered from the reply cache)"
    ]


@pytest.fixture
def unverified(empty_vault: Path, cli, references) -> Path:
    """A vault whose page was written while the catalog and YouTube were down: marked unverified."""
    references.learn_half_of([TOPIC])
    references.outage()
    run(cli, empty_vault, "new", TOPIC)
    references.outage(False)
    return empty_vault


def rechecked_but_not_written(vault: Path, cli, fake_provider) -> tuple[str, str]:
    """Run ``regen --verify-only`` (paying for the books re-ask), then put the page back as it was,
    mtime and all, as if the run had stopped before its write; (the page before, the page after)."""
    page = page_of(vault)
    before, mtime = page.read_text(encoding="utf-8"), page.stat().st_mtime_ns
    run(cli, vault, "regen", "--verify-only")
    assert books_reasks(fake_provider) == 1
    after = page.read_text(encoding="utf-8")
    page.write_text(before, encoding="utf-8")
    os.utime(page, ns=(mtime, mtime))
    fake_provider.reset_stats()
    return before, after


def test_regen_verify_only_run_again_after_a_run_that_did_not_write_the_page_sends_no_books_request(
    unverified, cli, fake_provider
):
    _, after = rechecked_but_not_written(unverified, cli, fake_provider)
    again = run(cli, unverified, "regen", "--verify-only")
    assert fake_provider.stats().requests == 0
    assert "answered from the reply cache" in again.stderr
    assert read_page(page_of(unverified)).sections["books"] == parse_page(after).sections["books"]


def test_regen_verify_only_does_not_reuse_a_books_answer_stored_before_the_page_was_written(
    unverified, cli, fake_provider
):
    before, _ = rechecked_but_not_written(unverified, cli, fake_provider)
    page_of(unverified).write_text(before, encoding="utf-8")  # written again after the answer was stored
    run(cli, unverified, "regen", "--verify-only")
    assert books_reasks(fake_provider) == 1


def test_regen_verify_only_fresh_asks_for_the_books_again_whatever_the_cache_holds(
    unverified, cli, fake_provider
):
    rechecked_but_not_written(unverified, cli, fake_provider)
    again = run(cli, unverified, "regen", "--verify-only", "--fresh")
    assert books_reasks(fake_provider) == 1
    assert "answered from the reply cache" not in again.stderr
