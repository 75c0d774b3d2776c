"""The fake provider speaks every wire format well enough for the real SDKs, and injects faults on cue.

Requests go through topicgen's own adapters (the official SDKs underneath),
so a reply the fake sends is read exactly as a real provider's would be.
Headers are checked with plain urllib, to see what is on the wire.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from topicgen.errors import InvalidReply, NetworkError, ProviderUnavailable, RateLimited
from topicgen.model.clients import ClientOptions, create_client
from topicgen.model.clients.base import Finish, ModelReply, ModelRequest
from topicgen.model.clients.gemini import content_request
from topicgen.model.generate import parse_reply
from topicgen.model.prompt import Prompts
from topicgen.page.schema import TopicSummary, page_json_schema
from topicgen.testing import FakeProvider, Fault, HttpError, Reply, page_for_schema

KEY = "fake-key-for-the-fake-provider-0451"
SPECS = ("openai:fake-model", "anthropic:fake-model", "gemini:fake-model")


def base_url(server: FakeProvider, spec: str) -> str:
    return getattr(server, f"{spec.partition(':')[0]}_base_url")


def request_for(topic: str) -> ModelRequest:
    return ModelRequest(tuple(Prompts().messages(topic)), page_json_schema(), max_output_tokens=4000)


async def ask(
    server: FakeProvider, spec: str, topic: str = "Graph Theory", timeout: float = 5.0
) -> ModelReply:
    options = ClientOptions(timeout=timeout, base_url=base_url(server, spec), api_key=KEY)
    client = create_client(spec, options)
    try:
        return await client.complete(request_for(topic))
    finally:
        await client.aclose()


def post_raw(server: FakeProvider, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], dict]:
    """One request with urllib: (status, lower-cased headers, JSON body)."""
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={
            "content-type": "application/json",
            "authorization": f"Bearer {KEY}",
            "x-api-key": KEY,
            "x-goog-api-key": KEY,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, json.load(error)


def openai_body(topic: str = "Graph Theory") -> dict[str, Any]:
    messages = [{"role": m.role, "content": m.content} for m in Prompts().messages(topic)]
    schema = {"name": "topic_summary", "schema": page_json_schema(), "strict": True}
    return {
        "model": "fake",
        "messages": messages,
        "response_format": {"type": "json_schema", "json_schema": schema},
    }


def anthropic_body(topic: str = "Graph Theory") -> dict[str, Any]:
    system, user = Prompts().messages(topic)
    return {
        "model": "fake",
        "max_tokens": 4000,
        "system": [{"type": "text", "text": system.content, "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": user.content}],
        "output_config": {"format": {"type": "json_schema", "schema": page_json_schema()}},
    }


@pytest.fixture
def server():
    with FakeProvider(api_key=KEY) as running:
        yield running


# --- replies that satisfy the schema -------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
async def test_a_reply_is_a_valid_page_for_the_topic_asked_about(server: FakeProvider, spec: str) -> None:
    reply = await ask(server, spec, "Graph Theory")

    page = parse_reply(reply)
    assert reply.finish is Finish.STOP
    assert "Graph Theory" in page.what_is_it[0]
    assert server.stats().pages == {"Graph Theory": 1}


@pytest.mark.parametrize("topic", ["C++", "[brackets] <b>html</b> # hash", "Foo: Bar", "- dash", "🤖 Robots"])
def test_generated_data_passes_topicgens_validators_whatever_the_topic(topic: str) -> None:
    data = page_for_schema(page_json_schema(), topic)

    TopicSummary.model_validate(data)


def test_list_lengths_follow_the_bounds_stated_in_descriptions() -> None:
    schema = {
        "type": "object",
        "properties": {
            "few": {"type": "array", "description": "Things. 1 to 2 items.", "items": {"type": "string"}},
            "many": {"type": "array", "description": "Things. 5 to 9 items.", "items": {"type": "string"}},
        },
    }

    data = page_for_schema(schema, "Anything")

    assert len(data["few"]) == 2
    assert len(data["many"]) == 5


def test_schemas_with_references_are_followed() -> None:
    data = page_for_schema(
        TopicSummary.model_json_schema(), "Graph Theory"
    )  # $defs and $ref, as pydantic makes

    TopicSummary.model_validate(data)


async def test_anthropic_tool_call_is_answered_with_tool_use_when_structured_outputs_are_refused(
    server: FakeProvider,
) -> None:
    server.configure(structured_outputs=False)

    reply = await ask(server, "anthropic:fake-model")

    parse_reply(reply)
    first, second = server.requests
    assert first.outcome == "bad_request" and "output_config" in first.body
    assert second.outcome == "ok" and second.body["tool_choice"]["type"] == "tool"


async def test_openai_compatible_server_without_json_schema_is_answered_in_json_mode(
    server: FakeProvider,
) -> None:
    server.configure(json_schema=False)
    options = ClientOptions(timeout=5, base_url=server.openai_base_url, api_key=KEY)
    client = create_client("openai-compatible:fake-model", options)

    reply = await client.complete(request_for("Graph Theory"))
    await client.aclose()

    parse_reply(reply)
    assert [r.body["response_format"]["type"] for r in server.requests] == ["json_schema", "json_object"]


@pytest.mark.parametrize("spec", SPECS)
async def test_usage_reports_the_system_prompt_as_cached_from_the_second_request_on(
    server: FakeProvider, spec: str
) -> None:
    first = await ask(server, spec, "Graph Theory")
    second = await ask(server, spec, "Set Theory")

    assert first.usage.cached_tokens == 0
    assert 0 < second.usage.cached_tokens < second.usage.input_tokens
    assert second.usage.output_tokens > 0
    assert server.stats().cached_tokens == second.usage.cached_tokens


# --- faults, as topicgen's adapters see them ------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
async def test_scripted_429_is_a_rate_limit_with_the_servers_retry_after(
    server: FakeProvider, spec: str
) -> None:
    server.configure(fault_retry_after=2.5)
    server.script(Fault.RATE_LIMIT)

    with pytest.raises(RateLimited) as caught:
        await ask(server, spec)

    assert caught.value.retry_after == pytest.approx(2.5)


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.UNAVAILABLE, Fault.OVERLOADED])
@pytest.mark.parametrize("spec", SPECS)
async def test_scripted_5xx_is_provider_unavailable(server: FakeProvider, spec: str, fault: Fault) -> None:
    server.script(fault)
    status = "503" if spec.startswith("gemini") and fault is Fault.OVERLOADED else fault.value  # UNAVAILABLE

    with pytest.raises(ProviderUnavailable, match=f"HTTP {status}"):
        await ask(server, spec)


@pytest.mark.parametrize("spec", SPECS)
async def test_dropped_connection_is_a_network_error(server: FakeProvider, spec: str) -> None:
    server.script(Fault.DROP)

    with pytest.raises(NetworkError, match="connection"):
        await ask(server, spec)


@pytest.mark.parametrize("spec", SPECS)
async def test_stall_outlasts_the_client_timeout(server: FakeProvider, spec: str) -> None:
    server.configure(stall_seconds=10)
    server.script(Fault.STALL)

    with pytest.raises(NetworkError, match="timed out"):
        await ask(server, spec, timeout=0.3)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (Fault.INVALID_JSON, "not valid JSON"),
        (Fault.SCHEMA_VIOLATION, "does not match the schema"),
        (Fault.TRUNCATED, "cut off"),
        (Fault.REFUSAL, "refused"),
    ],
)
async def test_reply_faults_arrive_as_unusable_replies(
    server: FakeProvider, spec: str, fault: Fault, problem: str
) -> None:
    server.script(fault)

    reply = await ask(server, spec)

    with pytest.raises(InvalidReply, match=problem):
        parse_reply(reply)


async def test_anthropic_tool_replies_carry_faults_too(server: FakeProvider) -> None:
    server.configure(structured_outputs=False)
    await ask(server, "anthropic:fake-model")  # the client switches to the tool for good
    server.script(Fault.TRUNCATED, Fault.SCHEMA_VIOLATION)

    truncated = await ask(server, "anthropic:fake-model")
    violating = await ask(server, "anthropic:fake-model")

    assert truncated.finish is Finish.LENGTH
    with pytest.raises(InvalidReply, match="schema"):
        parse_reply(violating)


async def test_a_scripted_reply_patches_the_generated_page(server: FakeProvider) -> None:
    server.script(Reply(patch={"joke": "A patched joke.", "books.topical.title": "A Patched Title"}))

    page = parse_reply(await ask(server, "openai:fake-model"))

    assert page.joke == "A patched joke."
    assert page.books.topical.title == "A Patched Title"


async def test_a_topic_script_applies_only_to_that_topic(server: FakeProvider) -> None:
    server.script(Fault.SERVER_ERROR, topic="Set Theory")

    await ask(server, "openai:fake-model", "Graph Theory")
    with pytest.raises(ProviderUnavailable):
        await ask(server, "openai:fake-model", "Set Theory")

    assert server.pending() == 0


async def test_scripted_http_error_uses_the_providers_error_format(server: FakeProvider) -> None:
    server.script(HttpError(400, "model not found"))

    status, _, body = post_raw(server, "/v1/messages", anthropic_body())

    assert status == 400
    assert body["type"] == "error" and body["error"]["message"] == "model not found"


def test_random_faults_follow_the_seed() -> None:
    def outcomes(seed: int) -> list[str]:
        with FakeProvider(fault_rate=0.5, faults=[Fault.SERVER_ERROR, Fault.REFUSAL], seed=seed) as server:
            for _ in range(20):
                post_raw(server, "/v1/chat/completions", openai_body())
            return [record.outcome for record in server.requests]

    first, again, other = outcomes(7), outcomes(7), outcomes(8)

    assert first == again
    assert first != other
    assert {"ok", "500", "refusal"} == set(first)


def test_a_wrong_api_key_is_refused_with_the_key_echoed_as_real_providers_do(server: FakeProvider) -> None:
    server.configure(api_key="another-key")

    status, _, body = post_raw(server, "/v1/chat/completions", openai_body())

    assert status == 401
    assert KEY in body["error"]["message"]
    assert server.requests[0].authorized is False


# --- rate limits ----------------------------------------------------------------------------------


def test_requests_over_the_rpm_limit_get_429_with_openai_rate_limit_headers(server: FakeProvider) -> None:
    server.configure(rpm=60)  # one request a second, no burst beyond it

    first = post_raw(server, "/v1/chat/completions", openai_body())
    status, headers, body = post_raw(server, "/v1/chat/completions", openai_body())

    assert first[0] == 200
    assert first[1]["x-ratelimit-limit-requests"] == "60"
    assert status == 429
    assert body["error"]["code"] == "rate_limit_exceeded"
    assert int(headers["retry-after"]) >= 1
    assert 0 < int(headers["retry-after-ms"]) <= 1000
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-requests"].endswith("s")


def test_requests_over_the_tpm_limit_get_429_with_anthropic_rate_limit_headers(server: FakeProvider) -> None:
    server.configure(tpm=60_000)  # 1,000 tokens a second: less than one page

    first = post_raw(server, "/v1/messages", anthropic_body())
    status, headers, body = post_raw(server, "/v1/messages", anthropic_body())

    assert first[0] == 200
    assert status == 429
    assert body["error"]["type"] == "rate_limit_error"
    assert "retry-after" in headers
    assert headers["anthropic-ratelimit-tokens-limit"] == "60000"
    assert headers["anthropic-ratelimit-tokens-reset"].endswith("Z")
    assert server.stats().count("rate_limited") == 1


# --- counting -------------------------------------------------------------------------------------


def test_stats_count_outcomes_and_tokens(server: FakeProvider) -> None:
    server.script(Fault.SERVER_ERROR, Fault.REFUSAL)

    for _ in range(3):
        post_raw(server, "/v1/chat/completions", openai_body())

    stats = server.stats()
    assert stats.requests == 3
    assert stats.outcomes == {"500": 1, "refusal": 1, "ok": 1}
    assert stats.input_tokens > 0 and stats.output_tokens > 0
    assert stats.pages == {"Graph Theory": 1}


async def test_stats_record_the_most_requests_in_flight_at_once(server: FakeProvider) -> None:
    server.configure(latency=0.5)

    await asyncio.gather(*(ask(server, "openai:fake-model", f"Topic {n}") for n in range(4)))

    assert server.stats().max_in_flight == 4


def test_stopping_the_server_releases_a_stalled_client() -> None:
    server = FakeProvider(stall_seconds=600).start()
    server.script(Fault.STALL)
    request = urllib.request.Request(
        server.url + "/v1/chat/completions", data=json.dumps(openai_body()).encode(), method="POST"
    )
    result: list[str] = []
    client = threading.Thread(target=lambda: result.append(_try_open(request)))
    client.start()
    while server.stats().count(Fault.STALL) == 0:
        time.sleep(0.01)

    server.stop()
    client.join(timeout=30)

    assert not client.is_alive()
    assert result and result[0] != "answered"


def _try_open(request: urllib.request.Request) -> str:
    try:
        urllib.request.urlopen(request, timeout=60)
    except Exception as error:
        return type(error).__name__
    return "answered"


# --- Gemini's errors carry their reasons in details ------------------------------------------------


async def test_gemini_429s_over_the_rpm_limit_name_the_wait_in_retry_info_not_in_headers(server) -> None:
    server.configure(rpm=1, burst_seconds=1)
    await ask(server, "gemini:fake-model")
    with pytest.raises(RateLimited) as caught:
        await ask(server, "gemini:fake-model", "Set Theory")
    assert 0 < caught.value.retry_after <= 61
    asked = content_request(request_for("Topology"))
    status, headers, body = post_raw(server, "/v1/models/fake-model:generateContent", asked)
    assert status == 429 and "retry-after" not in headers
    assert body["error"]["status"] == "RESOURCE_EXHAUSTED"
    kinds = [detail["@type"].rsplit(".", 1)[-1] for detail in body["error"]["details"]]
    assert kinds == ["QuotaFailure", "RetryInfo"]


def test_gemini_answers_a_wrong_key_with_a_400_whose_details_say_api_key_invalid(server) -> None:
    request = urllib.request.Request(
        server.url + "/v1/models/fake-model:generateContent",
        data=b"{}",
        headers={"content-type": "application/json", "x-goog-api-key": "wrong-key"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    body = json.load(caught.value)
    assert caught.value.code == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    assert body["error"]["details"][0]["reason"] == "API_KEY_INVALID"


async def test_a_gemini_request_in_snake_case_is_read_as_the_api_reads_it(server) -> None:
    body = content_request(request_for("Graph Theory"), thinking_level="LOW")
    status, _, reply = post_raw(server, "/v1beta/models/fake-model:generateContent", body)
    assert status == 200
    page = json.loads(reply["candidates"][0]["content"]["parts"][0]["text"])
    assert "Graph Theory" in page["what_is_it"][0]
