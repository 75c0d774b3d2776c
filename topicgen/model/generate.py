"""Ask a model for a page and validate the answer, re-asking with the errors when it is unusable.

A reply that is not JSON, fails the schema, was cut off or is a refusal is
sent back with what was wrong, a bounded number of times; then the topic
fails with the last reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from topicgen.errors import InvalidReply
from topicgen.model.clients.base import Finish, ModelClient, ModelReply, ModelRequest, Usage
from topicgen.model.prompt import Message, Prompts
from topicgen.model.reply_cache import ReplyCache, request_key
from topicgen.page.schema import TopicSummary, page_json_schema

MAX_ERRORS_SHOWN = 12


@dataclass(frozen=True)
class Generation:
    page: BaseModel
    model: str
    usage: Usage
    attempts: int  # model calls made; 0 when the reply came from the cache
    cached: bool = False


def validation_errors(error: ValidationError) -> list[str]:
    """Pydantic errors as 'where: what' lines a model (and a person) can act on."""
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "reply"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return lines


def parse_reply(reply: ModelReply, model: type[BaseModel] = TopicSummary) -> BaseModel:
    """The validated page in a reply, or ``InvalidReply`` saying why there is none."""
    if reply.finish is Finish.REFUSAL:
        reason = (reply.refusal or "").strip().splitlines()[:1]
        raise InvalidReply(f"the model refused{': ' + reason[0] if reason else ''}")
    if reply.finish is Finish.LENGTH:
        raise InvalidReply(
            "the reply was cut off at the output token limit",
            ["the reply was truncated: keep every item short so the whole note fits"],
        )
    return parse_page_json(reply.text, model)


def parse_page_json(text: str, model: type[BaseModel] = TopicSummary) -> BaseModel:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidReply(
            "the reply is not valid JSON", [f"JSON error at character {error.pos}: {error.msg}"]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = validation_errors(error)
        raise InvalidReply(f"the reply does not match the schema ({errors[0]})", errors) from None


async def generate_page(
    client: ModelClient,
    prompts: Prompts,
    topic: str,
    *,
    reasks: int = 2,
    max_output_tokens: int = 16_000,
    messages: list[Message] | None = None,
    model: type[BaseModel] = TopicSummary,
    schema: dict[str, Any] | None = None,
    on_usage: Callable[[Usage], None] | None = None,
    cache: ReplyCache | None = None,
) -> Generation:
    """Ask, validate, and re-ask up to ``reasks`` times; every call's usage is reported.

    With a ``cache``, a reply validated earlier for the same request is used
    instead of a call, and every newly validated reply is stored.
    """
    conversation = list(messages or prompts.messages(topic))
    schema = schema or page_json_schema(model)
    key = request_key(client.spec, conversation, schema) if cache else ""
    if cache and (hit := cache.get(key)):
        try:
            return Generation(model.model_validate(hit.data), hit.model, Usage(), 0, cached=True)
        except ValidationError:
            pass
    total = Usage()
    last_error: InvalidReply | None = None
    for attempt in range(1, reasks + 2):
        request = ModelRequest(tuple(conversation), schema, max_output_tokens=max_output_tokens)
        reply = await client.complete(request)
        total += reply.usage
        if on_usage:
            on_usage(reply.usage)
        try:
            page = parse_reply(reply, model)
        except InvalidReply as error:
            last_error = error
            conversation.append(Message("assistant", reply.text or "(empty reply)"))
            conversation.append(prompts.reask(topic, str(error), error.errors[:MAX_ERRORS_SHOWN]))
            continue
        if cache:
            cache.put(key, page.model_dump(mode="json"), reply.model, total, topic)
        return Generation(page, reply.model, total, attempt)
    assert last_error is not None
    raise InvalidReply(f"{last_error} (gave up after {reasks + 1} attempts)", last_error.errors)
