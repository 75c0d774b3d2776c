"""Estimated cost of a run: prices from genai-prices, else topicgen's catalogue, overridden by ``[prices]``.

Prices are US dollars per million tokens. ``genai-prices`` (the Pydantic
team's maintained price data, bundled with the package, never fetched) knows
current models with their cache-read and cache-write rates and their batch
prices, each valid from a date: the price in force on the run's day
(``topicgen.clock``) is used. Where it does not know a model (it drops
retired ones; some previews have no entry), the last price topicgen's model
catalogue recorded is used, so a model never loses its price because a
package changed. A ``[prices."<spec>"]`` table in topicgen.toml wins over
both, field by field. Local models (``ollama:``) and replays cost nothing;
an ``openai-compatible:`` server serving a model known by name (Gemini's
OpenAI endpoint, OpenRouter's ``vendor/model``) is priced as that model. A
model nobody knows has no price, and ``--max-cost`` then asks for one.

genai-prices is imported only when a price is looked up, never at start-up, and not at all
when the price was found before on the same day in the same data (``price_memo``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Protocol

from topicgen import clock
from topicgen.model.catalogue import catalogue
from topicgen.model.clients.base import Usage
from topicgen.model.price import Price  # costs.Price, as ever

FREE_PROVIDERS = ("replay", "ollama")
GENAI_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "gemini": "google"}  # → genai-prices id
ANTHROPIC_CACHE_WRITE = 1.25  # 5-minute cache writes cost 1.25 × input
ANTHROPIC_CACHE_WRITE_1H = 2.0  # 1-hour cache writes (batches) cost 2 × input
BATCH_DISCOUNT = 0.5  # OpenAI's, Anthropic's and Gemini's batch APIs: half price


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


@dataclass(frozen=True)
class DearestPrice:
    """A fallback chain's price for a budget: each usage at the dearest of the chain's prices, so
    ``--max-cost`` holds whichever model writes the page."""

    prices: tuple[Price, ...]

    def cost(self, usage: Usage) -> float:
        return max(price.cost(usage) for price in self.prices)


@dataclass(frozen=True)
class ChainRunPrice:
    """A fallback chain run's price: the pages each model wrote (``written``: their usage) at that
    model's price, and the rest of the usage (pages that failed) at ``rest``."""

    written: tuple[tuple[Price, Usage], ...]
    rest: Price

    def cost(self, usage: Usage) -> float:
        attributed = sum((part for _, part in self.written), Usage())
        left = Usage(*(max(0, getattr(usage, f.name) - getattr(attributed, f.name)) for f in fields(Usage)))
        return sum(price.cost(part) for price, part in self.written) + self.rest.cost(left)


def chain_run_price(
    written: Mapping[str, Usage], first: str, overrides: Mapping[str, Price] | None
) -> ChainRunPrice | None:
    """The summary's price of a chain run: each model's pages (``written``: spec → their usage) at
    its own price, anything else at the ``first`` model's; None when one of them has no price."""
    prices: dict[str, Price] = {}
    for spec in (first, *written):
        if (price := price_for(spec, overrides)) is None:
            return None
        prices[spec] = price
    return ChainRunPrice(tuple((prices[spec], usage) for spec, usage in written.items()), prices[first])


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
    far below the long-context tiers, which start at 100k tokens and more)."""
    if value is None:
        return None
    if isinstance(value, Decimal | int | float):
        return float(value)
    return float(value.base)


def genai_price(provider: str, model: str, *, batch: bool = False) -> Price | None:
    """The price the installed genai-prices gives a model on the run's day (its batch price with
    ``batch``, None where it has no batch variant), else None. Tests replace this reader with a
    fixture of the same data (tests/conftest.py), so no test depends on the day's package."""
    provider_id = GENAI_PROVIDERS.get(provider)
    if provider_id is None:
        return None
    return _genai_price(provider_id, model, batch, clock.moment().date())


@functools.lru_cache(maxsize=128)
def _genai_price(provider_id: str, model: str, batch: bool, day: Any) -> Price | None:
    """The price genai-prices gives on ``day``: remembered from an earlier lookup of the same installed
    data on the same day (``price_memo``), else looked up (importing its table) and remembered."""
    from topicgen.model import price_memo

    known, price = price_memo.recall(provider_id, model, batch, day)
    if known:
        return price
    price, dated = _look_up(provider_id, model, batch)
    if dated:
        price_memo.remember(provider_id, model, batch, day, price)
    return price


def _look_up(provider_id: str, model: str, batch: bool) -> tuple[Price | None, bool]:
    """(the price genai-prices gives now, whether it depends on nothing but the day: a price with a
    time-of-day condition, off-peak rates, is not to be remembered for the day)."""
    from genai_prices.data_snapshot import get_snapshot

    try:
        _, info = get_snapshot().find_provider_model(model, None, provider_id, None)
    except LookupError:
        return None, True
    dated = _dated_only(info)
    live = info.get_prices(clock.moment(), None)
    prices = info.get_prices(clock.moment(), {"processing": "batch"}) if batch else live
    if batch and prices == live:  # no batch variant: the provider's rule applies (known_price)
        return None, dated
    input_rate, output_rate = _rate(prices.input_mtok), _rate(prices.output_mtok)
    if input_rate is None or output_rate is None:
        return None, dated
    price = Price(
        input=input_rate,
        output=output_rate,
        cached_input=_rate(prices.cache_read_mtok),
        cache_write=_rate(prices.cache_write_mtok),
        cache_write_1h=_rate(getattr(prices, "cache_write_1h_mtok", None)),
    )
    return price, dated


def _dated_only(info: Any) -> bool:
    """Whether every condition on a genai-prices model's prices is a start date (none is of the hour)."""
    try:
        from genai_prices.types import StartDateConstraint
    except ImportError:  # a genai-prices without dated prices: nothing to be sure of
        return False
    conditional = info.prices if isinstance(info.prices, list) else []
    variants = getattr(info, "price_variants", None) or []
    constraints = [getattr(condition, "constraint", None) for condition in [*conditional, *variants]]
    return all(found is None or isinstance(found, StartDateConstraint) for found in constraints)


def priced_as(spec: str) -> tuple[str, str]:
    """(provider, model) whose price applies: the catalogue's entry for an alias, and for an
    openai-compatible server the known model it serves by name."""
    provider, _, model = spec.partition(":")
    found = catalogue().find(spec)
    if found is None and provider == "openai-compatible":
        found = catalogue().find_by_name(model)
    if found is None:
        return provider, model
    known_provider, _, known_model = found[0].partition(":")
    return known_provider, known_model


def known_price(spec: str, *, batch: bool = False) -> Price | None:
    """The price of a model from genai-prices on the run's day, else the catalogue's last recorded
    one; a batch price, where neither has one for the model, is the live price at the batch discount."""
    provider, model = priced_as(spec)
    found = catalogue().find(f"{provider}:{model}")
    price = genai_price(provider, model, batch=batch)
    if price is None and found is not None:
        recorded = found[1].batch_price if batch else found[1].price
        price = None if recorded is None else Price(**recorded.model_dump())
    if price is None and batch and (live := known_price(spec)) is not None:
        price = live.scaled(BATCH_DISCOUNT)
    return price


def price_for(
    spec: str, overrides: Mapping[str, Price] | None = None, *, batch: bool = False
) -> Price | None:
    """The price of a model spec (``provider:model``), or None when nobody knows it.

    An override ``[prices."<spec>"]`` wins; the fields it leaves out come from
    the known price of the same model (or the provider's rule: Anthropic cache
    writes at 1.25 × input, 1-hour ones at 2 ×). ``batch=True`` gives the batch
    API's price; an override is then taken at half, as the providers price batches.
    """
    provider = spec.partition(":")[0]
    override = (overrides or {}).get(spec)
    if override is None:
        if provider in FREE_PROVIDERS:
            return Price(input=0, output=0, cached_input=0, cache_write=0, cache_write_1h=0)
        return known_price(spec, batch=batch)
    known = known_price(spec)
    rates = override.model_dump()
    for name in ("cached_input", "cache_write", "cache_write_1h"):
        if name not in override.model_fields_set and known is not None:
            rates[name] = getattr(known, name)
    if provider == "anthropic":
        if rates["cache_write"] is None:
            rates["cache_write"] = override.input * ANTHROPIC_CACHE_WRITE
        if rates["cache_write_1h"] is None:
            rates["cache_write_1h"] = override.input * ANTHROPIC_CACHE_WRITE_1H
    price = Price(**rates)
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
