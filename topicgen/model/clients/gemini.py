"""Gemini through Google's own SDK (``google-genai``): ``generateContent`` with the page schema.

Each request asks for ``response_mime_type = "application/json"`` constrained by
the page schema as ``response_json_schema`` (the schema uses only keywords
Gemini's subset takes), sends the fixed system prompt as ``system_instruction``
and ``max_output_tokens``, and the reasoning effort as
``thinking_config.thinking_level`` to models that take one (Gemini 3 and later).
Where the API rejects the schema (a 400 ``INVALID_ARGUMENT`` naming it), the
client asks again in JSON mode with the whole schema in the system instruction,
as for the compatible servers, and stays there for the run; a model that
rejects the thinking level is asked again without it.

A reply cut at ``MAX_TOKENS`` is a truncation; one stopped for safety (or a
prompt blocked before any answer) is a refusal. Google's error details decide
the rest (``faults.google_error``): a 429 per minute waits its ``retryDelay``, a
per-day quota stops the run, a 404 on the model is ``ModelNotFound``.

The key is ``GOOGLE_API_KEY`` or ``GEMINI_API_KEY`` (in the SDK's order) or the
variable ``api_key_env`` names; the address is ``[providers.gemini] base_url`` or
``GOOGLE_GEMINI_BASE_URL``, the SDK's own variable. The SDK is imported only
when a Gemini client is built.
"""

from __future__ import annotations

import os
from typing import Any

import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from topicgen.errors import PermanentError, TopicgenError
from topicgen.model.clients import ClientOptions
from topicgen.model.clients.base import Finish, ModelReply, ModelRequest, Usage
from topicgen.model.clients.compat import rejects_schema, with_whole_schema
from topicgen.model.clients.effort import gemini_thinking_level
from topicgen.model.clients.faults import body_message, connection_error, google_error, missing_key
from topicgen.model.clients.wire import sdk_timeout
from topicgen.model.redact import read_key, redact

PROVIDER = "gemini"
KEY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY")  # the SDK's order: GOOGLE_API_KEY wins
BASE_URL_VARIABLE = "GOOGLE_GEMINI_BASE_URL"
JSON = "application/json"
_FINISH = {
    "STOP": Finish.STOP,
    "MAX_TOKENS": Finish.LENGTH,
    "SAFETY": Finish.REFUSAL,
    "PROHIBITED_CONTENT": Finish.REFUSAL,
    "BLOCKLIST": Finish.REFUSAL,
    "SPII": Finish.REFUSAL,
    "MODEL_ARMOR": Finish.REFUSAL,
}


class _Http(httpx2.AsyncClient):
    """The SDK gives each request one timeout (none at all unless ``HttpOptions.timeout`` is set, which
    would also be the connect timeout); the client's short connect and long read timeouts stand."""

    def build_request(self, *args: Any, **kwargs: Any) -> httpx2.Request:
        kwargs.pop("timeout", None)
        return super().build_request(*args, **kwargs)


def sdk_client(api_key: str, base_url: str | None, options: ClientOptions) -> tuple[genai.Client, _Http]:
    """The SDK's client for the Gemini Developer API (never Vertex, whatever the environment says), over
    topicgen's HTTP client (the options' transport, its timeouts, no SDK retries)."""
    http = _Http(transport=options.transport, timeout=sdk_timeout(options))
    http_options = types.HttpOptions(base_url=base_url, httpx_async_client=http)
    return genai.Client(vertexai=False, api_key=api_key, http_options=http_options), http


def map_gemini_error(error: Exception, address: str | None = None) -> TopicgenError:
    """Translate what the SDK raised into topicgen's error tree (one line, no secrets)."""
    if isinstance(error, TopicgenError):  # raised by one of our own transports (a replay miss)
        return error
    if isinstance(error, genai_errors.APIError):
        headers = error.response.headers if error.response is not None else {}
        return google_error(PROVIDER, error.code, error.details, headers)
    if isinstance(error, httpx2.TransportError):
        timed_out = isinstance(error, httpx2.TimeoutException)
        return connection_error(PROVIDER, error, timed_out=timed_out, address=address)
    return PermanentError(redact(f"{PROVIDER}: {error}"))


class GeminiSdk:
    """What the live and the batch client share: the SDK over topicgen's HTTP client, and the form
    requests are written in (the thinking level the model takes; JSON mode once the schema is refused)."""

    def __init__(self, model: str, *, api_key: str, base_url: str | None, options: ClientOptions) -> None:
        self.spec = f"{PROVIDER}:{model}"
        self.model = model
        self.address = base_url
        self._thinking = gemini_thinking_level(model, options.reasoning_effort)
        self._json_mode = False
        self._sdk, self._http = sdk_client(api_key, base_url, options)

    async def aclose(self) -> None:
        await self._http.aclose()
        self._sdk.close()


class GeminiClient(GeminiSdk):
    """``generateContent``, adapting its request's form once where the API refuses it."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        for _ in range(3):  # each adaptation (no thinking level, JSON mode) is made once, for the run
            form = (self._json_mode, self._thinking)
            try:
                return await self._create(request, *form)
            except genai_errors.ClientError as error:
                if not self._adapt(error, form):
                    raise map_gemini_error(error, self.address) from None
            except Exception as error:
                raise map_gemini_error(error, self.address) from None
        raise PermanentError(f"{PROVIDER}: the API rejected every form of the request")

    def _adapt(self, error: genai_errors.ClientError, form: tuple[bool, str | None]) -> bool:
        """Drop a thinking level the model does not take; JSON mode where the schema is rejected.
        ``form`` is what the failed request was sent with: a call that adapted meanwhile covers it."""
        if error.code != 400:
            return False
        if form != (self._json_mode, self._thinking):
            return True  # another call has already changed the form: ask again in the new one
        said = f"{body_message(error.details, error.message)} {error.details}".lower()
        if self._thinking is not None and "thinking" in said:
            self._thinking = None
            return True
        if not self._json_mode and rejects_schema(error.code, said):
            self._json_mode = True
            return True
        return False

    async def _create(self, request: ModelRequest, json_mode: bool, thinking: str | None) -> ModelReply:
        body = content_request(request, json_mode=json_mode, thinking_level=thinking)
        config = types.GenerateContentConfig(
            system_instruction=body.get("system_instruction"), **body["generation_config"]
        )
        response = await self._sdk.aio.models.generate_content(
            model=self.model, contents=body["contents"], config=config
        )
        return content_reply(response, self.model)


def content_request(
    request: ModelRequest, *, json_mode: bool = False, thinking_level: str | None = None
) -> dict[str, Any]:
    """A ``generateContent`` request in the API's JSON form (its snake_case field names, which the API
    reads as it reads camelCase): the live call sends its parts through the SDK, a batch line holds it."""
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    if json_mode:
        system = with_whole_schema(system, request.schema)
    contents = [
        {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
        for m in request.messages
        if m.role != "system"
    ]
    config: dict[str, Any] = {"response_mime_type": JSON, "max_output_tokens": request.max_output_tokens}
    if not json_mode:
        config["response_json_schema"] = request.schema
    if thinking_level is not None:
        config["thinking_config"] = {"thinking_level": thinking_level}
    body: dict[str, Any] = {"contents": contents, "generation_config": config}
    if system:
        body["system_instruction"] = {"parts": [{"text": system}]}
    return body


def content_reply(response: types.GenerateContentResponse, model: str) -> ModelReply:
    """A ``GenerateContentResponse`` (live, or one line of a batch's results) as a ``ModelReply``."""
    usage = gemini_usage(response.usage_metadata)
    answered = response.model_version or model
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        said = f"the prompt was blocked ({_name(feedback.block_reason)})"
        if feedback.block_reason_message:
            said += f": {feedback.block_reason_message}"
        return ModelReply("", Finish.REFUSAL, answered, usage, refusal=said)
    if not response.candidates:
        return ModelReply("", Finish.OTHER, answered, usage)
    candidate = response.candidates[0]
    parts = candidate.content.parts if candidate.content is not None else None
    text = "".join(part.text for part in parts or [] if part.text and not part.thought)
    reason = _name(candidate.finish_reason) if candidate.finish_reason is not None else "STOP"
    finish = _FINISH.get(reason, Finish.OTHER)
    refusal = f"the reply was blocked ({reason})" if finish is Finish.REFUSAL else None
    return ModelReply(text, finish, answered, usage, refusal=refusal)


def _name(value: Any) -> str:
    return str(getattr(value, "value", value))


def gemini_usage(counted: types.GenerateContentResponseUsageMetadata | None) -> Usage:
    """Gemini counts cached tokens inside ``prompt_token_count`` and thinking apart from the reply
    (``thoughts_token_count``, billed as output); topicgen's output includes the thinking."""
    if counted is None:
        return Usage()
    thoughts = counted.thoughts_token_count or 0
    return Usage(
        counted.prompt_token_count or 0,
        (counted.candidates_token_count or 0) + thoughts,
        counted.cached_content_token_count or 0,
        0,
        thoughts,
    )


def api_key(options: ClientOptions) -> str:
    """The key: given, else from ``api_key_env``, else ``GOOGLE_API_KEY`` then ``GEMINI_API_KEY``."""
    variables = (options.api_key_env,) if options.api_key_env else KEY_VARIABLES
    for variable in variables:
        if key := read_key(variable, options.api_key):
            return key
    named = variables[-1] if options.api_key_env is None else variables[0]
    raise missing_key(named)


def base_url(options: ClientOptions) -> str | None:
    return options.base_url or os.environ.get(BASE_URL_VARIABLE) or None


def gemini_client(model: str, options: ClientOptions) -> GeminiClient:
    return GeminiClient(model, api_key=api_key(options), base_url=base_url(options), options=options)
