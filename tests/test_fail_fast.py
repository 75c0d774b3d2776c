"""A local server that is not running fails fast: one quick retry, then one line saying what to do.

A refused connection to this machine or the local network (Ollama, vLLM, LM
Studio) cannot be fixed by waiting a minute; a remote host that refuses or
drops a connection keeps the usual backoff.
"""

from __future__ import annotations

import socket
import time

import httpx2
import pytest
from typer.testing import CliRunner

from topicgen.errors import NetworkError, ServerNotRunning
from topicgen.model.clients import ClientOptions, create_client
from topicgen.model.clients.base import Message, ModelRequest
from topicgen.model.clients.faults import is_local_address
from topicgen.model.clients.retrying import RetryingClient

REQUEST = ModelRequest((Message("system", "Write notes."), Message("user", "Rust")), {"type": "object"})


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CountingTransport(httpx2.AsyncBaseTransport):
    """The real HTTP transport, counting the connections it is asked to make."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.attempts = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.attempts += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_a_refused_local_connection_is_retried_once_quickly_then_fails(closed_port):
    transport, sleep = CountingTransport(), RecordedSleep()
    address = f"http://127.0.0.1:{closed_port}/v1"
    inner = create_client("ollama:llama3.1", ClientOptions(base_url=address, transport=transport))
    client = RetryingClient(inner, attempts=6, initial_wait=1.0, sleep=sleep)
    started = time.perf_counter()
    with pytest.raises(ServerNotRunning) as caught:
        await client.complete(REQUEST)
    elapsed = time.perf_counter() - started
    await client.aclose()
    assert transport.attempts == 2  # one quick retry, not six with backoff
    assert len(sleep.waits) == 1 and sleep.waits[0] <= 0.3
    assert elapsed < 3  # a generous bound on the policy above (two refused connects, no real sleep)
    message = str(caught.value)
    assert address in message and "connection refused" in message
    for hint in ("ollama serve", "OLLAMA_BASE_URL", "[providers.ollama] base_url"):
        assert hint in message


async def test_later_topics_fail_with_the_same_line_without_connecting_again(closed_port):
    transport, sleep = CountingTransport(), RecordedSleep()
    inner = create_client(
        "openai-compatible:qwen2.5",
        ClientOptions(base_url=f"http://localhost:{closed_port}/v1", transport=transport),
    )
    client = RetryingClient(inner, sleep=sleep)
    messages = set()
    for _ in range(3):
        with pytest.raises(ServerNotRunning) as caught:
            await client.complete(REQUEST)
        messages.add(str(caught.value))
    await client.aclose()
    assert transport.attempts == 2
    (message,) = messages
    assert "[providers.openai-compatible] base_url" in message


def test_new_with_no_ollama_running_exits_1_naming_the_address_and_how_to_start_it(empty_vault, closed_port):
    from topicgen.cli import app

    address = f"http://127.0.0.1:{closed_port}/v1"
    result = CliRunner().invoke(
        app,
        ["new", "Rust", "--model", "ollama:llama3.1", "--vault", str(empty_vault)],
        env={"OLLAMA_BASE_URL": address, "COLUMNS": "250", "NO_COLOR": "1"},
    )
    assert result.exit_code == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert address in line  # the one line, whole, even where the summary shortens rows
    for hint in ("ollama serve", "OLLAMA_BASE_URL", "[providers.ollama] base_url"):
        assert hint in line
    assert not (empty_vault / "topics" / "rust.md").exists()


async def test_a_refused_remote_connection_keeps_the_backoff(provider, page_json):
    refused = httpx2.ConnectError("All connection attempts failed")
    provider.then(refused, refused, provider.openai_reply(page_json))
    sleep = RecordedSleep()
    inner = create_client("openai:gpt-test", provider.options(base_url="https://api.example.com/v1"))
    client = RetryingClient(inner, initial_wait=1.0, sleep=sleep)
    assert (await client.complete(REQUEST)).text == page_json
    await client.aclose()
    assert len(sleep.waits) == 2 and sleep.waits[0] >= 1 and sleep.waits[1] >= 2


async def test_a_refused_remote_connection_is_a_plain_network_error(provider):
    provider.then(httpx2.ConnectError("All connection attempts failed"))
    client = create_client("openai:gpt-test", provider.options(base_url="https://api.example.com/v1"))
    with pytest.raises(NetworkError) as caught:
        await client.complete(REQUEST)
    await client.aclose()
    assert not isinstance(caught.value, ServerNotRunning)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8000/v1", True),
        ("http://[::1]:1234/v1", True),
        ("http://192.168.1.20:11434/v1", True),
        ("http://10.0.0.5:8000/v1", True),
        ("http://gpu-box.local:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://8.8.8.8/v1", False),
        (None, False),
    ],
)
def test_local_addresses_are_this_machine_and_the_local_network(url, local):
    assert is_local_address(url) is local
