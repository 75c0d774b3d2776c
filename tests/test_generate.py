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


async def test_wrong_sections_are_re_asked_alone_with_every_problem(provider, page_json, llm_page_data):
    # issue 8: a reply whose problems are confined to some sections re-buys only those
    bad = broken(llm_page_data, what_is_it=[], joke="Line one\nline two")
    answer = json.dumps({"what_is_it": llm_page_data["what_is_it"], "joke": llm_page_data["joke"]})
    provider.then(provider.openai_reply(bad), provider.openai_reply(answer))
    result = await generate(provider)
    asked = provider.bodies[1]
    schema = asked["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]) == {"what_is_it", "joke"}
    reask = reask_of(asked)
    assert "- what_is_it: must not be empty" in reask
    assert "- joke: must be a single line with no line breaks" in reask
    assert result.reasked == ("what_is_it", "joke")
    assert result.page.joke == llm_page_data["joke"]


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
    junk = {key: 1 for key in llm_page_data}  # no usable section: the whole page is asked again
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


# --- drift is accepted; only what is wrong is asked again (issue 8) -------------------------------


async def test_drift_is_accepted_noted_and_costs_no_call(provider, llm_page_data):
    drifted = {
        **llm_page_data,
        "qualities": [f"**Quality {n}:** described  with   stray spaces" for n in range(9)],  # 3 to 8
        "what_is_it": ["One sentence with inline math $E = mc^2$ 🧑🏽\u200d🔬."],  # 2 to 5
        "title_emoji": "🧑\u200d🤝\u200d🧑👍🏽",
    }
    provider.then(provider.openai_reply(json.dumps(drifted, ensure_ascii=False)))
    result = await generate(provider)
    assert result.attempts == 1 and result.reasked == ()
    assert result.page.qualities[0] == "Quality 0: described with stray spaces"
    assert result.page.title_emoji == "🧑\u200d🤝\u200d🧑👍🏽"
    assert result.page.what_is_it == ["One sentence with inline math $E = mc^2$ 🧑🏽\u200d🔬."]
    kinds = {note.split(": ")[1] for note in result.notes}
    assert kinds == {"list-length", "bold-label", "whitespace", "math"}


async def test_a_section_re_ask_shows_the_rest_of_the_page_as_context(provider, llm_page_data):
    bad = broken(llm_page_data, deep_dive=["<script>alert(1)</script>"])
    answer = json.dumps({"deep_dive": llm_page_data["deep_dive"]}, ensure_ascii=False)
    provider.then(provider.openai_reply(bad), provider.openai_reply(answer))
    await generate(provider)
    reask = reask_of(provider.bodies[1])
    assert "# 🤖🦜 Large Language Models" in reask
    assert "### 😂 A Joke" in reask and llm_page_data["joke"] in reask
    assert "<script>" not in reask.split("could not be used")[0]  # the wrong section is not shown


async def test_the_re_asks_tokens_are_reported_apart(provider, page_json, llm_page_data):
    bad = broken(llm_page_data, joke="")
    provider.then(
        provider.openai_reply(bad, completion_tokens=2000),
        provider.openai_reply(json.dumps({"joke": "A pun."}), completion_tokens=30),
    )
    result = await generate(provider)
    assert result.usage.output_tokens == 2030
    assert result.reask_usage.output_tokens == 30


async def test_a_section_still_wrong_is_asked_again_until_the_re_asks_run_out(provider, llm_page_data):
    provider.then(
        provider.openai_reply(broken(llm_page_data, joke="")),
        provider.openai_reply(json.dumps({"joke": ""})),
        provider.openai_reply(json.dumps({"joke": "not\nok"})),
    )
    with pytest.raises(InvalidReply, match=r"joke: must be a single line .*gave up after 3 attempts"):
        await generate(provider, reasks=2)
    assert len(provider.requests) == 3


async def test_a_section_re_ask_answered_with_prose_is_asked_again(provider, llm_page_data):
    provider.then(
        provider.openai_reply(broken(llm_page_data, joke="")),
        provider.openai_reply("Sure! Here is the joke."),
        provider.openai_reply(json.dumps({"joke": "A pun."})),
    )
    result = await generate(provider)
    assert "not valid JSON" in reask_of(provider.bodies[2])
    assert result.page.joke == "A pun." and result.reasked == ("joke",)


async def test_a_reply_with_no_usable_section_is_asked_again_whole(provider, page_json):
    provider.then(provider.openai_reply(json.dumps({"unexpected": 1})), provider.openai_reply(page_json))
    result = await generate(provider)
    assert result.reasked == () and result.attempts == 2
    assert "Reply again with the whole note" in reask_of(provider.bodies[1])


async def test_reask_sections_asks_for_just_the_named_sections(provider, llm_page_data):
    from topicgen.model.generate import context_page, reask_sections

    provider.then(provider.openai_reply(json.dumps({"books": llm_page_data["books"]})))
    client = create_client("openai:gpt-test", provider.options())
    page = context_page(TOPIC, {key: llm_page_data[key] for key in ("title_emoji", "what_is_it")})
    try:
        answer = await reask_sections(
            client, Prompts(), TOPIC, {"books": ["books.topical: no such book"]}, page
        )
    finally:
        await client.aclose()
    assert answer.data == {"books": llm_page_data["books"]} and not answer.wrong
    assert answer.calls == 1
    assert "books.topical: no such book" in reask_of(provider.bodies[0])
