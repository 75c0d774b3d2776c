"""Ollama's native chat API as the fake provider speaks it, context window included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from topicgen.testing.fake_provider.limits import rfc3339
from topicgen.testing.fake_provider.pages import schema_in_prompt, text_of
from topicgen.testing.fake_provider.script import CHARS_PER_TOKEN, Details
from topicgen.testing.fake_provider.wire.common import Respond, Served, Serving, Structure
from topicgen.testing.fake_provider.wire.openai import OpenAIWire


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

    def structure(self, body: dict[str, Any], serving: Serving) -> Structure | str:
        if body.get("stream", True) is not False:
            return "this fake provider does not stream: send stream false"
        kind = body.get("format")
        if isinstance(kind, dict):
            return Structure(kind) if serving.json_schema else "invalid JSON schema in format"
        if kind == "json":
            schema = schema_in_prompt([text_of(m.get("content")) for m in body.get("messages") or []])
            return Structure(schema) if schema else "format json: no JSON Schema found in the prompt"
        return "this fake provider answers only requests with a format (a JSON schema or json)"

    def reply(self, served: Served) -> dict[str, Any]:
        options, usage, finish, text = (
            served.body.get("options") or {},
            served.usage,
            served.finish,
            served.text,
        )
        window = int(options.get("num_ctx") or self.DEFAULT_CONTEXT)
        prompt = usage.prompt if usage.prompt <= window else window // 2 + 2
        room = min(window - prompt, int(options.get("num_predict") or window))
        output = usage.output
        if output > room:
            text, output, finish = text[: max(0, room) * CHARS_PER_TOKEN], max(0, room), "length"
        return {
            "model": served.model,
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

    def error(self, status: int, message: str, headers: Mapping[str, str], details: Details = ()) -> Respond:
        return Respond(status, {"error": message}, dict(headers))

    def missing_model(self, model: str) -> Respond:
        """The 404 Ollama sends for a model it has not pulled."""
        return self.error(404, f"model '{model}' not found", {})

    def rate_limit_headers(self, limits: Mapping[str, tuple[int, int, float]]) -> dict[str, str]:
        return {}
