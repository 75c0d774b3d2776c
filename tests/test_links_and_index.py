"""After a run, topic and book links point at notes that exist, and the index lists every topic."""

from __future__ import annotations

from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.config import load_settings, open_vault
from topicgen.upkeep.index import END, START
from topicgen.upkeep.links import relink_vault
from topicgen.upkeep.mentions import topic_names
from topicgen.upkeep.staleness import read_page_state
from topicgen.upkeep.view import VaultView
from topicgen.vault.notes import name_keys


def relink(root):
    vault, settings = open_vault(root)
    return relink_vault(vault, settings)


def test_a_topic_drafted_later_becomes_a_link_in_earlier_pages(vault, draft_into):
    llm = draft_into(vault)
    assert "- 👩\u200d👧\u200d👦 Deep Learning 🤯" in llm.read_text(encoding="utf-8")
    draft_into(vault, "Deep Learning")
    changed = relink(vault)
    assert llm in changed
    text = llm.read_text(encoding="utf-8")
    assert "- 👩\u200d👧\u200d👦 [🤖🦜 Deep Learning](./deep-learning.md) 🤯" in text
    assert read_page_state(llm).edited == ()  # topicgen's own change, not a human edit


def test_a_page_never_links_to_itself(vault, draft_into):
    page = draft_into(vault, "Deep Learning")
    relink(vault)
    assert "](./deep-learning.md)" not in page.read_text(encoding="utf-8")


def test_a_link_to_a_deleted_note_becomes_plain_text_again(vault, draft_into):
    llm = draft_into(vault)
    other = draft_into(vault, "Deep Learning")
    relink(vault)
    other.unlink()
    relink(vault)
    assert "- 👩\u200d👧\u200d👦 Deep Learning 🤯" in llm.read_text(encoding="utf-8")


def test_book_links_follow_the_books_folder(vault, draft_into):
    llm = draft_into(vault)
    (vault / "books" / "klara-and-the-sun.md").write_text("---\ntitle: ☀️🤖 Klara and the Sun\n---\n")
    relink(vault)
    text = llm.read_text(encoding="utf-8")
    assert "Fictional: [☀️🤖 Klara and the Sun](../books/klara-and-the-sun.md) by Kazuo Ishiguro" in text
    (vault / "books" / "deep-learning.md").unlink()
    relink(vault)
    assert 'Topical: "Deep Learning" by Ian Goodfellow' in llm.read_text(encoding="utf-8")


def test_an_edited_topics_section_is_not_relinked(vault, draft_into):
    llm = draft_into(vault)
    text = llm.read_text(encoding="utf-8")
    llm.write_text(text.replace("- 👶 Parent: Artificial Intelligence 🧠", "- 👶 Parent: AI (mine) 🧠"))
    draft_into(vault, "Deep Learning")
    relink(vault)
    assert "[🤖🦜 Deep Learning]" not in llm.read_text(encoding="utf-8")


def test_the_index_lists_every_topic_sorted_and_keeps_hand_written_text(vault, draft_into):
    draft_into(vault, "Zebra Finches")
    draft_into(vault, "Large Language Models")
    index = vault / "topics" / "index.md"
    index.write_text("# My topics\n\nHand-written intro.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["index", "--vault", str(vault)])
    assert result.exit_code == 0, result.output
    text = index.read_text(encoding="utf-8")
    assert text.startswith("# My topics\n\nHand-written intro.\n")
    listed = text.split(START + "\n")[1].split("\n" + END)[0].splitlines()
    assert listed == [
        "- [🤖🦜 Large Language Models](./large-language-models.md)  ",
        "- [🤖🦜 Zebra Finches](./zebra-finches.md)  ",
    ]
    again = CliRunner().invoke(app, ["index", "--vault", str(vault)])
    assert "(unchanged)" in again.output
    assert index.read_text(encoding="utf-8") == text


def test_the_index_replaces_only_its_own_list(vault, draft_into):
    draft_into(vault)
    index = vault / "topics" / "index.md"
    index.write_text(f"intro\n{START}\n- stale entry\n{END}\nfooter\n", encoding="utf-8")
    CliRunner().invoke(app, ["index", "--vault", str(vault)])
    text = index.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("footer\n")
    assert "stale entry" not in text
    assert load_settings(vault).site_url == "https://bagrounds.org"


def test_a_run_relinks_only_the_pages_it_wrote_and_those_naming_its_new_topics(vault, draft_into):
    llm = draft_into(vault)
    other = draft_into(vault, "Zebra Finches")
    vault_, settings = open_vault(vault)
    deep = draft_into(vault, "Deep Learning")
    changed = relink_vault(vault_, settings, written=[deep], new_topics=["Deep Learning"])
    assert llm in changed  # its children name "Deep Learning"
    assert other in changed  # so do this page's (it was drafted from the same data)
    (vault / "topics" / "zebra-finches.md").write_text(other.read_text(encoding="utf-8"))
    assert relink_vault(vault_, settings, written=[], new_topics=["Kuramoto Model"]) == []


def test_the_index_command_also_refreshes_links_to_deleted_notes(vault, draft_into):
    llm = draft_into(vault)
    draft_into(vault, "Deep Learning")
    relink(vault)
    (vault / "topics" / "deep-learning.md").unlink()
    result = CliRunner().invoke(app, ["index", "--vault", str(vault)])
    assert result.exit_code == 0, result.output
    assert "- 👩\u200d👧\u200d👦 Deep Learning 🤯" in llm.read_text(encoding="utf-8")


def test_finding_the_pages_a_run_affects_grows_with_the_pages_not_with_pages_times_new_topics(
    vault, draft_into, monkeypatch
):
    import topicgen.upkeep.links as links

    llm = draft_into(vault)  # its Topics section names Deep Learning and a dozen other topics
    text = llm.read_text(encoding="utf-8")
    pages = 300
    for n in range(pages):
        (vault / "topics" / f"copy-{n:03d}.md").write_text(text, encoding="utf-8")
    deep = draft_into(vault, "Deep Learning")
    vault_, settings = open_vault(vault)
    names_read = []
    monkeypatch.setattr(links, "name_keys", lambda name: names_read.append(name) or name_keys(name))

    def affected(new_topics: list[str]) -> tuple[list, int]:
        names_read.clear()
        view = VaultView.scan(vault_, settings)
        found = list(links._affected(vault_.topics_dir, links.NewNotes.of(view, new_topics)))
        return found, len(names_read)

    few, few_reads = affected(["Deep Learning", *(f"Unrelated Topic {n}" for n in range(9))])
    many, many_reads = affected(["Deep Learning", *(f"Unrelated Topic {n}" for n in range(3_000))])
    assert len(few) == pages + 1 and few == many  # every copy and the first page name Deep Learning
    assert deep not in few  # its own page is not relinked for its own name
    on_pages = sum(
        len(list(topic_names(page.read_text(encoding="utf-8")))) for page in vault_.topics_dir.glob("*.md")
    )
    assert few_reads <= on_pages + 10 * 2  # each name on a page is looked up once
    assert many_reads - few_reads <= 2 * 2_991  # and each new topic costs its own names, once
