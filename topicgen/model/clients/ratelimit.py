"""Client-side request and token budgets that slow down instead of hammering.

``RateLimiter`` spaces calls to stay within requests-per-minute and
tokens-per-minute budgets (token buckets that may go into debt, so a large
request waits for its share rather than starving). A 429, or headers saying
the budget is spent, pause every caller until the provider's reset time and
cut the pace; successes restore it gradually.

``RateLimitedClient`` wraps any model client with a limiter; it sits inside
``RetryingClient`` so every retry passes through the budget too. A call that
fails in a way every call will (no quota left, a rejected key, no such model)
fails the calls waiting for its slot too, before they send anything: the
slot is handed on before ``RetryingClient`` hears of the error and stops the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from topicgen.errors import (
    AccountError,
    AuthError,
    ContextWindowExceeded,
    ModelError,
    ModelNotFound,
    RateLimited,
)
from topicgen.model.clients.base import ModelClient, ModelReply, ModelRequest
from topicgen.model.clients.retry_after import retry_after_seconds

SLOWDOWN = 0.7  # pace multiplier after a 429
FAILS_EVERY_CALL = (AccountError, AuthError, ContextWindowExceeded, ModelNotFound)
RECOVERY = 1.05  # pace multiplier after each success, up to the configured budget
MIN_PACE = 0.1


class TokenBucket:
    """Refilled at ``rate`` per second up to ``capacity``; a draw larger than it leaves a debt."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._level = capacity
        self._stamp = clock()

    def _refill(self, pace: float) -> None:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate * pace)
        self._stamp = now

    def wait_time(self, amount: float, pace: float) -> float:
        """Seconds until ``amount`` may be drawn: the bucket holds it, or is full for a larger one."""
        self._refill(pace)
        need = min(amount, self.capacity)
        return 0.0 if self._level >= need else (need - self._level) / (self.rate * pace)

    def take(self, amount: float) -> None:
        self._level -= amount

    def at_most(self, level: float) -> None:
        """The provider says only ``level`` is left: never believe in more than that."""
        self._refill(1.0)
        self._level = min(self._level, level)

    def give_back(self, amount: float) -> None:
        self._level = min(self.capacity, self._level + amount)


# (limit, remaining) header pairs: requests first, then tokens, for OpenAI and Anthropic
REQUEST_HEADERS = (
    ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests"),
    ("anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining"),
)
TOKEN_HEADERS = (
    ("x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens"),
    ("anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining"),
    ("anthropic-ratelimit-input-tokens-limit", "anthropic-ratelimit-input-tokens-remaining"),
)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class RateLimiter:
    """Request, token and in-flight budgets shared by every call of a run.

    Budgets the user gives (``rpm``, ``tpm``) are kept; without them the
    limiter learns the provider's per-minute limits from its rate-limit
    headers. ``max_in_flight`` caps concurrent requests, and the cap shrinks
    by half on a 429 and grows back by one per round of successes (the way
    TCP finds a link's capacity), so a limit nobody stated is found without
    hammering the provider.
    """

    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        max_in_flight: int | None = None,
        max_pause: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._fixed_rpm, self._fixed_tpm = bool(rpm), bool(tpm)
        self._requests = self._bucket(rpm)
        self._tokens = self._bucket(tpm)
        self._paused_until = 0.0
        self._pace = 1.0
        self._lock = asyncio.Lock()
        self._max_in_flight = max_in_flight
        self._max_pause = max_pause
        self._window = float(max_in_flight or 0)
        self._in_flight = 0
        self._slot_freed: asyncio.Condition | None = None
        self.waited = 0.0
        self.pauses = 0

    def _bucket(self, per_minute: float | None) -> TokenBucket | None:
        return TokenBucket(per_minute / 60, max(1.0, per_minute / 60), self._clock) if per_minute else None

    @property
    def pace(self) -> float:
        return self._pace

    @property
    def window(self) -> float:
        """How many requests may be in flight now (the adaptive cap)."""
        return self._window

    async def acquire(self, tokens: int) -> None:
        """Wait for an in-flight slot, a request slot and ``tokens`` of token budget; take them."""
        if self._max_in_flight:
            if self._slot_freed is None:
                self._slot_freed = asyncio.Condition()
            async with self._slot_freed:
                await self._slot_freed.wait_for(lambda: self._in_flight < max(1, int(self._window)))
                self._in_flight += 1
        try:
            async with self._lock:
                while True:
                    wait = max(0.0, self._paused_until - self._clock())
                    for bucket, amount in ((self._requests, 1), (self._tokens, tokens)):
                        if bucket is not None:
                            wait = max(wait, bucket.wait_time(amount, self._pace))
                    if wait <= 0:
                        break
                    self.waited += wait
                    await self._sleep(wait)
                if self._requests is not None:
                    self._requests.take(1)
                if self._tokens is not None:
                    self._tokens.take(tokens)
        except BaseException:
            await self.release()
            raise

    async def release(self) -> None:
        """A request finished (however it ended): its in-flight slot is free."""
        if self._max_in_flight and self._slot_freed is not None:
            async with self._slot_freed:
                self._in_flight -= 1
                self._slot_freed.notify_all()

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token budget once the real usage is known; a success restores pace and cap."""
        self._pace = min(1.0, self._pace * RECOVERY)
        if self._max_in_flight:
            self._window = min(float(self._max_in_flight), self._window + 1 / max(1.0, self._window))
        if self._tokens is None:
            return
        if actual > estimated:
            self._tokens.take(actual - estimated)
        else:
            self._tokens.give_back(estimated - actual)

    def pause(self, seconds: float | None) -> None:
        """A 429: stop everyone for ``seconds`` and slow the pace (halving the in-flight cap, too,
        while no request or token rate is known). A pause longer than ``max_pause`` is not
        taken: the retrying layer fails those calls instead of holding every caller."""
        self.pauses += 1
        if self._clock() >= self._paused_until:  # 429s of one burst slow us down once, not each
            self._pace = max(MIN_PACE, self._pace * SLOWDOWN)
            if self._max_in_flight and self._requests is None and self._tokens is None:
                self._window = max(1.0, self._window / 2)  # no known rate: find one by backing off
        if seconds and (self._max_pause is None or seconds <= self._max_pause):
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn unstated limits from rate-limit headers; wait a slot's worth when one is spent."""
        lowered = {key.lower(): value for key, value in headers.items()}
        for pairs, fixed, name in (
            (REQUEST_HEADERS, self._fixed_rpm, "_requests"),
            (TOKEN_HEADERS, self._fixed_tpm, "_tokens"),
        ):
            for limit_name, remaining_name in pairs:
                limit = _number(lowered.get(limit_name))
                remaining = _number(lowered.get(remaining_name))
                if not limit:
                    continue
                bucket: TokenBucket | None = getattr(self, name)
                if not fixed and (bucket is None or bucket.rate != limit / 60):
                    bucket = self._bucket(limit)
                    setattr(self, name, bucket)
                if bucket is not None and remaining is not None:
                    bucket.at_most(remaining)
                break
        for limit_name, remaining_name in (*REQUEST_HEADERS, *TOKEN_HEADERS):
            if lowered.get(remaining_name, "").strip() == "0" and not _number(lowered.get(limit_name)):
                wait = retry_after_seconds(lowered)  # no limit stated: wait for the reset
                if wait:
                    self._paused_until = max(self._paused_until, self._clock() + wait)


def estimate_tokens(request: ModelRequest, chars_per_token: int = 4) -> int:
    """Input characters / 4 plus the output budget the request allows, capped at a page's worth."""
    chars = sum(len(message.content) for message in request.messages)
    return chars // chars_per_token + min(request.max_output_tokens, 4_000)


@dataclass
class RequestGauge:
    """How many requests are with the model right now: sent, their reply not yet back."""

    waiting: int = 0


# Whoever shows a run sets a gauge here (``runs.console``); every call of the run counts on it, so
# a Ctrl-C can say how many requests it abandons (never more than ``concurrency``).
request_gauge: ContextVar[RequestGauge | None] = ContextVar("request_gauge", default=None)


class RateLimitedClient:
    """Every call waits for the limiter; 429s and spent budgets pause all callers.

    ``gate``, when set, is called once a request has its slot, right before it is sent, and
    raises to keep it from going out (``RetryingClient.gate``: the run stopped while it waited).
    """

    def __init__(
        self, inner: ModelClient, limiter: RateLimiter, gate: Callable[[], None] | None = None
    ) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.limiter = limiter
        self.gate = gate
        self._failed: ModelError | None = None  # an error every later call would meet too

    async def complete(self, request: ModelRequest) -> ModelReply:
        estimated = estimate_tokens(request)
        await self.limiter.acquire(estimated)
        if self._failed is not None:  # the call ahead met an error every call meets: no request
            await self.limiter.release()
            raise self._failed.again()
        gauge = request_gauge.get() or RequestGauge()
        gauge.waiting += 1
        try:
            if self.gate is not None:
                self.gate()
            reply = await self.inner.complete(request)
        except BaseException as error:
            gauge.waiting -= 1
            if isinstance(error, RateLimited):
                self.limiter.pause(error.retry_after)
            elif isinstance(error, FAILS_EVERY_CALL):
                self._failed = error
            # no yield here: an error that stops the run reaches the retrying layer (and its gate)
            # before the request waiting for this slot can go out
            await self.limiter.release()
            raise
        gauge.waiting -= 1
        await self.limiter.release()
        await asyncio.sleep(0)  # the request waiting for this slot goes out before this reply is used
        self.limiter.settle(estimated, reply.usage.input_tokens + reply.usage.output_tokens)
        self.limiter.observe(reply.rate_limits)
        return reply

    async def aclose(self) -> None:
        await self.inner.aclose()
