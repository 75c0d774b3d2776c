"""Prices come from genai-prices, ``[prices]`` overrides them; cache reads and writes are priced apart."""

from __future__ import annotations

import datetime as dt
import io
import re
import socket
from pathlib import Path

import pytest

from topicgen.config import DEFAULT_MODEL, Settings
from topicgen.model.clients import create_client
from topicgen.model.clients.base import Message, ModelRequest, Usage
from topicgen.model.costs import Price, price_for
from topicgen.runs.engine import RunReport
from topicgen.runs.workshop import Outcome, Status

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
HAIKU = "anthropic:claude-haiku-4-5"
SONNET = "anthropic:claude-sonnet-4-6"
TODAY = dt.date(2026, 12, 6)
REQUEST = ModelRequest((Message("system", "Write notes."), Message("user", "Rust")), {"type": "object"})


def readme_specs() -> set[str]:
    found = re.findall(r"(?<![\w-])((?:openai|anthropic|ollama):[a-z0-9][\w.\-]*[a-z0-9])", README)
    return set(found) | {DEFAULT_MODEL}


# --- where prices come from ----------------------------------------------------------------------


def test_prices_come_from_genai_prices_with_cache_read_and_write_rates():
    assert price_for(HAIKU) == Price(
        input=1.0, output=5.0, cached_input=0.1, cache_write=1.25, cache_write_1h=2.0
    )


def test_a_dated_model_id_gets_its_models_price():
    assert price_for("anthropic:claude-haiku-4-5-20251001") == price_for(HAIKU)


@pytest.mark.parametrize("spec", sorted(readme_specs()))
def test_every_model_the_readme_names_has_a_price(spec):
    assert price_for(spec) is not None, f"{spec} has no price: --max-cost could not be used with it"


@pytest.mark.parametrize(
    ("spec", "live", "batch"),
    [
        (
            "gemini:gemini-3.1-flash-lite-preview",
            Price(input=0.25, output=1.5, cached_input=0.025),
            Price(input=0.125, output=0.75, cached_input=0.0125),
        ),
        (
            "gemini:gemini-3-flash-preview",
            Price(input=0.5, output=3.0, cached_input=0.05),
            Price(input=0.25, output=1.5, cached_input=0.05),
        ),
    ],
)
def test_gemini_models_are_priced_from_genai_prices_live_and_in_batches(spec, live, batch):
    assert price_for(spec) == live
    assert price_for(spec, batch=True) == batch


def test_a_gemini_reply_pays_its_implicitly_cached_tokens_at_the_cached_rate():
    usage = Usage(input_tokens=10_000, output_tokens=1_000, cached_tokens=4_000, reasoning_tokens=200)
    expected = (6_000 * 0.25 + 4_000 * 0.025 + 1_000 * 1.5) / 1_000_000
    assert price_for("gemini:gemini-3.1-flash-lite-preview").cost(usage) == pytest.approx(expected)


def test_an_unknown_model_has_no_price_rather_than_a_neighbours():
    assert price_for("openai:gpt-5.5-mini") is None  # once priced as gpt-5 by prefix
    assert price_for("openai-compatible:qwen2.5") is None


def test_local_and_replayed_models_are_free():
    assert price_for("ollama:llama3.1").cost(Usage(10_000, 5_000)) == 0
    assert price_for("replay:fixtures/exchanges").cost(Usage(10_000, 5_000)) == 0


def test_an_override_wins_and_what_it_leaves_out_comes_from_genai_prices():
    price = price_for(HAIKU, {HAIKU: Price(input=2.0, output=8.0)})
    assert price == Price(input=2.0, output=8.0, cached_input=0.1, cache_write=1.25, cache_write_1h=2.0)


def test_an_override_prices_a_model_genai_prices_does_not_know():
    spec = "anthropic:claude-private-7"
    price = price_for(spec, {spec: Price(input=4.0, output=20.0)})
    assert price.cache_write == 5.0  # Anthropic's 5-minute cache writes: 1.25 × input
    assert price_for("openai-compatible:qwen2.5", {"openai-compatible:qwen2.5": Price(input=0.1, output=0.2)})


def test_price_overrides_are_read_from_settings_with_cache_writes():
    settings = Settings.model_validate({"prices": {HAIKU: {"input": 1, "output": 5, "cache_write": 1.5}}})
    assert price_for(HAIKU, settings.prices).cache_write == 1.5


def test_batch_prices_are_asked_for_with_a_flag():
    assert price_for(HAIKU, batch=True) == Price(
        input=0.5, output=2.5, cached_input=0.05, cache_write=0.625, cache_write_1h=1.0
    )
    overridden = price_for(HAIKU, {HAIKU: Price(input=2.0, output=8.0)}, batch=True)
    assert (overridden.input, overridden.output) == (1.0, 4.0)


def test_looking_up_a_price_makes_no_network_call(monkeypatch):
    from topicgen.model import costs

    costs._genai_price.cache_clear()

    def refuse(*args, **kwargs):
        raise AssertionError("a price lookup tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert costs._genai_price("openai", "gpt-6-luna", False, TODAY) is not None


def test_a_model_genai_prices_no_longer_knows_keeps_the_catalogues_last_price(fixture_prices):
    fixture_prices.pop("anthropic:claude-sonnet-4-5")

    assert price_for("anthropic:claude-sonnet-4-5") == Price(
        input=3.0, output=15.0, cached_input=0.3, cache_write=3.75, cache_write_1h=6.0
    )


def test_a_newer_genai_prices_wins_over_the_catalogues_recorded_price(fixture_prices):
    fixture_prices["openai:gpt-6-luna"] = {"live": {"input": 0.05, "output": 0.25}}

    assert (price_for("openai:gpt-6-luna").input, price_for("openai:gpt-6-luna").output) == (0.05, 0.25)


def test_a_batch_price_nobody_lists_is_the_live_price_at_half(fixture_prices):
    fixture_prices["openai:gpt-6-luna"].pop("batch")
    assert price_for("openai:gpt-6-luna", batch=True) == price_for("openai:gpt-6-luna").scaled(0.5)


@pytest.mark.parametrize(
    ("spec", "priced_as"),
    [
        (
            "openai-compatible:gemini-3-flash-preview",
            "gemini:gemini-3-flash-preview",
        ),  # Gemini's OpenAI endpoint
        ("openai-compatible:google/gemini-3-flash-preview", "gemini:gemini-3-flash-preview"),  # OpenRouter
        ("openai-compatible:gpt-6-luna", "openai:gpt-6-luna"),
    ],
)
def test_an_openai_compatible_server_serving_a_known_model_is_priced_as_that_model(spec, priced_as):
    assert price_for(spec) == price_for(priced_as) is not None


# --- what a usage costs --------------------------------------------------------------------------


def test_cache_reads_and_writes_are_priced_apart_from_fresh_input():
    usage = Usage(input_tokens=10_000, output_tokens=1_000, cached_tokens=6_000, cache_write_tokens=2_000)
    expected = (2_000 * 1.0 + 6_000 * 0.1 + 2_000 * 1.25 + 1_000 * 5.0) / 1_000_000
    assert price_for(HAIKU).cost(usage) == pytest.approx(expected)


async def test_an_anthropic_reply_with_cache_writes_is_priced_at_1_25_times_input(provider):
    provider.then(provider.recorded("anthropic-cache-write"))
    client = create_client(HAIKU, provider.options())
    reply = await client.complete(REQUEST)
    await client.aclose()
    assert reply.usage == Usage(
        input_tokens=31 + 4_410, output_tokens=2_107, cached_tokens=0, cache_write_tokens=4_410
    )
    expected = (31 * 1.0 + 4_410 * 1.25 + 2_107 * 5.0) / 1_000_000
    assert price_for(HAIKU).cost(reply.usage) == pytest.approx(expected)


def test_one_hour_cache_writes_are_priced_at_their_own_rate_in_batches():
    """Batches cache the prompt for an hour: Sonnet 4.6 batch writes cost $3.00 per million
    (genai-prices' cache_write_1h at the batch discount), not the 5-minute $1.875."""
    price = price_for(SONNET, batch=True)
    usage = Usage(input_tokens=1_000_000, cache_write_tokens=1_000_000, cache_write_1h_tokens=1_000_000)

    assert price.cache_write_1h == 3.0
    assert price.cost(usage) == pytest.approx(3.0)


def test_five_minute_and_one_hour_writes_in_one_usage_are_priced_apart():
    usage = Usage(input_tokens=3_000_000, cache_write_tokens=3_000_000, cache_write_1h_tokens=1_000_000)
    assert price_for(SONNET).cost(usage) == pytest.approx(2 * 3.75 + 1 * 6.0)


async def test_an_anthropic_reply_reports_its_one_hour_cache_writes_apart(provider):
    import httpx2

    reply = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [{"type": "text", "text": "{}"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 31,
            "output_tokens": 100,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 4_410,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 4_410},
        },
    }
    provider.then(httpx2.Response(200, json=reply))
    client = create_client(SONNET, provider.options())
    answer = await client.complete(REQUEST)
    await client.aclose()

    assert (answer.usage.cache_write_tokens, answer.usage.cache_write_1h_tokens) == (4_410, 4_410)


# --- the run summary -----------------------------------------------------------------------------


def test_the_run_summary_shows_cache_reads_writes_and_the_cost():
    from rich.console import Console

    from topicgen.runs.progress import TerminalDisplay

    usage = Usage(input_tokens=8_851, output_tokens=4_095, cached_tokens=4_410, cache_write_tokens=4_410)
    report = RunReport(results=[("Rust", Outcome("Rust", Status.WRITTEN, usage=usage))])
    out = io.StringIO()
    TerminalDisplay(Console(file=out, width=200)).summary(report, price_for(HAIKU))
    text = out.getvalue()
    assert "8,851 in, 4,095 out, 4,410 cached, 4,410 written to cache" in text
    assert f"about ${price_for(HAIKU).cost(usage):.4f}" in text
