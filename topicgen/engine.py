"""Running many topics at once, within a concurrency cap, one outcome per topic."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


async def run_concurrently(
    items: Iterable[Item],
    worker: Callable[[Item], Awaitable[Result]],
    concurrency: int,
    on_done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run ``worker`` over ``items`` with at most ``concurrency`` in flight; results keep input order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(item: Item) -> Result:
        async with gate:
            result = await worker(item)
        if on_done:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(item) for item in items)))
