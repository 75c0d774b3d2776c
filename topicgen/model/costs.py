"""Estimated cost of a run: prices from genai-prices, overridden by ``[prices."<spec>"]``.

Prices are US dollars per million tokens. ``genai-prices`` (the Pydantic
team's maintained price data, bundled with the package, never fetched) knows
current models with their cache-read and cache-write rates and their batch
prices; a ``[prices."<spec>"]`` table in topicgen.toml wins over it, field by
field. Local models (``ollama:``) and replays cost nothing. A model neither
knows has no price, and ``--max-cost`` then asks for one.

genai-prices is imported only when a price is looked up, never at start-up.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from topicgen.model.clients.base import Usage

FREE_PROVIDERS = ("replay", "ollama")
PRICED_PROVIDERS = {"openai": "openai", "anthropic": "anthropic"}  # topicgen provider → genai-prices id
ANTHROPIC_CACHE_WRITE = 1.25  # 5-minute cache writes cost 1.25 × input
BATCH_DISCOUNT = 0.5  # both providers' batch APIs: half price (applied to [prices] overrides)


class Price(BaseModel):
    """USD per million tokens. Cache reads default to a tenth of input; cache writes to input."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(None, ge=0, description="cache reads; default: 10% of input")
    cache_write: float | None = Field(None, ge=0, description="cache writes; default: the input rate")

    def cost(self, usage: Usage) -> float:
        """``usage.input_tokens`` counts every input token, cache reads and writes included."""
        read = self.input / 10 if self.cached_input is None else self.cached_input
        write = self.input if self.cache_write is None else self.cache_write
        fresh = max(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens)
        return (
            fresh * self.input
            + usage.cached_tokens * read
            + usage.cache_write_tokens * write
            + usage.output_tokens * self.output
        ) / 1_000_000

    def scaled(self, factor: float) -> Price:
        return Price(
            input=self.input * factor,
            output=self.output * factor,
            cached_input=None if self.cached_input is None else self.cached_input * factor,
            cache_write=None if self.cache_write is None else self.cache_write * factor,
        )


class Priced(Protocol):
    """Anything that prices a run's usage: a ``Price``, or a ``BatchRunPrice``."""

    def cost(self, usage: Usage) -> float: ...


@dataclass(frozen=True)
class BatchRunPrice:
    """A batch run's price: replies from batches at the batch price, and the calls made live
    (``--reask live``, ``live``: their usage, part of the run's) at the live price."""

    batch: Price
    live_price: Price
    live: Usage

    def cost(self, usage: Usage) -> float:
        batched = Usage(*(max(0, getattr(usage, f.name) - getattr(self.live, f.name)) for f in fields(Usage)))
        return self.batch.cost(batched) + self.live_price.cost(self.live)


def run_price(spec: str, overrides: Mapping[str, Price] | None, *, batch: bool, live: Usage) -> Priced | None:
    """What a run's summary prices its usage at: the live price, or for a batch run the batch price
    with its live calls (``live``) at the live one."""
    price = price_for(spec, overrides, batch=batch)
    if not batch or price is None or live == Usage():
        return price
    live_price = price_for(spec, overrides)
    return price if live_price is None else BatchRunPrice(price, live_price, live)


def _rate(value: Any) -> float | None:
    """A genai-prices rate as a float: the base tier of a tiered price (topicgen's requests stay
    far below the long-context tiers, which start at 200k tokens and more)."""
    if value is None:
        return None
    if isinstance(value, Decimal | int | float):
        return float(value)
    return float(value.base)


@functools.lru_cache(maxsize=64)
def library_price(provider: str, model: str, *, batch: bool = False) -> Price | None:
    """The price genai-prices knows for a model today (batch prices with ``batch``), else None."""
    provider_id = PRICED_PROVIDERS.get(provider)
    if provider_id is None:
        return None
    from genai_prices.data_snapshot import get_snapshot

    try:
        _, info = get_snapshot().find_provider_model(model, None, provider_id, None)
    except LookupError:
        return None
    context = {"processing": "batch"} if batch else None
    prices = info.get_prices(datetime.now(UTC), context)
    input_rate, output_rate = _rate(prices.input_mtok), _rate(prices.output_mtok)
    if input_rate is None or output_rate is None:
        return None
    return Price(
        input=input_rate,
        output=output_rate,
        cached_input=_rate(prices.cache_read_mtok),
        cache_write=_rate(prices.cache_write_mtok),
    )


def price_for(
    spec: str, overrides: Mapping[str, Price] | None = None, *, batch: bool = False
) -> Price | None:
    """The price of a model spec (``provider:model``), or None when nobody knows it.

    An override ``[prices."<spec>"]`` wins; the fields it leaves out come from
    genai-prices for the same model (or the provider's rule: Anthropic cache
    writes at 1.25 × input). ``batch=True`` gives the batch API's price; an
    override is then taken at half, as both providers price batches.
    """
    provider, _, model = spec.partition(":")
    override = (overrides or {}).get(spec)
    if override is None:
        if provider in FREE_PROVIDERS:
            return Price(input=0, output=0, cached_input=0, cache_write=0)
        return library_price(provider, model, batch=batch)
    known = library_price(provider, model)
    fields = override.model_dump()
    for name in ("cached_input", "cache_write"):
        if name not in override.model_fields_set and known is not None:
            fields[name] = getattr(known, name)
    if fields["cache_write"] is None and provider == "anthropic":
        fields["cache_write"] = override.input * ANTHROPIC_CACHE_WRITE
    price = Price(**fields)
    return price.scaled(BATCH_DISCOUNT) if batch else price


def cache_note(spec: str, usage: Usage, calls: int) -> str | None:
    """One line when an Anthropic run of several calls neither wrote nor read the prompt cache.

    Below a model's minimum cacheable length the API caches nothing and says
    nothing: both counters stay 0. The counters are the evidence, so no table
    of minimums is needed to notice.
    """
    provider, _, model = spec.partition(":")
    if provider != "anthropic" or calls < 2 or usage.cached_tokens or usage.cache_write_tokens:
        return None
    return (
        f"nothing was cached in {calls} calls: the fixed prompt is under {model}'s minimum "
        "cacheable length (README: Prompt caching)"
    )
