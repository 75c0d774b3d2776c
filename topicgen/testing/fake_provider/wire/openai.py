"""OpenAI chat completions as the fake provider speaks them: request parsing, replies, errors."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from topicgen.testing.fake_provider.limits import openai_duration
from topicgen.testing.fake_provider.pages import schema_in_prompt, text_of
from topicgen.testing.fake_provider.script import Details
from topicgen.testing.fake_provider.wire.common import Respond, Served, Serving, Structure

_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 429: "requests"}


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

    def structure(self, body: dict[str, Any], serving: Serving) -> Structure | str:
        response_format = body.get("response_format") or {}
        kind = response_format.get("type")
        if kind == "json_schema":
            if not serving.json_schema:
                return "response_format type json_schema is not supported by this model"
            schema = (response_format.get("json_schema") or {}).get("schema")
            if isinstance(schema, dict):
                return Structure(schema)
            return "response_format.json_schema.schema is missing"
        if kind == "json_object":
            texts = [text_of(m.get("content")) for m in body.get("messages") or []]
            schema = schema_in_prompt(texts)
            return Structure(schema) if schema else "json_object mode: no JSON Schema found in the prompt"
        return "this fake provider answers only requests with a response_format JSON schema"

    def reply(self, served: Served) -> dict[str, Any]:
        usage = served.usage
        message: dict[str, Any] = {
            "role": "assistant",
            "content": served.text,
            "refusal": None,
            "annotations": [],
        }
        reason = "length" if served.finish == "length" else "stop"
        if served.finish == "refusal":
            message.update(content=None, refusal=served.text)
        return {
            "id": f"chatcmpl-fake{served.index:06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": served.model,
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

    def error(self, status: int, message: str, headers: Mapping[str, str], details: Details = ()) -> Respond:
        kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
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
