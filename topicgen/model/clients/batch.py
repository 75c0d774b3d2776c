"""The one small interface every batch client implements, and how one is chosen by model spec.

A batch client turns requests into the provider's batch lines (the same
bodies the live client sends), submits a file of them as one batch, reports
its status, streams its results as ``ModelReply``s (through the same parsing
as live replies) and cancels it. Planning, storing, waiting and what to do
with a reply live in ``topicgen.runs.batch``. Provider SDKs are imported only
inside the adapters (``openai_batch``, ``anthropic_batch``, ``gemini_batch``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from topicgen.errors import ConfigError
from topicgen.model.clients import ClientOptions, ModelSpec, check_base_url, load_factory
from topicgen.model.clients.base import ModelReply, ModelRequest

BATCH_FACTORIES = {
    "openai": "topicgen.model.clients.openai_batch:openai_batch_client",
    "anthropic": "topicgen.model.clients.anthropic_batch:anthropic_batch_client",
    "gemini": "topicgen.model.clients.gemini_batch:gemini_batch_client",
    "replay": "topicgen.model.clients.replay:replay_batch_client",
}
# A batch's requests file is under its provider's limit (200 MB at OpenAI, 256 MB at Anthropic);
# a larger one in a vault's state folder is not ours, and is not read.
MAX_REQUESTS_BYTES = 1 << 30


@dataclass(frozen=True)
class BatchLimits:
    """What one batch may hold: requests and bytes (the provider's limits, or lower)."""

    max_requests: int
    max_bytes: int

    def within(self, max_requests: int | None, max_bytes: int | None) -> BatchLimits:
        """These limits, lowered to the given ones (a setting cannot raise the provider's)."""
        return BatchLimits(
            min(self.max_requests, max_requests or self.max_requests),
            min(self.max_bytes, max_bytes or self.max_bytes),
        )


@dataclass(frozen=True)
class BatchStatus:
    """A batch as the provider reports it; ``state`` is the provider's own word for it."""

    id: str
    state: str
    ended: bool
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    problem: str = ""  # why a batch failed as a whole (e.g. its input was refused)


@dataclass(frozen=True)
class BatchResult:
    """One request's outcome: a reply (valid or not: validation comes later), or why there is none."""

    custom_id: str
    reply: ModelReply | None = None
    error: str | None = None  # "expired", "cancelled", or what the provider said
    # the provider refused the request's form and the client now sends it in this one (Anthropic:
    # "tool", when a model rejects structured outputs): the request is sent again, not failed
    resend_as: str | None = None


@runtime_checkable
class BatchClient(Protocol):
    spec: str
    provider: str
    limits: BatchLimits

    def line(self, custom_id: str, request: ModelRequest) -> dict[str, Any]:
        """The batch line for one request: what the live client would send, under ``custom_id``."""
        ...

    def adapt(self, forms: Iterable[str]) -> None:
        """Write later lines in these forms (``BatchResult.resend_as`` of results collected earlier)."""
        ...

    async def prepare(self, name: str, lines: Path) -> str | None:
        """Anything to do before the batch is created (OpenAI uploads the file); returns its id."""
        ...

    async def create(self, name: str, lines: Path, prepared: str | None) -> str:
        """Create the batch, labelled with ``name``; returns the provider's batch id."""
        ...

    async def find(self, name: str, since: float, count: int) -> str | None:
        """A batch created for ``name`` since ``since`` (epoch seconds), if there is one."""
        ...

    async def status(self, batch_id: str) -> BatchStatus: ...

    def results(self, status: BatchStatus) -> AsyncIterator[BatchResult]: ...

    async def cancel(self, batch_id: str) -> BatchStatus: ...

    async def aclose(self) -> None: ...


def require_batch_api(spec: str) -> ModelSpec:
    """``spec`` parsed, if its provider has a batch API (``BATCH_FACTORIES`` decides); else the usage
    error ``--batch`` gets, in a dry run as in the run itself."""
    parsed = ModelSpec.parse(spec)
    if parsed.provider not in BATCH_FACTORIES:
        named = ", ".join(f"{provider}:" for provider in BATCH_FACTORIES if provider != "replay")
        raise ConfigError(
            f"--batch needs a provider with a batch API ({named}, or replay: of a recorded batch); "
            f"{parsed.provider}: has none"
        )
    return parsed


def batch_model(specs: Iterable[str]) -> str | None:
    """The first of ``specs`` (a fallback chain) whose provider has a batch API, or None."""
    return next((spec for spec in specs if ModelSpec.parse(spec).provider in BATCH_FACTORIES), None)


def create_batch_client(spec: str, options: ClientOptions | None = None) -> BatchClient:
    """The batch client for a model spec; providers without a batch API are a usage error."""
    parsed = require_batch_api(spec)
    factory = load_factory(BATCH_FACTORIES[parsed.provider], parsed.provider)
    options = options or ClientOptions()
    check_base_url(parsed.provider, options)
    return factory(parsed.model, options)
