"""The Gemini adapter, run through the real google-genai SDK: JSON constrained by the page schema."""

from __future__ import annotations

import json
import sys

import pytest

from topicgen.errors import (
    AccountError,
    AuthError,
    ConfigError,
    ModelNotFound,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from topicgen.model.clients import ClientOptions, create_client, load_factory
from topicgen.model.clients.base import Finish, ModelRequest, Usage
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema
from topicgen.page.sections import section_model

FLASH_LITE = "gemini:gemini-3.1-flash-lite-preview"


def page_request(topic: str = "Large Language Models", **limits) -> ModelRequest:
    return ModelRequest(tuple(Prompts().messages(topic)), page_json_schema(), **limits)


async def complete(provider, request: ModelRequest | None = None, spec: str = FLASH_LITE, **options):
    client = create_client(spec, provider.options(**options))
    try:
        return await client.complete(request or page_request())
    finally:
        await client.aclose()


def config_of(body: dict) -> dict:
    return body["generationConfig"]


# --- the request ---------------------------------------------------------------------------------


async def test_gemini_asks_for_json_constrained_by_the_page_schema(provider, page_json):
    provider.then(provider.gemini_reply(page_json))
    await complete(provider, page_request(max_output_tokens=12000))
    (body,) = provider.bodies
    config = config_of(body)
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == page_json_schema()
    assert config["maxOutputTokens"] == 12000


async def test_the_system_prompt_is_the_system_instruction_and_the_topic_the_user_turn(provider, page_json):
    provider.then(provider.gemini_reply(page_json))
    await complete(provider)
    (body,) = provider.bodies
    assert [part["text"] for part in body["systemInstruction"]["parts"]] == [Prompts().system()]
    assert [content["role"] for content in body["contents"]] == ["user"]
    assert "Large Language Models" in body["contents"][0]["parts"][0]["text"]


async def test_the_request_goes_to_the_models_generate_content_with_the_key_in_its_header(
    provider, page_json
):
    provider.then(provider.gemini_reply(page_json))
    await complete(provider)
    request = provider.requests[0]
    assert request.url.path.endswith("/models/gemini-3.1-flash-lite-preview:generateContent")
    assert request.headers["x-goog-api-key"] == "test-key"


@pytest.mark.parametrize("schema_model", [None, ("joke",), ("books", "videos"), ("topics", "not_suited")])
def test_the_schemas_sent_use_only_keywords_gemini_supports(schema_model):
    """Checked by the SDK's own schema types: its JSON Schema subset (unknown keywords are refused), and
    its conversion to a Gemini API schema, which refuses any field Gemini's Schema does not have."""
    from google.genai import types

    schema = page_json_schema() if schema_model is None else page_json_schema(section_model(schema_model))
    parsed = types.JSONSchema.model_validate(schema)
    converted = types.Schema.from_json_schema(
        json_schema=parsed, api_option="GEMINI_API", raise_error_on_unsupported_field=True
    )
    assert set(converted.properties or {}) == set(schema["properties"])


def test_a_keyword_outside_geminis_subset_would_be_refused_by_the_same_check():
    from google.genai import types
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        types.JSONSchema.model_validate({"type": "object", "patternProperties": {"^x": {"type": "string"}}})


# --- key and address -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "api_key_env", "sent"),
    [
        (
            {"GOOGLE_API_KEY": "google-key", "GEMINI_API_KEY": "gemini-key"},
            None,
            "google-key",
        ),  # the SDK's order
        ({"GEMINI_API_KEY": "gemini-key"}, None, "gemini-key"),
        ({"GEMINI_API_KEY": "not-this-one", "WORK_GEMINI_KEY": "this-one"}, "WORK_GEMINI_KEY", "this-one"),
    ],
    ids=["google-api-key-first", "gemini-api-key", "api-key-env"],
)
async def test_the_key_is_read_as_the_sdk_reads_it_or_from_api_key_env(
    provider, page_json, monkeypatch, variables, api_key_env, sent
):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    provider.then(provider.gemini_reply(page_json))
    client = create_client(FLASH_LITE, ClientOptions(transport=provider.transport, api_key_env=api_key_env))
    await client.complete(page_request())
    await client.aclose()
    assert provider.requests[0].headers["x-goog-api-key"] == sent


def test_a_missing_key_is_a_usage_error_naming_the_variable():
    with pytest.raises(ConfigError, match="GEMINI_API_KEY is not set"):
        create_client(FLASH_LITE, ClientOptions())


async def test_the_address_is_read_from_google_gemini_base_url(provider, page_json, monkeypatch):
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "https://proxy.example/gemini")
    provider.then(provider.gemini_reply(page_json))
    await complete(provider)
    assert str(provider.requests[0].url).startswith("https://proxy.example/gemini/v1")


async def test_the_providers_table_base_url_wins_over_the_variable(provider, page_json, monkeypatch):
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "https://from-the-variable.example")
    provider.then(provider.gemini_reply(page_json))
    await complete(provider, base_url="https://from-the-table.example")
    assert provider.requests[0].url.host == "from-the-table.example"


def test_a_base_url_that_can_never_answer_is_a_usage_error_before_any_call(monkeypatch):
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "generativelanguage.googleapis.com")
    with pytest.raises(ConfigError, match="GOOGLE_GEMINI_BASE_URL"):
        create_client(FLASH_LITE, ClientOptions(api_key="test-key"))


def test_without_google_genai_installed_a_gemini_model_is_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.genai", None)  # the import fails as if it were not installed
    monkeypatch.delitem(sys.modules, "topicgen.model.clients.gemini", raising=False)
    with pytest.raises(
        ConfigError, match=r"gemini: models need google-genai: pip install 'topicgen\[gemini\]'"
    ):
        load_factory("topicgen.model.clients.gemini:gemini_client", "gemini")


# --- reasoning effort as the thinking level ------------------------------------------------------


@pytest.mark.parametrize(("effort", "level"), [("low", "LOW"), ("none", "MINIMAL"), ("max", "HIGH")])
async def test_the_effort_is_sent_as_the_nearest_thinking_level_the_catalogue_lists(
    provider, page_json, effort, level
):
    provider.then(provider.gemini_reply(page_json))
    await complete(provider, reasoning_effort=effort)
    assert config_of(provider.bodies[0])["thinkingConfig"] == {"thinking_level": level}


async def test_a_model_that_thinks_by_budget_is_sent_no_thinking_level(provider, page_json):
    provider.then(provider.gemini_reply(page_json))
    await complete(provider, spec="gemini:gemini-2.5-flash", reasoning_effort="low")
    assert "thinkingConfig" not in config_of(provider.bodies[0])


async def test_a_model_that_rejects_the_thinking_level_is_asked_again_without_it_for_the_run(
    provider, page_json
):
    provider.then(
        provider.recorded("gemini-400-thinking-level"),
        provider.gemini_reply(page_json),
        provider.gemini_reply(page_json),
    )
    client = create_client(FLASH_LITE, provider.options(reasoning_effort="low"))
    for _ in range(2):
        assert (await client.complete(page_request())).text == page_json
    await client.aclose()
    first, second, third = (config_of(body) for body in provider.bodies)
    assert "thinkingConfig" in first and "thinkingConfig" not in second and "thinkingConfig" not in third


# --- the reply -----------------------------------------------------------------------------------


async def test_usage_is_read_from_usage_metadata_with_thinking_counted_as_output(provider, page_json):
    provider.then(
        provider.gemini_reply(
            page_json, prompt_tokens=4000, candidates_tokens=2500, cached_tokens=1024, thoughts_tokens=300
        )
    )
    reply = await complete(provider)
    assert reply.usage == Usage(
        input_tokens=4000, output_tokens=2800, cached_tokens=1024, cache_write_tokens=0, reasoning_tokens=300
    )
    assert reply.finish is Finish.STOP and reply.text == page_json
    assert reply.model == "gemini-test-001"


async def test_max_tokens_is_a_truncation(provider, page_json):
    provider.then(provider.gemini_reply(page_json[:500], finish_reason="MAX_TOKENS"))
    reply = await complete(provider)
    assert reply.finish is Finish.LENGTH


@pytest.mark.parametrize("reason", ["SAFETY", "PROHIBITED_CONTENT"])
async def test_a_reply_stopped_for_safety_is_a_refusal(provider, reason):
    provider.then(provider.gemini_reply(None, finish_reason=reason))
    reply = await complete(provider)
    assert reply.finish is Finish.REFUSAL
    assert reply.refusal == f"the reply was blocked ({reason})"


async def test_a_blocked_prompt_is_a_refusal(provider):
    provider.then(provider.gemini_reply(block_reason="PROHIBITED_CONTENT"))
    reply = await complete(provider)
    assert reply.finish is Finish.REFUSAL and reply.text == ""
    assert "the prompt was blocked (PROHIBITED_CONTENT)" in (reply.refusal or "")


async def test_a_rejected_schema_falls_back_to_json_mode_with_the_schema_in_the_system_instruction(
    provider, page_json
):
    provider.then(
        provider.recorded("gemini-400-schema"),
        provider.gemini_reply(page_json),
        provider.gemini_reply(page_json),
    )
    client = create_client(FLASH_LITE, provider.options())
    for _ in range(2):
        assert (await client.complete(page_request())).text == page_json
    await client.aclose()
    first, second, third = provider.bodies
    assert "responseJsonSchema" in config_of(first)
    for body in (second, third):  # JSON mode for the rest of the run
        assert "responseJsonSchema" not in config_of(body)
        assert config_of(body)["responseMimeType"] == "application/json"
        system = body["systemInstruction"]["parts"][0]["text"]
        assert json.dumps(page_json_schema(), ensure_ascii=False) in system


# --- errors as Gemini sends them -----------------------------------------------------------------


async def test_a_per_minute_429_is_rate_limited_with_the_retry_delay_it_names(provider):
    provider.then(provider.recorded("gemini-429-per-minute"))
    with pytest.raises(RateLimited) as caught:
        await complete(provider)
    assert caught.value.retry_after == 2.0
    assert not isinstance(caught.value, AccountError)


async def test_a_per_day_quota_is_permanent_in_one_line_naming_the_quota(provider):
    provider.then(provider.recorded("gemini-429-per-day"))
    with pytest.raises(QuotaExhausted) as caught:
        await complete(provider)
    message = str(caught.value)
    assert isinstance(caught.value, AccountError)
    assert "GenerateRequestsPerDayPerProjectPerModel-FreeTier (gemini-3.1-flash-lite-preview)" in message
    assert "\n" not in message and "quota" in message


async def test_a_404_on_the_model_is_model_not_found(provider):
    provider.then(provider.recorded("gemini-404-model"))
    with pytest.raises(ModelNotFound, match="check the model name"):
        await complete(provider, spec="gemini:gemini-9-ultra")


async def test_503_unavailable_is_worth_retrying(provider):
    provider.then(provider.recorded("gemini-503-unavailable"))
    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        await complete(provider)


async def test_a_rejected_key_is_an_auth_error_though_gemini_sends_400(provider):
    provider.then(provider.recorded("gemini-400-api-key-invalid"))
    with pytest.raises(AuthError, match="API key not valid"):
        await complete(provider)
