"""`topicgen grow`: the topics the vault's pages name without a page, ranked, drafted a few per run."""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, FAKE_API_KEY, SHAPES, assert_valid_page

from topicgen.config import open_vault
from topicgen.read.names import names_on_page
from topicgen.runs.api import grow_frontier
from topicgen.upkeep.frontier import frontier, no_cycle_collection
from topicgen.vault.notes import Note, NoteIndex, title_key
from topicgen.vault.slugs import slug_for

REFERENCE = "large-language-models"
# The reference page's Topics tree: what the vault below has no page for, under any spelling ...
UNWRITTEN = [
    "Artificial Intelligence",
    "Natural Language Processing (NLP)",
    "Deep Learning",
    "Zero-shot learning",
    "Model fine-tuning",
    "Emergent abilities",
]
# ... and what it has, under another spelling: a plural, an abbreviation, an alias, a file name.
WRITTEN_ELSEWHERE = [
    "Transformer Networks",
    "Machine Learning",
    "Few-shot learning",
    "Reinforcement Learning from Human Feedback (RLHF)",
    "Prompt engineering",
]
OTHER_SPELLINGS = {
    "transformer-network": "title: ⚡ Transformer Network",
    "ml": "title: 🤖 Machine Learning",
    "rlhf": "title: RLHF",
    "learning-from-few-examples": "title: Learning From Few Examples\naliases:\n  - Few-Shot Learning",
    "prompt-engineering": "title: 🧑‍💻 Prompting Models",
}
LINGUISTICS_TREE = {  # a second page of topicgen's names NLP by its abbreviation and without it
    "parent": "Linguistics 🗣️",
    "children": ["NLP 🤖", "Natural Language Processing 💬", "Phonology 🔊"],
    "advanced": ["Pragmatics 🧠", "Language Models 📚", "Semantics 🔍"],
}


def page_files(root: Path) -> set[str]:
    return {p.name for p in (root / "topics").glob("*.md") if p.name != "index.md"}


def person_note(root: Path, slug: str, frontmatter: str, body: str = "A note of my own.\n") -> Path:
    path = root / "topics" / f"{slug}.md"
    path.write_text(f"---\n{frontmatter}\n---\n{body}", encoding="utf-8")
    return path


@pytest.fixture
def grown(vault: Path, draft_into) -> Path:
    """The fixture vault with the reference page as topicgen writes it, a second page of topicgen's,
    the corpus and shape fixture pages, and person's notes naming five of the reference page's
    Topics names under other spellings."""
    draft_into(vault)
    draft_into(vault, "Computational Linguistics", topics=LINGUISTICS_TREE)
    for folder in (CORPUS / "real", CORPUS / "variants", SHAPES):
        for page in folder.glob("*.md"):
            shutil.copy(page, vault / "topics" / page.name)
    for slug, frontmatter in OTHER_SPELLINGS.items():
        person_note(vault, slug, frontmatter)
    return vault


def candidates(cli, root: Path, *args: str) -> list[dict]:
    result = cli.run("grow", "--dry-run", "--json", *args, "--vault", str(root))
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def holding(rows: list[dict], spelling: str) -> list[dict]:
    return [row for row in rows if title_key(spelling) in {title_key(s) for s in row["spellings"]}]


# --- acceptance: the dry run lists the reference page's unwritten Topics names, each once -------------


def test_the_dry_run_lists_each_unwritten_topics_name_of_the_reference_page_once(cli, grown):
    rows = candidates(cli, grown)
    for name in UNWRITTEN:
        assert len(holding(rows, name)) == 1, name
    for name in WRITTEN_ELSEWHERE:
        assert holding(rows, name) == [], f"{name} has a page under another spelling"


def test_nlp_and_natural_language_processing_nlp_are_one_topic(cli, grown):
    rows = candidates(cli, grown)
    (nlp,) = holding(rows, "NLP")
    assert nlp["name"] == "Natural Language Processing (NLP)"  # the spelling every other one finds
    assert {"NLP", "Natural Language Processing", "Natural Language Processing (NLP)"} <= set(
        nlp["spellings"]
    )
    assert nlp["mentioned_by"] == 2
    assert holding(rows, "Natural Language Processing") == [nlp]


def test_the_dry_run_is_a_short_table_with_the_estimate_and_calls_nothing(cli, grown, fake_provider):
    before = {p: p.read_bytes() for p in (grown / "topics").glob("*.md")}
    result = cli.run("grow", "--dry-run", "--limit", "3", "--vault", str(grown))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    first = lines[0]
    assert first.startswith("*   1. Natural Language Processing (NLP): named by 2 pages")  # * : this run
    assert "in children, concepts (computational-linguistics, large-language-models)" in first
    assert first.endswith("-> topics/natural-language-processing-nlp.md")
    assert sum(line.startswith("*") for line in lines) == 3
    assert "this run would draft the 3 marked *" in lines[-1] and "no call made" in lines[-1]
    assert "input and" in lines[-1] and "output tokens" in lines[-1]
    assert fake_provider.stats().requests == 0
    assert {p: p.read_bytes() for p in (grown / "topics").glob("*.md")} == before


def test_the_topics_tree_outranks_concepts_and_a_child_a_comparison(tmp_path, draft_into):
    draft_into(
        tmp_path,
        "Graph Theory",
        topics={
            "parent": "Mathematics 📐",
            "children": ["Trees 🌳", "Planar Graphs 🗺️", "Graph Coloring 🎨"],
            "advanced": ["Spectral Graph Theory 📈", "Ramsey Theory 🧮", "Graph Minors 🔍"],
        },
        concepts=["Combinatorics 🧮", "Linear Algebra 📐", "Topology 🍩"],
        comparisons=[
            "Compared to Network Science, graph theory is abstract.",
            "Trees vs. Forests: narrower.",
        ],
    )
    vault, settings = open_vault(tmp_path)
    names = [candidate.name for candidate in grow_frontier(vault, settings).candidates]
    assert names[0] == "Mathematics"
    assert names.index("Graph Coloring") < names.index("Ramsey Theory") < names.index("Combinatorics")
    assert names.index("Combinatorics") < names.index("Network Science")
    assert "Forests" in names and "Trees" in names


# --- acceptance: --limit 3 writes exactly 3, and their mentions become links ---------------------------


def test_grow_limit_3_writes_exactly_3_pages_and_their_mentions_become_links(cli, grown, fake_provider):
    before = page_files(grown)
    result = cli.run("grow", "--limit", "3", "--vault", str(grown))
    assert result.exit_code == 0, result.stderr
    new = page_files(grown) - before
    assert len(new) == 3
    assert "3 written" in result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("written topics/")]
    assert len(progress) == 3  # without a terminal: one line per page, as `new` prints
    reference = (grown / "topics" / f"{REFERENCE}.md").read_text(encoding="utf-8")
    for name in new:
        assert f"(./{name})" in reference, f"the reference page does not link {name}"
        assert_valid_page(
            grown / "topics" / name, fake_provider.stats().pages and _topic(grown / "topics" / name)
        )
    assert sorted(result.stdout.split()) == sorted(str(grown / "topics" / name) for name in new)


def _topic(page: Path) -> str:
    """The topic a page was drafted for: its title without the emoji."""
    title = next(line for line in page.read_text(encoding="utf-8").split("\n") if line.startswith("title: "))
    return title.removeprefix("title: ").strip('"').split(" ", 1)[1]


def test_two_runs_of_limit_3_draft_6_pages_and_no_topic_twice(cli, grown, fake_provider):
    before = page_files(grown)
    assert cli.run("grow", "--limit", "3", "--vault", str(grown)).exit_code == 0
    first = page_files(grown) - before
    assert cli.run("grow", "--limit", "3", "--vault", str(grown)).exit_code == 0
    second = page_files(grown) - before - first
    assert len(first) == len(second) == 3
    served = fake_provider.stats().pages
    assert len(served) == 6 and set(served.values()) == {1}  # six topics, each asked for once
    _one_page_a_topic(grown, first | second)


def _one_page_a_topic(root: Path, names: set[str]) -> None:
    """No two of these pages are one topic: none's title finds another's page."""
    pages = [root / "topics" / name for name in names]
    index = NoteIndex([Note(page.stem, _topic(page)) for page in pages])
    for page in pages:
        assert index.find(_topic(page)).slug == page.stem


# --- acceptance: killed with kill -9 and run again: no page twice, nothing half written ---------------


def _wait_for(root: Path, before: set[str], count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while len(page_files(root) - before) < count:
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)


def test_grow_killed_by_kill_9_and_run_again_drafts_no_page_twice_and_none_half_written(
    cli, grown, fake_provider
):
    fake_provider.configure(latency=0.25)
    before = page_files(grown)
    env = {**os.environ, **cli.env()}
    command = [sys.executable, "-m", "topicgen", "grow", "--limit", "8", "--concurrency", "2"]
    process = subprocess.Popen(
        [*command, "--vault", str(grown)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_for(grown, before, 2, process)
    process.send_signal(signal.SIGKILL)
    out, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    killed = page_files(grown) - before
    asked = fake_provider.stats().pages
    for name in killed:  # whatever landed, landed whole
        assert_valid_page(grown / "topics" / name, _topic(grown / "topics" / name))
    again = cli.run("grow", "--limit", "8", "--concurrency", "2", "--vault", str(grown))
    assert again.exit_code == 0, again.stderr
    new = page_files(grown) - before
    assert len(new) == len(killed) + 8
    served = fake_provider.stats().pages
    for name in killed:  # a page of the killed run is not asked for again (only relinked)
        topic = _topic(grown / "topics" / name)
        assert served[topic] == asked[topic]
    assert not [p for p in (grown / "topics").iterdir() if p.name.endswith(".tmp")]
    for name in new:
        assert_valid_page(grown / "topics" / name, _topic(grown / "topics" / name))
    _one_page_a_topic(grown, new)
    assert sum(count - 1 for count in served.values()) <= 4  # only replies kill -9 lost before caching
    reference = (grown / "topics" / f"{REFERENCE}.md").read_text(encoding="utf-8")
    for name in killed:  # the killed run could not relink: the next one did
        if _topic(grown / "topics" / name) in UNWRITTEN:
            assert f"(./{name})" in reference
    assert FAKE_API_KEY not in out + err + again.stdout + again.stderr


# --- ranking by nearness to a root --------------------------------------------------------------------


def _tree(parent: str, *children: str) -> dict:
    return {"parent": parent, "children": list(children), "advanced": ["Advanced One", "Advanced Two"]}


def _named_only_in_its_tree(parent: str, *children: str) -> dict:
    """Page data whose concepts are its tree's names and whose comparisons name nothing."""
    return {
        "topics": _tree(parent, *children),
        "concepts": [parent, *children],
        "comparisons": ["Compared to older methods, it is newer.", "Compared to nothing, it is something."],
    }


def test_from_a_root_names_come_breadth_first_and_within_the_depth(tmp_path, draft_into):
    root = "Large Language Models"
    draft_into(tmp_path, root, **_named_only_in_its_tree("AI Topics", "Deep Learning", "Tokenizers"))
    draft_into(tmp_path, "Deep Learning", **_named_only_in_its_tree("Machine Learning", "Backpropagation"))
    draft_into(tmp_path, "Botany", **_named_only_in_its_tree("Biology", "Photosynthesis", "Pollination"))
    vault, settings = open_vault(tmp_path)
    near = grow_frontier(vault, settings, root="Large Language Models", depth=1).candidates
    assert {c.name for c in near} == {"AI Topics", "Tokenizers", "Advanced One", "Advanced Two"}
    wider = grow_frontier(vault, settings, root="Large Language Models").candidates  # depth 2
    depths = [candidate.depth for candidate in wider]
    assert depths == sorted(depths) and {1, 2} == set(depths)
    assert {"Backpropagation", "Machine Learning"} <= {c.name for c in wider}
    assert not {"Photosynthesis", "Biology"} & {c.name for c in wider}
    everything = {c.name for c in grow_frontier(vault, settings).candidates}
    assert "Photosynthesis" in everything


def test_a_root_without_a_page_of_topicgens_is_one_line_and_exit_2(cli, grown):
    missing = cli.run("grow", "--from", "Quantum Gravity", "--dry-run", "--vault", str(grown))
    assert missing.exit_code == 2
    assert "no page for 'Quantum Gravity'" in missing.stderr
    theirs = cli.run("grow", "--from", "Graph Theory", "--dry-run", "--vault", str(grown))
    assert theirs.exit_code == 2
    assert "graph-theory.md was not written by topicgen" in theirs.stderr
    alone = cli.run("grow", "--depth", "2", "--dry-run", "--vault", str(grown))
    assert alone.exit_code == 2 and "--depth goes with --from" in alone.stderr


# --- what is read, and what is never drafted -----------------------------------------------------------


def test_a_persons_own_sections_and_notes_are_never_mined(tmp_path, draft_into):
    page = draft_into(tmp_path, "Graph Theory", topics=_tree("Mathematics", "Trees", "Cycles"))
    text = page.read_text(encoding="utf-8")
    own = "### 🧪 My Experiments  \n- 📚 Secret Concept  \n  \n"
    text = text.replace("### 🔬 A Technical Deep Dive", own + "### 🔬 A Technical Deep Dive")
    text += "\n## 📝 My Notes\n### 🌲 Topics:\n- 👶 Parent: Private Parent\n"
    page.write_text(text, encoding="utf-8")
    person_note(tmp_path, "botany", "title: Botany", "### 🌲 Topics:\n- 👶 Parent: Plants Of Mine\n")
    vault, settings = open_vault(tmp_path)
    names = {candidate.name for candidate in grow_frontier(vault, settings).candidates}
    assert "Mathematics" in names
    assert not {"Secret Concept", "Private Parent", "Plants Of Mine"} & names


def test_sections_in_another_shape_are_read_by_the_page_reader():
    text = (
        "---\ntitle: Graph Theory\ntopicgen_model: m\ntopicgen_generated: '2026-01-01'\n"
        "topicgen_fingerprint: f\n---\n# Graph Theory\n## 🤖 AI Summary\n### 🌲 Topics:\n"
        "* 👶 **Parent:** Mathematics 📐\n* 👩‍👧‍👦 **Children:** Trees, Cycles\n"
        "* 🧙‍♂️ **Advanced topics:** Ramsey Theory\n"
    )
    mentions = names_on_page(text).mentions
    assert [(m.name, m.section) for m in mentions] == [
        ("Mathematics", "parent"),
        ("Trees", "children"),
        ("Cycles", "children"),
        ("Ramsey Theory", "advanced"),
    ]


def test_a_linked_name_keeps_the_page_it_links_to():
    text = (
        "---\ntitle: X\ntopicgen_model: m\ntopicgen_generated: g\ntopicgen_fingerprint: f\n---\n"
        "### 🌲 Topics:\n- 👶 Parent: [🧠 Artificial Intelligence](./artificial-intelligence.md) 🧠\n"
        "- 👩‍👧‍👦 Children:\n    - 👩‍👧‍👦 Deep Learning 🤯\n- 🧙‍♂️ Advanced topics:\n    - 🧙‍♂️ RLHF 🧑‍⚖️\n"
    )
    mentions = names_on_page(text).mentions
    assert mentions[0].name == "Artificial Intelligence" and mentions[0].target == "artificial-intelligence"
    assert [m.name for m in mentions[1:]] == ["Deep Learning", "RLHF"]
    assert names_on_page(text.replace("topicgen_model: m\n", "")).mentions == ()  # not topicgen's: not read


def test_ignored_names_and_their_other_spellings_are_never_drafted(cli, grown, fake_provider):
    config = grown / "topicgen.toml"
    config.write_text(config.read_text() + '\n[grow]  # too broad for this vault\nignore = ["Mathematics"]\n')
    result = cli.run("grow", "--ignore", "Artificial Intelligence (AI)", "--vault", str(grown))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Artificial Intelligence (AI)"
    assert fake_provider.stats().requests == 0  # --ignore records the name; it drafts nothing
    text = config.read_text()
    assert "# too broad for this vault" in text and "final_newline = false  #" in text
    assert 'ignore = ["Mathematics", "Artificial Intelligence (AI)"]' in text
    assert holding(candidates(cli, grown), "Artificial Intelligence") == []
    again = cli.run("grow", "--ignore", "artificial intelligence (AI)", "--vault", str(grown))
    assert again.stdout == "" and "1 already listed" in again.stderr


def test_a_name_the_configuration_cannot_hold_is_one_line_and_exit_2(cli, grown):
    result = cli.run("grow", "--ignore", "bad\nname", "--vault", str(grown))
    assert result.exit_code == 2
    assert "control characters" in result.stderr


def test_frontier_reading_skips_pages_topicgen_did_not_write():
    pages = [("mine", names_on_page("---\ntitle: Mine\n---\n### 🌲 Topics:\n- 👶 Parent: Hidden Topic\n"))]
    found = frontier(pages)
    assert found.candidates == [] and found.pages == 1 and found.read_from == 0
    assert slug_for("Hidden Topic") == "hidden-topic"


def test_a_grow_table_that_is_not_a_table_is_one_line_and_exit_2(cli, grown):
    (grown / "topicgen.toml").write_text("grow = 3\n", encoding="utf-8")
    result = cli.run("grow", "--ignore", "Mathematics", "--vault", str(grown))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "topicgen.toml" in result.stderr


def test_a_second_dry_run_reads_no_unchanged_page_and_ranks_the_same(cli, grown, monkeypatch, reads):
    """grow reads its pages through the scan cache (issue 23): an hourly run reads what changed only."""
    from topicgen.vault import stat_cache

    short = 15_000_000  # the fixture pages were written just now: a racy window of 15 ms, waited out
    of = stat_cache.ScanCache.of
    monkeypatch.setattr(
        stat_cache.ScanCache,
        "of",
        classmethod(lambda cls, vault, enabled=True: of(vault, enabled) and cls(vault, racy_ns=short)),
    )
    time.sleep(0.03)
    first = candidates(cli, grown)
    reads.clear()
    second = candidates(cli, grown)
    unread = candidates(cli, grown, "--no-cache")

    assert second == first == unread
    assert not [path for path in reads if path.parent.name == "topics"]


def test_what_a_scan_made_is_left_to_the_oldest_generation_when_the_collector_is_back():
    """The collector is off while grow ranks; back on, the next young collection does not walk what
    was made meanwhile (the ranked candidates of a big vault: a pass over them costs 0.15 s)."""
    with no_cycle_collection():
        assert not gc.isenabled()
        made = [[] for _ in range(3)]
    assert gc.isenabled()
    young = gc.get_objects(generation=0)
    assert not any(item is made or item is made[0] for item in young)
    gc.disable()
    try:
        with no_cycle_collection():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
