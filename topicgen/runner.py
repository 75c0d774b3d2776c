"""Library entry points behind the CLI: open a vault, build a client, draft topics."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topicgen.cache import ReplyCache
from topicgen.clients import ClientOptions, ModelSpec, create_client
from topicgen.clients.base import ModelClient, Usage
from topicgen.clients.ratelimit import RateLimitedClient, RateLimiter
from topicgen.clients.retrying import RetryingClient
from topicgen.config import Settings
from topicgen.costs import price_for
from topicgen.engine import Budget, Engine, RunReport
from topicgen.errors import UsageError
from topicgen.pipeline import Drafter
from topicgen.prompt import Prompts
from topicgen.schema import page_json_schema
from topicgen.vault import Vault
from topicgen.vault.slugs import clean_topic_name, slug_for

CHARS_PER_TOKEN = 4  # a rough, provider-neutral estimate; real counts come back in usage
EXPECTED_OUTPUT_TOKENS = 3_000  # about what the reference page costs
EXPECTED_USAGE = Usage(input_tokens=4_000, output_tokens=EXPECTED_OUTPUT_TOKENS)


def build_client(
    settings: Settings,
    record: Path | None = None,
    transport: Any = None,
    limiter: RateLimiter | None = None,
) -> ModelClient:
    """The configured model's client: retries around the rate limiter around the adapter.

    ``record`` saves every exchange (minus secrets) under that folder.
    """
    provider = ModelSpec.parse(settings.model).provider
    configured = settings.provider(provider)
    if record is not None:
        from topicgen.clients.wire import RecordingTransport

        transport = RecordingTransport(record, transport)
    options = ClientOptions(
        timeout=settings.timeout,
        base_url=configured.base_url,
        api_key_env=configured.api_key_env,
        transport=transport,
    )
    limiter = limiter or RateLimiter(settings.rpm, settings.tpm, max_in_flight=settings.concurrency)
    return RetryingClient(
        RateLimitedClient(create_client(settings.model, options), limiter),
        attempts=settings.retries,
        initial_wait=settings.retry_wait,
        max_wait=settings.retry_max_wait,
    )


def clean_topics(names: list[str]) -> list[str]:
    """Validated, de-duplicated topic names (by slug), in the order given."""
    if not names:
        raise UsageError("no topics given")
    seen: set[str] = set()
    topics = []
    for name in names:
        topic = clean_topic_name(name)
        slug = slug_for(topic)
        if slug not in seen:
            seen.add(slug)
            topics.append(topic)
    return topics


def engine_for(settings: Settings, per_job: Usage = EXPECTED_USAGE) -> Engine:
    """The run engine: twice ``concurrency`` pages in hand, so one page is rendered and written
    while the next one's request is already in flight (the client stack caps requests at
    ``concurrency``)."""
    return Engine(settings.concurrency * 2, budget=budget_for(settings, per_job))


def budget_for(settings: Settings, per_job: Usage) -> Budget | None:
    """The --max-cost budget, pricing each job in flight at ``per_job`` tokens."""
    if settings.max_cost is None:
        return None
    price = price_for(settings.model, settings.prices)
    if price is None:
        raise UsageError(
            f'--max-cost needs a price for {settings.model}: add [prices."{settings.model}"] '
            "input = ..., output = ... (USD per million tokens) to topicgen.toml"
        )
    return Budget(settings.max_cost, price.cost, per_job_estimate=price.cost(per_job))


async def draft_topics(
    vault: Vault,
    settings: Settings,
    topics: list[str],
    *,
    client: ModelClient,
    force: bool = False,
    to_stdout: bool = False,
    engine: Engine | None = None,
    use_cache: bool = True,
) -> RunReport:
    """Draft pages for ``topics``; the client is closed when the run ends."""
    cache = ReplyCache.of_vault(vault.state_dir) if use_cache and not to_stdout else None
    drafter = Drafter(vault, settings, client, force=force, to_stdout=to_stdout, cache=cache)
    return await run_closing(engine or engine_for(settings), topics, drafter.draft, client)


async def run_closing(
    engine: Engine, items: list[Any], worker: Callable[[Any], Awaitable[Any]], client: ModelClient
) -> RunReport:
    """Run ``worker`` over ``items`` on ``engine``; the client is closed however the run ends."""
    try:
        return await engine.run(items, worker)
    finally:
        await client.aclose()


@dataclass(frozen=True)
class Plan:
    topic: str
    path: Path
    exists: bool
    messages: list[dict[str, str]]
    input_tokens: int
    output_tokens: int


def plan_topics(vault: Vault, topics: list[str]) -> list[Plan]:
    """What ``new`` would send for each topic, with a token estimate; no call is made."""
    prompts = Prompts(vault.root)
    schema_chars = len(json.dumps(page_json_schema(), ensure_ascii=False))
    plans = []
    for topic in topics:
        messages = [{"role": m.role, "content": m.content} for m in prompts.messages(topic)]
        chars = sum(len(m["content"]) for m in messages) + schema_chars
        path = vault.topic_path(slug_for(topic))
        plans.append(
            Plan(topic, path, path.exists(), messages, chars // CHARS_PER_TOKEN, EXPECTED_OUTPUT_TOKENS)
        )
    return plans
