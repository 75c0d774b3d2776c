"""Estimated cost of a run, from a price table the user can override.

Prices are US dollars per million tokens. The built-in table is a starting
point, not a bill: providers change prices, so ``[prices."<spec>"]`` in
topicgen.toml wins.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from topicgen.model.clients.base import Usage


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(None, ge=0, description="default: 10% of input")

    def cost(self, usage: Usage) -> float:
        cached_rate = self.input / 10 if self.cached_input is None else self.cached_input
        fresh = max(0, usage.input_tokens - usage.cached_tokens)
        return (
            fresh * self.input + usage.cached_tokens * cached_rate + usage.output_tokens * self.output
        ) / 1_000_000


BUILTIN_PRICES: dict[str, Price] = {
    "openai:gpt-5": Price(input=1.25, output=10.0, cached_input=0.125),
    "openai:gpt-5-mini": Price(input=0.25, output=2.0, cached_input=0.025),
    "openai:gpt-5-nano": Price(input=0.05, output=0.4, cached_input=0.005),
    "openai:gpt-4.1": Price(input=2.0, output=8.0, cached_input=0.5),
    "openai:gpt-4.1-mini": Price(input=0.4, output=1.6, cached_input=0.1),
    "openai:gpt-4o-mini": Price(input=0.15, output=0.6, cached_input=0.075),
    "anthropic:claude-opus-4-1": Price(input=15.0, output=75.0, cached_input=1.5),
    "anthropic:claude-sonnet-4-5": Price(input=3.0, output=15.0, cached_input=0.3),
    "anthropic:claude-haiku-4-5": Price(input=1.0, output=5.0, cached_input=0.1),
}
FREE_PROVIDERS = ("replay:", "ollama:")


def price_for(spec: str, overrides: Mapping[str, Price] | None = None) -> Price | None:
    """The price of a model spec: an override, else the built-in entry it starts with."""
    table = {**BUILTIN_PRICES, **(overrides or {})}
    if spec in table:
        return table[spec]
    if spec.startswith(FREE_PROVIDERS):
        return Price(input=0, output=0)
    matches = [key for key in table if spec.startswith(key)]
    return table[max(matches, key=len)] if matches else None
