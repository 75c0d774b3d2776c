"""Anthropic messages: structured outputs, or a forced tool call whose input is the page.

Structured outputs (``output_config.format``) are tried first; a model that
rejects them is asked again with a forced tool call, and the client keeps
using the tool from then on. Models that take an effort get the configured
one (``output_config.effort``). The fixed system prompt carries a cache
marker: its tokens are written to the prompt cache on the first topic and
read on the next ones, when the prefix reaches the model's minimum cacheable
length (README, "Prompt caching"); below it both cache counters stay 0 and
the run summary says so.
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
from anthropic.types import Message

from topicgen.errors import PermanentError, TopicgenError
from topicgen.model.catalogue import facts_for
from topicgen.model.clients import ClientOptions
from topicgen.model.clients.base import Finish, ModelReply, ModelRequest, Usage
from topicgen.model.clients.effort import NO_EFFORT, anthropic_effort, rejects_effort
from topicgen.model.clients.faults import body_message, connection_error, missing_key, status_error
from topicgen.model.clients.retry_after import rate_limit_headers
from topicgen.model.clients.wire import sdk_http_client, sdk_timeout
from topicgen.model.redact import read_key, redact

TOOL_NAME = "write_topic_note"
TOOL = "tool"  # the request form with the forced tool call, for models that reject structured outputs
_FINISH = {
    "end_turn": Finish.STOP,
    "tool_use": Finish.STOP,
    "stop_sequence": Finish.STOP,
    "max_tokens": Finish.LENGTH,
    "model_context_window_exceeded": Finish.LENGTH,
    "refusal": Finish.REFUSAL,
}
_STRUCTURED_REJECTED_HINTS = ("output_config", "output_format", "structured output", "json_schema")


def map_anthropic_error(error: Exception, address: str | None = None) -> TopicgenError:
    """Translate an SDK exception into topicgen's error tree; 529 'overloaded' is transient."""
    if isinstance(error, anthropic.APIConnectionError):
        timed_out = isinstance(error, anthropic.APITimeoutError)
        return connection_error("anthropic", error, timed_out=timed_out, address=address)
    if isinstance(error, anthropic.APIStatusError):
        message = body_message(error.body, error.message)
        return status_error("anthropic", error.status_code, message, error.response.headers, error.body)
    return PermanentError(redact(f"anthropic: {error}"))


@dataclass
class MessagesForm:
    """How a run writes its Claude requests: the effort or not, structured outputs or the forced tool.

    The live client and the batch client each hold one and build every body
    with it, so a batch line is the live body (with the cache kept for an
    hour); both change it on the same rejections.
    """

    model: str
    wanted_effort: str | None = None  # what the settings ask this model for
    cache_ttl: str | None = None
    effort: str | None = None  # what is sent now (None once the model has rejected it)
    use_tool: bool = False

    @classmethod
    def of(cls, model: str, options: ClientOptions, cache_ttl: str | None = None) -> MessagesForm:
        effort = anthropic_effort(model, options.reasoning_effort)
        facts = facts_for(f"anthropic:{model}")
        use_tool = facts is not None and facts.structured_outputs is False  # the catalogue knows
        return cls(model, effort, cache_ttl, effort, use_tool)

    def body(self, request: ModelRequest) -> dict[str, Any]:
        return messages_body(
            self.model, request, use_tool=self.use_tool, cache_ttl=self.cache_ttl, effort=self.effort
        )

    def refusal(self, status: int, message: str, body: Any) -> str | None:
        """The form a rejection asks for: ``NO_EFFORT`` (the model takes no effort, and this run
        sends one), ``TOOL`` (it refuses structured outputs), or None (it is not about the form)."""
        if self.wanted_effort is not None and rejects_effort(status, f"{message} {body}"):
            return NO_EFFORT
        if rejects_structured(message):
            return TOOL
        return None

    def take(self, forms: Iterable[str]) -> bool:
        """Write requests in these forms from now on; False if they were written so already."""
        before = (self.effort, self.use_tool)
        if NO_EFFORT in forms:
            self.effort = None
        if TOOL in forms:
            self.use_tool = True
        return (self.effort, self.use_tool) != before


class AnthropicClient:
    def __init__(self, model: str, *, api_key: str, options: ClientOptions) -> None:
        self.spec = f"anthropic:{model}"
        self.model = model
        self._form = MessagesForm.of(model, options)
        self._sdk = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=options.base_url or os.environ.get("ANTHROPIC_BASE_URL"),
            timeout=sdk_timeout(options),
            max_retries=0,
            http_client=sdk_http_client(options),
        )

    async def complete(self, request: ModelRequest) -> ModelReply:
        for _ in range(3):  # each adaptation (no effort, the forced tool) is made once, for the run
            try:
                return await self._create(request)
            except anthropic.BadRequestError as error:
                message = body_message(error.body, error.message)
                form = self._form.refusal(error.status_code, message, error.body)
                if form is None or not self._form.take({form}):
                    raise self._error(error) from None
            except anthropic.AnthropicError as error:
                raise self._error(error) from None
        raise PermanentError("anthropic: the API rejected every form of the request")

    async def _create(self, request: ModelRequest) -> ModelReply:
        raw = await self._sdk.messages.with_raw_response.create(**self._form.body(request))
        return message_reply(await raw.parse(), self.model, rate_limit_headers(raw.headers))

    def _error(self, error: Exception) -> TopicgenError:
        return map_anthropic_error(error, str(self._sdk.base_url).rstrip("/"))

    async def aclose(self) -> None:
        await self._sdk.close()


def messages_body(
    model: str,
    request: ModelRequest,
    *,
    use_tool: bool = False,
    cache_ttl: str | None = None,
    effort: str | None = None,
) -> dict[str, Any]:
    """The messages body for a request (``MessagesForm`` builds live calls and batch requests with it).

    ``cache_ttl`` ("1h") keeps the cached system prompt longer, for batches that run for hours.
    """
    system = [m.content for m in request.messages if m.role == "system"]
    cache: dict[str, Any] = {"type": "ephemeral", **({"ttl": cache_ttl} if cache_ttl else {})}
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_output_tokens,
        "system": [{"type": "text", "text": "\n\n".join(system), "cache_control": cache}],
        "messages": [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"],
    }
    if use_tool:
        body["tools"] = [
            {
                "name": TOOL_NAME,
                "description": "Write the topic note. The input is the whole note.",
                "input_schema": request.schema,
            }
        ]
        body["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
    else:
        body["output_config"] = {"format": {"type": "json_schema", "schema": request.schema}}
    if effort is not None:
        body.setdefault("output_config", {})["effort"] = effort
    return body


def message_reply(message: Message, model: str, rate_limits: dict[str, str] | None = None) -> ModelReply:
    """An Anthropic message (live, or one result of a message batch) as a ``ModelReply``."""
    text = ""
    for block in message.content:
        if block.type == "tool_use" and block.name == TOOL_NAME:
            text = json.dumps(block.input, ensure_ascii=False)
            break
        if block.type == "text":
            text += block.text
    finish = _FINISH.get(message.stop_reason or "", Finish.OTHER)
    return ModelReply(
        text=text,
        finish=finish,
        model=message.model or model,
        usage=anthropic_usage(message.usage),
        refusal=text if finish is Finish.REFUSAL else None,
        rate_limits=rate_limits or {},
    )


def anthropic_usage(counted: Any) -> Usage:
    """Anthropic counts uncached input apart from cache reads and writes; topicgen's input is all three.
    Writes for an hour (``cache_creation.ephemeral_1h_input_tokens``) are kept apart: they cost more."""
    cached = counted.cache_read_input_tokens or 0
    written = counted.cache_creation_input_tokens or 0
    split = getattr(counted, "cache_creation", None)
    hour = (getattr(split, "ephemeral_1h_input_tokens", 0) or 0) if split is not None else 0
    details = getattr(counted, "output_tokens_details", None)
    return Usage(
        counted.input_tokens + cached + written,
        counted.output_tokens,
        cached,
        written,
        (details.thinking_tokens or 0) if details else 0,
        min(hour, written),
    )


def rejects_structured(message: str) -> bool:
    """Whether an error message says the model does not take structured outputs (``output_config``)."""
    text = message.lower()
    return any(hint in text for hint in _STRUCTURED_REJECTED_HINTS)


def api_key(options: ClientOptions) -> str:
    """The API key: given explicitly, else from its variable (a missing one is a usage error)."""
    variable = options.api_key_env or "ANTHROPIC_API_KEY"
    key = read_key(variable, options.api_key)
    if not key:
        raise missing_key(variable)
    return key


def anthropic_client(model: str, options: ClientOptions) -> AnthropicClient:
    return AnthropicClient(model, api_key=api_key(options), options=options)


def known_models() -> set[str]:
    """The model ids the installed SDK lists (``anthropic.types.Model``)."""
    from anthropic.types.model import Model

    literal = next(arg for arg in typing.get_args(Model) if typing.get_origin(arg) is typing.Literal)
    return set(typing.get_args(literal))


def listed_models(api_key: str, http_client: Any = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(model id, facts) from Anthropic's models API, for the catalogue's refresh (a live call):
    lifecycle, dates and the capabilities topicgen relies on."""
    client = anthropic.Anthropic(api_key=api_key, http_client=http_client, max_retries=2)
    for info in client.models.list(limit=1000):
        capabilities = info.capabilities
        facts: dict[str, Any] = {
            "status": info.lifecycle,
            "retires": info.retires_at.date() if info.retires_at else None,
            "deprecated": info.deprecated_at.date() if info.deprecated_at else None,
            "source": "Anthropic models API",
        }
        if capabilities is not None:
            levels = capabilities.effort.model_dump()
            facts["structured_outputs"] = capabilities.structured_outputs.supported
            facts["batch"] = capabilities.batch.supported
            facts["effort"] = tuple(
                level
                for level in ("low", "medium", "high", "xhigh", "max")
                if capabilities.effort.supported and (levels.get(level) or {}).get("supported")
            )
        yield info.id, facts
