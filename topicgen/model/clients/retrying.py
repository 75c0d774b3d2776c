"""A client wrapper that retries transient faults with backoff, jitter and retry-after.

Whoever shows a run's progress may set ``retry_listener`` (a context
variable, so it reaches every page's task without being passed down) to hear
of each retry as it is scheduled.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from topicgen.errors import TransientError
from topicgen.model.clients.base import ModelClient, ModelReply, ModelRequest

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryNotice:
    """A retry about to be made: why, after how long, and which attempt of how many it will be."""

    error: TransientError
    wait: float
    attempt: int
    attempts: int


retry_listener: ContextVar[Callable[[RetryNotice], None] | None] = ContextVar("retry_listener", default=None)


class RetryingClient:
    """Wraps any client: transient errors are retried, everything else passes through.

    The wait is the provider's ``retry-after`` when it sends one (plus up to 20%
    jitter so clients that were told the same moment do not return together),
    else exponential backoff with jitter.
    """

    def __init__(
        self,
        inner: ModelClient,
        *,
        attempts: int = 6,
        initial_wait: float = 1.0,
        max_wait: float = 60.0,
        sleep: Sleep | None = None,
        on_retry: Callable[[TransientError, float], None] | None = None,
    ) -> None:
        self.inner = inner
        self.spec = inner.spec
        self._attempts = max(1, attempts)
        self._initial = initial_wait
        self._max_wait = max_wait
        self._sleep = sleep
        self._on_retry = on_retry

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = self._initial * 2 ** (state.attempt_number - 1)
        wait = min(self._max_wait, backoff + random.uniform(0, self._initial))
        if isinstance(error, TransientError) and error.retry_after is not None:
            wait = min(self._max_wait, error.retry_after) * random.uniform(1.0, 1.2)
        if self._on_retry and isinstance(error, TransientError):
            self._on_retry(error, wait)
        if (listener := retry_listener.get()) and isinstance(error, TransientError):
            listener(RetryNotice(error, wait, state.attempt_number + 1, self._attempts))
        return wait

    async def complete(self, request: ModelRequest) -> ModelReply:
        kwargs = {"sleep": self._sleep} if self._sleep else {}
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            reraise=True,
            **kwargs,
        )
        async for attempt in retrying:
            with attempt:
                return await self.inner.complete(request)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self.inner.aclose()
