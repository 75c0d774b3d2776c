"""A person's words survive every rewrite: text between the title and the summary, text after it, and
the comments in the frontmatter (issue 12.5)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import page_structure
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topicgen.config import open_vault
from topicgen.model.prompt import Prompts, fingerprint
from topicgen.page.schema import schema_text
from topicgen.runs.regen import Regenerator, plan_regen
from topicgen.runs.workshop import Status

TOPIC = "Large Language Models"
PERSONS_HEAD = "A paragraph I wrote about why this page matters to me.\n\n![[my-diagram.png]]\n"
SUMMARY = "## 🤖 AI Summary"


def regen(root: Path, client, *, stale: bool = False, sections: list[str] | None = None):
    vault, settings = open_vault(root)
    current = fingerprint(Prompts(vault.root), schema_text())
    targets = [] if stale else [TOPIC]
    jobs, _ = plan_regen(
        vault.topics_dir, settings, current, targets=targets, stale=stale, sections=sections, force=False
    )
    worker = Regenerator(vault, settings, client, clock=lambda: "2026-11-28T10:00:00Z")
    return [asyncio.run(worker.regen(job)) for job in jobs]


def write_in_head(page: Path, text: str) -> None:
    """Put a person's text between the page's title line and its summary heading."""
    content = page.read_text(encoding="utf-8")
    at = content.index(SUMMARY)
    page.write_text(content[:at] + text + content[at:], encoding="utf-8")


def make_stale(root: Path) -> None:
    prompts = root / ".topicgen" / "prompts"
    prompts.mkdir(parents=True, exist_ok=True)
    (prompts / "user.md.j2").write_text("Write the topic note for: {{ topic }}, please", encoding="utf-8")


def test_text_and_an_embed_before_the_summary_survive_a_whole_page_regen(
    vault: Path, draft_into, page_answers
) -> None:
    page = draft_into(vault)
    write_in_head(page, PERSONS_HEAD)
    make_stale(vault)

    (outcome,) = regen(vault, page_answers(title_emoji="🧠"), stale=True)

    assert outcome.status is Status.WRITTEN, outcome.detail
    text = page.read_text(encoding="utf-8")
    assert f"# 🧠 {TOPIC}  \n{PERSONS_HEAD}{SUMMARY}" in text  # the new title, then the person's lines
    assert text.count(SUMMARY) == 1 and text.count(f"# 🧠 {TOPIC}") == 1


def test_yaml_comments_survive_regenerating_one_section(vault: Path, draft_into, page_answers) -> None:
    page = draft_into(vault)
    text = page.read_text(encoding="utf-8")
    text = text.replace("---\nshare: true\n", "---\n# kept by hand\nshare: true  # publish\n", 1)
    page.write_text(
        text.replace("topicgen_sections:", "# hashes below\ntopicgen_sections:", 1), encoding="utf-8"
    )

    (outcome,) = regen(vault, page_answers(joke="A brand new joke about tokens."), sections=["joke"])

    assert outcome.status is Status.WRITTEN, outcome.detail
    after = page.read_text(encoding="utf-8")
    assert "A brand new joke about tokens." in after
    for comment in ("# kept by hand", "share: true  # publish", "# hashes below"):
        assert comment in after


# --- property: a person's text anywhere outside the outline never changes the page's structure ------

LINE = st.lists(
    st.sampled_from([*"abcXYZ 019.,:;!?*_`()[]<>&\"'-|~", "![[x.png]]", "😀", "[a](b.md)"]), max_size=30
)
PERSONS_TEXT = st.lists(
    LINE.map("".join)
    .map(str.strip)
    .filter(lambda line: line and not line.startswith(("#", "-", "[Home]", ">", "*", "+", "|", "`", "~"))),
    min_size=1,
    max_size=4,
).map(lambda lines: "\n".join(lines) + "\n\n")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=PERSONS_TEXT, tail=PERSONS_TEXT)
def test_a_persons_text_survives_regen_and_the_structure_stays(
    tmp_path_factory, draft_into, page_answers, head: str, tail: str
) -> None:
    root = tmp_path_factory.mktemp("vault")
    page = draft_into(root)
    write_in_head(page, head)
    page.write_text(page.read_text(encoding="utf-8") + "\n\n" + tail, encoding="utf-8")
    before = page_structure(page.read_text(encoding="utf-8"))
    make_stale(root)

    (outcome,) = regen(root, page_answers(), stale=True)

    assert outcome.status is Status.WRITTEN, outcome.detail
    text = page.read_text(encoding="utf-8")
    assert head in text and tail.rstrip() in text
    after = page_structure(text)
    assert (after.keys, after.headings, len(after.links)) == (before.keys, before.headings, len(before.links))
