"""Every request body the adapters build, live or batch, is one the installed SDK's ``create`` takes.

An SDK release that drops a parameter (anthropic 2.17 dropped ``temperature``
from ``messages.create``) fails here, not as a ``TypeError`` in a user's run.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from conftest import FAKE_API_KEY

from topicgen.model.clients import ClientOptions
from topicgen.model.clients.anthropic import TOOL, MessagesForm
from topicgen.model.clients.base import ModelRequest
from topicgen.model.clients.batch import create_batch_client
from topicgen.model.clients.effort import NO_EFFORT
from topicgen.model.clients.openai import ChatForm
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema

REQUEST = ModelRequest(tuple(Prompts().messages("Graph Theory")), page_json_schema())
OPTIONS = ClientOptions(api_key=FAKE_API_KEY, base_url="http://127.0.0.1:1", reasoning_effort="low")


def refused(create: Callable[..., Any], body: dict[str, Any]) -> str | None:
    """The ``TypeError`` ``create(**body)`` would raise in the installed SDK, without calling it."""
    try:
        inspect.signature(create).bind(None, **body)
    except TypeError as error:
        return str(error)
    return None


def messages_create() -> Callable[..., Any]:
    from anthropic.resources.messages import AsyncMessages

    return AsyncMessages.create


def completions_create() -> Callable[..., Any]:
    from openai.resources.chat.completions import AsyncCompletions

    return AsyncCompletions.create


@pytest.mark.parametrize(
    ("effort", "tool", "ttl"), list(itertools.product(["low", None], [False, True], [None, "1h"]))
)
def test_a_claude_request_carries_only_parameters_the_installed_sdk_takes(effort, tool, ttl):
    form = MessagesForm("claude-sonnet-4-6", effort, ttl, effort, use_tool=tool)
    assert refused(messages_create(), form.body(REQUEST)) is None


@pytest.mark.parametrize(
    ("provider", "effort", "json_mode"),
    [
        ("openai", "low", False),
        ("openai", None, False),
        ("openai-compatible", None, False),
        ("openai-compatible", None, True),
    ],
)
def test_a_chat_request_carries_only_parameters_the_installed_sdk_takes(provider, effort, json_mode):
    form = ChatForm("gpt-6-luna", provider, wanted_effort=effort, effort=effort, json_mode=json_mode)
    assert refused(completions_create(), form.body(REQUEST)) is None


@pytest.mark.parametrize("forms", [set(), {NO_EFFORT}, {NO_EFFORT, TOOL}])
async def test_a_batch_line_carries_only_parameters_the_installed_sdk_takes(forms):
    for spec, create in (
        ("openai:gpt-6-luna", completions_create),
        ("anthropic:claude-sonnet-4-6", messages_create),
    ):
        client = create_batch_client(spec, OPTIONS)
        client.adapt(forms)
        line = client.line("req-0", REQUEST)
        await client.aclose()
        assert refused(create(), line.get("body") or line["params"]) is None
