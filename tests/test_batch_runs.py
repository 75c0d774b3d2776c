"""``--batch``: whole runs through the providers' batch APIs (the fake's): nothing twice, nothing lost."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FAKE_API_KEY, assert_valid_page

from topicgen.testing import BatchFault, Fault, HttpError, Reply
from topicgen.vault.slugs import slug_for

PROVIDERS = ("openai", "anthropic", "gemini")
BATCH = {"TOPICGEN_BATCH_POLL": "0.02"}
WHOLE = "--verbose"  # lines printed whole, so a test can read them


def topics(count: int, prefix: str = "Batch Topic") -> list[str]:
    return [f"{prefix} {n:03d}" for n in range(count)]


def topic_file(folder: Path, names: list[str]) -> Path:
    path = folder / "topics.txt"
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path


def page(vault: Path, topic: str) -> Path:
    return vault / "topics" / f"{slug_for(topic)}.md"


def live_calls(server) -> list:
    return [
        r for r in server.requests if r.path.endswith(("/chat/completions", "/messages", ":generateContent"))
    ]


@pytest.fixture
def server(fake_provider):
    fake_provider.configure(batch_delay=0.1)
    return fake_provider


# --- acceptance: 100 topics, both providers --------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_new_from_a_list_in_a_batch_writes_every_page_with_no_live_call(provider, cli, server, empty_vault):
    names = topics(100)
    listing = topic_file(empty_vault.parent, names)
    result = cli.run(
        "new", "--from", str(listing), "--batch", "--vault", str(empty_vault), provider=provider, **BATCH
    )
    assert result.exit_code == 0, result.stderr
    for name in names:
        assert_valid_page(page(empty_vault, name), name)
    assert "100 written" in result.stderr
    assert live_calls(server) == []
    assert [(b["api"], b["requests"]) for b in server.batch_desk.summary()] == [(provider, 100)]


def test_a_batch_run_writes_the_same_page_a_live_run_writes(cli, server, tmp_path):
    vaults = {mode: tmp_path / mode for mode in ("live", "batch")}
    for mode, root in vaults.items():
        root.mkdir()
        flags = ["--batch"] if mode == "batch" else []
        assert cli.run("new", "Graph Theory", *flags, "--vault", str(root), **BATCH).exit_code == 0

    def body(root: Path) -> str:
        text = page(root, "Graph Theory").read_text(encoding="utf-8")
        return text.split("\n---\n", 1)[1]

    assert body(vaults["batch"]) == body(vaults["live"])


# --- nothing submitted twice, nothing lost ---------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_killed_by_kill_9_and_run_again_one_batch_in_all_and_each_page_written_once(
    provider, cli, fake_provider, empty_vault
):
    fake_provider.configure(batch_delay=3.0)
    names = topics(100, "Killed Topic")
    listing = topic_file(empty_vault.parent, names)
    env = {**os.environ, **cli.env(provider, **BATCH)}
    command = [
        sys.executable,
        "-m",
        "topicgen",
        "new",
        "--from",
        str(listing),
        "--batch",
        "--vault",
        str(empty_vault),
    ]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (empty_vault / "topics").glob("*.md")}

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)

    assert again.returncode == 0, again.stderr
    assert len(fake_provider.batch_desk.summary()) == 1
    for name in names:
        assert_valid_page(page(empty_vault, name), name)
    for name, (inode, mtime) in before.items():  # written before the kill: left exactly as it was
        path = empty_vault / "topics" / name
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == (inode, mtime)
    written = [line for line in again.stdout.splitlines() if line.endswith(".md")]
    assert len(written) == 100 - len([n for n in before if n != "index.md"])
    assert live_calls(fake_provider) == []


KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}
BATCH_IDS = {"gemini": "batches/{}"}  # the provider's name for a batch, from the fake's id


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_wait_submits_and_prints_the_batch_id_then_collect_writes_the_pages(
    provider, cli, server, empty_vault
):
    server.configure(batch_delay=0.3)
    submitted = cli.run(
        "new",
        "Graph Theory",
        "Rust",
        "--batch",
        "--no-wait",
        "--vault",
        str(empty_vault),
        **BATCH,
        provider=provider,
    )
    assert submitted.exit_code == 0, submitted.stderr
    ((batch,),) = [[BATCH_IDS.get(provider, "{}").format(b["id"])] for b in server.batch_desk.summary()]
    assert submitted.stdout.split() == [batch]
    assert not page(empty_vault, "Rust").exists()
    assert "2 in a batch" in submitted.stderr
    status = cli.run("batch", "status", "--json", "--vault", str(empty_vault), provider=provider, **BATCH)
    assert json.loads(status.stdout)["batch_id"] == batch
    variable = KEY_VARIABLES[provider]
    offline = cli.run(
        "batch", "status", "--vault", str(empty_vault), provider=provider, **{variable: ""}, **BATCH
    )
    assert offline.exit_code == 0 and batch in offline.stdout and variable in offline.stderr

    collected = cli.run("batch", "collect", "--vault", str(empty_vault), provider=provider, **BATCH)

    assert collected.exit_code == 0, collected.stderr
    assert page(empty_vault, "Rust").exists() and page(empty_vault, "Graph Theory").exists()
    assert len(server.batch_desk.summary()) == 1
    assert (
        cli.run("batch", "collect", "--vault", str(empty_vault)).stderr.strip() == "no batch runs to collect"
    )


def test_the_same_command_while_its_batch_runs_waits_for_it_instead_of_submitting_again(
    cli, server, empty_vault
):
    server.configure(batch_delay=0.3)
    args = ("new", "Graph Theory", "--batch", "--vault", str(empty_vault))
    assert cli.run(*args, "--no-wait", **BATCH).exit_code == 0
    result = cli.run(*args, **BATCH)
    assert result.exit_code == 0, result.stderr
    assert page(empty_vault, "Graph Theory").exists()
    assert len(server.batch_desk.summary()) == 1


def test_expired_requests_are_listed_with_their_reason_and_a_rerun_sends_only_them(cli, server, empty_vault):
    server.script(BatchFault.EXPIRED, topic="Graph Theory")
    args = ("new", "Graph Theory", "Rust", "Kuramoto Model", "--batch", WHOLE, "--vault", str(empty_vault))
    first = cli.run(*args, **BATCH)
    assert first.exit_code == 1
    assert "expired" in first.stderr and "run the same command again" in first.stderr
    assert not page(empty_vault, "Graph Theory").exists()

    again = cli.run(*args, **BATCH)

    assert again.exit_code == 0, again.stderr
    assert page(empty_vault, "Graph Theory").exists()
    assert [b["requests"] for b in server.batch_desk.summary()] == [3, 1]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_cancelled_batch_is_collected_and_collect_retry_sends_the_rest_again(
    provider, cli, server, empty_vault
):
    server.configure(batch_delay=30)
    args = ("new", "Graph Theory", "Rust", "--batch", "--vault", str(empty_vault))
    assert cli.run(*args, "--no-wait", provider=provider, **BATCH).exit_code == 0
    cancelled = cli.run("batch", "cancel", "--vault", str(empty_vault), provider=provider, **BATCH)
    assert cancelled.exit_code == 0, cancelled.stderr
    collected = cli.run("batch", "collect", WHOLE, "--vault", str(empty_vault), provider=provider, **BATCH)
    assert collected.exit_code == 1
    assert "cancelled" in collected.stderr
    server.configure(batch_delay=0.05)

    retried = cli.run("batch", "collect", "--retry", "--vault", str(empty_vault), provider=provider, **BATCH)

    assert retried.exit_code == 0, retried.stderr
    assert page(empty_vault, "Rust").exists() and page(empty_vault, "Graph Theory").exists()
    assert [b["cancelled"] for b in server.batch_desk.summary()] == [True, False]


# --- split ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("setting", "value", "batches"), [("REQUESTS", "3", 4), ("BYTES", "40000", 5)])
def test_a_plan_over_the_batch_limit_becomes_several_batches_all_collected(
    setting, value, batches, cli, server, empty_vault
):
    names = topics(10, "Split Topic")
    listing = topic_file(empty_vault.parent, names)
    limit = {f"TOPICGEN_BATCH_MAX_{setting}": value}
    result = cli.run("new", "--from", str(listing), "--batch", "--vault", str(empty_vault), **BATCH, **limit)
    assert result.exit_code == 0, result.stderr
    sizes = [b["requests"] for b in server.batch_desk.summary()]
    assert len(sizes) == batches and sum(sizes) == 10
    for name in names:
        assert_valid_page(page(empty_vault, name), name)


# --- replies that need a second look --------------------------------------------------------------


def test_an_unusable_reply_is_re_asked_in_a_follow_up_batch(cli, server, empty_vault):
    server.script(Fault.SCHEMA_VIOLATION, topic="Graph Theory")
    result = cli.run("new", "Graph Theory", "Rust", "--batch", "--vault", str(empty_vault), **BATCH)
    assert result.exit_code == 0, result.stderr
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")
    assert [b["requests"] for b in server.batch_desk.summary()] == [2, 1]
    assert live_calls(server) == []


def test_reask_live_asks_the_second_look_live(cli, server, empty_vault):
    server.script(Fault.TRUNCATED, topic="Graph Theory")
    result = cli.run(
        "new", "Graph Theory", "Rust", "--batch", "--reask", "live", "--vault", str(empty_vault), **BATCH
    )
    assert result.exit_code == 0, result.stderr
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")
    assert [b["requests"] for b in server.batch_desk.summary()] == [2]
    assert [r.topic for r in live_calls(server)] == ["Graph Theory"]


# --- cost -----------------------------------------------------------------------------------------

PRICES = '[prices."openai:fake-model"]\ninput = 2.0\noutput = 8.0\n'


def test_dry_run_shows_the_batch_price_at_half_the_live_one(cli, empty_vault):
    (empty_vault / "topicgen.toml").write_text(PRICES, encoding="utf-8")
    result = cli.run("new", "Graph Theory", "Rust", "--batch", "--dry-run", "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "at batch prices" in line)
    batch, live = (float(part.split("$")[1].split()[0].rstrip(")")) for part in line.split("(live:"))
    assert batch == pytest.approx(live / 2, rel=1e-3)


def test_max_cost_applies_before_submission(cli, server, empty_vault):
    (empty_vault / "topicgen.toml").write_text(PRICES, encoding="utf-8")
    names = topics(5, "Budget Topic")
    result = cli.run(*("new", *names, "--batch", "--max-cost", "0.045", "--vault", str(empty_vault)), **BATCH)
    (submitted,) = [b["requests"] for b in server.batch_desk.summary()]
    assert 0 < submitted < 5
    assert "cost budget reached" in result.stderr
    assert len(list((empty_vault / "topics").glob("budget-topic-*.md"))) == submitted


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--no-wait",), "--no-wait and --reask go with --batch"),
        (("--batch", "--reask", "sometimes"), "--reask takes 'batch' or 'live'"),
        (("--batch", "--output", "-"), "cannot print one"),
        (("--batch", "--model", "ollama:llama3.1"), "--batch needs a provider with a batch API"),
    ],
)
def test_batch_flags_that_cannot_work_are_one_line_and_exit_2(args, message, cli, empty_vault):
    result = cli.run("new", "Graph Theory", *args, "--vault", str(empty_vault))
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (empty_vault / "topics").exists() or not list((empty_vault / "topics").glob("*.md"))


WITHOUT_BATCH_API = (
    "--batch needs a provider with a batch API (openai:, anthropic:, gemini:, or replay: of a recorded batch)"
)


@pytest.mark.parametrize("model", ["ollama:llama3.1", "openai-compatible:qwen3"])
@pytest.mark.parametrize(
    "command", [("new", "Graph Theory"), ("regen", "Graph Theory"), ("adopt", "--all")], ids=lambda c: c[0]
)
def test_a_batch_dry_run_without_a_batch_api_is_refused_as_the_run_is(
    command, model, cli, server, empty_vault
):
    assert cli.run("new", "Graph Theory", "--vault", str(empty_vault)).exit_code == 0
    before = cli.snapshot(empty_vault)
    server.reset_stats()
    args = (*command, "--batch", "--model", model, "--vault", str(empty_vault))

    dry, real = cli.run(*args, "--dry-run", **BATCH), cli.run(*args, **BATCH)

    assert (dry.exit_code, real.exit_code) == (2, 2)
    assert f"{WITHOUT_BATCH_API}; {model.split(':')[0]}: has none" in dry.stderr
    assert dry.stderr == real.stderr and dry.stdout == real.stdout == ""
    assert cli.snapshot(empty_vault) == before
    assert server.stats().requests == 0


# --- regen and adopt ------------------------------------------------------------------------------


def test_regen_stale_in_a_batch_keeps_a_persons_edit_and_calls_nothing_live(cli, server, empty_vault):
    assert cli.run("new", "Graph Theory", "Rust", "--vault", str(empty_vault), **BATCH).exit_code == 0
    rust = page(empty_vault, "Rust")
    text = rust.read_text(encoding="utf-8")
    joke_start = text.index("### 😂 A Joke")
    edited = text[:joke_start] + text[joke_start:].replace("- ", "- (my own joke) ", 1)
    rust.write_text(edited, encoding="utf-8")
    prompts = empty_vault / ".topicgen" / "prompts"
    prompts.mkdir(parents=True)
    (prompts / "user.md.j2").write_text("Please write the topic note for: {{ topic }}\n", encoding="utf-8")
    server.reset_stats()

    result = cli.run("regen", "--stale", "--batch", "--vault", str(empty_vault), **BATCH)

    assert result.exit_code == 0, result.stderr
    assert "2 written" in result.stderr and "1 edited section(s) kept" in result.stderr
    after = rust.read_text(encoding="utf-8")
    assert after[after.index("### 😂 A Joke") :].startswith(edited[joke_start:].split("### 📖")[0])
    assert live_calls(server) == []
    assert [b["requests"] for b in server.batch_desk.summary()] == [2]


def test_adopt_in_a_batch_asks_only_for_the_missing_sections(cli, server, vault, variant):
    (vault / "topics").mkdir(exist_ok=True)
    target = vault / "topics" / "large-language-models.md"
    target.write_text(variant("missing-sections"), encoding="utf-8")

    result = cli.run("adopt", str(target), "--batch", "--vault", str(vault), **BATCH)

    assert result.exit_code == 0, result.stderr
    assert_valid_page(target, "Large Language Models")
    assert [b["requests"] for b in server.batch_desk.summary()] == [1]
    assert live_calls(server) == []
    assert "written" in result.stderr


def test_a_reply_with_one_wrong_section_is_re_asked_for_that_section_only_in_the_follow_up(
    cli, server, empty_vault
):
    server.script(Reply(patch={"joke": 42}), topic="Graph Theory")
    result = cli.run("new", "Graph Theory", "Rust", "--batch", "--vault", str(empty_vault), **BATCH)
    assert result.exit_code == 0, result.stderr
    assert [b["requests"] for b in server.batch_desk.summary()] == [2, 1]
    batches = sorted(
        (empty_vault / ".topicgen" / "batches").glob("tg-*/requests.jsonl"), key=lambda p: p.stat().st_mtime
    )
    (follow_up,) = batches[-1].read_text(encoding="utf-8").splitlines()
    schema = json.loads(follow_up)["body"]["response_format"]["json_schema"]["schema"]
    assert list(schema["properties"]) == ["joke"]
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")
    assert live_calls(server) == []


# --- record and replay ----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_recorded_batch_run_replays_offline_to_the_same_pages(provider, cli, server, tmp_path):
    recorded, replayed, exchanges = tmp_path / "recorded", tmp_path / "replayed", tmp_path / "exchanges"
    recorded.mkdir()
    replayed.mkdir()
    args = ("new", "Graph Theory", "Rust", "--batch")
    first = cli.run(*args, "--record", str(exchanges), "--vault", str(recorded), provider=provider, **BATCH)
    assert first.exit_code == 0, first.stderr
    served = server.stats().requests

    again = cli.run(*args, "--model", f"replay:{exchanges}", "--vault", str(replayed), **BATCH)

    assert again.exit_code == 0, again.stderr
    assert server.stats().requests == served  # the provider was not asked again
    for topic in ("Graph Theory", "Rust"):
        made = page(recorded, topic).read_text(encoding="utf-8").split("\n---\n", 1)[1]
        assert page(replayed, topic).read_text(encoding="utf-8").split("\n---\n", 1)[1] == made
    saved = "".join(p.read_text(encoding="utf-8") for p in exchanges.rglob("*.json"))
    assert FAKE_API_KEY not in saved


# --- references: checked as in a live run ---------------------------------------------------------

GROUNDED = ["Graph Theory", "Kuramoto Model", "Sourdough Baking"]


def batch_lines(vault: Path) -> list[list[dict]]:
    """The request lines of each batch the vault planned, oldest first."""
    folders = sorted((vault / ".topicgen" / "batches").glob("tg-*"), key=lambda p: p.stat().st_mtime)
    return [
        [json.loads(line) for line in (folder / "requests.jsonl").read_text(encoding="utf-8").splitlines()]
        for folder in folders
    ]


def asks_for(line: dict) -> list[str]:
    body = line.get("body") or line.get("params") or line["request"]
    if "response_format" in body:  # OpenAI
        schema = body["response_format"]["json_schema"]["schema"]
    elif "generation_config" in body:  # Gemini
        schema = body["generation_config"]["response_json_schema"]
    else:  # Anthropic
        schema = body["output_config"]["format"]["schema"]
    return list(schema["properties"])


def frontmatter_of(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_batch_run_grounds_references_and_re_asks_unknown_books_in_the_follow_up_batch(
    provider, cli, server, references, empty_vault
):
    from topicgen.read.parse import read_page
    from topicgen.verify.youtube import LinkKind, classify, search_link

    references.learn_half_of(GROUNDED)
    result = cli.run("new", *GROUNDED, "--batch", "--vault", str(empty_vault), provider=provider, **BATCH)

    assert result.exit_code == 0, result.stderr
    first, follow_up = batch_lines(empty_vault)
    assert [len(asks_for(line)) > 1 for line in first] == [True] * 3  # whole pages
    assert [asks_for(line) for line in follow_up] == [["books"]] * 3  # then the books of each, alone
    assert live_calls(server) == []
    for topic in GROUNDED:
        path = page(empty_vault, topic)
        assert frontmatter_of(path)["topicgen_verified"] is True
        for video in read_page(path).sections["videos"]:
            link = classify(video["url"])
            if link.kind is LinkKind.SEARCH:
                assert video["url"] == search_link(video["name"])
            else:
                assert link.key in references.videos | references.channels
    summary = " ".join(result.stderr.split())
    assert "4 video/channel link(s) not on YouTube, now searches for their name" in summary
    assert "12 book(s) not in the catalog asked for again; 12 still not found, kept (by page:" in summary


def test_reask_live_asks_for_unknown_books_live_in_a_batch_run(cli, server, references, empty_vault):
    references.learn_half_of(GROUNDED)
    result = cli.run("new", *GROUNDED, "--batch", "--reask", "live", "--vault", str(empty_vault), **BATCH)
    assert result.exit_code == 0, result.stderr
    assert [b["requests"] for b in server.batch_desk.summary()] == [3]
    assert sorted(r.topic for r in live_calls(server)) == sorted(GROUNDED)  # one books re-ask each
    assert all(frontmatter_of(page(empty_vault, t))["topicgen_verified"] is True for t in GROUNDED)


def test_a_page_whose_books_came_back_in_a_follow_up_batch_counts_its_first_reply_too(
    cli, server, references, empty_vault
):
    references.learn_half_of(["Graph Theory"])
    result = cli.run("new", "Graph Theory", "--batch", WHOLE, "--vault", str(empty_vault), **BATCH)
    assert result.exit_code == 0, result.stderr
    assert "from the reply cache" not in result.stderr
    replies = [
        json.loads(line.split("\t")[1])["reply"]["usage"]["output_tokens"]
        for path in (empty_vault / ".topicgen" / "batches").glob("tg-*/replies.tsv")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(replies) == 2
    assert f"{sum(replies):,} out" in result.stderr


def test_collect_finishes_a_run_started_with_no_verify_without_looking_anything_up(
    cli, server, references, empty_vault
):
    server.configure(batch_delay=0.3)
    args = ("new", "Graph Theory", "--batch", "--no-verify", "--no-wait", "--vault", str(empty_vault))
    assert cli.run(*args, **BATCH).exit_code == 0
    collected = cli.run("batch", "collect", "--vault", str(empty_vault), **BATCH)
    assert collected.exit_code == 0, collected.stderr
    assert references.stats().requests == 0
    assert frontmatter_of(page(empty_vault, "Graph Theory"))["topicgen_verified"] is False


# --- Anthropic models that reject structured outputs ----------------------------------------------


def test_an_anthropic_model_rejecting_output_config_gets_its_requests_again_as_forced_tool_calls(
    cli, server, empty_vault
):
    server.configure(structured_outputs=False)
    names = ["Graph Theory", "Rust"]
    result = cli.run(
        "new", *names, "--batch", WHOLE, "--vault", str(empty_vault), provider="anthropic", **BATCH
    )

    assert result.exit_code == 0, result.stderr
    first, follow_up = batch_lines(empty_vault)
    assert all("output_config" in line["params"] and "tools" not in line["params"] for line in first)
    assert sorted(line["custom_id"] for line in follow_up) == sorted(line["custom_id"] for line in first)
    for line in follow_up:  # the same requests, as the live client sends them after a rejection
        assert line["params"]["tool_choice"] == {"type": "tool", "name": "write_topic_note"}
        assert "format" not in line["params"].get("output_config", {})
    for name in names:
        assert_valid_page(page(empty_vault, name), name)
    assert [b["requests"] for b in server.batch_desk.summary()] == [2, 2]
    assert live_calls(server) == []


def test_a_later_run_sends_requests_an_earlier_batch_refused_for_their_form_as_tool_calls(tmp_path):
    import asyncio

    from topicgen.model.clients import ClientOptions
    from topicgen.model.clients.anthropic import TOOL
    from topicgen.model.clients.anthropic_batch import AnthropicBatchClient
    from topicgen.model.clients.base import Finish, Message, ModelReply, ModelRequest
    from topicgen.model.clients.batch import BatchResult
    from topicgen.runs.batch.store import BatchStore, RunRecord

    store = BatchStore(tmp_path / "batches")
    run = RunRecord("run1", "new", {}, "anthropic:fake-model")
    name = store.new_name(run)
    store.requests_path_of(name).write_text('{"custom_id": "a"}\n{"custom_id": "b"}\n', encoding="utf-8")
    store.record_planned(name, run, "anthropic", {"a": "Rust", "b": "Graph Theory"}, 10)

    async def results():
        yield BatchResult("a", error="errored: output_config.format: not supported", resend_as=TOOL)
        yield BatchResult("b", ModelReply("{}", Finish.STOP, "fake-model"))

    (record,) = [r for r in store.batches() if r.name == name]
    asyncio.run(store.collect(record, results(), ""))

    index = store.answers("anthropic:fake-model")  # read again, as a new process would
    assert index.forms == {TOOL}
    assert index.get("a").resend_as == TOOL and index.get("b").resend_as is None
    fresh = AnthropicBatchClient("fake-model", api_key="k", options=ClientOptions())
    fresh.adapt(index.forms)
    request = ModelRequest((Message("user", "Write about: Rust"),), {"type": "object", "properties": {}})
    assert fresh.line("a", request)["params"]["tool_choice"]["type"] == "tool"


# --- the reasoning effort, as a live run sends it -------------------------------------------------

EFFORT_REFUSALS = {  # what each provider says to an effort the model does not take
    "openai:gpt-6-luna": "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
    "anthropic:claude-sonnet-4-6": "output_config.effort: This model does not support the effort parameter.",
}


def body_of(line: dict) -> dict:
    return line.get("body") or line["params"]


def effort_of(body: dict):
    return body.get("reasoning_effort") or body.get("output_config", {}).get("effort")


def without_effort(body: dict) -> dict:
    body = {key: value for key, value in body.items() if key != "reasoning_effort"}
    if "output_config" in body:
        body["output_config"] = {k: v for k, v in body["output_config"].items() if k != "effort"}
    return body


@pytest.mark.parametrize("model", EFFORT_REFUSALS)
def test_a_batch_line_is_the_live_request_body_with_its_reasoning_effort(model, cli, server, tmp_path):
    env = {"TOPICGEN_MODEL": model, "TOPICGEN_REASONING_EFFORT": "medium", **BATCH}
    live, batch = tmp_path / "live", tmp_path / "batch"
    live.mkdir(), batch.mkdir()
    assert cli.run("new", "Graph Theory", "--vault", str(live), **env).exit_code == 0
    (sent,) = [request.body for request in live_calls(server)]

    assert cli.run("new", "Graph Theory", "--batch", "--vault", str(batch), **env).exit_code == 0

    ((line,),) = batch_lines(batch)
    body = body_of(line)
    assert effort_of(body) == effort_of(sent) == "medium"
    if "system" in body:  # Anthropic batches keep the cached system prompt for an hour
        assert body["system"][0].pop("cache_control") == {"type": "ephemeral", "ttl": "1h"}
        assert sent["system"][0].pop("cache_control") == {"type": "ephemeral"}
    assert body == sent


@pytest.mark.parametrize("model", EFFORT_REFUSALS)
def test_requests_a_batch_refused_for_their_effort_go_again_without_it_in_the_follow_up_batch(
    model, cli, server, empty_vault
):
    server.script(HttpError(400, EFFORT_REFUSALS[model]), topic="Rust")
    names = ["Graph Theory", "Rust"]
    result = cli.run("new", *names, "--batch", "--vault", str(empty_vault), TOPICGEN_MODEL=model, **BATCH)

    assert result.exit_code == 0, result.stderr
    first, (again,) = batch_lines(empty_vault)
    (refused,) = [line for line in first if line["custom_id"] == again["custom_id"]]
    assert [effort_of(body_of(line)) for line in first] == ["low", "low"]
    assert effort_of(body_of(again)) is None
    without = {**body_of(refused), "reasoning_effort": None, "output_config": None}
    assert {key: value for key, value in without.items() if value is not None} == {
        key: value
        for key, value in body_of(again).items()
        if key not in ("reasoning_effort", "output_config")
    }
    for name in names:
        assert_valid_page(page(empty_vault, name), name)
    assert [b["requests"] for b in server.batch_desk.summary()] == [2, 1]
    assert live_calls(server) == []


def test_an_effort_refusal_of_a_request_sent_without_one_fails_it_rather_than_sending_it_again(
    cli, server, empty_vault
):
    model = "openai:gpt-6-luna"
    server.script(HttpError(400, EFFORT_REFUSALS[model]), topic="Rust")
    env = {"TOPICGEN_MODEL": model, "TOPICGEN_REASONING_EFFORT": "default", **BATCH}

    result = cli.run("new", "Graph Theory", "Rust", "--batch", "--vault", str(empty_vault), **env)

    assert result.exit_code == 1
    assert "effort" in result.stderr and not page(empty_vault, "Rust").exists()
    assert [b["requests"] for b in server.batch_desk.summary()] == [2]


# --- what the summary counts and prices -------------------------------------------------------------


def summary_tokens(stderr: str):
    from topicgen.model.clients.base import Usage

    found = re.search(r"tokens: ([\d,]+) in, ([\d,]+) out, ([\d,]+) cached", " ".join(stderr.split()))
    assert found, stderr
    numbers = [int(group.replace(",", "")) for group in found.groups()]
    return Usage(input_tokens=numbers[0], output_tokens=numbers[1], cached_tokens=numbers[2])


def batch_usage(vault: Path):
    """What every reply the vault's batches brought back used."""
    from topicgen.model.clients.base import Usage

    total = Usage()
    for path in (vault / ".topicgen" / "batches").glob("tg-*/replies.tsv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            reply = json.loads(line.split("\t")[1]).get("reply")
            if reply:
                total += Usage(**reply["usage"])
    return total


def test_a_rerun_answered_from_stored_batch_replies_counts_their_tokens_once(cli, server, empty_vault):
    server.script(Fault.TRUNCATED, Fault.TRUNCATED, topic="Graph Theory")
    args = ("new", "Graph Theory", "--batch", "--vault", str(empty_vault))
    first = cli.run(*args, TOPICGEN_REASKS="1", **BATCH)
    assert first.exit_code == 1  # cut off twice: failed
    assert summary_tokens(first.stderr) == batch_usage(empty_vault)
    made = len(server.batch_desk.summary())

    again = cli.run(*args, TOPICGEN_REASKS="1", **BATCH)

    assert again.exit_code == 1
    assert len(server.batch_desk.summary()) == made  # answered from the replies stored, not sent again
    assert summary_tokens(again.stderr).input_tokens == 0  # and not counted again: paid once
    assert summary_tokens(again.stderr).output_tokens == 0


def test_reask_live_calls_are_priced_at_live_rates_and_batch_replies_at_batch_rates(cli, server, empty_vault):
    from topicgen.model.clients.base import Usage
    from topicgen.model.costs import Price

    (empty_vault / "topicgen.toml").write_text(PRICES, encoding="utf-8")
    server.script(Fault.TRUNCATED, topic="Graph Theory")
    result = cli.run(
        "new", "Graph Theory", "Rust", "--batch", "--reask", "live", "--vault", str(empty_vault), **BATCH
    )
    assert result.exit_code == 0, result.stderr
    assert len(live_calls(server)) == 1
    total, batched = summary_tokens(result.stderr), batch_usage(empty_vault)
    live = Usage(
        total.input_tokens - batched.input_tokens,
        total.output_tokens - batched.output_tokens,
        total.cached_tokens - batched.cached_tokens,
    )
    assert live.output_tokens > 0
    price = Price(input=2.0, output=8.0)
    expected = price.scaled(0.5).cost(batched) + price.cost(live)
    assert f"about ${expected:.4f}" in result.stderr
    assert f"about ${price.scaled(0.5).cost(total):.4f}" not in result.stderr


def test_a_gemini_batchs_counts_are_shown_once_it_is_collected(cli, server, empty_vault):
    """Gemini's SDK reports a job's state, not its request counts: the vault counts what came back."""
    server.script(BatchFault.EXPIRED, topic="Rust")
    args = ("new", "Graph Theory", "Rust", "--batch", "--vault", str(empty_vault))
    assert cli.run(*args, provider="gemini", **BATCH).exit_code == 1
    status = cli.run(
        "batch", "status", "--all", "--json", "--vault", str(empty_vault), provider="gemini", **BATCH
    )
    (row,) = map(json.loads, status.stdout.splitlines())
    assert (row["state"], row["requests"], row["succeeded"], row["failed"]) == ("collected", 2, 1, 1)
    assert row["provider_state"] == "JOB_STATE_EXPIRED"


@pytest.mark.parametrize("model", EFFORT_REFUSALS)
def test_a_request_refused_again_in_the_form_it_was_resent_in_fails_rather_than_going_round_again(
    model, cli, server, empty_vault
):
    """A resend is for a form the request was not yet sent in: refused the same way again, it fails
    once, reported, rather than being resent in a new batch every pass and every run."""
    server.script(*[HttpError(400, EFFORT_REFUSALS[model])] * 4, topic="Rust")
    env = {"TOPICGEN_MODEL": model, "TOPICGEN_REASONING_EFFORT": "medium", **BATCH}

    result = cli.run("new", "Graph Theory", "Rust", "--batch", "--vault", str(empty_vault), **env)

    assert result.exit_code == 1
    assert "effort" in result.stderr and not page(empty_vault, "Rust").exists()
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")
    assert [b["requests"] for b in server.batch_desk.summary()] == [2, 1]
    assert live_calls(server) == []
