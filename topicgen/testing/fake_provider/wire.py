"""The wire formats the fake provider speaks: OpenAI chat completions, Anthropic messages, Ollama chat."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from topicgen.testing.fake_provider.limits import openai_duration, rfc3339
from topicgen.testing.fake_provider.pages import schema_in_prompt, text_of
from topicgen.testing.fake_provider.script import CHARS_PER_TOKEN, Fault

if TYPE_CHECKING:
    from topicgen.testing.fake_provider.server import FakeProvider


@dataclass(frozen=True)
class Respond:
    status: int
    body: Any
    headers: Mapping[str, str]
    delay: float = 0.0


@dataclass(frozen=True)
class Drop:
    delay: float = 0.0


@dataclass(frozen=True)
class Stall:
    seconds: float


Action = Respond | Drop | Stall

_ERROR_TYPES = {
    "openai": {400: "invalid_request_error", 401: "invalid_request_error", 429: "requests"},
    "anthropic": {
        400: "invalid_request_error",
        401: "authentication_error",
        404: "not_found_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    },
}
FAULT_MESSAGES = {
    Fault.RATE_LIMIT: "Rate limit reached for requests. Please try again later.",
    Fault.SERVER_ERROR: "The server had an error while processing your request. Sorry about that!",
    Fault.UNAVAILABLE: "The service is temporarily unavailable. Please try again later.",
    Fault.OVERLOADED: "Overloaded",
}


@dataclass(frozen=True)
class WireUsage:
    prompt: int
    output: int
    cached: int
    created: int


@dataclass(frozen=True)
class _Structure:
    schema: dict[str, Any]
    tool: str | None = None  # Anthropic: the forced tool's name
    caches: bool = True


class OpenAIWire:
    """OpenAI chat completions: request parsing and response bodies."""

    def user_texts(self, body: dict[str, Any]) -> list[str]:
        return [text_of(m.get("content")) for m in body.get("messages") or [] if m.get("role") == "user"]

    def api_key(self, headers: Mapping[str, str]) -> str:
        return headers.get("authorization", "").removeprefix("Bearer ").strip()

    def prompt_text(self, body: dict[str, Any]) -> str:
        texts = [text_of(m.get("content")) for m in body.get("messages") or []]
        return "\n".join(texts) + json.dumps(body.get("response_format") or {}, ensure_ascii=False)

    def cacheable_prefix(self, body: dict[str, Any]) -> str | None:
        messages = body.get("messages") or []
        if messages and messages[0].get("role") in ("system", "developer"):
            return text_of(messages[0].get("content"))
        return None

    def structure(self, body: dict[str, Any], server: FakeProvider) -> _Structure | str:
        response_format = body.get("response_format") or {}
        kind = response_format.get("type")
        if kind == "json_schema":
            if not server.json_schema:
                return "response_format type json_schema is not supported by this model"
            schema = (response_format.get("json_schema") or {}).get("schema")
            if isinstance(schema, dict):
                return _Structure(schema)
            return "response_format.json_schema.schema is missing"
        if kind == "json_object":
            texts = [text_of(m.get("content")) for m in body.get("messages") or []]
            schema = schema_in_prompt(texts)
            return _Structure(schema) if schema else "json_object mode: no JSON Schema found in the prompt"
        return "this fake provider answers only requests with a response_format JSON schema"

    def reply(
        self,
        index: int,
        body: dict[str, Any],
        request: _Structure,
        content: Any,
        finish: str,
        usage: WireUsage,
    ) -> dict[str, Any]:
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
        reason = "length" if finish == "length" else "stop"
        if finish == "refusal":
            message.update(content=None, refusal=text)
        return {
            "id": f"chatcmpl-fake{index:06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or "fake-model"),
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": reason}],
            "usage": {
                "prompt_tokens": usage.prompt,
                "completion_tokens": usage.output,
                "total_tokens": usage.prompt + usage.output,
                "prompt_tokens_details": {"cached_tokens": usage.cached, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def error(self, status: int, message: str, headers: Mapping[str, str]) -> Respond:
        kind = _ERROR_TYPES["openai"].get(
            status, "server_error" if status >= 500 else "invalid_request_error"
        )
        code = "rate_limit_exceeded" if status == 429 else "invalid_api_key" if status == 401 else None
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return Respond(status, body, {"x-request-id": f"req_fake_{status}", **headers})

    def missing_model(self, model: str) -> Respond:
        """The 404 OpenAI sends for a model it does not have (or not for this key)."""
        message = f"The model `{model}` does not exist or you do not have access to it."
        body = {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
        }
        return Respond(404, body, {"x-request-id": "req_fake_404"})

    def rate_limit_headers(self, limits: Mapping[str, tuple[int, int, float]]) -> dict[str, str]:
        found = {}
        for name, suffix in (("rpm", "requests"), ("tpm", "tokens")):
            if name in limits:
                limit, remaining, reset = limits[name]
                found[f"x-ratelimit-limit-{suffix}"] = str(limit)
                found[f"x-ratelimit-remaining-{suffix}"] = str(remaining)
                found[f"x-ratelimit-reset-{suffix}"] = openai_duration(reset)
        return found


class AnthropicWire:
    """Anthropic messages: request parsing and response bodies."""

    def user_texts(self, body: dict[str, Any]) -> list[str]:
        return [text_of(m.get("content")) for m in body.get("messages") or [] if m.get("role") == "user"]

    def api_key(self, headers: Mapping[str, str]) -> str:
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        return headers.get("x-api-key", "").strip() or bearer

    def prompt_text(self, body: dict[str, Any]) -> str:
        texts = [text_of(body.get("system"))]
        texts += [text_of(m.get("content")) for m in body.get("messages") or []]
        extra = {key: body.get(key) for key in ("tools", "output_config") if key in body}
        return "\n".join(texts) + json.dumps(extra, ensure_ascii=False)

    def cacheable_prefix(self, body: dict[str, Any]) -> str | None:
        system = body.get("system")
        if isinstance(system, list) and any(
            isinstance(block, Mapping) and block.get("cache_control") for block in system
        ):
            return text_of(system)
        return None

    def structure(self, body: dict[str, Any], server: FakeProvider) -> _Structure | str:
        caches = self.cacheable_prefix(body) is not None
        choice = body.get("tool_choice") or {}
        tools = {tool.get("name"): tool for tool in body.get("tools") or [] if isinstance(tool, Mapping)}
        if choice.get("type") == "tool" and choice.get("name") in tools:
            schema = tools[choice["name"]].get("input_schema")
            if isinstance(schema, dict):
                return _Structure(schema, tool=choice["name"], caches=caches)
            return f"tools.{choice['name']}.input_schema is missing"
        output_format = (body.get("output_config") or {}).get("format") or {}
        if output_format:
            if not server.structured_outputs:
                return "output_config.format: structured outputs are not supported by this model"
            schema = output_format.get("schema")
            if output_format.get("type") == "json_schema" and isinstance(schema, dict):
                return _Structure(schema, caches=caches)
            return "output_config.format must be a json_schema with a schema"
        return "this fake provider answers only requests with output_config or a forced tool"

    def reply(
        self,
        index: int,
        body: dict[str, Any],
        request: _Structure,
        content: Any,
        finish: str,
        usage: WireUsage,
    ) -> dict[str, Any]:
        reason = {"length": "max_tokens", "refusal": "refusal"}.get(finish, "end_turn")
        if request.tool and not isinstance(content, str):
            blocks = [
                {"type": "tool_use", "id": f"toolu_fake{index:06d}", "name": request.tool, "input": content}
            ]
            reason = "tool_use" if reason == "end_turn" else reason
        else:
            text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
            blocks = [{"type": "text", "text": text}]
        uncached = usage.prompt - usage.cached - usage.created
        return {
            "id": f"msg_fake{index:06d}",
            "type": "message",
            "role": "assistant",
            "model": str(body.get("model") or "fake-model"),
            "content": blocks,
            "stop_reason": reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": max(0, uncached),
                "cache_creation_input_tokens": usage.created,
                "cache_read_input_tokens": usage.cached,
                "output_tokens": usage.output,
                "service_tier": "standard",
            },
        }

    def error(self, status: int, message: str, headers: Mapping[str, str]) -> Respond:
        kind = _ERROR_TYPES["anthropic"].get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        body = {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": f"req_fake_{status}",
        }
        return Respond(status, body, {"request-id": f"req_fake_{status}", **headers})

    def missing_model(self, model: str) -> Respond:
        """The 404 Anthropic sends for a model it does not have."""
        return self.error(404, f"model: {model}", {})

    def rate_limit_headers(self, limits: Mapping[str, tuple[int, int, float]]) -> dict[str, str]:
        found = {}
        for name, kinds in (("rpm", ("requests",)), ("tpm", ("tokens", "input-tokens", "output-tokens"))):
            if name in limits:
                limit, remaining, reset = limits[name]
                for kind in kinds:
                    found[f"anthropic-ratelimit-{kind}-limit"] = str(limit)
                    found[f"anthropic-ratelimit-{kind}-remaining"] = str(remaining)
                    found[f"anthropic-ratelimit-{kind}-reset"] = rfc3339(reset)
        return found


class OllamaWire(OpenAIWire):
    """Ollama's native chat API (``/api/chat``), context window included.

    Like Ollama, the reply must fit ``options.num_ctx`` (``DEFAULT_CONTEXT`` when the request sets
    none): a prompt longer than the window keeps about half of it (``prompt_eval_count`` is
    ``num_ctx/2 + 2``), and a reply that does not fit what is left, or ``num_predict``, is cut
    there with ``done_reason: "length"``. The schema in ``format`` is not part of the prompt.
    """

    DEFAULT_CONTEXT = 4_096  # user texts and the bearer key are read as OpenAI's are

    def prompt_text(self, body: dict[str, Any]) -> str:
        return "\n".join(text_of(m.get("content")) for m in body.get("messages") or [])

    def cacheable_prefix(self, body: dict[str, Any]) -> str | None:
        return None

    def structure(self, body: dict[str, Any], server: FakeProvider) -> _Structure | str:
        if body.get("stream", True) is not False:
            return "this fake provider does not stream: send stream false"
        kind = body.get("format")
        if isinstance(kind, dict):
            return _Structure(kind) if server.json_schema else "invalid JSON schema in format"
        if kind == "json":
            schema = schema_in_prompt([text_of(m.get("content")) for m in body.get("messages") or []])
            return _Structure(schema) if schema else "format json: no JSON Schema found in the prompt"
        return "this fake provider answers only requests with a format (a JSON schema or json)"

    def reply(
        self, index: int, body: dict[str, Any], asked: _Structure, content: Any, finish: str, usage: WireUsage
    ) -> dict[str, Any]:
        options = body.get("options") or {}
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        window = int(options.get("num_ctx") or self.DEFAULT_CONTEXT)
        prompt = usage.prompt if usage.prompt <= window else window // 2 + 2
        room = min(window - prompt, int(options.get("num_predict") or window))
        output = usage.output
        if output > room:
            text, output, finish = text[: max(0, room) * CHARS_PER_TOKEN], max(0, room), "length"
        return {
            "model": str(body.get("model") or "fake-model"),
            "created_at": rfc3339(0.0),
            "message": {"role": "assistant", "content": text},
            "done_reason": "length" if finish == "length" else "stop",
            "done": True,
            "total_duration": 1_000_000,
            "load_duration": 1_000,
            "prompt_eval_count": prompt,
            "prompt_eval_duration": 500_000,
            "eval_count": output,
            "eval_duration": 500_000,
        }

    def error(self, status: int, message: str, headers: Mapping[str, str]) -> Respond:
        return Respond(status, {"error": message}, dict(headers))

    def missing_model(self, model: str) -> Respond:
        """The 404 Ollama sends for a model it has not pulled."""
        return self.error(404, f"model '{model}' not found", {})

    def rate_limit_headers(self, limits: Mapping[str, tuple[int, int, float]]) -> dict[str, str]:
        return {}


WIRES: dict[str, tuple[str, type[OpenAIWire | AnthropicWire | OllamaWire]]] = {
    "/chat/completions": ("openai", OpenAIWire),
    "/messages": ("anthropic", AnthropicWire),
    "/api/chat": ("ollama", OllamaWire),
}


def wire_for(path: str) -> tuple[str, OpenAIWire | AnthropicWire | OllamaWire] | None:
    """The provider and wire format a request path belongs to, else None."""
    for suffix, (provider, wire) in WIRES.items():
        if path.endswith(suffix):
            return provider, wire()
    return None
