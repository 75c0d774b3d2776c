"""The ``topicgen`` command: new, schema and render, their flags and their exit codes."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import frontmatter
import pytest
from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.model.clients import ENTRY_POINT_GROUP
from topicgen.model.prompt import Prompts
from topicgen.page.schema import schema_text

REPO = Path(__file__).resolve().parent.parent
EXCHANGES = REPO / "fixtures" / "exchanges"
PAGE_JSON = REPO / "fixtures" / "pages" / "large-language-models.json"
REFERENCE_PAGE = REPO / "fixtures" / "corpus" / "vault" / "topics" / "large-language-models.md"
TOPIC = "Large Language Models"
REPLAY = f"replay:{EXCHANGES}"


def topicgen(*args: str | Path):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def one_line_error(result) -> str:
    """The error a failed command printed: exactly one line on stderr, starting 'error:'."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def topic_pages(vault: Path) -> list[Path]:
    return sorted(path for path in (vault / "topics").glob("*.md") if path.name != "index.md")


def body_of(text: str) -> str:
    return text[text.index("\n---\n", 4) + len("\n---\n") :]


@pytest.fixture
def page_model(tmp_path_factory, monkeypatch):
    """A third-party provider, ``page:``, that answers every topic with the reference page data.

    It is installed the way any plugin is (a distribution with an entry point in the
    ``topicgen.clients`` group) and counts how many requests are in flight at once.
    """
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "topicgen_page_plugin.py").write_text(
        textwrap.dedent(
            f"""
            import asyncio
            import json

            from topicgen.model.clients.base import Finish, ModelReply, Usage

            PAGE = open({str(PAGE_JSON)!r}, encoding="utf-8").read()
            STATE = {{"in_flight": 0, "most_in_flight": 0, "asked": []}}


            class PageClient:
                def __init__(self, model):
                    self.spec = "page:" + model

                async def complete(self, request):
                    STATE["in_flight"] += 1
                    STATE["most_in_flight"] = max(STATE["most_in_flight"], STATE["in_flight"])
                    STATE["asked"].append(request.messages[-1].content)
                    for _ in range(200):  # yield, so every request allowed in flight gets there
                        await asyncio.sleep(0)
                    STATE["in_flight"] -= 1
                    return ModelReply(PAGE, Finish.STOP, "page-model-1", Usage(1000, 500, 250))

                async def aclose(self):
                    pass


            def page_client(model, options):
                return PageClient(model)
            """
        ),
        encoding="utf-8",
    )
    info = folder / "topicgen_page_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: topicgen-page-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\npage = topicgen_page_plugin:page_client\n"
    )
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "topicgen_page_plugin", raising=False)
    import topicgen_page_plugin

    yield topicgen_page_plugin
    sys.modules.pop("topicgen_page_plugin", None)


# --- new: the main job ---------------------------------------------------------------------------


def test_new_writes_the_page_into_topics_and_prints_its_path(vault):
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault)
    assert result.exit_code == 0, result.stderr
    page = vault / "topics" / "large-language-models.md"
    assert result.stdout.strip() == str(page)
    written = page.read_text(encoding="utf-8")
    assert body_of(written).replace("\u200d", "") == body_of(
        REFERENCE_PAGE.read_text(encoding="utf-8")
    ).replace("\u200d", "")
    assert frontmatter.loads(written)["topicgen_model"] == REPLAY


def test_a_replay_folder_can_pin_the_anthropic_recording(vault):
    result = topicgen(
        "new", TOPIC, "--model", f"replay:{EXCHANGES / 'anthropic'}", "--vault", vault, "-o", "-"
    )
    assert result.exit_code == 0, result.stderr
    assert body_of(result.stdout).rstrip("\n").replace("\u200d", "") == body_of(
        REFERENCE_PAGE.read_text(encoding="utf-8")
    ).replace("\u200d", "")


def test_the_vault_is_the_current_folder_by_default(vault, monkeypatch):
    monkeypatch.chdir(vault)
    result = topicgen("new", TOPIC, "--model", REPLAY)
    assert result.exit_code == 0, result.stderr
    assert (vault / "topics" / "large-language-models.md").is_file()


def test_the_summary_on_stderr_reports_token_usage(vault):
    usage = json.loads(next((EXCHANGES / "openai").glob("*.json")).read_text())["response"]["body"]["usage"]
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault)
    assert f"{usage['prompt_tokens']:,} in" in result.stderr
    assert f"{usage['completion_tokens']:,} out" in result.stderr
    assert "cached" in result.stderr


def test_the_model_comes_from_topicgen_toml_when_no_flag_is_given(vault):
    with (vault / "topicgen.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'model = "{REPLAY}"\n')
    assert topicgen("new", TOPIC, "--vault", vault).exit_code == 0


def test_output_dash_with_a_replayed_model_prints_the_page_and_touches_nothing(vault):
    """A replay costs nothing to ask again, so even the reply cache is left alone (the README's
    set-up job runs this on the fixture vault); a paid preview is cached (test_cache_freshness)."""
    before = files_under(vault)
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault, "--output", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("---\nshare: true\n")
    assert "# 🤖🦜 Large Language Models" in result.stdout
    assert files_under(vault) == before
    assert not (vault / ".topicgen").exists()


def test_output_dash_prints_even_when_the_page_exists(vault):
    page = vault / "topics" / "large-language-models.md"
    page.parent.mkdir()
    page.write_text("a person's page", encoding="utf-8")
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault, "-o", "-")
    assert result.exit_code == 0
    assert "# 🤖🦜 Large Language Models" in result.stdout
    assert page.read_text(encoding="utf-8") == "a person's page"


def test_output_takes_only_a_dash(vault):
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault, "--output", "page.md")
    assert result.exit_code == 2
    assert "--output takes '-'" in one_line_error(result)


def test_output_dash_prints_one_page_only(vault):
    result = topicgen("new", TOPIC, "Graph Theory", "--model", REPLAY, "--vault", vault, "--output", "-")
    assert result.exit_code == 2
    assert "one topic" in one_line_error(result)


# --- --dry-run -----------------------------------------------------------------------------------


def test_dry_run_shows_the_prompt_and_an_estimate_without_a_key_or_a_call(vault):
    before = files_under(vault)
    result = topicgen("new", "Rust", "--dry-run", "--vault", vault)  # default model: openai, no key set
    assert result.exit_code == 0, result.stderr
    assert Prompts().system() in result.stdout
    assert "Write the topic note for: Rust" in result.stdout
    assert "input tokens" in result.stdout
    assert "no call made" in result.stdout
    assert files_under(vault) == before
    assert not (vault / ".topicgen").exists()


def test_dry_run_shows_the_vaults_own_prompt(vault):
    prompts = vault / ".topicgen" / "prompts"
    prompts.mkdir(parents=True)
    (prompts / "user.md.j2").write_text("Please write about {{ topic }} for my vault.", encoding="utf-8")
    result = topicgen("new", "Rust", "--dry-run", "--vault", vault)
    assert "Please write about Rust for my vault." in result.stdout


def test_dry_run_says_when_a_page_would_be_replaced(vault):
    (vault / "topics").mkdir()
    (vault / "topics" / "rust.md").write_text("x", encoding="utf-8")
    result = topicgen("new", "Rust", "--dry-run", "--vault", vault)
    assert "exists" in result.stdout


# --- never overwrite without --force -------------------------------------------------------------


PERSONS_PAGE = "---\ntitle: Large Language Models\ntags:\n  - ai\n---\nMy own notes.\n"


def test_an_existing_page_is_left_untouched_without_force(vault):
    page = vault / "topics" / "large-language-models.md"
    page.parent.mkdir()
    page.write_text(PERSONS_PAGE, encoding="utf-8")
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault)
    assert result.exit_code == 0
    assert "exists" in result.stderr
    assert "--force" in result.stderr
    assert page.read_text(encoding="utf-8") == PERSONS_PAGE


def test_force_regenerates_a_page_topicgen_wrote_keeping_keys_topicgen_does_not_own(vault):
    page = vault / "topics" / "large-language-models.md"
    assert topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault).exit_code == 0
    page.write_text(page.read_text(encoding="utf-8").replace("---\n", "---\ntags:\n  - ai\n", 1))
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault, "--force")
    assert result.exit_code == 0, result.stderr
    written = frontmatter.loads(page.read_text(encoding="utf-8"))
    assert written["title"] == "🤖🦜 Large Language Models"
    assert written["tags"] == ["ai"]


def test_writing_leaves_no_temporary_files(vault):
    topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault)
    assert [path for path in files_under(vault) if path.suffix == ".tmp"] == []


# --- failures and exit codes ---------------------------------------------------------------------


def test_a_topic_that_fails_exits_1_and_writes_nothing(vault):
    result = topicgen("new", "Graph Theory", "--model", REPLAY, "--vault", vault)
    assert result.exit_code == 1
    assert "failed" in result.stderr
    assert topic_pages(vault) == []
    assert [
        path for path in files_under(vault) if path.suffix in {".tmp", ".md"} and "books" not in path.parts
    ] == []


def test_one_failed_topic_does_not_stop_the_others(vault):
    result = topicgen("new", TOPIC, "Graph Theory", "--model", REPLAY, "--vault", vault)
    assert result.exit_code == 1
    assert [path.name for path in topic_pages(vault)] == ["large-language-models.md"]


@pytest.mark.parametrize(
    ("spec", "variable"),
    [
        ("openai:gpt-5-mini", "OPENAI_API_KEY"),
        ("anthropic:claude-x", "ANTHROPIC_API_KEY"),
        ("gemini:gemini-3.1-flash-lite-preview", "GEMINI_API_KEY"),
    ],
)
def test_a_missing_key_exits_2_naming_the_variable_and_writes_nothing(vault, spec, variable):
    before = files_under(vault)
    result = topicgen("new", TOPIC, "--model", spec, "--vault", vault)
    assert result.exit_code == 2
    assert one_line_error(result) == (
        f"error: {variable} is not set: export {variable}=... to use this model; "
        'to try topicgen without one, see "Try it without a key" in the README'
    )
    assert files_under(vault) == before


def test_the_missing_key_error_points_at_a_readme_section_that_exists(vault):
    result = topicgen("new", TOPIC, "--model", "openai:gpt-6-luna", "--vault", vault)
    (section,) = re.findall(r'see "([^"]+)" in the README', result.stderr)
    assert f"\n## {section}\n" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["new"], "no topics given"),
        (["new", TOPIC, "--model", "mistral:large"], "unknown model provider 'mistral'"),
        (["new", TOPIC, "--model", "gpt-5"], "provider:model"),
        (["new", TOPIC, "--model", REPLAY, "--concurrency", "0"], "--concurrency"),
        (["new", TOPIC, "--model", "replay:/no/such/folder"], "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_line(vault, args, words):
    result = topicgen(*args, "--vault", vault)
    assert result.exit_code == 2
    assert words in one_line_error(result)


def test_a_bad_config_file_exits_2_naming_it(vault):
    (vault / "topicgen.toml").write_text("concurency = 2\n", encoding="utf-8")
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", vault)
    assert result.exit_code == 2
    assert "did you mean 'concurrency'" in one_line_error(result)


def test_a_missing_vault_exits_2(tmp_path):
    result = topicgen("new", TOPIC, "--model", REPLAY, "--vault", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "does not exist" in one_line_error(result)


# --- topic names ---------------------------------------------------------------------------------


NAMES = {
    "../../etc/passwd": None,
    "/etc/passwd": None,
    "": None,
    "   ": None,
    "Graph\x00Theory": None,
    "Graph\x1b[31mTheory": None,
    "Graph\nTheory": None,
    "x" * 4000: None,
    "# Heading": None,
    "C++": "c-plus-plus",
    "Gödel's Theorems": "godels-theorems",
    'Key: "Value" # [x]': "key-value-x",
    "Algorithms to Live By: The Computer Science of Human Decisions": "",  # any clean slug
    "[Bracketed] Topic": "bracketed-topic",
    '"Quoted"': "quoted",
    "- Dash": "dash",
}


@pytest.mark.parametrize("name", list(NAMES), ids=lambda name: repr(name[:30]))
def test_any_name_gives_a_clean_page_in_topics_or_a_one_line_error(tmp_path, vault, page_model, name):
    result = topicgen("new", "--model", "page:test", "--vault", vault, "--", name)
    expected = NAMES[name]
    if expected is None:
        assert result.exit_code == 2
        one_line_error(result)
        assert topic_pages(vault) == []
    else:
        assert result.exit_code == 0, result.stderr
        (page,) = topic_pages(vault)
        if expected:
            assert page.name == f"{expected}.md"
        data = frontmatter.loads(page.read_text(encoding="utf-8"))
        title = f"🤖🦜 {' '.join(name.split())}"
        assert data["title"] == title
        assert data["aliases"] == [title]
        assert data["URL"] == f"https://bagrounds.org/topics/{page.stem}"
    outside = [
        path
        for path in files_under(tmp_path)
        if path.suffix == ".md" and not ({"topics", "books"} & set(path.relative_to(tmp_path).parts))
    ]
    assert outside == []


# --- several topics at once ----------------------------------------------------------------------


def test_several_topics_are_drafted_concurrently_up_to_the_limit(vault, page_model):
    topics = ["Graph Theory", "Kuramoto Model", "Rust", "C++", "Gödel's Theorems", "Entropy"]
    result = topicgen("new", *topics, "--model", "page:test", "--vault", vault, "--concurrency", "3")
    assert result.exit_code == 0, result.stderr
    assert page_model.STATE["most_in_flight"] == 3
    assert len(topic_pages(vault)) == 6


def test_concurrency_1_drafts_one_topic_at_a_time(vault, page_model):
    result = topicgen(
        "new",
        "Graph Theory",
        "Rust",
        "Entropy",
        "--model",
        "page:test",
        "--vault",
        vault,
        "--concurrency",
        "1",
    )
    assert result.exit_code == 0, result.stderr
    assert page_model.STATE["most_in_flight"] == 1


def test_the_default_concurrency_is_4(vault, page_model):
    topics = [f"Topic {n}" for n in range(6)]
    assert topicgen("new", *topics, "--model", "page:test", "--vault", vault).exit_code == 0
    assert page_model.STATE["most_in_flight"] == 4


def test_topics_can_be_read_from_a_file(vault, page_model, tmp_path):
    listing = tmp_path / "topics.txt"
    listing.write_text("# my list\nGraph Theory\n\nRust\n", encoding="utf-8")
    result = topicgen("new", "--from", listing, "--model", "page:test", "--vault", vault)
    assert result.exit_code == 0, result.stderr
    assert [path.stem for path in topic_pages(vault)] == ["graph-theory", "rust"]


def test_a_topic_named_twice_is_drafted_once(vault, page_model):
    result = topicgen("new", "C++", "c++", "--model", "page:test", "--vault", vault)
    assert result.exit_code == 0
    assert len(page_model.STATE["asked"]) == 1


def test_two_topics_of_one_file_name_in_one_run_draft_the_first_and_refuse_the_second(vault, page_model):
    result = topicgen("new", "C++", "c plus plus", "--model", "page:test", "--vault", vault)
    assert result.exit_code == 1
    assert 'is the page of "C++", another topic' in result.stderr
    assert len(page_model.STATE["asked"]) == 1


# --- schema --------------------------------------------------------------------------------------


def test_schema_prints_the_json_schema():
    result = topicgen("schema")
    assert result.exit_code == 0
    assert result.stdout == schema_text()
    assert json.loads(result.stdout)["type"] == "object"


# --- render --------------------------------------------------------------------------------------


def test_render_turns_a_saved_page_into_markdown_on_stdout(vault):
    result = topicgen("render", PAGE_JSON, "--topic", TOPIC, "--vault", vault)
    assert result.exit_code == 0, result.stderr
    assert body_of(result.stdout).rstrip("\n").replace("\u200d", "") == body_of(
        REFERENCE_PAGE.read_text(encoding="utf-8")
    ).replace("\u200d", "")


def test_render_needs_the_topic_for_a_bare_page(vault):
    result = topicgen("render", PAGE_JSON, "--vault", vault)
    assert result.exit_code == 2
    assert "--topic" in one_line_error(result)


def test_render_reads_the_topic_a_saved_reply_records(vault, tmp_path):
    saved = tmp_path / "reply.json"
    saved.write_text(
        json.dumps({"topic": TOPIC, "page": json.loads(PAGE_JSON.read_text())}), encoding="utf-8"
    )
    result = topicgen("render", saved, "--vault", vault)
    assert result.exit_code == 0, result.stderr
    assert "# 🤖🦜 Large Language Models" in result.stdout


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_render_accepts_a_recorded_exchange(vault, provider):
    (exchange,) = (EXCHANGES / provider).glob("*.json")
    result = topicgen("render", exchange, "--topic", TOPIC, "--vault", vault)
    assert result.exit_code == 0, result.stderr
    assert "[🧠💻🤖 Deep Learning](../books/deep-learning.md)" in result.stdout


def test_render_writes_nothing(vault):
    before = files_under(vault)
    topicgen("render", PAGE_JSON, "--topic", TOPIC, "--vault", vault)
    assert files_under(vault) == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("not json", "not valid JSON"),
        ('{"title_emoji": "🤖"}', "does not match the schema"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_render_refuses_a_bad_reply_with_exit_2(vault, tmp_path, content, words):
    saved = tmp_path / "reply.json"
    saved.write_text(content, encoding="utf-8")
    result = topicgen("render", saved, "--topic", TOPIC, "--vault", vault)
    assert result.exit_code == 2
    assert words in one_line_error(result)


def test_render_of_a_missing_file_exits_2(vault, tmp_path):
    result = topicgen("render", tmp_path / "missing.json", "--topic", TOPIC, "--vault", vault)
    assert result.exit_code == 2


# --- help ----------------------------------------------------------------------------------------


def test_help_lists_the_commands():
    result = topicgen("--help")
    assert result.exit_code == 0
    for command in ("new", "schema", "render"):
        assert command in result.stdout


def test_new_help_lists_its_flags():
    result = topicgen("new", "--help")
    for flag in ("--vault", "--model", "--force", "--dry-run", "--output", "--concurrency", "--record"):
        assert flag in result.stdout
