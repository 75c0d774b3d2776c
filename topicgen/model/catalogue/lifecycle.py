"""Whether the model a run uses is current, retiring or gone: the catalogue, with the SDKs heard.

The catalogue is the memory (a model an SDK dropped stays retired there);
the installed SDK's own deprecation list is merged in, since a newer SDK may
announce a retirement the catalogue has not recorded yet. The merge only
moves a model further along its life (active → deprecated → retired), never
back. A retired model is refused before any call; a deprecated one warns
with its date. A deprecated model whose date has passed is *overdue*, not
retired (Anthropic's ``ModelInfo`` says so of ``retires_at``): it warns, and
if the provider has removed it the first call's "model not found" names the
date and the successor (``not_found_hint``).

The SDK lists are read from the installed SDKs' source files without
importing them (``sdk_lists``), best effort: a list that changed shape adds
nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from topicgen import clock
from topicgen.errors import ConfigError
from topicgen.model.catalogue import STAGES, Status, catalogue
from topicgen.model.catalogue.sdk_lists import READERS
from topicgen.model.clients import ModelSpec

SDK_PACKAGES = {"openai": "openai", "anthropic": "anthropic"}  # providers whose SDK lists retirements


@dataclass(frozen=True)
class Lifecycle:
    """Where a model is in its life, and who says so."""

    spec: str
    status: Status
    retires: dt.date | None
    successor: str | None
    source: str  # e.g. "topicgen's model catalogue" or "the anthropic SDK 2.14.0"

    @property
    def refused(self) -> bool:
        return self.status == "retired"

    def describe(self, today: dt.date | None = None) -> str:
        """One clause for a warning or an error, naming the date and the successor where known."""
        today = today or clock.today()
        when = self.retires.isoformat() if self.retires else None
        if self.status == "retired":
            said = f"was retired on {when}" if when else "was retired"
        elif when is None:
            said = "is deprecated (no retirement date announced)"
        elif self.retires > today:
            said = f"retires on {when}"
        elif self.retires == today:
            said = f"retires today, {when}"
        else:
            said = f"was due to retire on {when} and may stop answering at any time"
        successor = f"; its successor is {self.successor}" if self.successor else ""
        return f"{self.spec} {said} ({self.source}){successor}"


def sdk_version(provider: str) -> str:
    with contextlib.suppress(PackageNotFoundError, KeyError):
        return version(SDK_PACKAGES[provider])
    return "?"


def sdk_announcements(provider: str) -> dict[str, dt.date | None]:
    """Model id → retirement date (None: no longer supported) as the installed SDK lists them; {} if
    the provider's SDK lists none or its list cannot be read. Tests replace this with fixture lists."""
    return _read_sdk_list(provider) if provider in SDK_PACKAGES else {}


@functools.cache
def _read_sdk_list(provider: str) -> dict[str, dt.date | None]:
    with contextlib.suppress(Exception):  # a list that moved or changed shape adds nothing
        return READERS[provider]()
    return {}


def lifecycle(spec: str) -> Lifecycle | None:
    """The model's lifecycle, the catalogue's merged with its SDK's; None when neither knows it."""
    try:
        parsed = ModelSpec.parse(spec)
    except ConfigError:  # a spec that does not parse is reported where the client is built
        return None
    known = catalogue().find(f"{parsed.provider}:{parsed.model}")
    announced = sdk_announcements(parsed.provider)
    heard = parsed.model in announced
    if known is None and not heard:
        return None
    ours = (
        Lifecycle(spec, known[1].status, known[1].retires, known[1].successor, "topicgen's model catalogue")
        if known
        else None
    )
    if heard:
        date = announced[parsed.model]
        source = f"the {parsed.provider} SDK {sdk_version(parsed.provider)}"
        theirs = Lifecycle(spec, "deprecated" if date else "retired", date, None, source)
        if ours is None or STAGES[theirs.status] > STAGES[ours.status]:
            successor = ours.successor if ours else None
            return Lifecycle(
                spec, theirs.status, theirs.retires or (ours and ours.retires), successor, source
            )
    return ours


def refuse_retired(spec: str) -> None:
    """A usage error (exit 2, before any call) when the model has retired."""
    found = lifecycle(spec)
    if found is not None and found.refused:
        raise ConfigError(f"{found.describe()}: choose another with --model or `model` in topicgen.toml")


def lifecycle_warning(spec: str) -> str | None:
    """One line for a deprecated model (None for a current or unknown one)."""
    found = lifecycle(spec)
    if found is None or found.status != "deprecated":
        return None
    return f"{found.describe()}; choose another with --model or `model` in topicgen.toml"


def not_found_hint(spec: str) -> str | None:
    """For a provider's "model not found": the catalogue's retirement date and successor, if it has them."""
    found = lifecycle(spec)
    if found is None or found.status == "active":
        return None
    return found.describe()
