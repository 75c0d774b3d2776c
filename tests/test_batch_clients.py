"""The batch adapters drive the providers' batch APIs through the real SDKs (against the fake provider)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx2
import pytest
from conftest import FAKE_API_KEY

from topicgen.errors import ConfigError, PermanentError
from topicgen.model.clients import ClientOptions, create_client
from topicgen.model.clients.base import ModelRequest
from topicgen.model.clients.batch import BatchStatus, create_batch_client
from topicgen.model.clients.effort import NO_EFFORT
from topicgen.model.generate import parse_reply
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema
from topicgen.testing.fake_provider import BatchFault, Fault

PROVIDERS = ("openai", "anthropic", "gemini")
COUNTED = ("openai", "anthropic")  # the providers whose SDK reports a batch's request counts
LIVE = ("/chat/completions", "/messages", ":generateContent")


def request_for(topic: str) -> ModelRequest:
    return ModelRequest(tuple(Prompts().messages(topic)), page_json_schema(), max_output_tokens=16_000)


def base_url(provider: str, server) -> str:
    return getattr(server, f"{provider}_base_url")


def batch_client(provider: str, server):
    options = ClientOptions(api_key=FAKE_API_KEY, base_url=base_url(provider, server), timeout=10)
    return create_batch_client(f"{provider}:fake-model", options)


def snake(data, verbatim: frozenset[str] = frozenset({"responseJsonSchema", "response_json_schema"})):
    """A Gemini request with its field names as snake_case (the API reads both), schemas left as they are."""
    import re

    if isinstance(data, list):
        return [snake(item) for item in data]
    if not isinstance(data, dict):
        return data
    return {
        re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower(): value if key in verbatim else snake(value)
        for key, value in data.items()
    }


def write_lines(client, folder: Path, topics: list[str]) -> Path:
    path = folder / "requests.jsonl"
    lines = [client.line(f"req-{n}", request_for(topic)) for n, topic in enumerate(topics)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


async def submit_and_wait(client, lines: Path, name: str = "tg-test") -> BatchStatus:
    batch_id = await client.create(name, lines, await client.prepare(name, lines))
    status = await client.status(batch_id)
    while not status.ended:
        await asyncio.sleep(0.02)
        status = await client.status(batch_id)
    return status


async def collected(client, status: BatchStatus) -> dict:
    return {result.custom_id: result async for result in client.results(status)}


@pytest.fixture
def provider_script():
    """A scripted provider (``conftest.ScriptedProvider``) under a name that leaves ``provider`` to the
    parametrisation."""
    from conftest import ScriptedProvider

    return ScriptedProvider()


@pytest.fixture
def server(fake_provider):
    fake_provider.configure(batch_delay=0.05)
    return fake_provider


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_batch_line_carries_exactly_the_body_the_live_client_sends(provider, server, tmp_path):
    options = ClientOptions(api_key=FAKE_API_KEY, base_url=base_url(provider, server), reasoning_effort="low")
    spec = "gemini:gemini-3.1-flash-lite-preview" if provider == "gemini" else f"{provider}:fake-model"
    live = create_client(spec, options)
    await live.complete(request_for("Graph Theory"))
    await live.aclose()
    sent = server.requests[-1].body
    batch = create_batch_client(spec, options)
    line = batch.line("req-0", request_for("Graph Theory"))
    body = {"openai": "body", "anthropic": "params", "gemini": "request"}[provider]
    body = line[body]
    if provider == "anthropic":  # batches keep the cached system prompt for an hour
        assert body["system"][0].pop("cache_control") == {"type": "ephemeral", "ttl": "1h"}
        sent["system"][0].pop("cache_control")
    if provider == "gemini":  # the SDK sends camelCase field names; a line holds the snake_case ones
        assert body["generation_config"]["thinking_config"] == {"thinking_level": "LOW"}
        sent, body = snake(sent), snake(body)
    assert body == sent


@pytest.mark.parametrize("spec", ["openai:gpt-6-luna", "anthropic:claude-sonnet-4-6"])
async def test_a_batch_client_told_of_an_effort_refusal_writes_its_lines_without_the_effort(spec, server):
    base = server.openai_base_url if spec.startswith("openai") else server.anthropic_base_url
    client = create_batch_client(
        spec, ClientOptions(api_key=FAKE_API_KEY, base_url=base, reasoning_effort="high")
    )
    before = json.dumps(client.line("req-0", request_for("Rust")))
    client.adapt({NO_EFFORT})  # what a later run reads from the answers an earlier batch brought back
    after = json.dumps(client.line("req-0", request_for("Rust")))
    await client.aclose()
    assert '"high"' in before and '"high"' not in after
    assert "effort" not in after


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_results_come_back_as_replies_that_validate_like_live_ones(provider, server, tmp_path):
    client = batch_client(provider, server)
    status = await submit_and_wait(client, write_lines(client, tmp_path, ["Graph Theory", "Rust"]))
    results = await collected(client, status)
    await client.aclose()
    assert status.ended
    if provider in COUNTED:
        assert (status.total, status.succeeded, status.failed) == (2, 2, 0)
    assert sorted(results) == ["req-0", "req-1"]
    page = parse_reply(results["req-1"].reply)
    assert "Rust" in page.what_is_it[0]
    assert results["req-1"].reply.usage.output_tokens > 0
    assert not [r for r in server.requests if r.path.endswith(LIVE)]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_expired_errored_and_invalid_requests_come_back_with_their_reason(provider, server, tmp_path):
    server.script(BatchFault.EXPIRED, topic="Expiring")
    server.script(Fault.SERVER_ERROR, topic="Erring")
    server.script(Fault.SCHEMA_VIOLATION, topic="Drifting")
    client = batch_client(provider, server)
    lines = write_lines(client, tmp_path, ["Expiring", "Erring", "Drifting", "Fine"])
    status = await submit_and_wait(client, lines)
    results = await collected(client, status)
    await client.aclose()
    assert results["req-0"].error == "expired"
    assert results["req-1"].error.startswith("errored") and "server had an error" in results["req-1"].error
    assert results["req-2"].reply is not None  # a reply that fails validation is still a reply
    assert results["req-3"].reply is not None
    assert status.failed == (2 if provider in COUNTED else 0)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_cancelled_batch_ends_with_the_requests_not_run_cancelled(provider, server, tmp_path):
    server.configure(batch_delay=30)
    client = batch_client(provider, server)
    lines = write_lines(client, tmp_path, ["One", "Two"])
    batch_id = await client.create("tg-cancel", lines, await client.prepare("tg-cancel", lines))
    await client.cancel(batch_id)
    status = await client.status(batch_id)
    while not status.ended:
        await asyncio.sleep(0.02)
        status = await client.status(batch_id)
    results = await collected(client, status)
    await client.aclose()
    assert {result.error for result in results.values()} == {"cancelled"}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_batch_whose_id_was_never_recorded_is_found_again(provider, server, tmp_path):
    client = batch_client(provider, server)
    since = time.time()
    lines = write_lines(client, tmp_path, ["One", "Two", "Three"])
    batch_id = await client.create("tg-lost", lines, await client.prepare("tg-lost", lines))
    assert await client.find("tg-lost", since, 3) == batch_id
    assert await client.find("tg-other", since, 5) is None
    await client.aclose()


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_batch_over_the_providers_limit_is_refused_in_one_line(provider, server, tmp_path):
    server.configure(batch_max_requests=1)
    client = batch_client(provider, server)
    lines = write_lines(client, tmp_path, ["One", "Two"])
    with pytest.raises(PermanentError, match="at most 1 requests"):
        await client.create("tg-big", lines, await client.prepare("tg-big", lines))
    await client.aclose()


def test_a_provider_without_a_batch_api_is_a_usage_error():
    with pytest.raises(ConfigError, match="--batch needs a provider with a batch API"):
        create_batch_client("ollama:llama3.1")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_batch_client_connects_with_the_short_timeout_and_reads_with_the_long_one_as_live(
    provider, provider_script
):
    """A batch call is timed like a live one: 5 s to connect, the long read timeout for the answer."""
    script = provider_script
    error = getattr(script, f"{provider}_error")
    script.then(error(400, "scripted"), error(400, "scripted"))
    options = script.options(timeout=600, connect_timeout=5)
    live = create_client(f"{provider}:fake-model", options)
    batch = create_batch_client(f"{provider}:fake-model", options)
    with pytest.raises(PermanentError):
        await live.complete(request_for("Graph Theory"))
    with pytest.raises(PermanentError):
        await batch.status("batches/batch-1" if provider == "gemini" else "batch-1")
    await live.aclose()
    await batch.aclose()
    live_timeout, batch_timeout = (request.extensions["timeout"] for request in script.requests)
    assert batch_timeout == live_timeout
    assert (batch_timeout["connect"], batch_timeout["read"]) == (5, 600)


class ChunkCounter(httpx2.AsyncBaseTransport):
    """Reads each request body as it streams in, keeping the size of every piece, and answers once."""

    def __init__(self, answer: dict) -> None:
        self.answer = answer
        self.pieces: list[int] = []
        self.body = b""
        self.headers: dict[str, str] = {}

    async def handle_async_request(self, request):
        async for piece in request.stream:
            self.pieces.append(len(piece))
            self.body += piece
        self.headers = dict(request.headers)
        return httpx2.Response(200, json=self.answer, request=request)


UPLOADED = {
    "id": "file-1",
    "object": "file",
    "bytes": 1,
    "created_at": 0,
    "filename": "tg.jsonl",
    "purpose": "batch",
    "status": "processed",
}
CREATED = {
    "id": "msgbatch_1",
    "type": "message_batch",
    "processing_status": "in_progress",
    "request_counts": {"processing": 1, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
    "created_at": "2026-11-30T00:00:00Z",
    "expires_at": "2026-12-01T00:00:00Z",
    "ended_at": None,
    "cancel_initiated_at": None,
    "archived_at": None,
    "results_url": None,
}


@pytest.mark.parametrize("provider", COUNTED)
async def test_a_batchs_requests_file_is_streamed_to_the_provider_a_piece_at_a_time(provider, tmp_path):
    counter = ChunkCounter(UPLOADED if provider == "openai" else CREATED)
    options = ClientOptions(api_key=FAKE_API_KEY, base_url="http://127.0.0.1:9", transport=counter)
    client = create_batch_client(f"{provider}:fake-model", options)
    lines = write_lines(client, tmp_path, [f"Streamed Topic {n}" for n in range(400)])
    assert lines.stat().st_size > 3 << 20

    if provider == "openai":
        await client.prepare("tg-test", lines)
        assert lines.read_bytes() in counter.body  # the file, whole, in its multipart part
    else:
        await client.create("tg-test", lines, None)
        sent = json.loads(counter.body)
        assert sent == {"requests": [json.loads(line) for line in lines.read_text().splitlines()]}
        assert int(counter.headers["content-length"]) == len(counter.body)  # a length, not chunked
    await client.aclose()
    assert len(counter.pieces) > 3 and max(counter.pieces) <= (1 << 20) + (64 << 10)  # never held whole


class ResumableUploads(httpx2.AsyncBaseTransport):
    """Google's resumable upload protocol: a start that names the upload URL, then the file's chunks."""

    def __init__(self) -> None:
        self.chunks: list[int] = []
        self.body = b""

    async def handle_async_request(self, request):
        data = await request.aread()
        if request.headers.get("x-goog-upload-command") == "start":
            headers = {
                "x-goog-upload-url": "http://127.0.0.1:9/upload/session-1",
                "x-goog-upload-status": "active",
            }
            return httpx2.Response(200, json={}, headers=headers, request=request)
        self.chunks.append(len(data))
        self.body += data
        final = "finalize" in request.headers.get("x-goog-upload-command", "")
        file = {"name": "files/tg-test", "mimeType": "jsonl", "sizeBytes": str(len(self.body))}
        headers = {"x-goog-upload-status": "final" if final else "active"}
        return httpx2.Response(200, json={"file": file} if final else {}, headers=headers, request=request)


async def test_a_gemini_batchs_requests_file_is_uploaded_in_chunks_never_held_whole(tmp_path):
    uploads = ResumableUploads()
    options = ClientOptions(api_key=FAKE_API_KEY, base_url="http://127.0.0.1:9", transport=uploads)
    client = create_batch_client("gemini:fake-model", options)
    lines = write_lines(client, tmp_path, [f"Streamed Topic {n}" for n in range(1200)])
    assert lines.stat().st_size > 9 << 20

    assert await client.prepare("tg-test", lines) == "files/tg-test"
    await client.aclose()

    assert uploads.body == lines.read_bytes()
    assert len(uploads.chunks) >= 2 and max(uploads.chunks) <= 8 << 20  # the SDK's 8 MB chunks
