"""OpenAI-compatible servers, answered with their own captured replies through the real SDK.

A server that cannot take the ``json_schema`` response format says so in its
own way (500, 422 or 400, an object or a plain string); topicgen recognises it
by what it says, switches to JSON mode and remembers that.
"""

from __future__ import annotations

import json

import pytest

from topicgen.errors import PermanentError, ProviderUnavailable
from topicgen.model.clients import create_client
from topicgen.model.clients.base import ModelRequest
from topicgen.model.clients.compat import schema_outline
from topicgen.model.clients.retrying import RetryingClient
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema

BASE_URL = "http://127.0.0.1:8000/v1"


def page_request(topic: str = "Rust", **limits) -> ModelRequest:
    return ModelRequest(tuple(Prompts().messages(topic)), page_json_schema(), **limits)


class NoSleep:
    async def __call__(self, seconds: float) -> None:
        return None


async def ask(provider, spec: str = "openai-compatible:qwen2.5", request: ModelRequest | None = None):
    client = RetryingClient(create_client(spec, provider.options(base_url=BASE_URL)), sleep=NoSleep())
    try:
        return await client.complete(request or page_request())
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("spec", "rejection"),
    [
        ("openai-compatible:qwen2.5", "llamacpp-json-schema-500"),
        ("openai-compatible:qwen2.5", "llama-cpp-python-json-schema-500"),
        ("openai-compatible:qwen2.5", "fastapi-json-schema-422"),
        ("openai-compatible:qwen2.5", "lmstudio-json-schema-400"),  # a plain-string body
    ],
)
async def test_a_schema_rejection_switches_to_json_mode_with_the_schema_in_the_prompt(
    provider, page_json, spec, rejection
):
    provider.then(provider.recorded(rejection), provider.openai_reply(page_json))
    reply = await ask(provider, spec)
    first, second = provider.bodies
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"] == {"type": "json_object"}
    assert json.dumps(page_json_schema(), ensure_ascii=False) in second["messages"][0]["content"]
    assert json.loads(reply.text) == json.loads(page_json)


async def test_a_422_that_is_not_about_the_schema_fails_with_its_detail_kept(provider):
    provider.then(provider.recorded("fastapi-messages-422"))
    with pytest.raises(PermanentError) as caught:
        await ask(provider)
    assert str(caught.value) == "openai-compatible: HTTP 422: body.messages.1.content: Field required"
    assert len(provider.requests) == 1


async def test_repeated_empty_server_errors_on_the_schema_switch_to_json_mode(provider, page_json):
    provider.then(
        provider.recorded("vllm-500-empty"),
        provider.recorded("vllm-500-empty"),
        provider.openai_reply(page_json),
    )
    await ask(provider)
    assert [body["response_format"]["type"] for body in provider.bodies] == [
        "json_schema",
        "json_schema",
        "json_object",
    ]


async def test_server_errors_after_the_schema_worked_are_only_retried(provider, page_json):
    provider.then(
        provider.openai_reply(page_json),
        provider.recorded("vllm-500-empty"),
        provider.recorded("vllm-500-empty"),
        provider.openai_reply(page_json),
    )
    client = RetryingClient(
        create_client("openai-compatible:qwen2.5", provider.options(base_url=BASE_URL)), sleep=NoSleep()
    )
    await client.complete(page_request("Rust"))
    await client.complete(page_request("Go"))
    await client.aclose()
    assert {body["response_format"]["type"] for body in provider.bodies} == {"json_schema"}


async def test_openai_itself_never_falls_back_on_a_server_error(provider):
    provider.then(*[provider.recorded("vllm-500-empty")] * 2)
    client = create_client("openai:gpt-test", provider.options())
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await client.complete(page_request())
    await client.aclose()
    assert {body["response_format"]["type"] for body in provider.bodies} == {"json_schema"}


async def test_compatible_servers_get_the_schemas_outline_in_the_system_prompt(provider, page_json):
    provider.then(provider.openai_reply(page_json), provider.openai_reply(page_json))
    await ask(provider, "openai-compatible:llama3.1")
    await ask(provider, "openai:gpt-test")
    compatible, openai = (body["messages"][0]["content"] for body in provider.bodies)
    assert compatible.endswith(schema_outline(page_json_schema()))
    assert openai == Prompts().system()


def test_the_schema_outline_names_every_key_with_its_shape_and_no_descriptions():
    outline = schema_outline(page_json_schema())
    assert outline.startswith('{"title_emoji": string, "what_is_it": [string, ...], "overview": {')
    assert "\n" not in outline and "Define the topic" not in outline  # keys and shapes, not the prose
    assert len(outline) < len(json.dumps(page_json_schema())) / 4


# --- Ollama's context window (checked by the native adapter: tests/test_ollama.py) ---------------


async def test_the_context_check_is_ollamas_only(provider):
    provider.then(provider.recorded("ollama-context-cut"))  # Ollama's /v1 endpoint, as openai-compatible
    reply = await ask(provider, "openai-compatible:llama3.1")
    assert reply.finish == "length"
