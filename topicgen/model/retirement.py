"""When the provider retires the model a run uses, as the provider's own SDK says.

Models retire on dates the providers announce, and their SDKs carry the list
(the OpenAI SDK in the text after ``ChatModel``, the Anthropic SDK in
``DEPRECATED_MODELS``); each built-in adapter reads its own SDK's list
(``retirements()``). A run on such a model ends with one warning line, and
``topicgen config`` shows it beside the model, so a vault's ``model`` setting
is changed before the shutdown rather than after a run of "model not found"
failures.

Reading is best effort: an SDK whose list changed shape means no warning
(tests/test_default_models.py notices the shape changing in CI).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
from dataclasses import dataclass

from topicgen.errors import ConfigError
from topicgen.model.clients import BUILTIN_FACTORIES, ModelSpec

PROVIDERS = ("openai", "anthropic")  # the providers whose SDK lists the models it retires


@dataclass(frozen=True)
class Retirement:
    """A model its provider retires: on ``shutdown``, or already (no date: no longer supported)."""

    spec: str
    shutdown: dt.date | None
    source: str  # whose list says so, e.g. "the openai SDK"

    def describe(self, today: dt.date | None = None) -> str:
        """'openai:gpt-5-mini shuts down on 2026-12-11 (the openai SDK's list)', or 'was retired on'."""
        today = today or dt.date.today()
        if self.shutdown is None:
            when = "is no longer a supported model"
        elif self.shutdown < today:
            when = f"was retired on {self.shutdown.isoformat()}"
        elif self.shutdown == today:
            when = f"retires today, {self.shutdown.isoformat()}"
        else:
            when = f"shuts down on {self.shutdown.isoformat()}"
        return f"{self.spec} {when} ({self.source}'s list)"


def retirements(provider: str) -> dict[str, dt.date | None]:
    """Model id → shutdown date for ``provider`` (openai, anthropic), from its SDK; {} if unreadable."""
    if provider not in PROVIDERS:
        return {}
    with contextlib.suppress(Exception):
        adapter = importlib.import_module(BUILTIN_FACTORIES[provider].partition(":")[0])
        return dict(adapter.retirements())
    return {}


def retirement(spec: str) -> Retirement | None:
    """The retirement the installed SDK announces for ``spec``'s model, if any."""
    try:
        parsed = ModelSpec.parse(spec)
    except ConfigError:  # a spec that does not parse is reported where the client is built
        return None
    dates = retirements(parsed.provider)
    if parsed.model not in dates:
        return None
    return Retirement(spec, dates[parsed.model], f"the {parsed.provider} SDK")
