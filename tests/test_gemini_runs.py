"""Whole runs on Gemini against the stand-in provider speaking Gemini's REST API (issue 22).

The ``topicgen`` command reaches the stand-in through ``GOOGLE_GEMINI_BASE_URL``
(the SDK's own variable), so every request goes through google-genai as a
live run's would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FAKE_API_KEY, assert_valid_page

from topicgen.model.clients import ClientOptions, create_client
from topicgen.model.clients.base import Finish, ModelRequest
from topicgen.model.clients.retrying import RetryingClient
from topicgen.model.costs import price_for
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema
from topicgen.testing import Fault, Reply
from topicgen.testing.fake_provider import gemini_daily_quota, gemini_minute_quota
from topicgen.vault.slugs import slug_for

MODEL = "gemini-3.1-flash-lite-preview"
SPEC = f"gemini:{MODEL}"
GENERATE = f"/v1/models/{MODEL}:generateContent"
ON_GEMINI = {"TOPICGEN_MODEL": SPEC}


def page(vault: Path, topic: str) -> Path:
    return vault / "topics" / f"{slug_for(topic)}.md"


def body_of(text: str) -> str:
    return text.split("\n---\n", 1)[1]


def errors_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


# --- acceptance: a page, its price, its recording ------------------------------------------------


def test_new_with_gemini_flash_lite_writes_a_twenty_section_page_through_google_genai(cli, empty_vault):
    result = cli.run("new", "Graph Theory", "-m", SPEC, "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    meta = assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")
    assert SPEC in json.dumps(meta)  # the page records the model that wrote it
    (request,) = cli.server.requests
    assert (request.provider, request.path, request.outcome) == ("gemini", GENERATE, "ok")
    assert request.authorized  # the key travelled in x-goog-api-key
    config = request.body["generationConfig"]
    assert config["responseJsonSchema"] == page_json_schema()
    assert config["thinkingConfig"] == {"thinking_level": "LOW"}  # the default effort, as Gemini spells it


def test_dry_run_names_the_price_of_the_gemini_model(cli, empty_vault):
    result = cli.run("new", "Graph Theory", "-m", SPEC, "--dry-run", "--vault", str(empty_vault))
    assert result.exit_code == 0, result.stderr
    found = re.search(r"about ([\d,]+) input and ([\d,]+) output tokens, about \$(\d+\.\d+)", result.stdout)
    assert found, result.stdout
    price = price_for(SPEC)
    assert price is not None and (price.input, price.output) == (0.25, 1.5)  # genai-prices, on the pinned day
    tokens_in, tokens_out = (int(found.group(n).replace(",", "")) for n in (1, 2))
    assert float(found.group(3)) == pytest.approx((tokens_in * 0.25 + tokens_out * 1.5) / 1e6, abs=5e-5)
    assert cli.server.requests == []


def test_a_recorded_gemini_exchange_renders_to_the_same_page(cli, empty_vault, tmp_path):
    recordings = tmp_path / "recorded"
    written = cli.run(
        "new", "Graph Theory", "-m", SPEC, "--record", str(recordings), "--vault", str(empty_vault)
    )
    assert written.exit_code == 0, written.stderr
    (exchange,) = (recordings / "gemini").glob("*.json")
    assert FAKE_API_KEY not in exchange.read_text(encoding="utf-8")

    rendered = cli.run("render", str(exchange), "--vault", str(empty_vault))

    assert rendered.exit_code == 0, rendered.stderr
    written_page = page(empty_vault, "Graph Theory").read_text(encoding="utf-8")
    assert body_of(rendered.stdout).rstrip("\n") == body_of(written_page).rstrip(
        "\n"
    )  # render adds a newline


def test_a_recorded_gemini_run_replays_offline_to_the_same_page(cli, tmp_path):
    recordings, live, replayed = tmp_path / "recorded", tmp_path / "live", tmp_path / "replayed"
    live.mkdir()
    replayed.mkdir()
    assert (
        cli.run("new", "Rust", "-m", SPEC, "--record", str(recordings), "--vault", str(live)).exit_code == 0
    )
    served = len(cli.server.requests)

    again = cli.run("new", "Rust", "-m", f"replay:{recordings}", "--vault", str(replayed))

    assert again.exit_code == 0, again.stderr
    assert len(cli.server.requests) == served
    assert body_of(page(replayed, "Rust").read_text()) == body_of(page(live, "Rust").read_text())


# --- acceptance: quotas ------------------------------------------------------------------------


def test_a_daily_quota_stops_the_run_in_one_line_with_no_request_for_later_topics(cli, empty_vault):
    cli.server.script(gemini_daily_quota(MODEL))
    topics = ("Graph Theory", "Rust", "Sourdough Baking")
    result = cli.run("new", *topics, "--concurrency", "1", "--vault", str(empty_vault), **ON_GEMINI)
    assert result.exit_code == 1
    (line,) = errors_in(result.stderr)
    assert (
        "daily quota GenerateRequestsPerDayPerProjectPerModel-FreeTier (gemini-3.1-flash-lite-preview)"
        in line
    )
    assert "retrying today cannot help" in line
    assert [request.outcome for request in cli.server.requests] == ["http_429"]  # none for the later topics
    assert not any(page(empty_vault, topic).exists() for topic in topics)


async def test_a_per_minute_429_is_retried_after_the_retry_delay_gemini_names(fake_provider):
    fake_provider.script(gemini_minute_quota(MODEL, retry_delay=2.0))
    sleep = RecordedSleep()
    options = ClientOptions(base_url=fake_provider.gemini_base_url, api_key="test-key")
    client = RetryingClient(create_client(SPEC, options), max_wait=120, sleep=sleep)
    request = ModelRequest(tuple(Prompts().messages("Graph Theory")), page_json_schema())
    reply = await client.complete(request)
    await client.aclose()
    assert reply.finish is Finish.STOP
    (wait,) = sleep.waits
    assert 2.0 <= wait <= 2.4  # the 2 s Gemini asked for, plus at most 20% jitter
    assert [r.outcome for r in fake_provider.requests] == ["http_429", "ok"]


def test_the_run_shows_the_per_minute_wait_and_then_writes_the_page(cli, empty_vault):
    cli.server.script(gemini_minute_quota(MODEL, retry_delay=2.0))
    env = {**ON_GEMINI, "TOPICGEN_RETRY_MAX_WAIT": "10"}
    result = cli.run("new", "Graph Theory", "--plain", "--vault", str(empty_vault), **env)
    assert result.exit_code == 0, result.stderr
    assert "Graph Theory: 429, retrying in 2 s (2/6)" in result.stderr
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")


def test_a_503_unavailable_is_retried_and_the_page_written(cli, empty_vault):
    cli.server.script(Fault.UNAVAILABLE, Fault.OVERLOADED)  # Gemini answers both as 503 UNAVAILABLE
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault), **ON_GEMINI)
    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["503", "529", "ok"]
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")


def test_a_rejected_key_stops_the_run_in_one_line_that_never_shows_the_key(cli, empty_vault):
    cli.server.configure(api_key="the-key-the-server-wants")
    topics = ("Graph Theory", "Rust")
    result = cli.run("new", *topics, "--concurrency", "1", "--vault", str(empty_vault), **ON_GEMINI)
    assert result.exit_code == 1
    (line,) = errors_in(result.stderr)
    assert "gemini: HTTP 400" in line and "[redacted]" in line  # Gemini echoes the key it was given
    assert FAKE_API_KEY not in result.stdout + result.stderr
    assert [r.outcome for r in cli.server.requests] == ["unauthorized"]


# --- what works as for the other providers -------------------------------------------------------


def test_a_reply_with_one_wrong_section_is_re_asked_for_that_section_through_gemini(cli, empty_vault):
    cli.server.script(Reply(patch={"joke": ""}), topic="Graph Theory")
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault), **ON_GEMINI)
    assert result.exit_code == 0, result.stderr
    _, again = cli.server.requests
    assert again.path == GENERATE
    assert list(again.body["generationConfig"]["responseJsonSchema"]["properties"]) == ["joke"]
    assert_valid_page(page(empty_vault, "Graph Theory"), "Graph Theory")


def test_a_reply_cut_at_max_tokens_is_asked_for_again(cli, empty_vault):
    cli.server.script(Reply(finish="length", text='{"title_emoji": "'), topic="Rust")
    result = cli.run("new", "Rust", "--vault", str(empty_vault), **ON_GEMINI)
    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["scripted", "ok"]


def test_a_reply_blocked_for_safety_fails_the_topic_after_the_re_asks_with_the_reason(cli, empty_vault):
    cli.server.script(*[Reply(finish="refusal")] * 3, topic="Rust")
    result = cli.run("new", "Rust", "--vault", str(empty_vault), **ON_GEMINI)
    assert result.exit_code == 1
    assert "the reply was blocked (SAFETY)" in result.stderr
    assert not page(empty_vault, "Rust").exists()


def test_an_endpoint_that_rejects_the_schema_gets_json_mode_for_the_run(cli, empty_vault):
    cli.server.configure(json_schema=False)
    topics = ("Graph Theory", "Rust")
    result = cli.run("new", *topics, "--concurrency", "1", "--vault", str(empty_vault), **ON_GEMINI)
    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["bad_request", "ok", "ok"]
    for topic in topics:
        assert_valid_page(page(empty_vault, topic), topic)


def test_references_are_checked_and_unknown_books_asked_for_again_through_gemini(
    cli, empty_vault, references
):
    references.learn_half_of(["Graph Theory"])
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault), **ON_GEMINI)
    assert result.exit_code == 0, result.stderr
    assert "book(s) not in the catalog asked for again" in " ".join(result.stderr.split())
    reask = cli.server.requests[-1]
    assert reask.path == GENERATE and list(
        reask.body["generationConfig"]["responseJsonSchema"]["properties"]
    ) == ["books"]
