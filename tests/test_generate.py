"""Unusable replies are re-asked with what was wrong, a bounded number of times, then fail the topic."""

from __future__ import annotations

import json

import pytest

from topicgen.errors import InvalidReply
from topicgen.model.clients import create_client
from topicgen.model.clients.base import Usage
from topicgen.model.generate import generate_page
from topicgen.model.prompt import Prompts

TOPIC = "Large Language Models"


async def generate(provider, spec: str = "openai:gpt-test", **settings):
    client = create_client(spec, provider.options())
    try:
        return await generate_page(client, Prompts(), TOPIC, **settings)
    finally:
        await client.aclose()


def reask_of(body: dict) -> str:
    """The re-ask message at the end of a request's conversation."""
    assert body["messages"][-1]["role"] == "user"
    return body["messages"][-1]["content"]


def broken(llm_page_data: dict, **changes) -> str:
    return json.dumps({**llm_page_data, **changes}, ensure_ascii=False)


async def test_a_valid_first_reply_needs_one_call(provider, page_json):
    provider.then(provider.openai_reply(page_json))
    result = await generate(provider)
    assert result.attempts == 1
    assert result.page.title_emoji == "🤖🦜"
    assert len(provider.requests) == 1


async def test_invalid_json_is_re_asked_with_the_json_error(provider, page_json):
    provider.then(provider.openai_reply('{"title_emoji": "🤖", '), provider.openai_reply(page_json))
    result = await generate(provider)
    assert result.attempts == 2
    first, second = provider.bodies
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assert second["messages"][-2] == {"role": "assistant", "content": '{"title_emoji": "🤖", '}
    reask = reask_of(second)
    assert "not valid JSON" in reask
    assert "JSON error at character" in reask


async def test_a_schema_violation_is_re_asked_with_every_validation_error(provider, page_json, llm_page_data):
    bad = broken(llm_page_data, what_is_it=["Only one."], joke="Line one\nline two")
    provider.then(provider.openai_reply(bad), provider.openai_reply(page_json))
    await generate(provider)
    reask = reask_of(provider.bodies[1])
    assert "- what_is_it: must have 2 to 5 items, not 1" in reask
    assert "- joke: must be a single line with no line breaks" in reask


async def test_a_truncated_reply_is_re_asked(provider, page_json):
    provider.then(
        provider.openai_reply(page_json[:300], finish_reason="length"), provider.openai_reply(page_json)
    )
    result = await generate(provider)
    assert result.attempts == 2
    reask = reask_of(provider.bodies[1])
    assert "cut off" in reask
    assert "truncated" in reask


async def test_an_anthropic_reply_cut_at_max_tokens_is_re_asked(provider, page_json):
    provider.then(
        provider.anthropic_reply(page_json[:300], stop_reason="max_tokens"),
        provider.anthropic_reply(page_json),
    )
    result = await generate(provider, spec="anthropic:claude-test")
    assert result.attempts == 2
    assert "cut off" in reask_of(provider.bodies[1])


async def test_a_refusal_is_re_asked_with_the_refusal(provider, page_json):
    provider.then(
        provider.openai_reply(None, refusal="I can't help with that."), provider.openai_reply(page_json)
    )
    result = await generate(provider)
    assert result.attempts == 2
    assert "the model refused: I can't help with that." in reask_of(provider.bodies[1])


async def test_re_asking_stops_after_the_configured_number_then_fails(provider):
    provider.then(*[provider.openai_reply("not json")] * 3)
    with pytest.raises(InvalidReply, match=r"not valid JSON \(gave up after 3 attempts\)") as caught:
        await generate(provider, reasks=2)
    assert len(provider.requests) == 3
    assert caught.value.errors  # the last validation errors travel with the failure


async def test_zero_reasks_means_one_call(provider):
    provider.then(provider.openai_reply("not json"))
    with pytest.raises(InvalidReply, match="gave up after 1 attempts"):
        await generate(provider, reasks=0)
    assert len(provider.requests) == 1


async def test_usage_of_every_call_is_counted(provider, page_json):
    calls = []
    provider.then(
        provider.openai_reply("not json", prompt_tokens=1000, completion_tokens=10, cached_tokens=0),
        provider.openai_reply(page_json, prompt_tokens=1100, completion_tokens=2000, cached_tokens=1000),
    )
    result = await generate(provider, on_usage=calls.append)
    assert calls == [Usage(1000, 10, 0), Usage(1100, 2000, 1000)]
    assert result.usage == Usage(2100, 2010, 1000)


async def test_the_reply_model_id_is_kept(provider, page_json):
    provider.then(provider.openai_reply(page_json, model="gpt-test-2025-08-07"))
    assert (await generate(provider)).model == "gpt-test-2025-08-07"


async def test_the_max_output_tokens_setting_reaches_the_request(provider, page_json):
    provider.then(provider.openai_reply(page_json))
    await generate(provider, max_output_tokens=7000)
    assert provider.bodies[0]["max_completion_tokens"] == 7000


async def test_only_a_bounded_number_of_errors_is_sent_back(provider, page_json, llm_page_data):
    junk = {key: 1 for key in llm_page_data}
    provider.then(provider.openai_reply(json.dumps(junk)), provider.openai_reply(page_json))
    await generate(provider)
    listed = [line for line in reask_of(provider.bodies[1]).splitlines() if line.startswith("- ")]
    assert 1 <= len(listed) <= 12


# --- a failed topic writes nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        ["not json", "not json", "not json"],  # unusable every time
        [401],  # rejected key: fails at once
    ],
    ids=["unusable-replies", "auth-error"],
)
async def test_a_topic_that_fails_leaves_no_page_and_no_temp_file(vault, provider, answers):
    from topicgen.config import open_vault
    from topicgen.runs.draft import Drafter
    from topicgen.runs.workshop import Status

    provider.then(
        *[
            provider.openai_error(a, "Incorrect API key") if a == 401 else provider.openai_reply(a)
            for a in answers
        ]
    )
    the_vault, settings = open_vault(vault)
    client = create_client("openai:gpt-test", provider.options())
    outcome = await Drafter(the_vault, settings, client).draft(TOPIC)
    await client.aclose()
    assert outcome.status is Status.FAILED
    assert outcome.detail
    assert not (vault / "topics").exists() or list((vault / "topics").iterdir()) == []
