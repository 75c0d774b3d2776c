"""The scan cache: a page whose stat is unchanged is not read again, and the answer never changes.

Pages written within the racy-git window are not remembered. Tests that
need entries remembered shorten the window (``RACY``) and wait it out
(``settle``), as time passing would.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from conftest import REFERENCE_PAGE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import topicgen.vault.stat_cache as stat_cache
from topicgen.cli import app
from topicgen.config import open_vault
from topicgen.read.findings import Code
from topicgen.upkeep.check import PAGE_CHECKS, check_pages
from topicgen.upkeep.frontier import PAGE_NAMES
from topicgen.upkeep.mentions import MENTIONS
from topicgen.upkeep.staleness import PAGE_STATES, read_states
from topicgen.vault import Vault
from topicgen.vault.files import filesystem_now
from topicgen.vault.notes import NOTES
from topicgen.vault.stat_cache import ScanCache, read_pages

RACY = 15_000_000  # 15 ms: longer than a coarse file-time tick (4-10 ms), short enough to wait out


def settle() -> None:
    """Let the racy-git window pass, so what the next scan reads can be remembered: counted on the file
    system's clock, which ticks coarsely (a page's time and the scan's start may each be a tick behind
    the process's clock, so a fixed sleep can fall short)."""
    folder = Path(tempfile.gettempdir())  # where pytest's tmp_path lives: the pages' file system
    until = filesystem_now(folder) + RACY + 1_000_000
    while filesystem_now(folder) < until:
        time.sleep(0.002)


def cache_of(root: Path, racy_ns: int = RACY) -> ScanCache:
    return ScanCache(Vault.open(root), racy_ns=racy_ns)


@pytest.fixture
def pages(vault: Path, draft_into) -> list[Path]:
    paths = [draft_into(vault, topic) for topic in ("Large Language Models", "Deep Learning", "Graph Theory")]
    settle()
    return paths


def test_a_second_scan_reads_no_unchanged_page_and_answers_the_same(vault, pages, reads):
    cache = cache_of(vault)
    first = list(read_states(vault / "topics", cache))
    assert len(reads) == 3
    second = list(read_states(vault / "topics", cache))
    assert second == first
    assert len(reads) == 3  # nothing read again


def test_only_the_page_that_changed_is_read_again(vault, pages, reads):
    cache = cache_of(vault)
    list(read_states(vault / "topics", cache))
    text = pages[1].read_text(encoding="utf-8")
    pages[1].write_text(
        text.replace("It just sucked.", "It just sucked, and then it blew."), encoding="utf-8"
    )
    reads.clear()
    states = list(read_states(vault / "topics", cache))
    assert reads == [pages[1]]
    assert {state.path.name: state.edited for state in states} == {
        "deep-learning.md": ("joke",),
        "graph-theory.md": (),
        "large-language-models.md": (),
    }


def test_a_page_changed_within_the_racy_window_is_read_again_next_time(vault, draft_into, reads):
    draft_into(vault)  # written just now: its times are within the window of the scan that reads it
    reads.clear()
    cache = cache_of(vault, racy_ns=stat_cache.RACY_NS)
    list(read_states(vault / "topics", cache))
    list(read_states(vault / "topics", cache))
    assert len(reads) == 2


def test_a_touched_page_is_read_again(vault, pages, reads):
    cache = cache_of(vault)
    list(read_states(vault / "topics", cache))
    os.utime(pages[0])
    reads.clear()
    list(read_states(vault / "topics", cache))
    assert reads == [pages[0]]


def test_no_cache_reads_every_page_and_writes_no_cache(vault, pages, reads):
    list(read_states(vault / "topics", cache_of(vault)))
    reads.clear()
    shutil.rmtree(vault / ".topicgen" / "cache")
    list(read_states(vault / "topics", ScanCache.of(Vault.open(vault), enabled=False)))
    assert len(reads) == 3
    assert not (vault / ".topicgen" / "cache").exists()


def states_cache(vault: Path) -> Path:
    """The file where the page states of the topics folder are remembered."""
    (file,) = (vault / ".topicgen" / "cache" / "scan").glob("states-*.json")
    return file


def test_an_unreadable_cache_is_rebuilt(vault, pages, reads):
    cache = cache_of(vault)
    list(read_states(vault / "topics", cache))
    file = states_cache(vault)
    file.write_bytes(b'{"stamp": {"format": 1}, "entries": {"large-language-models.md": [1, 2')
    reads.clear()
    assert len(list(read_states(vault / "topics", cache))) == 3
    assert len(reads) == 3
    json.loads(file.read_text(encoding="utf-8"))  # rewritten whole
    reads.clear()
    list(read_states(vault / "topics", cache))
    assert reads == []


def test_grow_names_of_another_shape_in_the_cache_are_read_again_from_the_page(vault, pages, reads):
    """An entry whose columns do not hold names (a cache edited by hand) is no answer: the page is read."""
    cache = cache_of(vault)
    first = list(read_pages(vault / "topics", PAGE_NAMES, cache))
    (file,) = (vault / ".topicgen" / "cache" / "scan").glob("grow-names-*.json")
    kept = json.loads(file.read_text(encoding="utf-8"))
    for name, entry in kept["entries"].items():
        stat_text, facts = entry[: entry.index("[")], json.loads(entry[entry.index("[") :])
        facts[3] = [["a list, not a name"]] * len(facts[3]) if name.startswith("deep") else facts[3][:-1]
        kept["entries"][name] = stat_text + json.dumps(facts)
    file.write_text(json.dumps(kept), encoding="utf-8")
    reads.clear()
    assert list(read_pages(vault / "topics", PAGE_NAMES, cache)) == first
    assert len(reads) == 3  # one name too few, or not names at all: every page read again


def test_a_cache_from_another_topicgen_is_not_trusted(vault, pages, reads, monkeypatch):
    cache = cache_of(vault)
    list(read_states(vault / "topics", cache))
    monkeypatch.setattr(stat_cache, "code_version", lambda: "0.0.0+another")
    reads.clear()
    list(read_states(vault / "topics", cache))
    assert len(reads) == 3


def test_a_cache_shipped_with_a_copied_vault_is_never_trusted(vault, pages, tmp_path, reads):
    """Its entries match the files' sizes and mtimes (copied with them), but not their inodes and ctimes."""
    list(read_states(vault / "topics", cache_of(vault)))
    file = states_cache(vault)
    lie = json.loads(file.read_text(encoding="utf-8"))
    for name, entry in lie["entries"].items():  # "size mtime inode ctime [facts]"
        stat_text, facts = entry[: entry.index("[")], json.loads(entry[entry.index("[") :])
        facts[0] = "🤥 A Title No Page Has"  # what a hostile cache would have topicgen believe
        lie["entries"][name] = stat_text + json.dumps(facts)
    file.write_text(json.dumps(lie, ensure_ascii=False), encoding="utf-8")
    believed = [state.title for state in read_states(vault / "topics", cache_of(vault))]
    assert believed == ["🤥 A Title No Page Has"] * 3  # same stat, same answer: here, the forged one
    copy = tmp_path / "copy"
    shutil.copytree(vault, copy)
    for page, original in zip(sorted((copy / "topics").glob("*.md")), sorted(pages), strict=True):
        info = original.stat()
        os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))  # as `cp -p` or an unpacked archive keeps
    settle()
    reads.clear()
    states = list(read_states(copy / "topics", cache_of(copy)))
    assert len(reads) == 3
    assert "🤥 A Title No Page Has" not in [state.title for state in states]


def test_the_cache_is_written_without_following_a_planted_link(vault, pages, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    scan = vault / ".topicgen" / "cache" / "scan"
    shutil.rmtree(scan, ignore_errors=True)
    scan.parent.mkdir(parents=True, exist_ok=True)
    scan.symlink_to(elsewhere, target_is_directory=True)
    states = list(read_states(vault / "topics", cache_of(vault)))
    assert len(states) == 3
    assert list(elsewhere.iterdir()) == []


def test_a_cache_file_that_is_a_link_is_replaced_not_written_through(vault, pages, tmp_path):
    list(read_states(vault / "topics", cache_of(vault)))
    file = states_cache(vault)
    target = tmp_path / "target.json"
    target.write_text("{}", encoding="utf-8")
    file.unlink()
    file.symlink_to(target)
    list(read_states(vault / "topics", cache_of(vault)))
    assert target.read_text(encoding="utf-8") == "{}"
    assert not file.is_symlink()


def test_stale_json_is_the_same_with_and_without_the_cache(vault, pages):
    runner = CliRunner()
    text = pages[2].read_text(encoding="utf-8")
    start, end = text.index("### 😂 A Joke"), text.index("### 📖 Book Recommendations")
    pages[2].write_text(text[:start] + text[end:], encoding="utf-8")
    settle()
    answers = []
    for flags in ([], [], ["--no-cache"]):
        result = runner.invoke(app, ["stale", "--json", "--vault", str(vault), *flags])
        assert result.exit_code == 0, result.output
        answers.append(result.stdout)
    assert answers[0] == answers[1] == answers[2]
    assert '"regenerate": ["joke"]' in answers[0]


def test_a_cached_check_still_finds_a_link_broken_since(vault, topics_page, reads):
    """What a page says is remembered; whether its links lead anywhere is asked of the vault every time."""
    page = topics_page(REFERENCE_PAGE.read_text(encoding="utf-8"))
    settle()
    opened, _ = open_vault(vault)
    cache = cache_of(vault)
    (first,) = check_pages(opened, [page], cache)
    assert first.clean
    linked = next((vault / "books").glob("*.md"))
    assert f"../books/{linked.name}" in page.read_text(encoding="utf-8")
    linked.unlink()
    reads.clear()
    (second,) = check_pages(opened, [page], cache)
    assert reads == []  # the page itself was not read again
    assert [f.code for f in second.defects] == [Code.BROKEN_LINK]
    assert linked.name in second.defects[0].message
    assert second.findings == check_pages(opened, [page])[0].findings  # as a check without the cache


# --- the property: whatever happens to pages between scans, the cached answer is the uncached one ---

STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["edit", "touch", "rename", "replace same size", "swap in same size", "delete", "create"]
        ),
        st.integers(0, 4),
        st.integers(0, 4),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=6,
)


def variants(page: str) -> list[bytes]:
    """Page contents a scan tells apart; the first two have the same size."""
    start, end = page.index("### 😂 A Joke"), page.index("### 📖 Book Recommendations")
    return [
        page.encode(),
        page.replace("It just sucked.", "It just sUcked.").encode(),  # an edit of the same size
        (page[:start] + page[end:]).encode(),  # a section missing
        page.replace("topicgen_fingerprint: ", "topicgen_fingerprint: sha256:0000").encode(),
        b"# A person's note\n\nNo frontmatter here.\n",
        page.encode().replace(b"It just", b"It \xff\xfe"),  # not UTF-8 text
    ]


@pytest.fixture
def contents(vault: Path, draft_into) -> list[bytes]:
    return variants(draft_into(vault).read_text(encoding="utf-8"))


FACTS = {
    "states": PAGE_STATES,
    "checks": PAGE_CHECKS,
    "mentions": MENTIONS,
    "notes": NOTES,
    "grow names": PAGE_NAMES,
}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_cached_scan_always_answers_as_a_scan_without_the_cache(contents, steps):
    """For every kind of fact a scan remembers: page states (stale, regen), checks, mentions
    (relinking), notes (the titles links resolve to) and the names grow ranks."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        topics = root / "topics"
        topics.mkdir()
        for n in range(3):
            (topics / f"page-{n}.md").write_bytes(contents[n])
        cache = cache_of(root)
        for action, first, second, variant in [*steps, ("touch", 9, 9, 0)]:
            settle()
            for facts in FACTS.values():
                assert list(read_pages(topics, facts, cache)) == list(read_pages(topics, facts, None))
            change(topics / f"page-{first}.md", topics / f"page-{second}.md", action, contents[variant])


def change(page: Path, other: Path, action: str, content: bytes) -> None:
    """One thing a person, git or a sync tool does to a page between two scans."""
    if not page.exists():
        if action == "create":
            page.write_bytes(content)
        return
    info = page.stat()
    if action == "edit":
        page.write_bytes(content)
    elif action == "touch":
        os.utime(page)
    elif action == "rename":
        os.replace(page, other)
    elif action == "delete":
        page.unlink()
    elif action in ("replace same size", "swap in same size"):
        old = page.read_bytes()
        same = content[: len(old)].ljust(len(old), b" ")
        if action == "replace same size":  # rewritten in place: same inode
            page.write_bytes(same)
        else:  # a new file renamed over it: another inode
            other.write_bytes(same)
            os.replace(other, page)
        os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_a_command_that_only_prints_reads_the_scan_cache_and_writes_none(cli, vault, pages, monkeypatch):
    """`new --output -` and `render` leave the vault as they found it: the notes a page links to are
    read through the scan cache, and the cache is not written (pages old enough to be remembered)."""
    monkeypatch.setattr(
        ScanCache, "of", classmethod(lambda cls, v, enabled=True, *, remember=True: cls(v, RACY, remember))
    )
    scan_folder = vault / ".topicgen" / "cache" / "scan"
    before = sorted(scan_folder.glob("*")) if scan_folder.exists() else []

    printed = cli.run("new", "Rust", "--output", "-", "--vault", str(vault))

    assert printed.exit_code == 0, printed.stderr
    assert (sorted(scan_folder.glob("*")) if scan_folder.exists() else []) == before
    assert cli.run("stale", "--json", "--vault", str(vault)).exit_code == 0
    assert sorted(scan_folder.glob("*")) != before  # a scan that is not printing-only does remember
