"""The one small interface every model client implements.

A client turns a ``ModelRequest`` (messages + JSON schema + limits) into a
``ModelReply`` (JSON text, usage, why it stopped, the model's id) and maps its
provider's failures onto ``topicgen.errors``. Validation, re-asking, retries,
caching and rendering all live outside the clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Message:
    role: str  # "system", "user" or "assistant"
    content: str


class Finish(StrEnum):
    STOP = "stop"
    LENGTH = "length"  # cut off at the output limit
    REFUSAL = "refusal"
    OTHER = "other"


@dataclass(frozen=True)
class ModelRequest:
    messages: tuple[Message, ...]
    schema: dict[str, Any]
    schema_name: str = "topic_summary"
    max_output_tokens: int = 16_000


@dataclass(frozen=True)
class Usage:
    """Tokens one call (or a run) used, as the provider counted them.

    ``input_tokens`` is every input token, cache reads (``cached_tokens``) and
    cache writes (``cache_write_tokens``) included; ``output_tokens`` includes
    the ``reasoning_tokens`` a reasoning model spent thinking. Of the cache
    writes, ``cache_write_1h_tokens`` were written for an hour (Anthropic
    batches), which is priced higher than the 5-minute kind.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_1h_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Usage)))


@dataclass(frozen=True)
class ModelReply:
    text: str
    finish: Finish
    model: str
    usage: Usage = field(default_factory=Usage)
    refusal: str | None = None
    rate_limits: dict[str, str] = field(default_factory=dict)
    spec: str | None = None  # the spec of the model that wrote it, when a fallback chain chose one


@runtime_checkable
class ModelClient(Protocol):
    """What the generator needs from a provider."""

    spec: str

    async def complete(self, request: ModelRequest) -> ModelReply: ...

    async def aclose(self) -> None: ...
