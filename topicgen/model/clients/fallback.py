"""A fallback chain of models: when one is unavailable for the run, the rest of the run asks the next.

``FallbackClient`` composes whole client stacks, one per model (retries
around the rate limiter around the adapter), the way pydantic-ai's
``FallbackModel`` composes models: each model keeps its own retries, budgets
and run stop, and the chain sits above them, so it only ever sees what a
model's stack could not get past.

A model is *unavailable for the run* when its stack gives up in a way that
would fail every later call the same way: the errors that stop a single
model's run (no such model, a quota or billing limit, a rejected key, a
local server that is not running, a context window too small, a pause longer
than topicgen waits) and a provider still overloaded after the retries. The
call that met it, and every call after it, goes to the next model; no request
is sent to the unavailable one again, and one line (``fallback_listener``)
says so. Anything else stays with the page it happened to: an unusable reply
is re-asked of the same model (validation lives above every client), a
refused request or a timeout fails that page alone. The last model of the
chain has nothing to fall back on: it is asked as a one-model run's model
is, and its own stack stops the run, or fails a page, as it would then.

Each reply carries the spec of the model that wrote it (``ModelReply.spec``),
so a page records the model that actually answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from topicgen.errors import (
    AccountError,
    AuthError,
    ContextWindowExceeded,
    ModelError,
    ModelNotFound,
    ProviderUnavailable,
    ServerNotRunning,
)
from topicgen.model.clients.base import ModelClient, ModelReply, ModelRequest
from topicgen.model.clients.retrying import RetryLater

UNAVAILABLE = (
    ModelNotFound,
    AccountError,
    AuthError,
    ServerNotRunning,
    ContextWindowExceeded,
    RetryLater,
    ProviderUnavailable,  # raised above the retries: still overloaded after all of them
)


@dataclass(frozen=True)
class Switch:
    """The chain moved on: ``left`` is unavailable for the run (``reason``); ``to`` answers from now on."""

    left: str
    reason: ModelError
    to: str

    def __str__(self) -> str:
        return f"{self.left} is unavailable, the rest of the run uses {self.to}: {self.reason}"


@runtime_checkable
class Stoppable(Protocol):
    """A client that can be told its model is out for the run (``RetryingClient``)."""

    def stop(self, error: ModelError) -> None: ...


fallback_listener: ContextVar[Callable[[Switch], None] | None] = ContextVar("fallback_listener", default=None)


class FallbackClient:
    """Asks the first model still available; moves down the chain, for good, when one is not."""

    def __init__(
        self, clients: Sequence[ModelClient], *, on_switch: Callable[[Switch], None] | None = None
    ) -> None:
        if not clients:
            raise ValueError("a fallback chain needs at least one model client")
        self.clients = tuple(clients)
        self.switches: list[Switch] = []
        self._on_switch = on_switch
        self._current = 0

    @property
    def spec(self) -> str:
        """The spec of the model asked now (the reply cache keys a request by it)."""
        return self.clients[self._current].spec

    @property
    def specs(self) -> tuple[str, ...]:
        """Every model of the chain, in order (a reply cached under any of them is the chain's)."""
        return tuple(client.spec for client in self.clients)

    @property
    def stopped_by(self) -> ModelError | None:
        """What stopped the run for the last model, once the chain has come to it (shown once)."""
        return getattr(self.clients[self._current], "stopped_by", None)

    async def complete(self, request: ModelRequest) -> ModelReply:
        while True:
            index = self._current
            client = self.clients[index]
            try:
                reply = await client.complete(request)
            except UNAVAILABLE as error:
                if index == len(self.clients) - 1:
                    raise  # the last model: nothing to fall back on
                self._give_up(index, error)
                continue
            return replace(reply, spec=client.spec)

    def _give_up(self, index: int, error: ModelError) -> None:
        """Model ``index`` is unavailable: move past it, once (calls in flight to it meet it too)."""
        if index != self._current:
            return
        if isinstance(stoppable := self.clients[index], Stoppable):
            stoppable.stop(error)  # its calls in flight send nothing more: no retry, no waiting request
        self._current += 1
        switch = Switch(self.clients[index].spec, error, self.clients[self._current].spec)
        self.switches.append(switch)
        for listener in (self._on_switch, fallback_listener.get()):
            if listener is not None:
                listener(switch)

    async def aclose(self) -> None:
        errors: list[BaseException] = []
        for client in self.clients:
            try:
                await client.aclose()
            except Exception as error:  # every client is closed, whichever fails
                errors.append(error)
        if errors:
            raise errors[0]
