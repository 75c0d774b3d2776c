"""The Anthropic adapter, run through the real SDK: structured outputs, or a forced tool call."""

from __future__ import annotations

import json

import pytest

from topicgen.errors import AuthError, ConfigError, PermanentError, ProviderUnavailable, RateLimited
from topicgen.model.clients import ClientOptions, create_client
from topicgen.model.clients.anthropic import TOOL_NAME
from topicgen.model.clients.base import Finish, ModelRequest, Usage
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema

OUTPUT_CONFIG_REJECTED = "output_config.format: structured outputs are not supported for this model"


def page_request(topic: str = "Large Language Models", **limits) -> ModelRequest:
    return ModelRequest(tuple(Prompts().messages(topic)), page_json_schema(), **limits)


async def complete(provider, request: ModelRequest | None = None, spec: str = "anthropic:claude-test"):
    client = create_client(spec, provider.options())
    try:
        return await client.complete(request or page_request())
    finally:
        await client.aclose()


# --- the request ---------------------------------------------------------------------------------


async def test_anthropic_asks_for_structured_output_with_our_schema(provider, page_json):
    provider.then(provider.anthropic_reply(page_json))
    await complete(provider)
    (body,) = provider.bodies
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": page_json_schema()}}
    assert "tools" not in body


async def test_the_fixed_system_prompt_is_sent_apart_with_a_cache_marker(provider, page_json):
    provider.then(provider.anthropic_reply(page_json))
    await complete(provider, page_request(max_output_tokens=12000))
    (body,) = provider.bodies
    (system,) = body["system"]
    assert system["text"] == Prompts().system()
    assert system["cache_control"] == {"type": "ephemeral"}
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert body["max_tokens"] == 12000
    assert body["model"] == "claude-test"


async def test_the_key_is_sent_to_the_provider(provider, page_json):
    provider.then(provider.anthropic_reply(page_json))
    await complete(provider)
    headers = provider.requests[0].headers
    # anthropic 2.x sends the key as a bearer token; older SDKs used x-api-key
    assert "test-key" in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))
    assert provider.requests[0].url.path == "/v1/messages"


async def test_anthropic_base_url_is_read_from_the_environment(provider, page_json, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://proxy.example/anthropic")
    provider.then(provider.anthropic_reply(page_json))
    await complete(provider)
    assert str(provider.requests[0].url) == "https://proxy.example/anthropic/v1/messages"


# --- the forced tool-call fallback ---------------------------------------------------------------


async def test_a_rejected_output_config_falls_back_to_a_forced_tool_call(provider, llm_page_data):
    provider.then(
        provider.anthropic_error(400, OUTPUT_CONFIG_REJECTED),
        provider.anthropic_reply(tool_input=llm_page_data, stop_reason="tool_use"),
    )
    reply = await complete(provider)
    first, second = provider.bodies
    assert "output_config" in first
    assert "output_config" not in second
    (tool,) = second["tools"]
    assert tool["name"] == TOOL_NAME
    assert tool["input_schema"] == page_json_schema()
    assert second["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert json.loads(reply.text) == llm_page_data
    assert reply.finish is Finish.STOP


async def test_the_tool_call_is_remembered_for_later_calls(provider, llm_page_data):
    provider.then(
        provider.anthropic_error(400, OUTPUT_CONFIG_REJECTED),
        provider.anthropic_reply(tool_input=llm_page_data, stop_reason="tool_use"),
        provider.anthropic_reply(tool_input=llm_page_data, stop_reason="tool_use"),
    )
    client = create_client("anthropic:claude-test", provider.options())
    await client.complete(page_request("Graph Theory"))
    await client.complete(page_request("Kuramoto Model"))
    await client.aclose()
    assert ["tools" in body for body in provider.bodies] == [False, True, True]


async def test_an_unrelated_bad_request_does_not_switch_to_the_tool(provider):
    provider.then(provider.anthropic_error(400, "max_tokens: must be at most 64000"))
    with pytest.raises(PermanentError, match="max_tokens"):
        await complete(provider)
    assert len(provider.requests) == 1


async def test_a_tool_call_that_is_also_rejected_fails_once(provider):
    provider.then(
        provider.anthropic_error(400, OUTPUT_CONFIG_REJECTED),
        provider.anthropic_error(400, "tools.0.input_schema: JSON schema is invalid"),
    )
    with pytest.raises(PermanentError, match="input_schema"):
        await complete(provider)
    assert len(provider.requests) == 2


# --- the reply -----------------------------------------------------------------------------------


async def test_usage_counts_cache_reads_and_writes_as_input(provider, page_json):
    provider.then(
        provider.anthropic_reply(
            page_json,
            input_tokens=20,
            cache_creation_input_tokens=300,
            cache_read_input_tokens=1500,
            output_tokens=2020,
            model="claude-test-20250929",
        )
    )
    reply = await complete(provider)
    assert reply.usage == Usage(
        input_tokens=1820, output_tokens=2020, cached_tokens=1500, cache_write_tokens=300
    )
    assert reply.model == "claude-test-20250929"
    assert json.loads(reply.text) == json.loads(page_json)


async def test_stop_reason_max_tokens_means_truncated(provider, page_json):
    provider.then(provider.anthropic_reply(page_json[:400], stop_reason="max_tokens"))
    assert (await complete(provider)).finish is Finish.LENGTH


async def test_stop_reason_refusal_is_a_refusal(provider):
    provider.then(provider.anthropic_reply("I won't write that.", stop_reason="refusal"))
    reply = await complete(provider)
    assert reply.finish is Finish.REFUSAL
    assert reply.refusal == "I won't write that."


# --- failures ------------------------------------------------------------------------------------


async def test_a_missing_key_names_the_variable_to_set():
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY is not set"):
        create_client("anthropic:claude-test", ClientOptions())


async def test_529_overloaded_is_transient(provider):
    provider.then(provider.anthropic_error(529, "Overloaded", kind="overloaded_error"))
    with pytest.raises(ProviderUnavailable, match="HTTP 529: Overloaded"):
        await complete(provider)


async def test_429_is_a_rate_limit(provider):
    provider.then(provider.anthropic_error(429, "Number of requests has exceeded your rate limit"))
    with pytest.raises(RateLimited):
        await complete(provider)


async def test_401_is_an_auth_error_on_one_line(provider):
    provider.then(provider.anthropic_error(401, "invalid x-api-key", kind="authentication_error"))
    with pytest.raises(AuthError) as caught:
        await complete(provider)
    assert str(caught.value) == "anthropic: HTTP 401: invalid x-api-key"
