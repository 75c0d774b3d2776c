"""A low reasoning effort by default where the model takes one; reasoning tokens reported in the usage."""

from __future__ import annotations

import pytest

from topicgen.config import Settings
from topicgen.model.clients import create_client
from topicgen.model.clients.base import Message, ModelRequest, Usage
from topicgen.runs.api import client_options

REQUEST = ModelRequest((Message("system", "Write notes."), Message("user", "Rust")), {"type": "object"})


async def ask(provider, spec: str, *replies, effort: str | None = "low", requests: int = 1):
    provider.then(*replies)
    client = create_client(spec, provider.options(reasoning_effort=effort, base_url="http://127.0.0.1:1/v1"))
    try:
        return [await client.complete(REQUEST) for _ in range(requests)]
    finally:
        await client.aclose()


def test_the_default_effort_is_low_and_default_sends_none():
    assert Settings().reasoning_effort == "low"
    assert client_options(Settings()).reasoning_effort == "low"
    assert client_options(Settings(reasoning_effort="default")).reasoning_effort is None


@pytest.mark.parametrize(
    ("spec", "sent"),
    [
        ("openai:gpt-6-luna", "low"),
        ("openai:gpt-5.4-mini", "low"),
        ("openai:o3", "low"),
        ("openai:gpt-4.1-mini", None),  # not a reasoning model: it would reject the parameter
        ("openai:gpt-5.3-chat-latest", None),
        ("openai:gpt-5-mini", "low"),
        ("ollama:qwen3", None),
    ],
)
async def test_openai_reasoning_models_get_the_effort(provider, page_json, spec, sent):
    await ask(provider, spec, provider.openai_reply(page_json))
    assert provider.bodies[0].get("reasoning_effort") == sent


async def test_an_effort_the_model_rejects_is_dropped_for_the_run(provider, page_json):
    await ask(
        provider,
        "openai:gpt-5.9-preview",  # not in the catalogue: the family rule sends the effort
        provider.recorded("openai-reasoning-effort-unsupported"),
        provider.openai_reply(page_json),
        provider.openai_reply(page_json),
        effort="minimal",
        requests=2,
    )
    assert [body.get("reasoning_effort") for body in provider.bodies] == ["minimal", None, None]


@pytest.mark.parametrize(
    ("model", "sent"),
    [
        ("claude-haiku-5-5", "low"),
        ("claude-opus-4-6", "low"),
        ("claude-sonnet-4-6", "low"),
        ("claude-haiku-4-5", None),  # extended thinking, no effort
        ("claude-opus-4-1", None),
    ],
)
async def test_claude_models_that_take_an_effort_get_it_beside_the_output_format(
    provider, page_json, model, sent
):
    await ask(provider, f"anthropic:{model}", provider.anthropic_reply(page_json))
    config = provider.bodies[0]["output_config"]
    assert config.get("effort") == sent
    assert config["format"]["type"] == "json_schema"


async def test_anthropic_has_no_none_effort_so_it_gets_its_lowest(provider, page_json):
    await ask(provider, "anthropic:claude-haiku-5-5", provider.anthropic_reply(page_json), effort="none")
    assert provider.bodies[0]["output_config"]["effort"] == "low"


async def test_a_rejected_claude_effort_is_dropped_and_structured_outputs_kept(provider, page_json):
    rejected = provider.recorded("anthropic-effort-unsupported")
    await ask(provider, "anthropic:claude-opus-4-6", rejected, provider.anthropic_reply(page_json))
    first, second = provider.bodies
    assert first["output_config"]["effort"] == "low"
    assert "effort" not in second["output_config"] and "tools" not in second


async def test_claude_thinking_tokens_are_reported_as_reasoning(provider):
    (reply,) = await ask(
        provider, "anthropic:claude-haiku-5-5", provider.recorded("anthropic-thinking-usage")
    )
    assert reply.usage == Usage(input_tokens=1240, output_tokens=2900, reasoning_tokens=640)


@pytest.mark.parametrize(
    ("spec", "effort", "sent"),
    [
        ("openai:gpt-5-mini", "none", "minimal"),  # the catalogue: gpt-5 takes minimal..high
        ("openai:gpt-6-luna", "max", "xhigh"),
        ("openai:o3", "none", "low"),
    ],
)
async def test_the_catalogue_turns_an_effort_a_model_lacks_into_the_nearest_it_takes(
    provider, page_json, spec, effort, sent
):
    await ask(provider, spec, provider.openai_reply(page_json), effort=effort)
    assert provider.bodies[0]["reasoning_effort"] == sent


async def test_a_known_model_behind_an_openai_compatible_server_gets_the_effort_it_takes(provider, page_json):
    await ask(provider, "openai-compatible:gemini-3-flash-preview", provider.openai_reply(page_json))
    assert provider.bodies[0]["reasoning_effort"] == "low"


async def test_an_unknown_model_behind_an_openai_compatible_server_gets_no_effort(provider, page_json):
    from topicgen.model.clients.effort import effort_note

    await ask(provider, "openai-compatible:qwen2.5-7b", provider.openai_reply(page_json))
    assert "reasoning_effort" not in provider.bodies[0]
    assert "not sent" in effort_note("openai-compatible:qwen2.5-7b", "low")
    assert effort_note("openai-compatible:gemini-3-flash-preview", "low") is None


async def test_a_claude_model_without_structured_outputs_gets_the_tool_from_the_first_call(
    provider, page_json
):
    await ask(provider, "anthropic:claude-3-7-sonnet-latest", provider.anthropic_reply(page_json))
    body = provider.bodies[0]
    assert body["tool_choice"]["type"] == "tool" and "format" not in body.get("output_config", {})


def test_a_dry_run_says_when_the_configured_effort_is_not_sent(cli, empty_vault):
    unknown = cli.run(
        "new", "Rust", "--dry-run", "--vault", str(empty_vault), "-m", "openai-compatible:qwen2.5"
    )
    known = cli.run(
        "new", "Rust", "--dry-run", "--vault", str(empty_vault), "-m", "openai-compatible:gpt-6-luna"
    )

    assert "note: reasoning_effort 'low' is not sent to openai-compatible:qwen2.5" in unknown.stderr
    assert "not sent" not in known.stderr
    assert "about $" in known.stdout  # priced as openai:gpt-6-luna
