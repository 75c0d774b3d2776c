"""What OpenAI-compatible servers (Ollama, vLLM, llama.cpp, LM Studio) need beyond OpenAI itself.

- Recognising a rejected ``json_schema`` response format by what the server
  says, whatever the status (llama.cpp and llama-cpp-python answer 500,
  FastAPI servers 422, LM Studio and vLLM 400, some with a plain-text body).
- A compact outline of the schema for the system prompt, so a server that
  accepts the schema without enforcing it still tells the model the shape.
- Ollama's context window (used by the ``ollama`` adapter): a reply cut at
  the context (Ollama defaults to a 4k context on smaller machines) or a
  prompt it silently truncated is reported with the setting that fixes it,
  not re-asked.

No SDK is imported here; the adapter passes in what the SDK parsed.
"""

from __future__ import annotations

import json
from typing import Any

from topicgen.errors import ContextWindowExceeded
from topicgen.model.clients.base import Finish, ModelReply, ModelRequest

SCHEMA_REJECTED_HINTS = ("response_format", "json_schema", "schema", "structured", "grammar")
SCHEMA_REJECTION_STATUSES = (400, 422, 500)
REPEATED_FAILURES = 2  # server errors on schema requests (no text to go by) before trying JSON mode
CHARS_PER_TOKEN = 4
TRUNCATED_SHARE = 0.6  # the server read under this share of our estimate: it dropped the rest


def rejects_schema(status: int, text: str) -> bool:
    """A compatible server saying it cannot take the ``json_schema`` response format."""
    lowered = text.lower()
    return status in SCHEMA_REJECTION_STATUSES and any(hint in lowered for hint in SCHEMA_REJECTED_HINTS)


def _shape(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    kind = schema.get("type")
    if "enum" in schema:
        return " | ".join(json.dumps(value, ensure_ascii=False) for value in schema["enum"])
    if kind == "object" or "properties" in schema:
        fields = ", ".join(
            f"{json.dumps(name, ensure_ascii=False)}: {_shape(part)}"
            for name, part in (schema.get("properties") or {}).items()
        )
        return "{" + fields + "}"
    if kind == "array":
        return "[" + _shape(schema.get("items")) + ", ...]"
    if isinstance(kind, list):
        return " | ".join(str(part) for part in kind)
    return str(kind or "any")


def schema_outline(schema: dict[str, Any]) -> str:
    """The schema's shape in one compact line: keys, nesting and types, without the descriptions."""
    return _shape(schema)


def with_schema_outline(system: str, schema: dict[str, Any]) -> str:
    return (
        f"{system}\n\nReply with one JSON object of exactly this shape (every key required, "
        f"no others):\n{schema_outline(schema)}"
    )


def with_whole_schema(system: str, schema: dict[str, Any]) -> str:
    """JSON mode's system prompt: the whole schema, for a server that takes JSON but not a schema."""
    text = json.dumps(schema, ensure_ascii=False)
    return f"{system}\n\nReply with one JSON object that matches this JSON Schema:\n{text}"


def estimated_prompt_tokens(request: ModelRequest) -> int:
    return sum(len(message.content) for message in request.messages) // CHARS_PER_TOKEN


def check_ollama_context(request: ModelRequest, reply: ModelReply, model: str, hint: str) -> None:
    """Raise ``ContextWindowExceeded`` when Ollama cut the reply or the prompt at its context window,
    with ``hint`` saying which setting fixes it."""
    used = reply.usage
    if reply.finish is Finish.LENGTH and 0 < used.output_tokens < request.max_output_tokens * 0.95:
        raise ContextWindowExceeded(
            f"ollama: {model}'s reply was cut at its context window ({used.input_tokens:,} prompt + "
            f"{used.output_tokens:,} reply tokens, under the {request.max_output_tokens:,} allowed); " + hint
        )
    estimate = estimated_prompt_tokens(request)
    if 0 < used.input_tokens < estimate * TRUNCATED_SHARE:
        raise ContextWindowExceeded(
            f"ollama: {model} read only {used.input_tokens:,} of the prompt's about {estimate:,} tokens "
            "(it silently drops what does not fit its context window); " + hint
        )
