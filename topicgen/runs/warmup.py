"""Getting the model client ready while the rest of a run starts.

Importing a provider SDK is most of what a run does before its first request
(the OpenAI SDK builds hundreds of pydantic models as it loads), and on its
first request the SDK asks the platform for its name, which reads the Python
binary from disk. ``preload`` starts both in a daemon thread as soon as the
model is known, so they overlap reading the vault and building prompts; the
client built later finds the SDK loaded. Nothing here changes what a run
does, only when: a failure is left for building the client to report.
"""

from __future__ import annotations

import contextlib
import importlib
import platform
import threading

from topicgen.model.clients import BUILTIN_FACTORIES, ModelSpec

REPLAYED = "openai"  # recordings are replayed through the adapter of the provider that made them


def adapter_module(spec: str) -> str | None:
    """The module of the built-in adapter behind ``spec``, if it has one."""
    with contextlib.suppress(Exception):
        provider = ModelSpec.parse(spec).provider
        target = BUILTIN_FACTORIES.get(REPLAYED if provider == "replay" else provider)
        return target.partition(":")[0] if target else None
    return None


def preload(spec: str) -> threading.Thread | None:
    """Import ``spec``'s adapter and its SDK, and look up the platform, in the background."""
    module = adapter_module(spec)
    if module is None:
        return None

    def load() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(module)
            platform.platform()  # cached: the SDK's first request finds the answer ready

    thread = threading.Thread(target=load, name="topicgen-preload", daemon=True)
    thread.start()
    return thread
