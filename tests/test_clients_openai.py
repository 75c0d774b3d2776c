"""The OpenAI adapter (and OpenAI-compatible servers), run through the real SDK."""

from __future__ import annotations

import json

import pytest

from topicgen.errors import (
    AuthError,
    ConfigError,
    ModelNotFound,
    PermanentError,
    ProviderUnavailable,
    RateLimited,
)
from topicgen.model.clients import ClientOptions, create_client
from topicgen.model.clients.base import Finish, ModelRequest, Usage
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema

SCHEMA_REJECTED = (
    "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."
)


def page_request(topic: str = "Large Language Models", **limits) -> ModelRequest:
    return ModelRequest(tuple(Prompts().messages(topic)), page_json_schema(), **limits)


async def complete(spec: str, provider, request: ModelRequest | None = None, **options):
    client = create_client(spec, provider.options(**options))
    try:
        return await client.complete(request or page_request())
    finally:
        await client.aclose()


# --- the request ---------------------------------------------------------------------------------


async def test_openai_asks_for_strict_structured_output_with_our_schema(provider, page_json):
    provider.then(provider.openai_reply(page_json))
    await complete("openai:gpt-test", provider)
    (body,) = provider.bodies
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "topic_summary", "schema": page_json_schema(), "strict": True},
    }


async def test_openai_sends_the_messages_in_order_with_the_model_and_output_limit(provider, page_json):
    provider.then(provider.openai_reply(page_json))
    await complete("openai:gpt-test", provider, page_request(max_output_tokens=9000))
    (body,) = provider.bodies
    assert body["model"] == "gpt-test"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"].endswith("Large Language Models")
    assert body["max_completion_tokens"] == 9000
    assert provider.requests[0].url.path == "/v1/chat/completions"


async def test_openai_sends_the_key_as_a_bearer_token(provider, page_json):
    provider.then(provider.openai_reply(page_json))
    await complete("openai:gpt-test", provider)
    assert provider.requests[0].headers["authorization"] == "Bearer test-key"


async def test_the_base_url_can_point_openai_elsewhere(provider, page_json):
    provider.then(provider.openai_reply(page_json))
    await complete("openai:gpt-test", provider, base_url="https://gateway.example/openai/v1")
    assert str(provider.requests[0].url) == "https://gateway.example/openai/v1/chat/completions"


# --- the reply -----------------------------------------------------------------------------------


async def test_openai_reply_text_model_and_usage_are_read_from_the_wire(provider, page_json):
    provider.then(
        provider.openai_reply(
            page_json, prompt_tokens=4100, completion_tokens=2000, cached_tokens=3968, model="gpt-test-2025"
        )
    )
    reply = await complete("openai:gpt-test", provider)
    assert json.loads(reply.text) == json.loads(page_json)
    assert reply.finish is Finish.STOP
    assert reply.model == "gpt-test-2025"
    assert reply.usage == Usage(input_tokens=4100, output_tokens=2000, cached_tokens=3968)


async def test_finish_reason_length_means_truncated(provider, page_json):
    provider.then(provider.openai_reply(page_json[:500], finish_reason="length"))
    reply = await complete("openai:gpt-test", provider)
    assert reply.finish is Finish.LENGTH


async def test_a_refusal_is_reported_as_a_refusal_with_its_text(provider):
    provider.then(provider.openai_reply(None, refusal="I can't help with that."))
    reply = await complete("openai:gpt-test", provider)
    assert reply.finish is Finish.REFUSAL
    assert reply.refusal == "I can't help with that."


async def test_a_content_filter_stop_is_a_refusal(provider):
    provider.then(provider.openai_reply("", finish_reason="content_filter"))
    reply = await complete("openai:gpt-test", provider)
    assert reply.finish is Finish.REFUSAL


async def test_rate_limit_headers_are_kept_with_the_reply(provider, page_json):
    headers = {"x-ratelimit-remaining-requests": "4999", "x-ratelimit-remaining-tokens": "150000"}
    provider.then(provider.openai_reply(page_json, headers=headers))
    reply = await complete("openai:gpt-test", provider)
    assert reply.rate_limits == headers


# --- failures ------------------------------------------------------------------------------------


async def test_a_missing_key_names_the_variable_to_set():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set"):
        create_client("openai:gpt-test", ClientOptions())


async def test_a_configured_key_variable_is_named_when_missing():
    with pytest.raises(ConfigError, match="MY_GATEWAY_KEY is not set"):
        create_client("openai:gpt-test", ClientOptions(api_key_env="MY_GATEWAY_KEY"))


async def test_the_key_is_read_from_openai_api_key(provider, page_json, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    provider.then(provider.openai_reply(page_json))
    client = create_client("openai:gpt-test", ClientOptions(transport=provider.transport))
    await client.complete(page_request())
    await client.aclose()
    assert provider.requests[0].headers["authorization"] == "Bearer sk-from-the-environment"


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, PermanentError), (401, AuthError), (403, PermanentError), (404, ModelNotFound)],
)
async def test_client_errors_fail_with_one_line_naming_the_status(provider, status, error):
    provider.then(provider.openai_error(status, "The model `gpt-nope` does not exist\nor you lack access."))
    with pytest.raises(error) as caught:
        await complete("openai:gpt-test", provider)
    message = str(caught.value)
    assert message.startswith(f"openai: HTTP {status}: The model `gpt-nope` does not exist")
    assert "\n" not in message
    assert len(provider.requests) == 1


async def test_a_rejected_key_never_appears_in_the_error(provider):
    secret = "sk-proj-fakeabcdefghijklmnop1234"
    provider.then(provider.openai_error(401, f"Incorrect API key provided: {secret}."))
    client = create_client("openai:gpt-test", ClientOptions(transport=provider.transport, api_key=secret))
    with pytest.raises(AuthError) as caught:
        await client.complete(page_request())
    await client.aclose()
    assert "Incorrect API key provided" in str(caught.value)
    assert secret not in str(caught.value)


async def test_429_is_a_rate_limit_carrying_the_retry_after(provider):
    provider.then(provider.openai_error(429, "Rate limit reached", headers={"retry-after": "7"}))
    with pytest.raises(RateLimited) as caught:
        await complete("openai:gpt-test", provider)
    assert caught.value.retry_after == 7


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_transient(provider, status):
    provider.then(provider.openai_error(status, "The server had an error"))
    with pytest.raises(ProviderUnavailable):
        await complete("openai:gpt-test", provider)


async def test_strict_openai_does_not_fall_back_to_json_mode(provider):
    provider.then(provider.openai_error(400, SCHEMA_REJECTED))
    with pytest.raises(PermanentError, match="not supported"):
        await complete("openai:gpt-test", provider)
    assert len(provider.requests) == 1


# --- OpenAI-compatible servers (Ollama has its own adapter: tests/test_ollama.py) ----------------

COMPATIBLE = "http://127.0.0.1:8000/v1"


async def test_a_compatible_server_is_asked_for_the_json_schema_first(provider, page_json):
    provider.then(provider.openai_reply(page_json))
    await complete("openai-compatible:qwen2.5", provider, base_url=COMPATIBLE)
    assert provider.bodies[0]["response_format"]["type"] == "json_schema"
    assert provider.bodies[0]["response_format"]["json_schema"]["schema"] == page_json_schema()


async def test_json_mode_is_remembered_for_later_calls(provider, page_json):
    provider.then(
        provider.openai_error(400, SCHEMA_REJECTED),
        provider.openai_reply(page_json),
        provider.openai_reply(page_json),
    )
    client = create_client("openai-compatible:qwen2.5", provider.options(base_url=COMPATIBLE))
    await client.complete(page_request("Graph Theory"))
    await client.complete(page_request("Kuramoto Model"))
    await client.aclose()
    assert [body["response_format"]["type"] for body in provider.bodies] == [
        "json_schema",
        "json_object",
        "json_object",
    ]


async def test_an_unrelated_bad_request_is_not_mistaken_for_a_schema_rejection(provider):
    provider.then(provider.openai_error(400, "model 'llama9' not found, try pulling it first"))
    with pytest.raises(PermanentError, match="not found"):
        await complete("openai-compatible:llama9", provider, base_url=COMPATIBLE)
    assert len(provider.requests) == 1


async def test_openai_compatible_needs_a_base_url():
    with pytest.raises(ConfigError, match="base URL"):
        create_client("openai-compatible:qwen2.5", ClientOptions(api_key="k"))


async def test_openai_compatible_uses_the_configured_base_url_and_max_tokens(provider, page_json):
    provider.then(provider.openai_reply(page_json))
    await complete(
        "openai-compatible:qwen2.5",
        provider,
        page_request(max_output_tokens=8000),
        base_url="https://vllm:8000/v1",
    )
    assert str(provider.requests[0].url) == "https://vllm:8000/v1/chat/completions"
    assert provider.bodies[0]["max_tokens"] == 8000


async def test_openai_compatible_reads_openai_base_url(provider, page_json, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "https://openrouter.example/api/v1")
    provider.then(provider.openai_reply(page_json))
    client = create_client("openai-compatible:some/model", ClientOptions(transport=provider.transport))
    await client.complete(page_request())
    await client.aclose()
    assert str(provider.requests[0].url) == "https://openrouter.example/api/v1/chat/completions"


async def test_reasoning_and_cache_write_tokens_are_read_from_the_usage_details(provider, page_json):
    import httpx2

    body = json.loads(provider.openai_reply(page_json).content)
    body["usage"] = {
        "prompt_tokens": 5200,
        "completion_tokens": 2600,
        "total_tokens": 7800,
        "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 4096},
        "completion_tokens_details": {"reasoning_tokens": 512},
    }
    provider.then(httpx2.Response(200, json=body))
    reply = await complete("openai:gpt-test", provider)
    assert reply.usage == Usage(5200, 2600, cached_tokens=0, cache_write_tokens=4096, reasoning_tokens=512)


async def test_a_compatible_server_without_usage_details_reports_plain_counts(provider, page_json):
    import httpx2

    body = json.loads(provider.openai_reply(page_json).content)
    body["usage"] = {"prompt_tokens": 900, "completion_tokens": 300, "total_tokens": 1200}
    provider.then(httpx2.Response(200, json=body))
    reply = await complete("openai-compatible:qwen2.5", provider, base_url=COMPATIBLE)
    assert reply.usage == Usage(900, 300)
