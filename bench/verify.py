"""What checking references costs: the lookups' share of a page's wall time, and the book re-asks' tokens.

Drafts topics with the library, as ``topicgen new`` does (``Drafter`` on the
run engine, no reply cache), against the fake provider (model replies take
``latency`` seconds) and the stand-in catalog and YouTube
(``topicgen.testing.ReferenceServer``, every lookup takes ``lookup`` seconds),
which knows half of the books, videos and channels the fake provider invents.
Three runs over the same topics:

- **off**: checks off, the baseline;
- **uncached**: checks on, an empty lookup cache;
- **cached**: the same pages again (``--force``), every lookup answered from
  the vault's cache (``.topicgen/cache/verify``).

Per page: its wall time (first request to written page), the time it waited
on lookups and their share of it. Per run: the wall time. Tokens: what one
page costs without re-asks, and what the one books re-ask adds (the fake
provider returns the same books again, so every unknown book is re-asked).

    python bench/verify.py            # 24 topics, 3 s replies, 0.3 s lookups; into bench/results.json
    python bench/verify.py --smoke    # seconds (the test suite runs it); bench/results-smoke.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
API_KEY = "bench-not-a-real-key"
PRICED_AS = "openai:gpt-6-luna"  # the default model: tokens are the fake provider's, prices a real model's


def measure_verify(smoke: bool = False) -> dict[str, Any]:
    from topicgen.testing import FakeProvider, ReferenceServer

    topics = [f"Bench Topic {n}" for n in range(4 if smoke else 24)]
    latency, lookup, concurrency = (0.05, 0.02, 4) if smoke else (3.0, 0.3, 4)
    with (
        FakeProvider(latency=latency, record_requests=False) as model,
        ReferenceServer(latency=lookup) as refs,
    ):
        refs.learn_half_of(topics)
        os.environ.update(
            {
                "OPENAI_API_KEY": API_KEY,
                "OPENAI_BASE_URL": model.openai_base_url,
                "TOPICGEN_MODEL": "openai:fake-model",
                "TOPICGEN_CONCURRENCY": str(concurrency),
                **refs.env(),
            }
        )
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            runs = [
                asyncio.run(_run("off", root / "off", topics, verify=False, force=False)),
                asyncio.run(_run("uncached", root / "on", topics, verify=True, force=False)),
                asyncio.run(_run("cached", root / "on", topics, verify=True, force=True)),
            ]
        lookups = refs.stats().requests
    off, uncached = runs[0], runs[1]
    extra = {key: uncached["usage"][key] - off["usage"][key] for key in off["usage"]}
    return {
        "topics": len(topics),
        "concurrency": concurrency,
        "model_latency_s": latency,
        "lookup_latency_s": lookup,
        "lookups_served": lookups,
        "runs": runs,
        "page_usage": off["usage"],
        "reask_usage_per_page": extra,
        "reask_extra_tokens_pct": round(100 * (extra["input"] + extra["output"]) / _tokens(off["usage"]), 1),
        "reask_extra_cost_pct": round(100 * (uncached["cost_usd"] / off["cost_usd"] - 1), 1),
        "priced_as": PRICED_AS,
    }


def _tokens(usage: dict[str, float]) -> float:
    return usage["input"] + usage["output"]


async def _run(name: str, root: Path, topics: list[str], *, verify: bool, force: bool) -> dict[str, Any]:
    from topicgen.config import open_vault
    from topicgen.model.costs import price_for
    from topicgen.runs.api import build_client, engine_for
    from topicgen.runs.draft import Drafter

    root.mkdir(exist_ok=True)
    vault, settings = open_vault(root, {"verify": {"enabled": verify}})
    client = build_client(settings)
    drafter = Drafter(vault, settings, client, force=force, verify=True)
    page_seconds: list[float] = []

    async def timed(topic: str):
        started = time.perf_counter()
        outcome = await drafter.draft(topic)
        page_seconds.append(time.perf_counter() - started)
        return outcome

    started = time.perf_counter()
    try:
        report = await engine_for(settings).run(topics, timed)
    finally:
        await client.aclose()
        await drafter.aclose()
    wall = time.perf_counter() - started
    outcomes = [outcome for _, outcome in report.results]
    if any(outcome.status.value != "written" for outcome in outcomes):
        raise RuntimeError(f"{name}: not every page was written: {[o.detail for o in outcomes]}")
    references = [outcome.references for outcome in outcomes if outcome.references is not None]
    waited = [refs.seconds for refs in references] or [0.0]
    page = statistics.mean(page_seconds)
    usage = {
        "input": statistics.mean(o.usage.input_tokens for o in outcomes),
        "cached": statistics.mean(o.usage.cached_tokens for o in outcomes),
        "output": statistics.mean(o.usage.output_tokens for o in outcomes),
    }
    price = price_for(PRICED_AS)
    cost = sum(price.cost(o.usage) for o in outcomes) / len(outcomes) if price else 0.0
    return {
        "run": name,
        "wall_s": round(wall, 3),
        "page_s": round(page, 3),
        "lookup_s": round(statistics.mean(waited), 3),
        "lookup_share_pct": round(100 * statistics.mean(waited) / page, 1),
        "usage": {key: round(value) for key, value in usage.items()},
        "cost_usd": round(cost, 6),
        "verified_pages": sum(1 for refs in references if refs.verified),
    }


def print_verify(result: dict[str, Any]) -> None:
    print(
        f"reference checks ({result['topics']} topics, concurrency {result['concurrency']}, "
        f"{result['model_latency_s']:g} s replies, {result['lookup_latency_s']:g} s lookups; bench/verify.py)"
    )
    print(f"  {'run':<10} {'wall s':>7} {'page s':>7} {'lookups s':>9} {'share':>6}")
    for run in result["runs"]:
        print(
            f"  {run['run']:<10} {run['wall_s']:>7.2f} {run['page_s']:>7.2f} {run['lookup_s']:>9.3f} "
            f"{run['lookup_share_pct']:>5.1f}%"
        )
    extra, page = result["reask_usage_per_page"], result["page_usage"]
    print(
        f"  books re-ask per page: +{extra['input']:,} in ({extra['cached']:,} of them cached), "
        f"+{extra['output']:,} out; a page alone: {page['input']:,} in, {page['output']:,} out"
    )
    print(
        f"  = +{result['reask_extra_tokens_pct']:.1f}% tokens, +{result['reask_extra_cost_pct']:.1f}% cost "
        f"(priced as {result['priced_as']})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a fast version (seconds), for CI")
    parser.add_argument("--output", type=Path, help="the results file to add the figures to")
    args = parser.parse_args(argv)
    output = args.output or HERE / ("results-smoke.json" if args.smoke else "results.json")
    result = measure_verify(args.smoke)
    results = json.loads(output.read_text(encoding="utf-8")) if output.exists() else {}
    results["verify"] = result
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_verify(result)
    print(f"\nresults written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
