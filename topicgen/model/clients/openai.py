"""OpenAI chat completions, and servers that speak the same protocol (vLLM, llama.cpp, LM Studio, ...).

OpenAI gets strict structured outputs. OpenAI-compatible servers get the JSON
schema too, and its outline in the system message (a server may accept the
schema without enforcing it); where one rejects the schema (by what it says,
whatever the status, or by failing twice with server errors), the client falls
back to JSON mode with the whole schema in the system message, and remembers
that for later calls. (Ollama has its own adapter, ``ollama``, on its native API.)
"""

from __future__ import annotations

import datetime as dt
import os
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from topicgen.errors import ConfigError, PermanentError, TopicgenError
from topicgen.model.clients import ClientOptions
from topicgen.model.clients.base import Finish, ModelReply, ModelRequest, Usage
from topicgen.model.clients.compat import (
    REPEATED_FAILURES,
    rejects_schema,
    with_schema_outline,
    with_whole_schema,
)
from topicgen.model.clients.effort import NO_EFFORT, catalogue_effort, openai_effort, rejects_effort
from topicgen.model.clients.faults import body_message, connection_error, missing_key, status_error
from topicgen.model.clients.retry_after import rate_limit_headers
from topicgen.model.clients.wire import sdk_http_client, sdk_timeout
from topicgen.model.redact import read_key, redact

# The SDK's own docstring on retiring models: "- "gpt-x": shutdown date: 2026-12-11" items.
_FINISH = {"stop": Finish.STOP, "length": Finish.LENGTH, "content_filter": Finish.REFUSAL}


def map_openai_error(error: Exception, provider: str, address: str | None = None) -> TopicgenError:
    """Translate an SDK exception into topicgen's error tree (one line, no secrets)."""
    if isinstance(error, openai.APIConnectionError):
        timed_out = isinstance(error, openai.APITimeoutError)
        return connection_error(provider, error, timed_out=timed_out, address=address)
    if isinstance(error, openai.APIStatusError):
        message = body_message(error.body, error.message)
        return status_error(provider, error.status_code, message, error.response.headers, error.body)
    return PermanentError(redact(f"{provider}: {error}"))


@dataclass
class ChatForm:
    """How a run writes its chat completions: the effort or not, the schema or JSON mode.

    The live client and the batch client each hold one and build every body
    with it, so a batch line is the live body; both drop an effort the model
    rejects. (JSON mode is a live fallback of OpenAI-compatible servers.)
    """

    model: str
    provider: str = "openai"
    strict: bool = True
    wanted_effort: str | None = None  # what the settings ask this model for
    effort: str | None = None  # what is sent now (None once the model has rejected it)
    json_mode: bool = False

    @classmethod
    def of(
        cls, model: str, options: ClientOptions, provider: str = "openai", strict: bool = True
    ) -> ChatForm:
        effort = (
            openai_effort(model, options.reasoning_effort)
            if provider == "openai"
            else catalogue_effort(f"{provider}:{model}", options.reasoning_effort)
        )
        return cls(model, provider, strict, effort, effort)

    def body(self, request: ModelRequest) -> dict[str, Any]:
        return chat_body(
            self.model,
            request,
            strict=self.strict,
            json_mode=self.json_mode,
            provider=self.provider,
            reasoning_effort=self.effort,
        )

    def refusal(self, status: int, said: str) -> str | None:
        """``NO_EFFORT`` when a rejection (``said``: its message and body) is of the effort this run
        sends; None when it is not about the form."""
        return NO_EFFORT if self.wanted_effort is not None and rejects_effort(status, said) else None

    def take(self, forms: Iterable[str]) -> bool:
        """Write requests in these forms from now on; False if they were written so already."""
        if NO_EFFORT in forms and self.effort is not None:
            self.effort = None
            return True
        return False


class OpenAIChatClient:
    """One adapter for every server that speaks OpenAI chat completions."""

    def __init__(
        self,
        spec: str,
        model: str,
        *,
        api_key: str,
        base_url: str | None,
        options: ClientOptions,
        strict_schema: bool = True,
        json_mode_fallback: bool = False,
        provider: str = "openai",
    ) -> None:
        self.spec = spec
        self.model = model
        self.provider = provider
        self._form = ChatForm.of(model, options, provider, strict_schema)
        self._fallback = json_mode_fallback
        self._schema_worked = False  # a schema request succeeded: later server errors are just errors
        self._schema_failures = 0
        self._sdk = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=sdk_timeout(options),
            max_retries=0,
            http_client=sdk_http_client(options),
        )

    async def complete(self, request: ModelRequest) -> ModelReply:
        for _ in range(3):  # each adaptation (no effort, JSON mode) is made once, for the run
            try:
                reply = await self._create(request)
                break
            except openai.APIStatusError as error:
                if not self._adapt(error):
                    raise self._error(error) from None
            except openai.OpenAIError as error:
                raise self._error(error) from None
        else:
            raise PermanentError(f"{self.provider}: the server rejected every form of the request")
        self._schema_worked = self._schema_worked or not self._form.json_mode
        return reply

    def _adapt(self, error: openai.APIStatusError) -> bool:
        """Change the request so it can pass: without the effort the model rejected, or in JSON mode
        where the server rejected the schema (or keeps failing on it). False: nothing to change."""
        said = f"{body_message(error.body, error.message)} {error.body}"
        form = self._form.refusal(error.status_code, said)
        if form is not None and self._form.take({form}):
            return True
        if not self._fallback or self._form.json_mode:
            return False
        if rejects_schema(error.status_code, said) or (
            error.status_code >= 500 and not self._schema_worked and self._count_schema_failure()
        ):
            self._form.json_mode = True
            return True
        return False

    def _count_schema_failure(self) -> bool:
        self._schema_failures += 1
        return self._schema_failures >= REPEATED_FAILURES

    async def _create(self, request: ModelRequest) -> ModelReply:
        raw = await self._sdk.chat.completions.with_raw_response.create(**self._form.body(request))
        return completion_reply(raw.parse(), self.model, rate_limit_headers(raw.headers))

    def _error(self, error: Exception) -> TopicgenError:
        return map_openai_error(error, self.provider, str(self._sdk.base_url).rstrip("/"))

    async def aclose(self) -> None:
        await self._sdk.close()


def chat_body(
    model: str,
    request: ModelRequest,
    *,
    strict: bool = True,
    json_mode: bool = False,
    provider: str = "openai",
    reasoning_effort: str | None = None,
) -> dict[str, Any]:
    """The chat completions body for a request (``ChatForm`` builds live calls and batch lines with it)."""
    messages = [{"role": m.role, "content": m.content} for m in request.messages]
    if provider != "openai" and not json_mode and messages and messages[0]["role"] == "system":
        system = with_schema_outline(messages[0]["content"], request.schema)
        messages[0] = {"role": "system", "content": system}
    if json_mode:
        messages[0] = {"role": "system", "content": with_whole_schema(messages[0]["content"], request.schema)}
        response_format: dict[str, Any] = {"type": "json_object"}
    else:
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "schema": request.schema, "strict": strict},
        }
    body: dict[str, Any] = {"model": model, "messages": messages, "response_format": response_format}
    if provider == "openai":
        body["max_completion_tokens"] = request.max_output_tokens
    else:
        body["max_tokens"] = request.max_output_tokens
    if reasoning_effort is not None:
        body["reasoning_effort"] = reasoning_effort
    return body


def completion_reply(
    completion: ChatCompletion, model: str, rate_limits: dict[str, str] | None = None
) -> ModelReply:
    """A chat completion (live, or one line of a batch's results) as a ``ModelReply``."""
    if not completion.choices:
        return ModelReply("", Finish.OTHER, completion.model or model)
    choice = completion.choices[0]
    refusal = choice.message.refusal
    finish = Finish.REFUSAL if refusal else _FINISH.get(choice.finish_reason, Finish.OTHER)
    return ModelReply(
        text=choice.message.content or "",
        finish=finish,
        model=completion.model or model,
        usage=_usage(completion.usage),
        refusal=refusal,
        rate_limits=rate_limits or {},
    )


def _usage(counted: Any) -> Usage:
    """OpenAI counts cache reads and writes inside ``prompt_tokens``, reasoning inside
    ``completion_tokens``; the details may be missing (compatible servers) or null."""
    if counted is None:
        return Usage()
    prompt = counted.prompt_tokens_details
    completion = counted.completion_tokens_details
    return Usage(
        counted.prompt_tokens or 0,
        counted.completion_tokens or 0,
        (prompt.cached_tokens or 0) if prompt else 0,
        (prompt.cache_write_tokens or 0) if prompt else 0,
        (completion.reasoning_tokens or 0) if completion else 0,
    )


def _key(options: ClientOptions, variable: str, *, required: bool) -> str:
    """The API key: given explicitly, else from its variable; local servers need none."""
    variable = options.api_key_env or variable
    key = read_key(variable, options.api_key)
    if key:
        return key
    if required:
        raise missing_key(variable)
    return "not-needed"


def openai_client(model: str, options: ClientOptions) -> OpenAIChatClient:
    return OpenAIChatClient(
        f"openai:{model}",
        model,
        api_key=_key(options, "OPENAI_API_KEY", required=True),
        base_url=options.base_url or os.environ.get("OPENAI_BASE_URL"),
        options=options,
    )


def compatible_client(model: str, options: ClientOptions) -> OpenAIChatClient:
    base_url = options.base_url or os.environ.get("OPENAI_BASE_URL")
    if not base_url:
        raise ConfigError(
            "openai-compatible models need a base URL: set base_url under "
            "[providers.openai-compatible] in topicgen.toml, or OPENAI_BASE_URL"
        )
    return OpenAIChatClient(
        f"openai-compatible:{model}",
        model,
        api_key=_key(options, "OPENAI_API_KEY", required=False),
        base_url=base_url,
        options=options,
        strict_schema=True,
        json_mode_fallback=True,
        provider="openai-compatible",
    )


def known_models() -> set[str]:
    """The model ids the installed SDK lists (``openai.types.shared.ChatModel``)."""
    from openai.types.shared.chat_model import ChatModel

    return set(typing.get_args(ChatModel))


def listed_models(api_key: str, http_client: Any = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(model id, facts) from OpenAI's models API, for the catalogue's refresh (a live call): a model
    with a ``shutdown_date`` is deprecated until that date."""
    client = openai.OpenAI(api_key=api_key, http_client=http_client, max_retries=2)
    for info in client.models.list():
        shutdown = getattr(info, "shutdown_date", None)
        if shutdown:
            date = dt.date.fromisoformat(str(shutdown)[:10])
            yield info.id, {"status": "deprecated", "retires": date, "source": "OpenAI models API"}
