"""Anthropic prompt caching: writes and reads counted apart, and an unformed cache noticed from the counters.

Below a model's minimum cacheable length the API neither errs nor caches:
both counters stay 0. topicgen notices that from the usage (no table of
minimums needed) and says so once after the run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from topicgen.model.clients import create_client
from topicgen.model.clients.base import Message, ModelRequest, Usage
from topicgen.model.costs import cache_note

REPO = Path(__file__).resolve().parent.parent
REQUEST = ModelRequest((Message("system", "Write notes."), Message("user", "Rust")), {"type": "object"})


async def usages(provider, *fixtures: str) -> list[Usage]:
    provider.then(*(provider.recorded(name) for name in fixtures))
    client = create_client("anthropic:claude-haiku-4-5", provider.options())
    try:
        return [(await client.complete(REQUEST)).usage for _ in fixtures]
    finally:
        await client.aclose()


async def test_a_formed_cache_is_written_once_then_read(provider):
    first, second = await usages(provider, "anthropic-cache-write", "anthropic-cache-read")
    assert (first.cache_write_tokens, first.cached_tokens) == (4_410, 0)
    assert (second.cache_write_tokens, second.cached_tokens) == (0, 4_410)
    assert cache_note("anthropic:claude-haiku-4-5", first + second, 2) is None


async def test_an_unformed_cache_is_noticed_from_the_usage_counters(provider):
    replies = await usages(provider, "anthropic-cache-unformed", "anthropic-cache-unformed")
    note = cache_note("anthropic:claude-haiku-4-5", sum(replies, Usage()), len(replies))
    assert note and "nothing was cached in 2 calls" in note and "claude-haiku-4-5" in note


def test_one_call_or_another_provider_gets_no_note():
    assert cache_note("anthropic:claude-haiku-4-5", Usage(1_236, 2_051), 1) is None
    assert cache_note("openai:gpt-6-luna", Usage(2_472, 4_102), 2) is None


def test_a_run_whose_prompt_is_under_the_minimum_says_so_once(topicgen_cli, empty_vault):
    topicgen_cli.server.configure(cache_min_tokens=100_000)
    result = topicgen_cli.run("new", "Rust", "Go", "--vault", str(empty_vault), provider="anthropic")
    assert result.exit_code == 0, result.stderr
    (note,) = [line for line in result.stderr.splitlines() if line.startswith("note: nothing was cached")]
    assert "in 2 calls" in note


def test_a_run_whose_cache_forms_has_no_note(topicgen_cli, empty_vault):
    result = topicgen_cli.run("new", "Rust", "Go", "--vault", str(empty_vault), provider="anthropic")
    assert result.exit_code == 0, result.stderr
    assert "nothing was cached" not in result.stderr


def test_the_prefix_measurement_reports_both_ways_of_asking():
    spec = importlib.util.spec_from_file_location("bench_prompt_cache", REPO / "bench" / "prompt_cache.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = {row["mode"]: row for row in bench.measure_prefix()}
    assert set(rows) == {"structured outputs", "forced tool"}
    assert 0 < rows["structured outputs"]["prefix_chars"] < rows["forced tool"]["prefix_chars"]
