"""Which reasoning effort a model is sent, and how each provider spells it.

A low effort keeps reasoning from eating the output budget (a page is long,
and a reply that runs out ends in ``length``). The model catalogue says which
efforts a model takes; the configured one is sent where the model takes it,
else the nearest it does take (``none`` on gpt-5 is ``minimal``; Claude's scale
starts at ``low``). For a model the catalogue does not know, a short rule by
model family decides, and a model that rejects the parameter anyway is asked
again without it (the adapters do that) and keeps its own default from then on.
"""

from __future__ import annotations

import re

from topicgen.model.catalogue import facts_for, nearest_effort

# For models the catalogue does not know: OpenAI's reasoning models (o-series, gpt-5 and later,
# gpt-oss; not the *-chat-latest aliases), and Claude's effort models (Opus 4.5 and later,
# Sonnet/Haiku 4.6 and later, the 5.x families).
_OPENAI_REASONING = re.compile(r"^(o\d|gpt-[5-9]|gpt-oss)")
_ANTHROPIC_EFFORT = re.compile(r"^claude-(opus-4-[5-9]|(sonnet|haiku)-4-[6-9]|[a-z]+-[5-9])")
_ANTHROPIC_VALUES = {"none": "low", "minimal": "low"}  # Anthropic's scale starts at low
NO_EFFORT = "no_effort"  # the request form without the effort, once a model has rejected it
# Gemini 3 and later take a thinking level (minimal, low, medium, high); 2.5 takes a token budget instead.
_GEMINI_THINKING = re.compile(r"^gemini-([3-9]|\d{2,})")
_GEMINI_LEVELS = ("minimal", "low", "medium", "high")


def _from_catalogue(spec: str, effort: str) -> tuple[bool, str | None]:
    """(whether the catalogue knows the model's efforts, the effort to send)."""
    facts = facts_for(spec)
    if facts is None or facts.effort is None:
        return False, None
    return True, nearest_effort(facts.effort, effort)


def openai_effort(model: str, effort: str | None) -> str | None:
    """The ``reasoning_effort`` to send to an OpenAI model, or None where it takes none."""
    if effort is None:
        return None
    known, chosen = _from_catalogue(f"openai:{model}", effort)
    if known:
        return chosen
    if "chat-latest" in model or not _OPENAI_REASONING.match(model):
        return None
    return effort


def anthropic_effort(model: str, effort: str | None) -> str | None:
    """The ``output_config.effort`` to send to a Claude model, or None where it takes none."""
    if effort is None:
        return None
    known, chosen = _from_catalogue(f"anthropic:{model}", effort)
    if known:
        return chosen
    if not _ANTHROPIC_EFFORT.match(model):
        return None
    return _ANTHROPIC_VALUES.get(effort, effort)


def gemini_thinking_level(model: str, effort: str | None) -> str | None:
    """The ``thinking_config.thinking_level`` to send a Gemini model (``LOW``...), or None where it takes
    none: the catalogue's levels (Gemini 3), else Gemini 3 and later by name, on Gemini's scale."""
    if effort is None:
        return None
    known, chosen = _from_catalogue(f"gemini:{model}", effort)
    if not known:
        chosen = nearest_effort(_GEMINI_LEVELS, effort) if _GEMINI_THINKING.match(model) else None
    return chosen.upper() if chosen else None


def catalogue_effort(spec: str, effort: str | None) -> str | None:
    """The effort to send a model only the catalogue knows the efforts of (Gemini's thinking level,
    a known model behind an openai-compatible server); None where it takes none or is unknown."""
    if effort is None:
        return None
    return _from_catalogue(spec, effort)[1]


def effort_note(spec: str, effort: str | None) -> str | None:
    """Why a configured effort is not sent, for a dry run and ``topicgen config`` (None when it is sent
    or none is configured): an openai-compatible server is sent one only for a model the catalogue
    knows takes it, since servers reject parameters they do not know."""
    if effort is None or not spec.startswith("openai-compatible:") or catalogue_effort(spec, effort):
        return None
    return (
        f"reasoning_effort {effort!r} is not sent to {spec}: the model catalogue does not know it takes one"
    )


def rejects_effort(status: int, said: str) -> bool:
    """A 400 about the effort parameter (``said``: the message and the body, which names the param)."""
    return status == 400 and "effort" in said.lower()
