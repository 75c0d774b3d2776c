"""``topicgen check`` (issue 3): what is wrong with each page, with line numbers; exit 1 on defects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, REFERENCE_PAGE
from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.config import open_vault
from topicgen.read.findings import Code
from topicgen.read.parse import PageKind
from topicgen.upkeep.check import check_pages, pages_to_check


def check(root: Path, *paths: Path):
    vault, _ = open_vault(root)
    return check_pages(vault, pages_to_check(vault, list(paths)))


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize(
    ("name", "code", "lines"),
    [
        ("missing-sections", Code.MISSING_SECTION, [118, 122, 139]),
        ("duplicated-heading", Code.DUPLICATE_HEADING, [31]),
        ("repeated-summary-heading", Code.DUPLICATE_HEADING, [11]),
        ("leaked-prompt-wording", Code.LEAKED_INSTRUCTIONS, [16, 92, 139]),
        ("chatty-preamble", Code.PREAMBLE, [11]),
        ("out-of-order", Code.OUT_OF_ORDER, [23]),
        ("empty-section", Code.EMPTY_SECTION, [83]),
        ("extra-jokes", Code.EXTRA_JOKE, [141]),
        ("broken-links", Code.BROKEN_LINK, [69, 150]),
        ("malformed-frontmatter", Code.MALFORMED_FRONTMATTER, [7]),
        ("unplaced-text", Code.UNPLACED, [46, 47, 48]),
    ],
)
def test_each_defect_is_reported_with_its_lines(vault, topics_page, variant, name, code, lines):
    (report,) = check(vault, topics_page(variant(name)))
    assert [f.line for f in report.defects if f.code is code] == lines
    assert not report.clean


def test_a_broken_link_names_the_note_it_points_at(vault, topics_page, variant):
    (report,) = check(vault, topics_page(variant("broken-links")))
    messages = [f.message for f in report.defects]
    assert any("../books/speech-and-language-processing.md" in m for m in messages)
    assert any("./artificial-intelligence.md" in m for m in messages)


def test_a_wiki_link_to_a_missing_note_is_broken_and_to_an_existing_one_is_not(vault, topics_page, variant):
    text = variant("own-keys-and-notes").replace(
        "[[machine-learning]]", "[[machine-learning]] [[deep-learning]]"
    )
    (report,) = check(vault, topics_page(text))
    assert [f.message.split()[0] for f in report.defects] == ["[[machine-learning]]"]


def test_the_reference_page_in_its_vault_is_clean(vault, topics_page):
    (report,) = check(vault, topics_page(REFERENCE_PAGE.read_text(encoding="utf-8")))
    assert report.clean and report.kind is PageKind.TOPIC
    assert report.adopt == "rewrite it with no model call"


def test_older_shapes_are_notes_not_defects(vault, topics_page, variant):
    (report,) = check(vault, topics_page(variant("h4-headings")))
    assert report.clean and {f.code for f in report.notes} == {Code.HEADING_VARIANT}


def test_a_category_page_is_named_and_left_alone(vault, topics_page):
    (report,) = check(
        vault, topics_page((CORPUS / "variants" / "engineering.md").read_text(encoding="utf-8"))
    )
    assert report.kind is PageKind.CATEGORY and report.clean and report.findings == []


def test_a_page_without_an_ai_summary_is_named_and_left_alone(vault, topics_page, variant):
    (report,) = check(vault, topics_page(variant("no-summary")))
    assert report.kind is PageKind.NO_SUMMARY and report.clean


def test_check_says_what_adopt_would_do(vault, topics_page, variant):
    (missing,) = check(vault, topics_page(variant("missing-sections")))
    assert missing.adopt == "rewrite it, asking the model for comparisons, history, videos"
    (quantum,) = check(vault, topics_page((CORPUS / "variants" / "quantum-computing.md").read_text("utf-8")))
    assert quantum.adopt == "rewrite it with no model call"
    (unplaced,) = check(vault, topics_page(variant("unplaced-text")))
    assert (
        unplaced.adopt == "rewrite it with no model call; keep 3 line(s) no section holds after the summary"
    )
    (broken,) = check(vault, topics_page(variant("malformed-frontmatter")))
    assert broken.adopt.startswith("leave it untouched: line 7: malformed-frontmatter")


# --- the command ------------------------------------------------------------------------------------


def test_check_exits_0_when_every_page_is_clean(vault, topics_page):
    topics_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    result = run("check", "--vault", str(vault))
    assert result.exit_code == 0
    assert "topics/large-language-models.md: ok" in result.stdout


def test_check_exits_1_and_lists_defects_by_line(vault, topics_page, variant):
    topics_page(variant("missing-sections"))
    result = run("check", "--vault", str(vault))
    assert result.exit_code == 1
    assert "  line 122: missing-section: no '📜 Some Notes On Its History" in result.stdout


def test_check_with_no_pages_checks_every_page_in_topics(vault, topics_page, variant):
    topics_page(variant("chatty-preamble"), "one")
    topics_page(variant("no-summary"), "two")
    shutil.copy(CORPUS / "variants" / "engineering.md", vault / "topics" / "engineering.md")
    result = run("check", "--vault", str(vault))
    assert [line.split(":")[0] for line in result.stdout.splitlines() if not line.startswith(" ")] == [
        "topics/engineering.md",
        "topics/one.md",
        "topics/two.md",
    ]
    assert "3 page(s) checked: 1 with defects, 2 left alone" in result.stderr


def test_check_json_gives_one_object_per_page(vault, topics_page, variant):
    page = topics_page(variant("extra-jokes"))
    result = run("check", str(page), "--vault", str(vault), "--json")
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert record["page"] == "topics/large-language-models.md"
    assert (record["kind"], record["clean"]) == ("topic", False)
    assert record["defects"] == [
        {
            "line": 141,
            "code": "extra-joke",
            "message": record["defects"][0]["message"],
            "section": "joke",
            "severity": "defect",
        }
    ]


def test_a_missing_page_is_a_one_line_usage_error(vault):
    result = run("check", str(vault / "topics" / "nope.md"), "--vault", str(vault))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "no such page" in result.stderr


def test_a_page_that_is_not_utf8_is_a_one_line_usage_error(vault):
    page = vault / "latin1.md"
    page.write_bytes("caf\xe9".encode("latin-1"))
    result = run("check", str(page), "--vault", str(vault))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {page} is not UTF-8 text"


def test_an_unreadable_page_found_in_topics_is_a_defect_of_that_page(vault, topics_page):
    topics_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    (vault / "topics" / "broken.md").write_bytes(b"\xff\xfe\x00")
    result = run("check", "--vault", str(vault))
    assert result.exit_code == 1
    assert "topics/broken.md: 1 defect\n  page: unreadable: not UTF-8 text" in result.stdout
