"""Client-side request and token budgets, and slowing down when the provider says so."""

from __future__ import annotations

import asyncio

import pytest

from topicgen.errors import ModelNotFound, QuotaExhausted, RateLimited
from topicgen.model.clients.base import Finish, ModelReply, ModelRequest, Usage
from topicgen.model.clients.function import FunctionClient
from topicgen.model.clients.ratelimit import RateLimitedClient, RateLimiter
from topicgen.model.prompt import Message


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


def limiter(time_: FakeTime, **budgets) -> RateLimiter:
    return RateLimiter(**budgets, clock=time_.clock, sleep=time_.sleep)


def request(chars: int = 400) -> ModelRequest:
    return ModelRequest((Message("user", "x" * chars),), {"type": "object"}, max_output_tokens=100)


def test_requests_per_minute_are_spaced_evenly(time_):
    budget = limiter(time_, rpm=60)

    async def five() -> None:
        for _ in range(5):
            await budget.acquire(0)

    asyncio.run(five())
    assert time_.now - 1000.0 == pytest.approx(4.0)  # one at once, then one a second


def test_tokens_per_minute_hold_back_a_large_request(time_):
    budget = limiter(time_, tpm=6000)  # 100 tokens a second

    async def two() -> None:
        await budget.acquire(500)
        await budget.acquire(500)

    asyncio.run(two())
    assert time_.now - 1000.0 == pytest.approx(5.0)  # a debt of 400 tokens, then a full bucket


def test_settling_returns_unused_token_budget(time_):
    budget = limiter(time_, tpm=6000)

    async def run() -> None:
        await budget.acquire(80)  # 20 of 100 left
        budget.settle(estimated=80, actual=10)  # 90 left
        await budget.acquire(90)

    asyncio.run(run())
    assert time_.slept == []


def test_a_429_pauses_every_caller_until_retry_after_and_slows_the_pace(time_):
    budget = limiter(time_, rpm=600)

    def fail(_request):
        raise RateLimited("429", retry_after=7.0)

    client = RateLimitedClient(FunctionClient(fail), budget)

    async def run() -> None:
        with pytest.raises(RateLimited):
            await client.complete(request())
        await budget.acquire(0)

    asyncio.run(run())
    assert time_.now - 1000.0 >= 7.0
    assert budget.pace < 1.0
    assert budget.pauses == 1


def test_exhausted_rate_limit_headers_pause_until_the_reset(time_):
    budget = limiter(time_)
    reply = ModelReply(
        "{}",
        Finish.STOP,
        "m",
        Usage(10, 10),
        rate_limits={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "3s"},
    )
    client = RateLimitedClient(FunctionClient(lambda _r: reply), budget)

    async def run() -> None:
        await client.complete(request())
        await budget.acquire(0)

    asyncio.run(run())
    assert time_.now - 1000.0 == pytest.approx(3.0)


def test_without_budgets_nothing_waits(time_):
    budget = limiter(time_)

    async def many() -> None:
        for _ in range(100):
            await budget.acquire(10_000)

    asyncio.run(many())
    assert time_.slept == []


def test_a_429_with_no_known_rate_halves_the_requests_in_flight_and_successes_grow_it_back(time_):
    budget = limiter(time_, max_in_flight=16)
    budget.pause(None)
    assert budget.window == 8
    for _ in range(8):
        budget.settle(0, 0)
    assert 8 < budget.window < 10  # about one more slot per round of successes


def test_the_in_flight_cap_holds_back_the_next_request(time_):
    budget = limiter(time_, max_in_flight=1)

    async def run() -> list[str]:
        order: list[str] = []

        async def call(name: str) -> None:
            await budget.acquire(0)
            order.append(f"{name} starts")
            await asyncio.sleep(0)
            order.append(f"{name} ends")
            await budget.release()

        await asyncio.gather(call("a"), call("b"))
        return order

    assert asyncio.run(run()) == ["a starts", "a ends", "b starts", "b ends"]


def test_unstated_limits_are_learned_from_the_providers_headers(time_):
    budget = limiter(time_)
    budget.observe({"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "0"})

    async def two() -> None:
        await budget.acquire(0)
        await budget.acquire(0)

    asyncio.run(two())
    assert time_.now - 1000.0 == pytest.approx(2.0)  # nothing left now, then one a second


def test_a_stated_budget_is_not_replaced_by_the_headers(time_):
    budget = limiter(time_, rpm=6000)
    budget.observe({"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59"})

    async def five() -> None:
        for _ in range(5):
            await budget.acquire(0)

    asyncio.run(five())
    assert time_.now - 1000.0 < 0.1


def test_429s_from_one_burst_slow_the_pace_once(time_):
    budget = limiter(time_, max_in_flight=16)
    for _ in range(6):
        budget.pause(2.0)
    assert budget.pace == pytest.approx(0.7)
    assert budget.window == 8


async def test_a_pause_longer_than_the_longest_wait_does_not_hold_every_caller():
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(max_pause=120, clock=lambda: now[0], sleep=sleep)
    limiter.pause(300)  # the retrying layer fails these calls ("run again later") instead
    await limiter.acquire(1)
    assert waits == []
    limiter.pause(30)
    await limiter.acquire(1)
    assert waits == [30]


@pytest.mark.parametrize("error", [QuotaExhausted("no quota today"), ModelNotFound("no such model")])
async def test_a_call_that_fails_every_call_fails_the_one_waiting_for_its_slot_without_a_request(error):
    first_sent = asyncio.Event()

    async def answer(request: ModelRequest) -> str:
        first_sent.set()
        await asyncio.sleep(0)
        raise error

    inner = FunctionClient(answer)
    client = RateLimitedClient(inner, RateLimiter(max_in_flight=1))

    async def second() -> None:
        await first_sent.wait()  # queued for the slot while the first call holds it
        await client.complete(request())

    results = await asyncio.gather(client.complete(request()), second(), return_exceptions=True)

    assert [type(result) for result in results] == [type(error), type(error)]
    assert results[1] is not error and str(results[1]) == str(error)  # a copy, not the same instance
    assert len(inner.requests) == 1
