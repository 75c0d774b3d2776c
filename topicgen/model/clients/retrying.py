"""A client wrapper that retries transient faults with backoff, jitter and retry-after.

Only retries that can help are made: a fault kind with ``max_retries`` (a
read timeout, a refused local connection) is retried that often at most; a
``retry-after`` longer than the longest wait is not slept through but reported
("run again later"), as the OpenAI SDK does past 120 s. Faults that will fail
every call of the run the same way (quota or billing, a rejected key, a local
server that is not running, a provider asking for a long pause) stop the
calls after them at once, without a request, with the same one line.

Whoever shows a run's progress may set ``retry_listener`` (a context
variable, so it reaches every page's task without being passed down) to hear
of each retry as it is scheduled.
"""

from __future__ import annotations

import functools
import math
import random
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from topicgen.errors import (
    AccountError,
    AuthError,
    ContextWindowExceeded,
    ModelError,
    ModelNotFound,
    PermanentError,
    ServerNotRunning,
    TransientError,
)
from topicgen.model.clients.base import ModelClient, ModelReply, ModelRequest

Sleep = Callable[[float], Awaitable[None]]
RUN_STOPPERS = (AccountError, AuthError, ContextWindowExceeded, ModelNotFound, ServerNotRunning)


class _Stopped(Exception):
    """Raised instead of a request once the run has stopped for the model (``RetryingClient.gate``);
    it carries the stop's error up, and is not an error of its own."""

    def __init__(self, error: ModelError) -> None:
        super().__init__(str(error))
        self.error = error


class RetryLater(PermanentError):
    """The provider asks for a pause longer than topicgen waits: the topic fails, the run can resume later."""


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
        max_wait: float = 120.0,
        sleep: Sleep | None = None,
        on_retry: Callable[[TransientError, float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.spec = inner.spec
        self._attempts = max(1, attempts)
        self._initial = initial_wait
        self._max_wait = max_wait
        self._sleep = sleep
        self._on_retry = on_retry
        self._clock = clock
        self._stopped: tuple[ModelError, float] | None = None  # (the error, until when)

    def _wait(self, state: RetryCallState, retried: dict[type, int]) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = self._initial * 2 ** (state.attempt_number - 1)
        wait = min(self._max_wait, backoff + random.uniform(0, self._initial))
        if isinstance(error, TransientError) and error.retry_after is not None:
            wait = min(self._max_wait, error.retry_after) * random.uniform(1.0, 1.2)
        if self._on_retry and isinstance(error, TransientError):
            self._on_retry(error, wait)
        if (listener := retry_listener.get()) and isinstance(error, TransientError):
            attempt = state.attempt_number + 1
            cap = self._cap(error, attempt, retried)
            if attempt <= cap:  # tenacity asks for the wait before it checks the stop: no notice then
                listener(RetryNotice(error, wait, attempt, cap))
        return wait

    def _cap(self, error: TransientError, attempt: int, retried: dict[type, int]) -> int:
        """The last attempt this call can make if ``error`` goes on: fewer than the configured
        attempts for a kind capped at ``max_retries`` (a read timeout is retried once, not five times)."""
        if error.max_retries is None:
            return self._attempts
        left = error.max_retries - retried.get(type(error), 0)  # this retry is counted already
        return min(self._attempts, attempt + left)

    def _worth_retrying(self, retried: dict[type, int]) -> Callable[[BaseException], bool]:
        """A retry predicate for one call: counts the retries of each capped fault kind in ``retried``.
        Nothing is retried once another call has stopped the run for this model."""

        def worth(error: BaseException) -> bool:
            if not isinstance(error, TransientError) or self._too_long(error):
                return False
            if self._stop_error() is not None:
                return False
            if error.max_retries is not None:
                retried[type(error)] = retried.get(type(error), 0) + 1
                return retried[type(error)] <= error.max_retries
            return True

        return worth

    def _too_long(self, error: TransientError) -> bool:
        return error.retry_after is not None and error.retry_after > self._max_wait

    def _stop_run(self, error: ModelError, seconds: float = math.inf) -> None:
        self._stopped = (error, self._clock() + seconds)

    def _stop_error(self) -> ModelError | None:
        """The error every call of this model fails with now, if the run stopped for it (a stop for
        a while ends when the while has passed)."""
        if self._stopped is None:
            return None
        error, until = self._stopped
        if self._clock() < until:
            return error
        self._stopped = None
        return None

    def stop(self, error: ModelError) -> None:
        """No request to this model from now on, retries of calls in flight included: each call fails
        with ``error`` (a fallback chain that has moved past the model)."""
        self._stop_run(error)

    def gate(self) -> None:
        """Called right before a request goes out: raises instead once the run has stopped for this
        model, for a request that waited (for a retry, or for its rate-limit slot) while another call
        stopped it. ``build_client`` hands it to the rate limiter's client too."""
        if (error := self._stop_error()) is not None:
            raise _Stopped(error)

    @property
    def stopped_by(self) -> ModelError | None:
        """The error that fails every call of this run the same way, if one did (shown once, whole)."""
        return self._stopped[0] if self._stopped else None

    async def complete(self, request: ModelRequest) -> ModelReply:
        if (stopped := self._stop_error()) is not None:
            raise _copy(stopped)
        kwargs: dict[str, Any] = {"sleep": self._sleep} if self._sleep else {}
        retried: dict[type, int] = {}  # retries of each capped fault kind in this call
        retrying = AsyncRetrying(
            retry=retry_if_exception(self._worth_retrying(retried)),
            stop=stop_after_attempt(self._attempts),
            wait=functools.partial(self._wait, retried=retried),
            reraise=True,
            **kwargs,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    self.gate()
                    return await self.inner.complete(request)
        except _Stopped as stopped:
            raise _copy(stopped.error) from None
        except TransientError as error:
            if (stopped := self._stop_error()) is not None:  # another call stopped the run meanwhile
                raise _copy(stopped) from None
            if self._too_long(error):
                assert error.retry_after is not None
                later = RetryLater(
                    f"{error} (the provider asks to wait {error.retry_after:.0f} s, longer than "
                    f"retry_max_wait, {self._max_wait:g} s: run the same command again later)"
                )
                self._stop_run(later, error.retry_after)
                raise later from None
            if isinstance(error, RUN_STOPPERS):
                self._stop_run(error)
            raise
        except ModelNotFound as error:
            gone = self._with_lifecycle(error)
            self._stop_run(gone)
            raise gone from None
        except RUN_STOPPERS as error:
            self._stop_run(error)
            raise
        raise AssertionError("unreachable")

    def _with_lifecycle(self, error: ModelNotFound) -> ModelNotFound:
        """A model the provider no longer has: what the catalogue knows of its retirement and successor."""
        from topicgen.model.catalogue.lifecycle import not_found_hint

        hint = not_found_hint(self.spec)
        return error if hint is None else ModelNotFound(f"{error}; {hint}")

    async def aclose(self) -> None:
        await self.inner.aclose()


def _copy(error: ModelError) -> ModelError:
    """The same error again (a fresh instance: concurrent calls must not share one traceback)."""
    copy = error.__class__.__new__(error.__class__)
    copy.__dict__.update(error.__dict__)
    copy.args = error.args
    return copy
