"""Anthropic messages as the fake provider speaks them: request parsing, replies, errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from topicgen.testing.fake_provider.limits import rfc3339
from topicgen.testing.fake_provider.pages import text_of
from topicgen.testing.fake_provider.script import Details
from topicgen.testing.fake_provider.wire.common import Respond, Served, Serving, Structure

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


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

    def structure(self, body: dict[str, Any], serving: Serving) -> Structure | str:
        caches = self.cacheable_prefix(body) is not None
        choice = body.get("tool_choice") or {}
        tools = {tool.get("name"): tool for tool in body.get("tools") or [] if isinstance(tool, Mapping)}
        if choice.get("type") == "tool" and choice.get("name") in tools:
            schema = tools[choice["name"]].get("input_schema")
            if isinstance(schema, dict):
                return Structure(schema, tool=choice["name"], caches=caches)
            return f"tools.{choice['name']}.input_schema is missing"
        output_format = (body.get("output_config") or {}).get("format") or {}
        if output_format:
            if not serving.structured_outputs:
                return "output_config.format: structured outputs are not supported by this model"
            schema = output_format.get("schema")
            if output_format.get("type") == "json_schema" and isinstance(schema, dict):
                return Structure(schema, caches=caches)
            return "output_config.format must be a json_schema with a schema"
        return "this fake provider answers only requests with output_config or a forced tool"

    def reply(self, served: Served) -> dict[str, Any]:
        usage, tool = served.usage, served.request.tool
        reason = {"length": "max_tokens", "refusal": "refusal"}.get(served.finish, "end_turn")
        if tool and not isinstance(served.content, str):
            blocks = [
                {
                    "type": "tool_use",
                    "id": f"toolu_fake{served.index:06d}",
                    "name": tool,
                    "input": served.content,
                }
            ]
            reason = "tool_use" if reason == "end_turn" else reason
        else:
            blocks = [{"type": "text", "text": served.text}]
        uncached = usage.prompt - usage.cached - usage.created
        return {
            "id": f"msg_fake{served.index:06d}",
            "type": "message",
            "role": "assistant",
            "model": served.model,
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

    def error(self, status: int, message: str, headers: Mapping[str, str], details: Details = ()) -> Respond:
        kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
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
