"""A run does what it needs only after its first request while it waits on the model, and handles
replies off the event loop, so requests go out first."""

from __future__ import annotations

import asyncio
import sys
import threading
import time

from topicgen.model.offload import off_loop
from topicgen.runs.warmup import IdleWatch, reply_work, when_idle


def run_on(watch: IdleWatch, coroutine):
    with asyncio.Runner(loop_factory=watch.new_loop) as runner:
        return runner.run(coroutine)


def test_idle_work_waits_until_the_loop_waits_on_the_network():
    watch = IdleWatch()
    ran = threading.Event()

    async def run() -> None:
        when_idle(watch, [ran.set])
        started = time.monotonic()
        while time.monotonic() - started < 0.2:  # sending requests: always something to run
            await asyncio.sleep(0)
            assert not ran.is_set()
        # waiting on the model (a thread's wait keeps the loop in its selector); generous for a busy CI
        assert await asyncio.to_thread(ran.wait, 30)

    run_on(watch, run())
    watch.close()


def test_idle_work_not_yet_started_is_dropped_when_the_run_ends():
    watch = IdleWatch()
    ran = []
    thread = when_idle(watch, [lambda: ran.append(1)])
    run_on(watch, asyncio.sleep(0))  # never waits
    watch.close()
    thread.join(5)
    assert not thread.is_alive() and ran == []


def test_a_failing_warm_up_step_does_not_stop_the_others():
    watch = IdleWatch()
    ran = threading.Event()

    def broken() -> None:
        raise RuntimeError("left for the run to meet")

    async def run() -> None:
        when_idle(watch, [broken, ran.set])
        await asyncio.to_thread(ran.wait, 5)

    run_on(watch, run())
    watch.close()
    assert ran.is_set()


def test_reply_work_covers_validation_rendering_linking_and_the_price():
    steps = reply_work("openai:gpt-5-mini", {}, verify=True)
    assert len(steps) == 6
    for step in steps:
        step()
    assert {"topicgen.page.schema", "topicgen.page.render", "topicgen.runs.references"} <= set(sys.modules)


async def test_reply_work_runs_off_the_event_loop_thread():
    loop_thread = threading.get_ident()
    assert await off_loop(threading.get_ident) != loop_thread


async def test_a_stop_while_a_reply_is_handled_waits_for_it_and_goes_on():
    started = threading.Event()

    def handle() -> str:
        started.set()
        time.sleep(0.2)
        return "page"

    task = asyncio.ensure_future(off_loop(handle))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()  # Ctrl-C: a page whose reply is in hand is finished
    assert await task == "page"


def test_the_collector_is_paused_while_an_sdk_loads_and_on_again_after():
    import gc

    from topicgen.runs.warmup import collection_paused

    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.unfreeze()


def test_a_collector_someone_else_paused_stays_paused():
    import gc

    from topicgen.runs.warmup import collection_paused

    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
