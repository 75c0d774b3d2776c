"""Ollama over its native chat API (``/api/chat``): the context window is asked for with every request.

Against the fake provider (a loopback server that truncates and cuts as Ollama
does when ``num_ctx`` is too small) and, for single replies, scripted wire bodies.
"""

from __future__ import annotations

import time

import httpx2
import pytest
from conftest import assert_valid_page, closed_port_url, trust_settings

from topicgen.errors import ContextWindowExceeded, PermanentError, ServerNotRunning
from topicgen.model.clients import ClientOptions, create_client
from topicgen.model.clients.base import Message, ModelRequest
from topicgen.model.clients.compat import schema_outline
from topicgen.model.clients.ollama import DEFAULT_NUM_CTX
from topicgen.model.clients.retrying import RetryingClient
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema
from topicgen.testing import HttpError
from topicgen.testing.fake_provider.wire import OllamaWire

LONG_PAGE_WORDS = 30  # the fake's page is then over 4,096 tokens with the prompt: Ollama's default cuts it


def page_request(topic: str = "Rust", **limits) -> ModelRequest:
    return ModelRequest(tuple(Prompts().messages(topic)), page_json_schema(), **limits)


def chat_response(content: str, **fields) -> httpx2.Response:
    """A final ``/api/chat`` response as Ollama sends it (docs/api.md, "Chat request (No streaming)")."""
    body = {
        "model": "llama3.1",
        "created_at": "2026-11-30T12:00:00.000000Z",
        "message": {"role": "assistant", "content": content},
        "done_reason": "stop",
        "done": True,
        "total_duration": 4_883_583_458,
        "load_duration": 1_334_875,
        "prompt_eval_count": 1_702,
        "prompt_eval_duration": 342_546_000,
        "eval_count": 2_394,
        "eval_duration": 4_535_599_000,
        **fields,
    }
    return httpx2.Response(200, json=body)


def with_settings(vault, text: str) -> None:
    (vault / "topicgen.toml").write_text(text, encoding="utf-8")


def new_rust(cli, vault, *args: str, **env: str):
    """``topicgen new Rust`` with an Ollama model, the fake provider standing in for the server."""
    env.setdefault("OLLAMA_BASE_URL", cli.server.ollama_base_url)
    return cli.run("new", "Rust", "--vault", str(vault), *args, provider="ollama", **env)


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


# --- a run against the fake Ollama ---------------------------------------------------------------


def test_new_with_an_ollama_model_writes_a_valid_page_over_the_native_api(cli, empty_vault):
    result = cli.run(
        "new", "Rust", "--vault", str(empty_vault), provider="ollama", OLLAMA_BASE_URL=cli.server.url
    )
    assert result.exit_code == 0, result.stderr
    assert_valid_page(empty_vault / "topics" / "rust.md", "Rust")
    assert {record.path for record in cli.server.requests} == {"/api/chat"}


def test_each_request_carries_num_ctx_from_settings_and_the_schema_in_format(cli, empty_vault):
    with_settings(empty_vault, "[providers.ollama]\nnum_ctx = 12288\n")
    result = cli.run(
        "new", "Rust", "--vault", str(empty_vault), provider="ollama", OLLAMA_BASE_URL=cli.server.url
    )
    assert result.exit_code == 0, result.stderr
    (body,) = [record.body for record in cli.server.requests]
    assert body["options"]["num_ctx"] == 12288
    assert body["format"] == page_json_schema()
    assert body["stream"] is False
    assert body["messages"][0]["content"].endswith(schema_outline(page_json_schema()))


def test_the_default_num_ctx_fits_a_page_that_ollamas_own_default_would_cut(cli, empty_vault):
    cli.server.configure(words=LONG_PAGE_WORDS)
    result = cli.run(
        "new", "Rust", "--vault", str(empty_vault), provider="ollama", OLLAMA_BASE_URL=cli.server.url
    )
    assert result.exit_code == 0, result.stderr
    assert_valid_page(empty_vault / "topics" / "rust.md", "Rust")
    (body,) = [record.body for record in cli.server.requests]
    assert body["options"]["num_ctx"] == DEFAULT_NUM_CTX
    stats = cli.server.stats()
    assert stats.input_tokens + stats.output_tokens > OllamaWire.DEFAULT_CONTEXT


def test_a_reply_cut_at_the_context_fails_the_topic_naming_num_ctx(cli, empty_vault):
    cli.server.configure(words=LONG_PAGE_WORDS)
    with_settings(empty_vault, "[providers.ollama]\nnum_ctx = 4096\n")
    result = cli.run(
        "new", "Rust", "--vault", str(empty_vault), provider="ollama", OLLAMA_BASE_URL=cli.server.url
    )
    assert result.exit_code == 1
    (line,) = error_lines(result)
    assert "cut at its context window" in line
    assert "num_ctx under [providers.ollama]" in line and "now 4,096" in line
    assert len(cli.server.requests) == 1  # not re-asked: the same window cuts a re-ask the same way
    assert not (empty_vault / "topics" / "rust.md").exists()


def test_a_missing_model_is_one_line_naming_ollama_pull(cli, empty_vault):
    cli.server.script(HttpError(404, "model 'llama9' not found, try pulling it first"))
    result = cli.run(
        "new",
        "Rust",
        "--model",
        "ollama:llama9",
        "--vault",
        str(empty_vault),
        OLLAMA_BASE_URL=cli.server.url,
    )
    assert result.exit_code == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert "model 'llama9' not found" in line and "run `ollama pull llama9`" in line
    assert len(cli.server.requests) == 1


def test_an_old_v1_base_url_still_reaches_the_native_api(cli, empty_vault):
    address = cli.server.openai_base_url  # what OLLAMA_BASE_URL held when topicgen used /v1
    assert address.endswith("/v1")
    result = cli.run("new", "Rust", "--vault", str(empty_vault), provider="ollama", OLLAMA_BASE_URL=address)
    assert result.exit_code == 0, result.stderr
    assert_valid_page(empty_vault / "topics" / "rust.md", "Rust")
    assert {record.path for record in cli.server.requests} == {"/api/chat"}


def test_an_old_v1_base_url_in_the_settings_file_still_works(cli, empty_vault):
    with_settings(empty_vault, f'[providers.ollama]\nbase_url = "{cli.server.openai_base_url}/"\n')
    trust_settings(empty_vault)
    result = cli.run("new", "Rust", "--vault", str(empty_vault), provider="ollama")
    assert result.exit_code == 0, result.stderr
    assert {record.path for record in cli.server.requests} == {"/api/chat"}


def test_a_recorded_ollama_run_replays_through_the_native_adapter(cli, tmp_path):
    recorded, live, replayed = tmp_path / "recorded", tmp_path / "live", tmp_path / "replayed"
    live.mkdir()
    replayed.mkdir()
    recording = new_rust(cli, live, "--record", str(recorded))
    assert recording.exit_code == 0, recording.stderr
    assert [path.parent.name for path in recorded.rglob("*.json")] == ["ollama"]
    served = len(cli.server.requests)
    result = cli.run("new", "Rust", "--vault", str(replayed), "--model", f"replay:{recorded}")
    assert result.exit_code == 0, result.stderr
    assert_valid_page(replayed / "topics" / "rust.md", "Rust")
    assert len(cli.server.requests) == served  # answered from the recording, not the server


def test_a_num_ctx_too_small_for_any_page_is_a_one_line_settings_error(cli, empty_vault):
    with_settings(empty_vault, "[providers.ollama]\nnum_ctx = 512\n")
    result = new_rust(cli, empty_vault)
    assert result.exit_code == 2
    (line,) = [line for line in result.stderr.splitlines() if "num_ctx" in line]
    assert "providers.ollama.num_ctx" in line and "1024" in line
    assert cli.server.requests == []


# --- single replies -----------------------------------------------------------------------------


async def test_the_default_address_is_the_local_server_root_without_a_key(provider, page_json):
    provider.then(chat_response(page_json))
    client = create_client("ollama:llama3.1", ClientOptions(transport=provider.transport))
    reply = await client.complete(page_request())
    await client.aclose()
    (request,) = provider.requests
    assert str(request.url) == "http://localhost:11434/api/chat"
    assert "authorization" not in request.headers
    assert provider.bodies[0]["model"] == "llama3.1"
    assert (reply.text, reply.finish, reply.usage.input_tokens, reply.usage.output_tokens) == (
        page_json,
        "stop",
        1_702,
        2_394,
    )


async def test_a_prompt_the_server_truncated_fails_naming_num_ctx(provider):
    request = ModelRequest(
        (Message("system", "Write notes."), Message("user", "Context:\n" + "word " * 4_000)),
        {"type": "object"},
    )
    provider.then(chat_response("{}", prompt_eval_count=2_050, eval_count=3))  # Ollama kept num_ctx/2 + 2
    client = create_client("ollama:llama3.1", provider.options(num_ctx=4096))
    with pytest.raises(
        ContextWindowExceeded, match=r"read only 2,050 of the prompt's about 5,\d\d\d"
    ) as caught:
        await client.complete(request)
    await client.aclose()
    assert "num_ctx under [providers.ollama]" in str(caught.value)


async def test_a_cut_at_our_own_output_limit_stays_a_truncated_reply_to_re_ask(provider, page_json):
    provider.then(chat_response(page_json[:300], done_reason="length", eval_count=4_000))
    client = create_client("ollama:llama3.1", provider.options())
    reply = await client.complete(page_request(max_output_tokens=4000))
    await client.aclose()
    assert reply.finish == "length"
    assert provider.bodies[0]["options"]["num_predict"] == 4000


async def test_a_prompt_served_from_ollamas_cache_without_a_count_is_not_called_truncated(
    provider, page_json
):
    body = chat_response(page_json).json()
    del body["prompt_eval_count"]  # Ollama leaves it out when the whole prompt was cached
    provider.then(httpx2.Response(200, json=body))
    client = create_client("ollama:llama3.1", provider.options())
    reply = await client.complete(page_request())
    await client.aclose()
    assert reply.text == page_json and reply.usage.input_tokens == 0


async def test_a_server_that_rejects_the_schema_gets_json_mode_with_the_schema_in_the_prompt(fake_provider):
    fake_provider.configure(json_schema=False)
    client = create_client("ollama:llama3.1", ClientOptions(base_url=fake_provider.url))
    await client.complete(page_request("Graph Theory"))
    await client.complete(page_request("Kuramoto Model"))
    await client.aclose()
    formats = [record.body["format"] for record in fake_provider.requests]
    assert formats[0] == page_json_schema() and formats[1:] == ["json", "json"]  # remembered for the run
    assert '"title_emoji"' in fake_provider.requests[-1].body["messages"][0]["content"]


# --- a server that is not running --------------------------------------------------------------


async def test_a_refused_connection_to_the_native_address_still_fails_fast():
    address = closed_port_url()  # Ollama's own form: the server's root, no /v1
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = RetryingClient(create_client("ollama:llama3.1", ClientOptions(base_url=address)), sleep=sleep)
    started = time.perf_counter()
    with pytest.raises(ServerNotRunning) as caught:
        await client.complete(page_request())
    await client.aclose()
    assert len(waits) == 1 and waits[0] <= 0.3  # one quick retry, not five with backoff
    assert time.perf_counter() - started < 3  # a generous bound: two refused connects, no real sleep
    message = str(caught.value)
    assert address in message and "connection refused" in message and "ollama serve" in message


async def test_a_404_that_is_not_about_a_model_asks_whether_the_address_is_ollama(provider):
    provider.then(httpx2.Response(404, text="404 page not found"))
    client = create_client("ollama:llama3.1", provider.options(base_url="http://127.0.0.1:8000"))
    with pytest.raises(PermanentError, match=r"http://127.0.0.1:8000/api/chat: 404 page not found \(is it"):
        await client.complete(page_request())
    await client.aclose()
