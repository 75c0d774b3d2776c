"""Never a person's word (issue 21, items 2, 3 and 7): what adopt, check and regen do with a page's text.

A link a person wrote is kept as written, byte for byte, even when its note is
missing from this copy of the vault (``check`` reports it). Labels keep the
page's own words ("Common:", "Surprising:", "edited by"): the outline's
wording is for new pages. Text above the AI summary stays where the person
put it, for check, adopt and regen alike.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

from conftest import FIXED_TIME, REAL, REFERENCE_PAGE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner
from vault_content import with_links

from topicgen.cli import app
from topicgen.config import open_vault
from topicgen.model.clients.function import FunctionClient
from topicgen.model.prompt import Prompts, fingerprint
from topicgen.page.emoji import repair_zwj
from topicgen.page.schema import schema_text
from topicgen.read.findings import Code
from topicgen.runs.adopt import Adopter
from topicgen.runs.regen import Regenerator, plan_regen
from topicgen.runs.workshop import Status
from topicgen.upkeep.check import check_pages
from topicgen.upkeep.staleness import read_page_state
from topicgen.vault.frontmatter import split_page

PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LINK = re.compile(r"!?\[\[[^\]]*\]\]|!?\[[^\]]*\]\([^)]*\)")
KURAMOTO = "Kuramoto Model"
SYNC = (
    '- 📖 Accessible: "[Sync](../books/sync.md): The Emerging Science of Spontaneous Order" '
    "by Steven Strogatz. 🤝"
)
ABOVE = "> Read this with the Kuramoto notebook open."
LINKED_PAGES = (REFERENCE_PAGE, REAL / "kuramoto-model.md", REAL / "attachment-theory.md")


def no_model() -> FunctionClient:
    def refuse(request):
        raise AssertionError("adopt asked the model although nothing was missing")

    return FunctionClient(refuse)


def adopt(root: Path, page: Path):
    vault, config = open_vault(root)
    return asyncio.run(Adopter(vault, config, no_model(), clock=lambda: FIXED_TIME).adopt(page))


def page_in(root: Path, text: str, name: str) -> Path:
    page = root / "topics" / f"{name}.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    return page


def adopted(root: Path, source: Path, name: str) -> Path:
    page = page_in(root, source.read_text(encoding="utf-8"), name)
    assert adopt(root, page).status is Status.WRITTEN
    return page


def regen(root: Path, client, topic: str, sections: list[str], *, force: bool = False):
    vault, config = open_vault(root)
    current = fingerprint(Prompts(vault.root), schema_text())
    jobs, _ = plan_regen(
        vault.topics_dir, config, current, targets=[topic], stale=False, sections=sections, force=force
    )
    worker = Regenerator(vault, config, client, force=force, clock=lambda: FIXED_TIME)
    return [asyncio.run(worker.regen(job)) for job in jobs]


def lines_of(page: Path) -> list[str]:
    return [line.rstrip() for line in page.read_text(encoding="utf-8").split("\n")]


# --- item 2: adopt dropped a person's links ---------------------------------------------------------


def test_adopt_keeps_the_link_inside_the_quoted_title_of_sync_although_its_note_is_missing(vault: Path):
    assert not (vault / "books" / "sync.md").exists()

    page = adopted(vault, REAL / "kuramoto-model.md", "kuramoto-model")

    lines = lines_of(page)
    assert SYNC in lines
    assert any("[Chaos: Making a New Science](../books/chaos.md)" in line for line in lines)
    assert any("[Nonlinear Dynamics and Chaos](../books/nonlinear-dynamics-and-chaos.md)" in x for x in lines)


def test_adopt_keeps_the_seed_pages_book_links_in_a_copy_of_the_vault_without_its_books(empty_vault: Path):
    page = adopted(empty_vault, REFERENCE_PAGE, "large-language-models")

    _, body = split_page(page.read_text(encoding="utf-8"))
    _, reference = split_page(repair_zwj(REFERENCE_PAGE.read_text(encoding="utf-8")))
    assert body == reference  # its three book links to notes this copy lacks, byte for byte


def test_check_reports_the_missing_note_of_a_link_adopt_kept(vault: Path):
    page = adopted(vault, REAL / "kuramoto-model.md", "kuramoto-model")
    the_vault, _ = open_vault(vault)

    (report,) = check_pages(the_vault, [page])

    broken = [finding for finding in report.defects if finding.code is Code.BROKEN_LINK]
    assert [lines_of(page)[finding.line - 1] for finding in broken][-1] == SYNC
    assert any("../books/sync.md, which does not exist" in finding.message for finding in broken)


def test_topicgen_index_after_adopt_keeps_a_persons_link_to_a_missing_note(vault: Path):
    page = adopted(vault, REAL / "kuramoto-model.md", "kuramoto-model")

    result = CliRunner().invoke(app, ["index", "--vault", str(vault)])

    assert result.exit_code == 0, result.output
    assert SYNC in lines_of(page)


@PROPERTY
@given(source=st.sampled_from(LINKED_PAGES), data=st.data())
def test_any_link_a_person_wrote_survives_adopt_byte_for_byte(source, data):
    text, added = with_links(source.read_text(encoding="utf-8"), data.draw)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)  # a copy of the vault without the notes the links point at
        page = page_in(root, text, "large-language-models")

        outcome = adopt(root, page)

        assert outcome.status is Status.WRITTEN, outcome.detail
        after = page.read_text(encoding="utf-8")
    for link in {*LINK.findall(split_page(text)[1]), *added}:
        assert after.count(link) >= text.count(link), f"{link!r} was lost"


# --- item 3: adopt rewrote a person's labels --------------------------------------------------------


def test_adopt_keeps_common_and_surprising_as_the_kuramoto_page_wrote_them(vault: Path):
    page = adopted(vault, REAL / "kuramoto-model.md", "kuramoto-model")

    lines = lines_of(page)
    assert "- 🧩 Common: Synchronized flashing of fireflies. 💡" in lines
    assert any(line.startswith("- 🧩 Surprising: Explains the collective behavior") for line in lines)
    assert not any("Common examples:" in line or "Surprising example:" in line for line in lines)


def test_adopt_keeps_edited_by_as_the_attachment_theory_page_wrote_it(vault: Path):
    page = adopted(vault, REAL / "attachment-theory.md", "attachment-theory")

    text = page.read_text(encoding="utf-8")
    assert "edited by Jude Cassidy and Phillip R. Shaver 🤓" in text
    assert "(editors)" not in text


def test_sections_in_the_pages_own_words_are_kept_by_regen_and_named_when_force_replaces_them(
    vault: Path, page_answers
):
    page = adopted(vault, REAL / "kuramoto-model.md", "kuramoto-model")
    assert {"problems", "books"} <= set(read_page_state(page).edited)

    (kept,) = regen(vault, page_answers(), KURAMOTO, ["problems"])
    assert (kept.status, kept.kept) == (Status.UNCHANGED, ("problems",))
    assert "- 🧩 Common: Synchronized flashing of fireflies. 💡" in lines_of(page)

    (replaced,) = regen(vault, page_answers(), KURAMOTO, ["problems"], force=True)
    assert (replaced.status, replaced.replaced) == (Status.WRITTEN, ("problems",))
    assert any(line.startswith("- 🧩 Common examples: ") for line in lines_of(page))  # the outline's words


# --- item 7: text before the AI summary, one rule ---------------------------------------------------


def with_text_above_the_summary(source: Path) -> str:
    return source.read_text(encoding="utf-8").replace("## 🤖 AI Summary", f"{ABOVE}  \n\n## 🤖 AI Summary", 1)


def test_check_does_not_flag_text_a_person_put_above_the_summary(vault: Path):
    page = page_in(vault, with_text_above_the_summary(REFERENCE_PAGE), "large-language-models")
    the_vault, _ = open_vault(vault)

    (report,) = check_pages(the_vault, [page])

    assert report.clean, report.defects
    assert [finding.code for finding in report.notes if finding.line == 10] == [Code.OWN_TEXT]


def test_text_above_the_summary_stays_where_the_person_put_it_through_adopt_and_regen(
    vault: Path, page_answers
):
    text = with_text_above_the_summary(REAL / "kuramoto-model.md")
    page = page_in(vault, text, "kuramoto-model")
    head = text.split("## 🤖 AI Summary")[0].split("---\n")[-1]

    assert adopt(vault, page).status is Status.WRITTEN
    _, body = split_page(page.read_text(encoding="utf-8"))
    assert body.startswith(head + "## 🤖 AI Summary")
    assert ABOVE not in body.split("## 📌 Kept From The Original Page")[1]

    (outcome,) = regen(vault, page_answers(), KURAMOTO, ["what_is_it"], force=True)
    assert outcome.status is Status.WRITTEN
    assert split_page(page.read_text(encoding="utf-8"))[1].startswith(head + "## 🤖 AI Summary")
