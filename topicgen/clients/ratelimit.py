"""Client-side request and token budgets that slow down instead of hammering.

``RateLimiter`` spaces calls to stay within requests-per-minute and
tokens-per-minute budgets (token buckets that may go into debt, so a large
request waits for its share rather than starving). A 429, or headers saying
the budget is spent, pause every caller until the provider's reset time and
cut the pace; successes restore it gradually.

``RateLimitedClient`` wraps any model client with a limiter; it sits inside
``RetryingClient`` so every retry passes through the budget too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from topicgen.clients.base import ModelClient, ModelReply, ModelRequest
from topicgen.clients.retry_after import retry_after_seconds
from topicgen.errors import RateLimited

SLOWDOWN = 0.7  # pace multiplier after a 429
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

    def give_back(self, amount: float) -> None:
        self._level = min(self.capacity, self._level + amount)


class RateLimiter:
    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._requests = TokenBucket(rpm / 60, max(1.0, rpm / 60), clock) if rpm else None
        self._tokens = TokenBucket(tpm / 60, max(1.0, tpm / 60), clock) if tpm else None
        self._paused_until = 0.0
        self._pace = 1.0
        self._lock = asyncio.Lock()
        self.waited = 0.0
        self.pauses = 0

    @property
    def pace(self) -> float:
        return self._pace

    async def acquire(self, tokens: int) -> None:
        """Wait for a request slot and ``tokens`` of token budget, then take them."""
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

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token budget once the real usage is known; a success also restores the pace."""
        self._pace = min(1.0, self._pace * RECOVERY)  # with an rpm budget only, too (no early return)
        if self._tokens is None:
            return
        if actual > estimated:
            self._tokens.take(actual - estimated)
        else:
            self._tokens.give_back(estimated - actual)

    def pause(self, seconds: float | None) -> None:
        """Stop everyone for ``seconds`` (a 429 or an exhausted budget) and slow the pace."""
        self.pauses += 1
        self._pace = max(MIN_PACE, self._pace * SLOWDOWN)
        if seconds:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Pause until the reset when the provider says a budget is spent."""
        lowered = {key.lower(): value for key, value in headers.items()}
        spent = any(
            lowered.get(name, "").strip() == "0"
            for name in (
                "x-ratelimit-remaining-requests",
                "x-ratelimit-remaining-tokens",
                "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-tokens-remaining",
                "anthropic-ratelimit-input-tokens-remaining",
                "anthropic-ratelimit-output-tokens-remaining",
            )
        )
        if spent:
            wait = retry_after_seconds(lowered)
            if wait:
                self._paused_until = max(self._paused_until, self._clock() + wait)


def estimate_tokens(request: ModelRequest, chars_per_token: int = 4) -> int:
    """Input characters / 4 plus the output budget the request allows, capped at a page's worth."""
    chars = sum(len(message.content) for message in request.messages)
    return chars // chars_per_token + min(request.max_output_tokens, 4_000)


class RateLimitedClient:
    """Every call waits for the limiter; 429s and spent budgets pause all callers."""

    def __init__(self, inner: ModelClient, limiter: RateLimiter) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.limiter = limiter

    async def complete(self, request: ModelRequest) -> ModelReply:
        estimated = estimate_tokens(request)
        await self.limiter.acquire(estimated)
        try:
            reply = await self.inner.complete(request)
        except RateLimited as error:
            self.limiter.pause(error.retry_after)
            raise
        self.limiter.settle(estimated, reply.usage.input_tokens + reply.usage.output_tokens)
        self.limiter.observe(reply.rate_limits)
        return reply

    async def aclose(self) -> None:
        await self.inner.aclose()
