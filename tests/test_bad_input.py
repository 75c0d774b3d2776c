"""Bad input never produces a traceback: a one-line error and exit 2, or a correct page.

Topic names, settings, vault folders, locked pages and undecodable notes are
each tried through the real ``topicgen`` command against the fake provider.
A refused input is refused before any model call (the fake provider counts
the calls), so it costs nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TopicgenCli, assert_valid_page

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
ROOT_IGNORES_PERMISSIONS = "root ignores permission bits; the same path is covered by a file-for-folder test"
NOT_UTF8 = b"---\ntitle: caf\xe9 \xff\xfe\n---\n# caf\xe9\n"


@pytest.fixture
def vault(empty_vault: Path) -> Path:
    return empty_vault


def new(cli: TopicgenCli, vault: Path, *args: str, **env: str):
    return cli.run("new", "--vault", str(vault), *args, **env)


def assert_refused(cli: TopicgenCli, result, *words: str) -> str:
    """Exit 2 with exactly one line on stderr, nothing on stdout, and no model call made."""
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{result.stderr}"
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]
    assert result.stdout == ""
    assert cli.server.stats().requests == 0
    return lines[0]


def pages(vault: Path) -> list[str]:
    folder = vault / "topics"
    return sorted(p.name for p in folder.glob("*.md") if p.name != "index.md") if folder.is_dir() else []


# --- topic names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../etc/passwd", "file path"),
        ("notes/../../secret", "file path"),
        ("/etc/passwd", "file path"),
        ("~/notes", "file path"),
        ("", "empty"),
        ("   ", "empty"),
        ("Bell\x07Ring", "control characters"),
        ("Two\nLines", "control characters"),
        ("Escape \x1b[31mRed", "control characters"),
        ("Line\u2028Separator", "line breaks"),
        ("x" * 201, "too long"),
        ("Word " * 60, "too long"),
        ("# Heading", "heading"),
        ("<script>alert(1)</script>", "HTML"),
        ("Cats <img src=x onerror=alert(1)>", "HTML"),
        ("<!-- comment --> Cats", "HTML"),
        ("[Click](javascript:alert(1))", "link"),
        ("[[Wiki Link]]", "link"),
        ("🤖🧠🚀", "no letters or digits"),
        ("---", "no letters or digits"),
        ("index", "index.md"),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_an_unusable_topic_name_is_refused_in_one_line(
    cli: TopicgenCli, vault: Path, name: str, why: str
) -> None:
    result = new(cli, vault, "--", name)

    assert_refused(cli, result, why)
    assert pages(vault) == []


def test_a_control_character_in_a_topics_file_is_refused_too(cli: TopicgenCli, vault: Path) -> None:
    listing = vault / "topics.txt"
    listing.write_text("Graph Theory\nNull\x00Byte\n", encoding="utf-8")

    result = new(cli, vault, "--from", str(listing))

    assert_refused(cli, result, "control characters")
    assert pages(vault) == []


def test_a_topics_file_that_is_not_utf8_is_refused(cli: TopicgenCli, vault: Path) -> None:
    listing = vault / "topics.txt"
    listing.write_bytes(b"Graph Theory\nCaf\xe9\n")

    assert_refused(cli, new(cli, vault, "--from", str(listing)), "cannot read topics")


@pytest.mark.parametrize(
    "name",
    [
        "Foo: Bar",
        "key: value # comment",
        "C#",
        "It's #1",
        '"Quoted" Name',
        "'Single' Quotes",
        "[Bracketed]",
        "{Braced}",
        "*Starred",
        "&Anchor",
        "!Bang",
        "%Percent",
        "@At",
        "`Ticked`",
        "| Pipe",
        "> Greater",
        "? Question",
        "- Dash",
        "null",
        "yes",
        "123",
        "**Bold** _Italic_",
        "Before --- After",
        "a < b",
        "{ page } {raw}",  # braces are text; template syntax is refused (tests/test_hostile_text.py)
        "Gödel Ω",
        "Graph Theory 🧠",
        "x" * 200,
    ],
    ids=lambda value: repr(value)[:30],
)
def test_a_name_that_yaml_or_markdown_would_misread_still_makes_a_correct_page(
    cli: TopicgenCli, vault: Path, name: str
) -> None:
    result = new(cli, vault, "--", name)

    assert result.exit_code == 0, result.stderr
    (page,) = [vault / "topics" / file for file in pages(vault)]
    assert re.fullmatch(r"[a-z0-9-]{1,80}\.md", page.name)
    meta = assert_valid_page(page, name)
    assert meta["title"].endswith(" " + name)  # YAML reads the title back exactly
    assert str(page) in result.stdout


def test_surrounding_and_repeated_spaces_are_tidied_not_refused(cli: TopicgenCli, vault: Path) -> None:
    result = new(cli, vault, "  Graph    Theory  ")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / "graph-theory.md", "Graph Theory")


def test_a_name_that_looks_like_an_option_needs_the_double_dash(cli: TopicgenCli, vault: Path) -> None:
    result = new(cli, vault, "- Dash")

    assert result.exit_code == 2
    assert "No such option" in result.stderr
    assert cli.server.stats().requests == 0


# --- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("model = \n", ["not valid TOML"]),
        ("modle = 'openai:x'\n", ["unknown setting", "did you mean 'model'"]),
        ("concurrency = 'many'\n", ["concurrency", "integer"]),
        ("concurrency = 0\n", ["concurrency"]),
        ("model = 'gpt-5'\n", ["provider:model"]),
        ("model = 'nowhere:some-model'\n", ["unknown model provider"]),
        ("[paths]\ntopics = '../elsewhere'\n", ["inside the vault"]),
        ("[providers.openai]\nbase_url = 3\n", ["base_url"]),
        ("retries = -1\n", ["retries"]),
        ("site_url = 'example.com'\n", ["site_url", "http"]),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_malformed_settings_file_is_refused_in_one_line(
    cli: TopicgenCli, vault: Path, toml: str, words: list[str]
) -> None:
    (vault / "topicgen.toml").write_text(toml, encoding="utf-8")

    result = new(cli, vault, "Graph Theory", TOPICGEN_MODEL="")

    assert_refused(cli, result, *words)


def test_a_settings_file_that_is_not_utf8_is_refused(cli: TopicgenCli, vault: Path) -> None:
    (vault / "topicgen.toml").write_bytes(b"model = 'caf\xe9'\n")

    assert_refused(cli, new(cli, vault, "Graph Theory"), "topicgen.toml", "UTF-8")


def test_a_folder_named_like_the_settings_file_is_refused(cli: TopicgenCli, vault: Path) -> None:
    (vault / "topicgen.toml").mkdir()

    assert_refused(cli, new(cli, vault, "Graph Theory"), "topicgen.toml", "not a regular file")


def test_a_bad_environment_value_is_refused_naming_the_variable(cli: TopicgenCli, vault: Path) -> None:
    result = new(cli, vault, "Graph Theory", TOPICGEN_TIMEOUT="soon")

    assert_refused(cli, result, "TOPICGEN_TIMEOUT")


def test_a_bad_flag_value_is_refused_naming_the_flag(cli: TopicgenCli, vault: Path) -> None:
    assert_refused(cli, new(cli, vault, "Graph Theory", "--concurrency", "0"), "--concurrency")


def test_a_missing_api_key_is_refused_naming_the_variable(cli: TopicgenCli, vault: Path) -> None:
    assert_refused(cli, new(cli, vault, "Graph Theory", OPENAI_API_KEY=""), "OPENAI_API_KEY")


# --- vault folders --------------------------------------------------------------------------------


def test_a_vault_that_does_not_exist_is_refused(cli: TopicgenCli, tmp_path: Path) -> None:
    assert_refused(cli, new(cli, tmp_path / "nowhere", "Graph Theory"), "does not exist")


def test_a_file_given_as_the_vault_is_refused(cli: TopicgenCli, tmp_path: Path) -> None:
    target = tmp_path / "vault.md"
    target.write_text("not a folder\n", encoding="utf-8")

    assert_refused(cli, new(cli, target, "Graph Theory"), "not a folder")


def test_a_file_where_the_topics_folder_should_be_is_refused_before_any_call(
    cli: TopicgenCli, vault: Path
) -> None:
    (vault / "topics").write_text("a file\n", encoding="utf-8")

    assert_refused(cli, new(cli, vault, "Graph Theory"), "topics", "needs a folder")
    assert (vault / "topics").read_text(encoding="utf-8") == "a file\n"


def test_a_file_where_the_state_folder_should_be_is_refused_before_any_call(
    cli: TopicgenCli, vault: Path
) -> None:
    """Also the root-proof stand-in for a read-only vault: the same write probe fails the same way."""
    (vault / ".topicgen").write_text("a file\n", encoding="utf-8")

    assert_refused(cli, new(cli, vault, "Graph Theory"), ".topicgen", "cannot write")
    assert pages(vault) == []


@pytest.mark.skipif(AS_ROOT, reason=ROOT_IGNORES_PERMISSIONS)
def test_a_read_only_topics_folder_is_refused_before_any_call(cli: TopicgenCli, vault: Path) -> None:
    (vault / "topics").mkdir()
    (vault / "topics").chmod(0o555)
    try:
        result = new(cli, vault, "Graph Theory")
    finally:
        (vault / "topics").chmod(0o755)

    assert_refused(cli, result, "cannot write", "topics")


@pytest.mark.skipif(AS_ROOT, reason=ROOT_IGNORES_PERMISSIONS)
def test_an_unreadable_books_folder_only_means_no_book_links(cli: TopicgenCli, vault: Path) -> None:
    (vault / "books").mkdir()
    (vault / "books").chmod(0)
    try:
        result = new(cli, vault, "Graph Theory")
    finally:
        (vault / "books").chmod(0o755)

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / "graph-theory.md", "Graph Theory")


@pytest.mark.parametrize("folder", ["books", "topics"])
def test_a_folder_named_like_a_note_is_not_read_as_one(cli: TopicgenCli, vault: Path, folder: str) -> None:
    (vault / folder / "looks-like-a-note.md").mkdir(parents=True)

    result = new(cli, vault, "Graph Theory")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / "graph-theory.md", "Graph Theory")


def test_a_file_where_the_books_folder_should_be_only_means_no_book_links(
    cli: TopicgenCli, vault: Path
) -> None:
    (vault / "books").write_text("a file\n", encoding="utf-8")

    result = new(cli, vault, "Graph Theory")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / "graph-theory.md", "Graph Theory")


# --- a page locked by another topicgen process ---------------------------------------------------

HOLD_LOCK = """
import sys
from pathlib import Path
from topicgen.vault.files import page_lock
with page_lock(Path(sys.argv[1]), sys.argv[2]):
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def locked(vault: Path):
    """Another process holding topicgen's lock on the graph-theory page until the test ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(vault / ".topicgen" / "locks"), "graph-theory"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield holder
    holder.communicate("", timeout=10)


def test_a_page_locked_by_another_process_fails_that_topic_without_a_call(
    cli: TopicgenCli, vault: Path, locked
) -> None:
    result = new(cli, vault, "Graph Theory", "Set Theory")

    assert result.exit_code == 1
    rows = [line for line in result.stderr.splitlines() if "Graph Theory" in line]
    assert rows and all("failed" in row and "another topicgen process" in row for row in rows)
    assert pages(vault) == ["set-theory.md"]
    assert cli.server.stats().pages == {"Set Theory": 1}


def test_a_locked_page_is_written_once_the_other_process_lets_go(
    cli: TopicgenCli, vault: Path, locked
) -> None:
    assert new(cli, vault, "Graph Theory").exit_code == 1
    locked.communicate("", timeout=10)

    result = new(cli, vault, "Graph Theory")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / "graph-theory.md", "Graph Theory")


# --- notes that are not UTF-8 ---------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["books", "topics"])
def test_a_note_that_is_not_utf8_does_not_stop_a_new_page(cli: TopicgenCli, vault: Path, folder: str) -> None:
    note = vault / folder / "cafe.md"
    note.parent.mkdir()
    note.write_bytes(NOT_UTF8)

    result = new(cli, vault, "Graph Theory")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / "graph-theory.md", "Graph Theory")
    assert note.read_bytes() == NOT_UTF8


def test_replacing_a_page_that_is_not_utf8_is_refused_before_any_call_and_keeps_it(
    cli: TopicgenCli, vault: Path
) -> None:
    page = vault / "topics" / "graph-theory.md"
    page.parent.mkdir()
    page.write_bytes(NOT_UTF8)

    result = new(cli, vault, "Graph Theory", "--force")

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "not written by topicgen" in result.stderr
    assert cli.server.stats().requests == 0
    assert page.read_bytes() == NOT_UTF8


def test_an_index_that_is_not_utf8_is_left_alone_with_a_warning(cli: TopicgenCli, vault: Path) -> None:
    index = vault / "topics" / "index.md"
    index.parent.mkdir()
    index.write_bytes(NOT_UTF8)

    result = new(cli, vault, "Graph Theory")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / "graph-theory.md", "Graph Theory")
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert "index.md" in warning and "UTF-8" in warning
    assert index.read_bytes() == NOT_UTF8


def test_regenerating_a_page_that_is_not_utf8_is_refused_and_leaves_it_alone(
    cli: TopicgenCli, vault: Path
) -> None:
    page = vault / "topics" / "graph-theory.md"
    page.parent.mkdir()
    page.write_bytes(NOT_UTF8)

    result = cli.run("regen", "Graph Theory", "--vault", str(vault))

    assert_refused(cli, result, "graph-theory.md")
    assert page.read_bytes() == NOT_UTF8


# --- files named on the command line that never end -----------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("new", "--vault", "{vault}", "--from", "/dev/zero"),
        ("import", "/dev/zero"),
        ("check", "--vault", "{vault}", "/dev/zero"),
        ("adopt", "--vault", "{vault}", "/dev/zero"),
        ("render", "/dev/zero"),
    ],
    ids=["new --from", "import", "check", "adopt", "render"],
)
def test_a_device_named_as_an_input_file_is_refused_at_once(cli: TopicgenCli, vault: Path, args) -> None:
    result = cli.run(*(arg.format(vault=vault) for arg in args))
    assert_refused(cli, result, "/dev/zero", "not a file")


@pytest.mark.parametrize(
    ("args", "limit"),
    [
        (("new", "--vault", "{vault}", "--from", "-"), "64.0 MiB"),
        (("import", "-"), "1.0 MiB"),
        (("render", "-"), "8.0 MiB"),
    ],
    ids=["new --from -", "import -", "render -"],
)
def test_standard_input_that_never_ends_is_read_only_up_to_a_limit(vault: Path, args, limit: str) -> None:
    with open("/dev/zero", "rb") as endless:
        result = subprocess.run(
            [sys.executable, "-m", "topicgen", *(arg.format(vault=vault) for arg in args)],
            stdin=endless,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: standard input is over the {limit} topicgen reads from it"


def test_topic_names_are_read_from_a_pipe(cli: TopicgenCli, vault: Path, tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "topics"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w", encoding="utf-8") as stream:
            stream.write("Graph Theory\n# a comment\nRust\n")

    writer = threading.Thread(target=feed)
    writer.start()
    result = cli.run("new", "--from", str(fifo), "--dry-run", "--vault", str(vault))
    writer.join(10)
    assert result.exit_code == 0, result.stderr
    assert [line.split(" → ")[0] for line in result.stdout.splitlines() if line.startswith("=== ")] == [
        "=== Graph Theory",
        "=== Rust",
    ]


# --- a provider address that can never answer -------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://example.com", "localhost:8000", "http://", "http://localhost:port/v1"]
)
def test_a_base_url_in_the_settings_that_is_no_server_address_is_refused_before_any_call(
    cli: TopicgenCli, vault: Path, url: str
) -> None:
    (vault / "topicgen.toml").write_text(f'[providers.openai]\nbase_url = "{url}"\n', encoding="utf-8")
    assert_refused(cli, new(cli, vault, "Graph Theory"), "providers.openai.base_url", "not a server address")


@pytest.mark.parametrize("batch", [(), ("--batch",)], ids=["live", "batch"])
@pytest.mark.parametrize(
    ("provider", "variable"), [("openai", "OPENAI_BASE_URL"), ("anthropic", "ANTHROPIC_BASE_URL")]
)
def test_a_base_url_variable_that_is_no_server_address_is_refused_before_any_call(
    cli: TopicgenCli, vault: Path, provider: str, variable: str, batch: tuple[str, ...]
) -> None:
    result = new(cli, vault, "Graph Theory", *batch, provider=provider, **{variable: "ftp://example.com"})
    assert_refused(cli, result, variable, "http:// or https://")
