"""How long the prefix is that Anthropic's prompt cache could hold, for each way topicgen asks.

The cached prefix is everything before the cache marker: the tool definitions
(in the forced-tool mode, the page schema is the tool's input schema) and the
system prompt. This builds the real request bodies (``messages_body``) for a
page and measures them. Token counts are estimates (Anthropic's tokenizer is
not public): prose at 4 characters a token, JSON at 3, so a range is shown.
The run summary's cache counters give the real figures; the minimums are the
current Claude models' in topicgen's model catalogue (Anthropic's published
ones), except that Sonnet 4.6 caches from about 2,048 in practice.

    python bench/prompt_cache.py
"""

from __future__ import annotations

import json

from topicgen.model.catalogue import catalogue
from topicgen.model.clients.anthropic import messages_body
from topicgen.model.clients.base import ModelRequest
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema

OBSERVED = {"claude-sonnet-4-6": 2_048}  # 1,024 published; about 2,048 observed
MINIMUMS = {
    spec.partition(":")[2]: OBSERVED.get(spec.partition(":")[2], facts.cache_min_tokens)
    for spec, facts in catalogue().models.items()
    if spec.startswith("anthropic:") and facts.status != "retired" and facts.cache_min_tokens
}


def measure_prefix() -> list[dict]:
    request = ModelRequest(tuple(Prompts().messages("Large Language Models")), page_json_schema())
    rows = []
    for mode, use_tool in (("structured outputs", False), ("forced tool", True)):
        body = messages_body("claude-haiku-4-5", request, use_tool=use_tool)
        system = "".join(block["text"] for block in body["system"])
        tools = json.dumps(body.get("tools", []), ensure_ascii=False) if use_tool else ""
        low = len(system) // 4 + len(tools) // 4
        high = len(system) // 4 + len(tools) // 3
        rows.append(
            {
                "mode": mode,
                "prefix_chars": len(system) + len(tools),
                "system_chars": len(system),
                "tool_chars": len(tools),
                "tokens_low": low,
                "tokens_high": high,
                "cached_on": [model for model, least in MINIMUMS.items() if low >= least],
                "maybe_on": [model for model, least in MINIMUMS.items() if low < least <= high],
            }
        )
    return rows


def main() -> None:
    print(f"{'mode':<20} {'chars':>7} {'tokens (est.)':>15}  cached on / borderline")
    for row in measure_prefix():
        tokens = f"{row['tokens_low']:,}-{row['tokens_high']:,}"
        cached = ", ".join(row["cached_on"]) or "none of the 4,096 models"
        maybe = ", ".join(row["maybe_on"]) or "-"
        print(f"{row['mode']:<20} {row['prefix_chars']:>7,} {tokens:>15}  {cached} / {maybe}")


if __name__ == "__main__":
    main()
