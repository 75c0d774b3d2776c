"""Running a batch of page jobs from the command line: progress, Ctrl-C, summary.

The first Ctrl-C (or SIGTERM) stops the run cleanly: no new page starts,
requests in flight are cancelled, pages land whole or not at all, and the
summary says what is left. A second Ctrl-C exits at once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from rich.console import Console

from topicgen.runs.engine import Engine, RunReport
from topicgen.runs.progress import RunProgress


def execute(
    engine: Engine,
    start: Callable[[Engine], Awaitable[RunReport]],
    *,
    total: int,
    description: str,
    console: Console,
) -> RunReport:
    """Run ``start(engine)`` with a progress bar, stopping the engine cleanly on Ctrl-C."""
    progress = RunProgress(console, total, description)
    engine.on_done = progress.advance

    async def main() -> RunReport:
        loop = asyncio.get_running_loop()

        def stop(*_: Any) -> None:
            console.print("[yellow]stopping: no new pages start; press Ctrl-C again to quit now[/]")
            engine.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            with progress:
                return await start(engine)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    return asyncio.run(main())
