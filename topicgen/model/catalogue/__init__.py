"""What topicgen knows of each provider's models, shipped as data it owns (``models.json``).

Providers retire models and their SDKs then drop them from their lists, so
an SDK alone cannot tell a user that the model a vault is set to is gone: the
catalogue keeps every model topicgen has known, with its lifecycle
(``active``, ``deprecated``, ``retired``), dates, successor, the capabilities
topicgen relies on (structured outputs, reasoning-effort levels, a batch API,
the prompt-cache minimum), its last known prices, where each fact came from
and the day it was checked. A maintainer refreshes it on purpose
(``python -m topicgen.model.catalogue refresh``, README "Models"); an SDK
release never changes what a run does until then, except that an SDK which
announces a newer deprecation is heard (``lifecycle``).

Entries are keyed ``provider:model``; dated snapshots (``claude-sonnet-4-5-20250929``)
are aliases of their model.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CATALOGUE_FILE = Path(__file__).with_name("models.json")
Status = Literal["active", "deprecated", "retired"]
STAGES: dict[str, int] = {"active": 0, "deprecated": 1, "retired": 2}
# The scale reasoning efforts are chosen on, lowest first (OpenAI's and Anthropic's values together).
EFFORT_SCALE = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
# Where an openai-compatible server names a model "vendor/model" (OpenRouter), the model is the last part.
_VENDOR_PREFIX = re.compile(r"^[\w.-]+/")


class Rates(BaseModel):
    """US dollars per million tokens, as genai-prices (or the provider) last gave them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(None, ge=0)
    cache_write: float | None = Field(None, ge=0, description="5-minute cache writes")
    cache_write_1h: float | None = Field(None, ge=0, description="1-hour cache writes (Anthropic)")


class ModelFacts(BaseModel):
    """One model as topicgen knows it; ``None`` where a fact is not known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Status = "active"
    deprecated: dt.date | None = None
    retires: dt.date | None = None
    successor: str | None = None
    aliases: tuple[str, ...] = ()
    structured_outputs: bool | None = None
    effort: tuple[str, ...] | None = None  # the reasoning efforts it takes; () takes none
    batch: bool | None = None
    cache_min_tokens: int | None = None
    price: Rates | None = None
    batch_price: Rates | None = None
    recommended: bool = False  # named in the README (the default model is marked apart)
    sources: dict[str, str] = Field(default_factory=dict)  # fact → where it came from
    checked: dt.date


class Catalogue(BaseModel):
    """The whole file: when it was last refreshed, and every model by ``provider:model``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checked: dt.date
    models: dict[str, ModelFacts]

    @functools.cached_property
    def _by_alias(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for spec, facts in self.models.items():
            provider = spec.partition(":")[0]
            for alias in facts.aliases:
                found[f"{provider}:{alias}"] = spec
        return found

    def find(self, spec: str) -> tuple[str, ModelFacts] | None:
        """The entry for ``provider:model`` or one of its aliases."""
        key = self._by_alias.get(spec, spec)
        facts = self.models.get(key)
        return None if facts is None else (key, facts)

    def find_by_name(self, model: str) -> tuple[str, ModelFacts] | None:
        """An entry of any provider whose model (or alias) is ``model``, for openai-compatible servers
        that serve a known model under its own name (Gemini's OpenAI endpoint, OpenRouter's vendor/model)."""
        name = _VENDOR_PREFIX.sub("", model)
        for provider in sorted({spec.partition(":")[0] for spec in self.models}):
            if found := self.find(f"{provider}:{name}"):
                return found
        return None

    def dumps(self) -> str:
        """The file's text: stable order, one fact a line, so a refresh reads as a short diff."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        data["checked"] = self.checked.isoformat()
        data["models"] = {
            spec: self.models[spec].model_dump(mode="json", exclude_none=True, exclude_defaults=True)
            | {"checked": self.models[spec].checked.isoformat()}
            for spec in sorted(self.models)
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def parse_catalogue(text: str) -> Catalogue:
    return Catalogue.model_validate_json(text)


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue shipped with topicgen (read once per process)."""
    return parse_catalogue(CATALOGUE_FILE.read_text(encoding="utf-8"))


def facts_for(spec: str) -> ModelFacts | None:
    """The catalogue's facts for a spec; an ``openai-compatible:`` server's model is looked up by name."""
    found = catalogue().find(spec)
    if found is None and spec.startswith("openai-compatible:"):
        found = catalogue().find_by_name(spec.partition(":")[2])
    return None if found is None else found[1]


def nearest_effort(levels: tuple[str, ...], wanted: str) -> str | None:
    """The effort a model takes that is closest to ``wanted``: the same, else the nearest below, else the
    nearest above (Claude's scale starts at ``low``: ``none`` becomes ``low``); None if it takes none."""
    ranked = sorted((EFFORT_SCALE.index(level), level) for level in levels if level in EFFORT_SCALE)
    if not ranked or wanted not in EFFORT_SCALE:
        return None
    rank = EFFORT_SCALE.index(wanted)
    below = [level for position, level in ranked if position <= rank]
    return below[-1] if below else ranked[0][1]
