"""Ollama's native chat API (``POST /api/chat``), where the context window is set per request.

Ollama's OpenAI-compatible endpoint cannot set the context size, and Ollama's
default (2,048 to 4,096 tokens on most machines) is smaller than the prompt
and a page: it silently drops the start of the prompt or cuts the reply. Here
every request asks for ``options.num_ctx`` (``[providers.ollama] num_ctx``,
16,384 by default), carries the page schema in ``format`` (Ollama constrains
the reply to it) and its outline in the system message (as Ollama's docs
advise), and asks for the reply in one piece (``stream: false``). A reply cut
at the context or a prompt the server read only part of still fails with one
line naming ``num_ctx`` (``compat``); a model the server does not have names
``ollama pull``. Where a server rejects the schema, the client switches to
JSON mode (``format: "json"``) with the whole schema in the system message.

Plain HTTP with httpx2: Ollama has no SDK among topicgen's dependencies, and
the wire is small.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx2

from topicgen.errors import ModelNotFound, PermanentError, TopicgenError
from topicgen.model.clients import ClientOptions
from topicgen.model.clients.base import Finish, ModelReply, ModelRequest, Usage
from topicgen.model.clients.compat import check_ollama_context, rejects_schema, with_schema_outline
from topicgen.model.clients.faults import body_message, connection_error, status_error
from topicgen.model.clients.retry_after import rate_limit_headers
from topicgen.model.clients.wire import sdk_timeout
from topicgen.model.redact import read_key, redact

DEFAULT_BASE_URL = "http://localhost:11434"
DEFAULT_NUM_CTX = 16_384  # the prompt (~4,000 tokens with the outline) and a page (~3,000), with room
CHAT_PATH = "/api/chat"
_FINISH = {"stop": Finish.STOP, "length": Finish.LENGTH}


def server_address(configured: str | None) -> str:
    """The server's root. An address from when topicgen used Ollama's OpenAI-compatible endpoint
    ends in ``/v1``; that suffix is dropped, so existing settings keep working."""
    address = (configured or DEFAULT_BASE_URL).strip().rstrip("/")
    return address.removesuffix("/v1").rstrip("/")


def chat_body(model: str, request: ModelRequest, num_ctx: int, *, json_mode: bool = False) -> dict[str, Any]:
    """The ``/api/chat`` body: the schema in ``format`` (or ``"json"`` with the schema in the prompt)."""
    messages = [{"role": m.role, "content": m.content} for m in request.messages]
    if messages and messages[0]["role"] == "system":
        system = messages[0]["content"]
        if json_mode:
            schema = json.dumps(request.schema, ensure_ascii=False)
            system = f"{system}\n\nReply with one JSON object that matches this JSON Schema:\n{schema}"
        else:
            system = with_schema_outline(system, request.schema)
        messages[0] = {"role": "system", "content": system}
    options: dict[str, Any] = {"num_ctx": num_ctx, "num_predict": request.max_output_tokens}
    return {
        "model": model,
        "messages": messages,
        "format": "json" if json_mode else request.schema,
        "stream": False,
        "options": options,
    }


def chat_reply(data: dict[str, Any], model: str, rate_limits: dict[str, str] | None = None) -> ModelReply:
    """A final ``/api/chat`` response as a ``ModelReply``; a missing count is 0 (Ollama leaves
    ``prompt_eval_count`` out when the whole prompt came from its cache)."""
    message = data.get("message") or {}
    finish = _FINISH.get(data.get("done_reason") or "stop", Finish.OTHER)
    usage = Usage(
        input_tokens=int(data.get("prompt_eval_count") or 0),
        output_tokens=int(data.get("eval_count") or 0),
        cached_tokens=int(data.get("prompt_eval_cached_count") or 0),
    )
    return ModelReply(
        text=str(message.get("content") or ""),
        finish=finish,
        model=str(data.get("model") or model),
        usage=usage,
        rate_limits=rate_limits or {},
    )


class OllamaClient:
    """``ollama:<model>`` over Ollama's native chat API."""

    def __init__(self, model: str, options: ClientOptions) -> None:
        self.spec = f"ollama:{model}"
        self.model = model
        configured = options.base_url or os.environ.get("OLLAMA_BASE_URL") or DEFAULT_BASE_URL
        self.address = configured.strip().rstrip("/")  # named in errors as the user wrote it
        self.num_ctx = options.num_ctx or DEFAULT_NUM_CTX
        self._url = server_address(configured) + CHAT_PATH
        self._json_mode = False
        key = read_key(options.api_key_env or "OLLAMA_API_KEY", options.api_key)
        self._http = httpx2.AsyncClient(
            transport=options.transport,
            timeout=sdk_timeout(options),
            headers={"authorization": f"Bearer {key}"} if key else None,
        )

    async def complete(self, request: ModelRequest) -> ModelReply:
        for _ in range(2):  # JSON mode, once for the run, where the server rejects the schema
            body = chat_body(self.model, request, self.num_ctx, json_mode=self._json_mode)
            try:
                response = await self._http.post(self._url, json=body)
            except httpx2.TransportError as error:
                timed_out = isinstance(error, httpx2.TimeoutException)
                raise connection_error("ollama", error, timed_out=timed_out, address=self.address) from None
            if response.is_success:
                reply = chat_reply(_json_object(response), self.model, rate_limit_headers(response.headers))
                hint = (
                    f"raise num_ctx under [providers.ollama] in topicgen.toml (now {self.num_ctx:,}), "
                    "then run the same command again"
                )
                check_ollama_context(request, reply, self.model, hint)
                return reply
            error = self._error(response)
            said = f"{error} {response.text}"
            if self._json_mode or not rejects_schema(response.status_code, said):
                raise error
            self._json_mode = True
        raise PermanentError("ollama: the server rejected every form of the request")

    def _error(self, response: httpx2.Response) -> TopicgenError:
        """Ollama's errors are ``{"error": "..."}``; a missing model is a 404 that says "not found"."""
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        message = body_message(body, response.reason_phrase)
        if response.status_code == 404 and "not found" in message.lower():
            if "model" in message.lower():
                return ModelNotFound(
                    redact(
                        f"ollama: {message} (the server at {self.address}); run `ollama pull {self.model}`, "
                        "then the same command again"
                    )
                )
            return PermanentError(
                redact(f"ollama: {self.address}{CHAT_PATH}: {message} (is it an Ollama server?)")
            )
        return status_error("ollama", response.status_code, message, response.headers, body)

    async def aclose(self) -> None:
        await self._http.aclose()


def _json_object(response: httpx2.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise PermanentError(f"ollama: the server's reply is not a JSON object: {response.text[:120]!r}")
    return data


def ollama_client(model: str, options: ClientOptions) -> OllamaClient:
    return OllamaClient(model, options)
