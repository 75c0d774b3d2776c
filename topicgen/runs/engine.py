"""The one engine behind every many-topic run (``new``, ``regen``, ``adopt``).

A fixed pool of workers takes jobs from a queue, so at most ``concurrency``
are in flight. Before taking a job a worker checks the cost budget and the
stop flag; request and token budgets are enforced below, in the client
stack (``clients.ratelimit``). ``stop()`` (Ctrl-C) cancels jobs in flight:
a job waiting on the network is abandoned; a page being written (in a worker
thread, ``workshop.write_whole``) is finished first, so every page lands
whole or not at all, and with its outcome.

``on_start`` and ``on_done`` let a display follow the run; while a job runs,
``current_item`` holds its item, so events deep in the client stack (a retry)
can be told apart by page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from topicgen.model.clients.base import Usage


class HasUsage(Protocol):
    usage: Usage


Item = TypeVar("Item")
Result = TypeVar("Result", bound=HasUsage)

current_item: ContextVar[object | None] = ContextVar("current_item", default=None)


@dataclass
class Budget:
    """Stops new work once spent cost plus what is in flight reaches ``limit`` (USD)."""

    limit: float
    cost_of: Callable[[Usage], float | None]
    per_job_estimate: float = 0.0
    spent: float = 0.0

    def allows(self, in_flight: int) -> bool:
        return self.spent + in_flight * self.per_job_estimate < self.limit

    def record(self, usage: Usage) -> None:
        self.spent += self.cost_of(usage) or 0.0


@dataclass
class RunReport(Generic[Item, Result]):
    results: list[tuple[Item, Result]] = field(default_factory=list)
    left: list[Item] = field(default_factory=list)  # not started or cut short
    interrupted: bool = False
    budget_reached: bool = False
    elapsed: float = 0.0


class Engine(Generic[Item, Result]):
    def __init__(
        self,
        concurrency: int,
        *,
        budget: Budget | None = None,
        on_done: Callable[[Item, Result], None] | None = None,
        on_start: Callable[[Item], None] | None = None,
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.budget = budget
        self.on_done = on_done
        self.on_start = on_start
        self._stopping = False
        self._tasks: set[asyncio.Task] = set()

    @property
    def in_flight(self) -> int:
        """Jobs started and not finished."""
        return len(self._tasks)

    def stop(self) -> None:
        """Start no new job and cancel the ones waiting on the network."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()

    async def run(
        self, items: Iterable[Item], worker: Callable[[Item], Awaitable[Result]]
    ) -> RunReport[Item, Result]:
        started = time.perf_counter()
        queue = list(enumerate(items))
        pending = list(reversed(queue))
        finished: list[tuple[int, Item, Result]] = []
        cut_short: list[tuple[int, Item]] = []
        report: RunReport[Item, Result] = RunReport()
        in_flight = 0

        finished_one = asyncio.Condition()

        async def work() -> None:
            nonlocal in_flight
            while pending and not self._stopping:
                if self.budget and not self.budget.allows(in_flight):
                    if in_flight == 0:
                        report.budget_reached = True
                        return
                    async with finished_one:  # what is in flight may cost less than estimated
                        await finished_one.wait()
                    continue
                index, item = pending.pop()
                in_flight += 1
                if self.on_start:
                    self.on_start(item)
                current_item.set(item)  # the job's task starts with a copy of this context
                task = asyncio.ensure_future(worker(item))
                self._tasks.add(task)
                try:
                    result = await task
                except asyncio.CancelledError:
                    cut_short.append((index, item))
                    if not self._stopping:
                        raise
                    continue
                finally:
                    self._tasks.discard(task)
                    in_flight -= 1
                if self.budget:
                    self.budget.record(result.usage)
                async with finished_one:
                    finished_one.notify_all()
                finished.append((index, item, result))
                if self.on_done:
                    self.on_done(item, result)

        workers = [asyncio.ensure_future(work()) for _ in range(min(self.concurrency, len(queue)) or 1)]
        await asyncio.gather(*workers)
        report.results = [(item, result) for _, item, result in sorted(finished, key=lambda t: t[0])]
        report.left = [item for _, item in sorted(cut_short + pending, key=lambda t: t[0])]
        report.interrupted = self._stopping
        report.elapsed = time.perf_counter() - started
        return report
