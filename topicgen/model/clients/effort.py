"""Which models take a reasoning effort, and how each provider spells it.

A low effort keeps reasoning from eating the output budget (a page is long,
and a reply that runs out ends in ``length``). Neither SDK says offline which
models take which values, so this keeps a short list by model family; a
model that rejects the parameter anyway is asked again without it (the
adapters do that) and keeps its own default from then on.
"""

from __future__ import annotations

import re

# OpenAI reasoning models: o-series, gpt-5 and later, gpt-oss; not the *-chat-latest aliases.
_OPENAI_REASONING = re.compile(r"^(o\d|gpt-[5-9]|gpt-oss)")
# Anthropic's effort (output_config.effort): Opus 4.5 and later, Sonnet/Haiku 4.6 and later, 5.x families.
_ANTHROPIC_EFFORT = re.compile(r"^claude-(opus-4-[5-9]|(sonnet|haiku)-4-[6-9]|[a-z]+-[5-9])")
_ANTHROPIC_VALUES = {"none": "low", "minimal": "low"}  # Anthropic's scale starts at low
NO_EFFORT = "no_effort"  # the request form without the effort, once a model has rejected it


def openai_effort(model: str, effort: str | None) -> str | None:
    """The ``reasoning_effort`` to send to an OpenAI model, or None where it takes none."""
    if effort is None or "chat-latest" in model or not _OPENAI_REASONING.match(model):
        return None
    return effort


def anthropic_effort(model: str, effort: str | None) -> str | None:
    """The ``output_config.effort`` to send to a Claude model, or None where it takes none."""
    if effort is None or not _ANTHROPIC_EFFORT.match(model):
        return None
    return _ANTHROPIC_VALUES.get(effort, effort)


def rejects_effort(status: int, said: str) -> bool:
    """A 400 about the effort parameter (``said``: the message and the body, which names the param)."""
    return status == 400 and "effort" in said.lower()
