"""CPU work on a reply, done in a worker thread so the event loop goes on sending requests.

When a reply frees a slot, the request waiting for it should go out at once.
Reading a reply (validation, drift), rendering a page and storing it are a few
milliseconds of CPU each; on the event loop, sixteen replies arriving together
would hold the next sixteen requests back by all of it. ``off_loop`` runs such
work on one worker thread (one, so the loop has a single rival for the
interpreter lock and gets it back within the switch interval whenever a socket
is ready). The work must not touch the event loop.

A page whose reply is in hand is finished even when the run is stopped
(Ctrl-C): a cancellation while its work runs waits for the work and goes on.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_executor: ThreadPoolExecutor | None = None


def _worker() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="topicgen-replies")
    return _executor


async def off_loop(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``function(*args, **kwargs)`` on the reply worker thread (with this task's context variables)."""
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    work = asyncio.get_running_loop().run_in_executor(_worker(), call)
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        return await work  # the reply is in hand: its page is finished, as a stop promises
