"""Getting the model client ready while the rest of a run starts, and the rest while it waits.

Importing a provider SDK is most of what a run does before its first request
(the OpenAI SDK builds hundreds of pydantic models as it loads), and on its
first request the SDK asks the platform for its name, which reads the Python
binary from disk. ``preload`` starts both in a daemon thread as soon as the
model is known, so they overlap reading the vault and building prompts; the
client built later finds the SDK loaded. Nothing here changes what a run
does, only when: a failure is left for building the client to report.

What a run needs only once replies come in (validating, rendering, linking,
pricing the summary) is imported after its first request, not before:
``when_idle`` runs those steps in a thread while the event loop waits on the
model (``IdleWatch``), so neither the first request nor the replies wait for
them, and the interpreter lock is not contended while requests are being sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import importlib
import platform
import selectors
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from topicgen.model.clients import BUILTIN_FACTORIES, ModelSpec

REPLAYED = "openai"  # recordings are replayed through the adapter of the provider that made them


def adapter_module(spec: str) -> str | None:
    """The module of the built-in adapter behind ``spec``, if it has one."""
    with contextlib.suppress(Exception):
        provider = ModelSpec.parse(spec).provider
        target = BUILTIN_FACTORIES.get(REPLAYED if provider == "replay" else provider)
        return target.partition(":")[0] if target else None
    return None


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while an SDK loads, then what it built set aside for good.

    Importing an SDK allocates hundreds of thousands of objects (its pydantic models) and almost no
    garbage, yet each allocation burst triggers a collection that walks them all: pausing the
    collector saves about a tenth of the import (50 ms of 450 here), and ``gc.freeze`` keeps every
    later collection of the run from walking them again. The collector is process-wide, so it is
    paused only for the import, and only if nobody else had paused it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def preload(spec: str) -> threading.Thread | None:
    """Import ``spec``'s adapter and its SDK, and look up the platform, in the background."""
    module = adapter_module(spec)
    if module is None:
        return None

    def load() -> None:
        with contextlib.suppress(Exception), collection_paused():
            importlib.import_module(module)
            platform.platform()  # cached: the SDK's first request finds the answer ready

    thread = threading.Thread(target=load, name="topicgen-preload", daemon=True)
    thread.start()
    return thread


# --- Work a run needs only once its replies come in, done while it waits for the first ones -------


class IdleWatch:
    """Knows when an event loop has nothing to run: it is blocked in its selector, waiting on the
    network. ``new_loop`` makes such a loop; ``wait`` (from another thread) returns once the loop
    has been waiting for ``quiet`` seconds without a break, or False once the watch is closed."""

    def __init__(self) -> None:
        self._waiting_since: float | None = None
        self._closed = False
        self._changed = threading.Condition()

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.SelectorEventLoop(_WatchedSelector(self))

    def waiting(self, waiting: bool) -> None:
        with self._changed:
            self._waiting_since = time.monotonic() if waiting else None
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait(self, quiet: float) -> bool:
        with self._changed:
            while not self._closed:
                since = self._waiting_since
                if since is not None and time.monotonic() - since >= quiet:
                    return True
                self._changed.wait(None if since is None else since + quiet - time.monotonic())
            return False


class _WatchedSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """The platform's selector, telling its watch when the loop blocks with nothing to run."""

    def __init__(self, watch: IdleWatch) -> None:
        super().__init__()
        self._watch = watch

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout <= 0:  # callbacks are ready: only polling, not waiting
            return super().select(timeout)
        self._watch.waiting(True)
        try:
            return super().select(timeout)
        finally:
            self._watch.waiting(False)


QUIET = 0.02  # the loop has waited this long: the requests it had to send are out (a connect is shorter)


def when_idle(
    watch: IdleWatch, steps: Iterable[Callable[[], object]], quiet: float = QUIET
) -> threading.Thread:
    """Run ``steps`` in a daemon thread, each once the loop has been idle for ``quiet`` seconds, so
    they take the interpreter while the run waits on the model rather than while it sends requests
    (a step that fails is left for the run to meet, as it would have without the warm-up)."""

    def run() -> None:
        for step in steps:
            if not watch.wait(quiet):
                return
            with contextlib.suppress(Exception):
                step()

    thread = threading.Thread(target=run, name="topicgen-warm-up", daemon=True)
    thread.start()
    return thread


def reply_work(model: str, prices: Mapping[str, Any], *, verify: bool) -> list[Callable[[], object]]:
    """What a run that drafts pages needs after its first reply and not before its first request:
    the page model and its validators, the renderer, reference checks, relinking and the index,
    and the model's price for the summary (genai-prices' tables)."""
    modules = [
        "topicgen.page.schema",
        "topicgen.page.render",
        "topicgen.upkeep.links",
        "topicgen.upkeep.index",
    ]
    if verify:
        modules.append("topicgen.runs.references")
    steps: list[Callable[[], object]] = [functools.partial(importlib.import_module, name) for name in modules]

    def price() -> None:
        from topicgen.model.costs import price_for

        price_for(model, prices)

    return [*steps, price]
