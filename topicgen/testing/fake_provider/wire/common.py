"""What every wire format shares: the answers the server carries out, usage counts, the request's shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from topicgen.testing.fake_provider.script import Fault


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
class Structure:
    """What a request asks the reply to be: its schema, and how it is to be carried."""

    schema: dict[str, Any]
    tool: str | None = None  # Anthropic: the forced tool's name
    caches: bool = True


@dataclass(frozen=True)
class Serving:
    """What the server is set to accept, as the wire formats read requests against it."""

    json_schema: bool = True  # a JSON schema in the request (else only JSON mode with it in the prompt)
    structured_outputs: bool = True  # Anthropic's output_config (else only the forced tool)


@dataclass(frozen=True)
class Served:
    """What a 200 reply is made of: the request (its index, body, structure) and the answer to carry."""

    index: int
    body: dict[str, Any]
    request: Structure
    content: Any  # text, or the data of a page
    finish: str  # "stop", "length", "refusal" (and for Gemini "blocked": the prompt is refused)
    usage: WireUsage

    @property
    def text(self) -> str:
        """The content as the reply's text (data as its JSON)."""
        return self.content if isinstance(self.content, str) else json.dumps(self.content, ensure_ascii=False)

    @property
    def model(self) -> str:
        return str(self.body.get("model") or "fake-model")
