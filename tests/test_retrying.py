"""Transient faults are retried with backoff, jitter and retry-after; the rest fail at once."""

from __future__ import annotations

import httpx2
import pytest

from topicgen import errors
from topicgen.errors import AuthError, NetworkError, PermanentError, ProviderUnavailable, RateLimited
from topicgen.model.clients import create_client
from topicgen.model.clients.base import ModelRequest
from topicgen.model.clients.retry_after import retry_after_seconds
from topicgen.model.clients.retrying import RetryingClient
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema

REQUEST = ModelRequest(tuple(Prompts().messages("Large Language Models")), page_json_schema())


class FakeSleep:
    """Records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


async def run(provider, sleep: FakeSleep, spec: str = "openai:gpt-test", **settings):
    client = RetryingClient(create_client(spec, provider.options()), sleep=sleep, **settings)
    try:
        return await client.complete(REQUEST)
    finally:
        await client.aclose()


def timeout(request: httpx2.Request):
    raise httpx2.ReadTimeout("timed out", request=request)


def dropped(request: httpx2.Request):
    raise httpx2.RemoteProtocolError("Server disconnected without sending a response.", request=request)


async def test_429_waits_as_long_as_retry_after_says_then_succeeds(provider, sleep, page_json):
    provider.then(
        provider.openai_error(429, "Rate limit reached", headers={"retry-after": "7"}),
        provider.openai_reply(page_json),
    )
    reply = await run(provider, sleep)
    assert reply.text == page_json
    (wait,) = sleep.waits
    assert 7 <= wait <= 7 * 1.2  # retry-after plus up to 20% jitter
    assert len(provider.requests) == 2


async def test_retry_after_ms_is_honoured(provider, sleep, page_json):
    provider.then(
        provider.openai_error(429, "Slow down", headers={"retry-after-ms": "2500"}),
        provider.openai_reply(page_json),
    )
    await run(provider, sleep)
    assert 2.5 <= sleep.waits[0] <= 3.0


async def test_a_retry_after_up_to_the_longest_wait_is_slept_through(provider, sleep, page_json):
    provider.then(
        provider.openai_error(429, "Slow down", headers={"retry-after": "25"}),
        provider.openai_reply(page_json),
    )
    await run(provider, sleep, max_wait=30)
    assert 25 <= sleep.waits[0] <= 30


# --- retries that cannot help are not made (captured wire responses, through the real SDKs) -------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_retry_after_300_fails_at_once_and_holds_later_calls_until_then(provider, sleep, page_json):
    provider.then(provider.recorded("anthropic-429-retry-after-300"), provider.anthropic_reply(page_json))
    clock = Clock()
    client = RetryingClient(
        create_client("anthropic:claude-test", provider.options()), sleep=sleep, max_wait=120, clock=clock
    )
    with pytest.raises(PermanentError) as caught:
        await client.complete(REQUEST)
    message = str(caught.value)
    assert "asks to wait 300 s" in message and "run the same command again later" in message
    assert sleep.waits == [] and len(provider.requests) == 1
    with pytest.raises(PermanentError, match="300 s"):
        await client.complete(REQUEST)  # within the five minutes: no request at all
    assert len(provider.requests) == 1
    clock.now += 301
    assert (await client.complete(REQUEST)).text == page_json
    await client.aclose()


async def test_x_should_retry_false_is_obeyed(provider, sleep):
    provider.then(provider.recorded("openai-429-should-retry-false"))
    with pytest.raises(PermanentError, match="says not to retry"):
        await run(provider, sleep)
    assert len(provider.requests) == 1 and sleep.waits == []


async def test_x_should_retry_true_retries_even_a_client_error(provider, sleep, page_json):
    provider.then(
        provider.openai_error(400, "try again", headers={"x-should-retry": "true"}),
        provider.openai_reply(page_json),
    )
    assert (await run(provider, sleep)).text == page_json
    assert len(provider.requests) == 2


@pytest.mark.parametrize(
    ("spec", "fixture", "words"),
    [
        ("openai:gpt-test", "openai-insufficient-quota", "exceeded your current quota"),
        ("anthropic:claude-test", "anthropic-credit-too-low", "credit balance is too low"),
        ("anthropic:claude-test", "anthropic-spend-limit", "monthly spend limit"),
    ],
)
async def test_quota_and_billing_errors_fail_once_with_one_line_and_stop_the_run(
    provider, sleep, spec, fixture, words
):
    provider.then(provider.recorded(fixture))
    client = RetryingClient(create_client(spec, provider.options()), sleep=sleep)
    for _ in range(3):  # every later topic fails the same way, without a request
        with pytest.raises(errors.AccountError) as caught:
            await client.complete(REQUEST)
        message = str(caught.value)
        assert words in message and "retrying cannot help" in message and "\n" not in message
    await client.aclose()
    assert len(provider.requests) == 1 and sleep.waits == []


async def test_a_rejected_key_stops_the_later_calls_too(provider, sleep):
    provider.then(provider.openai_error(401, "Incorrect API key provided"))
    client = RetryingClient(create_client("openai:gpt-test", provider.options()), sleep=sleep)
    for _ in range(2):
        with pytest.raises(AuthError):
            await client.complete(REQUEST)
    await client.aclose()
    assert len(provider.requests) == 1


async def test_a_read_timeout_is_retried_once_only(provider, sleep):
    provider.then(timeout, timeout)
    with pytest.raises(NetworkError, match="timed out"):
        await run(provider, sleep, attempts=6)
    assert len(provider.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried_with_growing_backoff(provider, sleep, page_json, status):
    provider.then(*[provider.openai_error(status, "Server error")] * 3, provider.openai_reply(page_json))
    reply = await run(provider, sleep, initial_wait=1.0)
    assert reply.text == page_json
    first, second, third = sleep.waits
    # exponential backoff: 1, 2, 4 seconds, each plus up to one second of jitter
    assert 1 <= first <= 2 <= second <= 3 and 4 <= third <= 5


async def test_anthropic_529_overloaded_is_retried(provider, sleep, page_json):
    provider.then(
        provider.anthropic_error(529, "Overloaded", kind="overloaded_error"),
        provider.anthropic_reply(page_json),
    )
    reply = await run(provider, sleep, spec="anthropic:claude-test")
    assert reply.text == page_json
    assert len(sleep.waits) == 1


@pytest.mark.parametrize("fault", [timeout, dropped], ids=["timeout", "dropped-connection"])
@pytest.mark.parametrize("spec", ["openai:gpt-test", "anthropic:claude-test"])
async def test_timeouts_and_dropped_connections_are_retried(provider, sleep, page_json, fault, spec):
    reply = (
        provider.openai_reply(page_json) if spec.startswith("openai") else provider.anthropic_reply(page_json)
    )
    provider.then(fault, reply)
    assert (await run(provider, sleep, spec=spec)).text == page_json
    assert len(provider.requests) == 2


async def test_it_gives_up_after_the_configured_attempts_with_the_last_error(provider, sleep):
    provider.then(*[provider.openai_error(503, "Service unavailable")] * 3)
    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        await run(provider, sleep, attempts=3)
    assert len(provider.requests) == 3
    assert len(sleep.waits) == 2


async def test_a_timeout_that_never_clears_fails_with_a_one_line_message(provider, sleep):
    provider.then(timeout, timeout)
    with pytest.raises(NetworkError) as caught:
        await run(provider, sleep, attempts=2)
    assert str(caught.value) == "openai: request timed out"


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, PermanentError), (401, AuthError), (403, PermanentError), (404, PermanentError)],
)
async def test_client_errors_fail_at_once_without_waiting(provider, sleep, status, error):
    provider.then(provider.openai_error(status, "Nope"))
    with pytest.raises(error) as caught:
        await run(provider, sleep)
    assert str(caught.value) == f"openai: HTTP {status}: Nope"
    assert sleep.waits == []
    assert len(provider.requests) == 1


async def test_each_retry_is_reported_with_its_wait(provider, sleep, page_json):
    seen = []
    provider.then(
        provider.openai_error(429, "Slow down", headers={"retry-after": "2"}),
        provider.openai_reply(page_json),
    )
    await run(provider, sleep, on_retry=lambda error, wait: seen.append((type(error), wait)))
    assert seen == [(RateLimited, sleep.waits[0])]


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "12"}, 12),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Thu, 01 Jan 1970 00:01:40 GMT"}, 40),
        ({"x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "20ms"}, 360),
        ({"anthropic-ratelimit-requests-reset": "1970-01-01T00:01:30Z"}, 30),
        ({}, None),
    ],
)
def test_retry_after_is_read_from_each_providers_headers(headers, seconds):
    assert retry_after_seconds(headers, now=60.0) == seconds


@pytest.fixture
def notices():
    """Every retry notice a run's display would hear of: (attempt, of how many)."""
    from topicgen.model.clients.retrying import retry_listener

    heard: list[tuple[int, int]] = []
    token = retry_listener.set(lambda notice: heard.append((notice.attempt, notice.attempts)))
    yield heard
    retry_listener.reset(token)


async def test_a_retry_notice_for_a_read_timeout_shows_its_cap_of_one_retry(
    provider, sleep, notices, page_json
):
    provider.then(timeout, provider.openai_reply(page_json))
    await run(provider, sleep, attempts=6)
    assert notices == [(2, 2)]


async def test_a_retry_notice_counts_the_cap_from_the_attempt_a_capped_fault_first_came_at(
    provider, sleep, notices, page_json
):
    provider.then(provider.openai_error(429, "Rate limit reached"), timeout, provider.openai_reply(page_json))
    await run(provider, sleep, attempts=6)
    assert notices == [(2, 6), (3, 3)]


async def test_no_retry_notice_is_given_for_an_attempt_past_the_last(provider, sleep, notices):
    provider.then(*[provider.openai_error(503, "Service unavailable")] * 3)
    with pytest.raises(ProviderUnavailable):
        await run(provider, sleep, attempts=3)
    assert notices == [(2, 3), (3, 3)]


@pytest.mark.parametrize(
    ("spec", "status", "body"),
    [
        (
            "openai:gpt-nope",
            404,
            {
                "error": {
                    "message": "The model `gpt-nope` does not exist or you do not have access to it.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "model_not_found",
                }
            },
        ),
        (
            "anthropic:claude-nope",
            404,
            {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-nope"}},
        ),
    ],
    ids=["openai", "anthropic"],
)
async def test_a_model_the_provider_does_not_have_fails_once_and_stops_the_later_calls(
    provider, sleep, spec, status, body
):
    provider.then(httpx2.Response(status, json=body))
    client = RetryingClient(create_client(spec, provider.options()), sleep=sleep)
    for _ in range(3):  # every later topic fails the same way, without a request (a retired model, a typo)
        with pytest.raises(errors.ModelNotFound) as caught:
            await client.complete(REQUEST)
        assert "topicgen config" in str(caught.value) and "\n" not in str(caught.value)
    await client.aclose()
    assert len(provider.requests) == 1 and sleep.waits == []


async def test_a_404_about_a_path_is_not_taken_for_a_missing_model(provider, sleep):
    not_found = {"error": {"message": "Not Found", "type": "invalid_request_error"}}
    provider.then(httpx2.Response(404, json=not_found))
    client = RetryingClient(create_client("openai:gpt-test", provider.options()), sleep=sleep)
    with pytest.raises(errors.PermanentError) as caught:
        await client.complete(REQUEST)
    assert not isinstance(caught.value, errors.ModelNotFound)
    await client.aclose()
