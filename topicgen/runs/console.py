"""Running a batch of page jobs from the command line: progress, Ctrl-C, summary.

The first Ctrl-C (or SIGTERM) stops the run cleanly: no new page starts; a
page whose reply has arrived is finished (validated, rendered and written:
milliseconds); requests still waiting on the model are abandoned, and the
next run asks for those pages again. Every reply already received is in the
reply cache, so nothing is paid twice. A second Ctrl-C exits at once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from topicgen.model.clients.fallback import fallback_listener
from topicgen.model.clients.ratelimit import RequestGauge, request_gauge
from topicgen.model.clients.retrying import retry_listener
from topicgen.runs.engine import Engine, RunReport
from topicgen.runs.progress import Display
from topicgen.runs.warmup import IdleWatch, when_idle


def stop_message(in_flight: int) -> list[str]:
    """What the first Ctrl-C says: what happens to the pages in flight (their requests are with the
    model: at most ``concurrency``; a page waiting for its turn has asked nothing yet)."""
    pages = (
        f"{in_flight} page(s) in flight are abandoned; the next run asks again"
        if in_flight
        else "none in flight"
    )
    return [
        f"stopping: no new page starts; {pages}",
        "replies already received are written and cached; press Ctrl-C again to quit now",
    ]


def execute(
    engine: Engine,
    start: Callable[[Engine], Awaitable[RunReport]],
    *,
    total: int,
    description: str,
    display: Display,
    warm_up: Iterable[Callable[[], object]] = (),
) -> RunReport:
    """Run ``start(engine)`` with ``display`` following it, stopping the engine cleanly on Ctrl-C.

    ``warm_up`` steps (``runs.warmup.reply_work``) run while the run waits on the model."""
    engine.on_start = display.started
    engine.on_done = display.finished

    async def main() -> RunReport:
        loop = asyncio.get_running_loop()

        def stop(*_: Any) -> None:
            for line in stop_message(gauge.waiting):
                display.say(line)
            engine.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        retry_listener.set(display.retried)
        request_gauge.set(gauge)
        fallback_listener.set(lambda switch: display.say(str(switch)))
        display.start(total, description)
        when_idle(watch, warm_up)
        try:
            return await start(engine)
        finally:
            display.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    gauge = RequestGauge()
    watch = IdleWatch()
    try:
        with asyncio.Runner(loop_factory=watch.new_loop) as runner:
            return runner.run(main())
    finally:
        watch.close()  # steps not started by now are left for the run's own course
