"""``check --verify`` names unverified books and videos by line; ``regen --verify-only`` finishes the job."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.test_verify_runs import TOPICS, page_of
from topicgen.read.parse import read_page
from topicgen.verify.youtube import LinkKind, classify

CORPUS_PAGE = Path(__file__).resolve().parent.parent / "fixtures" / "corpus" / "vault" / "topics"


def verified_mark(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1]).get("topicgen_verified")


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if text in line)


def test_check_verify_names_every_book_still_unknown_after_a_run_with_its_line(empty_vault, cli, references):
    references.learn_half_of(TOPICS)
    assert cli.run("new", *TOPICS, "--vault", str(empty_vault)).exit_code == 0
    result = cli.run("check", "--verify", "--vault", str(empty_vault))
    assert result.exit_code == 1  # unknown books are defects
    named = [line for line in result.stdout.splitlines() if "unknown-book" in line]
    assert len(named) == 12
    for topic in TOPICS:
        page = page_of(empty_vault, topic)
        for book in read_page(page).sections["books"].values():
            if not references.knows_book(book["title"]):
                line = line_of(page, book["title"])
                assert f'  line {line}: unknown-book: "{book["title"]}" by {book["authors"]} is not in' in (
                    result.stdout
                )
    assert "unknown-video" not in result.stdout  # those were replaced by searches when written


def test_pages_written_while_the_services_were_down_are_named_by_check_verify_later(
    empty_vault, cli, references
):
    references.learn_half_of(TOPICS)
    references.outage()
    assert cli.run("new", *TOPICS, "--vault", str(empty_vault)).exit_code == 0
    references.reset_stats()
    plain = cli.run("check", "--vault", str(empty_vault))
    assert plain.stdout.count("unverified") == 3  # a note per marked page
    assert references.stats().requests == 0  # check alone looks nothing up
    references.outage(False)
    references.reset_stats()
    result = cli.run("check", "--verify", "--json", "--vault", str(empty_vault))
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert references.stats().requests > 0
    for report in reports:
        page = empty_vault / report["page"]
        codes = [defect["code"] for defect in report["defects"]]
        assert codes.count("unknown-book") + codes.count("unknown-video") > 0
        assert "unverified" not in [note["code"] for note in report["notes"]]  # checked now
        for defect in report["defects"]:
            if defect["code"] == "unknown-video":
                assert defect["line"] == line_of(page, defect["message"].split("](")[1].split(")")[0])


def test_check_verify_with_the_services_down_warns_once_and_notes_what_it_could_not_check(
    empty_vault, cli, references
):
    assert cli.run("new", "Graph Theory", "--vault", str(empty_vault), "--no-verify").exit_code == 0
    references.outage()
    result = cli.run("check", "--verify", "--vault", str(empty_vault))
    assert result.exit_code == 0  # nothing wrong was found: nothing could be looked up
    assert sum(line.startswith("warning:") for line in result.stderr.splitlines()) == 1
    assert "unverified" in result.stdout


def test_check_verify_reads_books_and_videos_from_a_real_page_of_another_era(
    vault, topics_page, variant, cli, references
):
    page = topics_page(variant("star-and-indented-bullets"))
    references.add_book("Klara and the Sun", ["Kazuo Ishiguro"])
    result = cli.run("check", "--verify", str(page), "--vault", str(vault))
    lines = result.stdout.splitlines()
    assert not any("Klara and the Sun" in line for line in lines)  # the catalog has it
    assert not any("Deep Learning" in line for line in lines)  # a note in books/: found without a lookup
    speech = line_of(page, "Speech and Language Processing")
    assert any(line.startswith(f"  line {speech}: unknown-book:") for line in lines)
    papers = line_of(page, "Two Minute Papers")
    assert any(line.startswith(f"  line {papers}: unknown-video:") for line in lines)


def test_regen_verify_only_finishes_the_job_for_every_page_marked_unverified(
    empty_vault, cli, references, fake_provider
):
    references.learn_half_of(TOPICS)
    references.outage()
    assert cli.run("new", *TOPICS, "--vault", str(empty_vault)).exit_code == 0
    references.outage(False)
    before = fake_provider.stats().requests
    result = cli.run("regen", "--verify-only", "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    assert fake_provider.stats().requests - before == 3  # one books re-ask per page, nothing else
    for topic in TOPICS:
        page = page_of(empty_vault, topic)
        assert verified_mark(page) is True
        for video in read_page(page).sections["videos"]:
            link = classify(video["url"])
            assert link.kind is LinkKind.SEARCH or link.key in references.videos | references.channels
    stale = cli.run("stale", "--vault", str(empty_vault))
    assert "0 stale" in stale.stdout  # its generation metadata still describes the page
    again = cli.run("regen", "--verify-only", "--vault", str(empty_vault))
    assert "no page is marked unverified" in again.stderr


def test_regen_verify_only_leaves_a_section_a_person_edited_as_it_is(empty_vault, cli, references):
    references.outage()
    assert cli.run("new", "Graph Theory", "--vault", str(empty_vault)).exit_code == 0
    page = page_of(empty_vault, "Graph Theory")
    edited = page.read_text(encoding="utf-8").replace(
        "- 📺 [Videos name", "- 📺 [My favourite, Videos name", 1
    )
    page.write_text(edited, encoding="utf-8")
    references.outage(False)
    assert cli.run("regen", "--verify-only", "Graph Theory", "--vault", str(empty_vault)).exit_code == 0
    assert "[My favourite, Videos name" in page.read_text(encoding="utf-8")
    assert "watch?v=" in page.read_text(encoding="utf-8") and "@channel" in page.read_text(encoding="utf-8")


def test_regen_verify_only_refuses_a_page_topicgen_did_not_write(
    vault, topics_page, variant, cli, references
):
    topics_page(variant("star-and-indented-bullets"))
    result = cli.run("regen", "--verify-only", "large-language-models", "--vault", str(vault))
    assert result.exit_code == 2
    assert "not generated by topicgen" in result.stderr
