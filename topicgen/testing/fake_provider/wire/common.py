"""What every wire format shares: the answers the server carries out, usage counts, the request's shape."""

from __future__ import annotations

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
