"""The wire formats the fake provider speaks: OpenAI chat completions, Anthropic messages, Ollama chat and
Gemini's generateContent, one module each.

They sit below the server and the batch desk and know neither: each reads a
request body (its user texts, key, schema, prompt) and writes the provider's
reply or error; what the server is set to accept comes in as ``Serving``.
What they share (the answers the server carries out, usage counts) is in ``common``.
"""

from __future__ import annotations

from collections.abc import Callable

from topicgen.testing.fake_provider.wire.anthropic import AnthropicWire
from topicgen.testing.fake_provider.wire.gemini import GeminiWire, gemini_daily_quota, gemini_minute_quota
from topicgen.testing.fake_provider.wire.ollama import OllamaWire
from topicgen.testing.fake_provider.wire.openai import OpenAIWire

Wire = OpenAIWire | AnthropicWire | OllamaWire | GeminiWire

# path suffix → (provider, the wire format for a request on that path)
WIRES: dict[str, tuple[str, Callable[[str], Wire]]] = {
    "/chat/completions": ("openai", lambda path: OpenAIWire()),
    "/messages": ("anthropic", lambda path: AnthropicWire()),
    "/api/chat": ("ollama", lambda path: OllamaWire()),
    ":generateContent": ("gemini", GeminiWire),
}


def wire_for(path: str) -> tuple[str, Wire] | None:
    """The provider and wire format a request path belongs to, else None."""
    for suffix, (provider, make) in WIRES.items():
        if path.endswith(suffix):
            return provider, make(path)
    return None


__all__ = [
    "WIRES",
    "AnthropicWire",
    "GeminiWire",
    "OllamaWire",
    "OpenAIWire",
    "Wire",
    "gemini_daily_quota",
    "gemini_minute_quota",
    "wire_for",
]
