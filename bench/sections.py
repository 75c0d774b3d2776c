"""Tokens saved by regenerating sections instead of whole pages.

For the reference page ("Large Language Models"), builds the real requests
topicgen sends — the whole-page prompt and schema, or the section prompt
(the current page as context) with a schema of just those sections — and
the replies the reference page data implies, and counts tokens at four
characters a token (the providers' own counts differ by tokenizer; the
ratios are what matter). Cost uses the default model's price (genai-prices).

    python bench/sections.py
"""

from __future__ import annotations

import json
from pathlib import Path

from topicgen.config import DEFAULT_MODEL
from topicgen.model.clients.base import Usage
from topicgen.model.costs import price_for
from topicgen.model.prompt import Prompts
from topicgen.page.render import render_body
from topicgen.page.schema import TopicSummary, page_json_schema
from topicgen.page.sections import section_model
from topicgen.upkeep.view import VaultView

REPO = Path(__file__).resolve().parent.parent
TOPIC = "Large Language Models"
CASES = (("joke",), ("joke", "books"), ("videos",), ("history", "example", "joke"))
PRICED_AS = DEFAULT_MODEL


def _tokens(text: str) -> int:
    return len(text) // 4


def _usage(messages, schema: dict, reply: dict) -> Usage:
    prompt = sum(len(m.content) for m in messages) + len(json.dumps(schema, ensure_ascii=False))
    return Usage(prompt // 4, _tokens(json.dumps(reply, ensure_ascii=False)))


def measure_section_savings() -> list[dict]:
    from topicgen.config import load_settings
    from topicgen.vault import Vault

    root = REPO / "fixtures" / "vaults" / "reference"
    data = json.loads(
        (REPO / "fixtures" / "pages" / "large-language-models.json").read_text(encoding="utf-8")
    )
    page = TopicSummary.model_validate(data)
    prompts = Prompts(root)
    body = render_body(page, VaultView.scan(Vault.open(root), load_settings(root)).context(TOPIC))
    price = price_for(PRICED_AS)
    assert price is not None
    whole = _usage(prompts.messages(TOPIC), page_json_schema(), data)
    rows = [{"sections": "whole page", **_row(whole, whole, price)}]
    for keys in CASES:
        model = section_model(keys)
        messages = prompts.section_messages(TOPIC, list(keys), body)
        usage = _usage(messages, page_json_schema(model), {key: data[key] for key in keys})
        rows.append({"sections": ", ".join(keys), **_row(usage, whole, price)})
    return rows


def _row(usage: Usage, whole: Usage, price) -> dict:
    cost, whole_cost = price.cost(usage), price.cost(whole)
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cost_usd": round(cost, 6),
        "output_saved_pct": round(100 * (1 - usage.output_tokens / whole.output_tokens), 1),
        "cost_saved_pct": round(100 * (1 - cost / whole_cost), 1),
    }


def main() -> None:
    print(f"{'regenerate':<26} {'in':>6} {'out':>6} {'USD':>9} {'out saved':>10} {'cost saved':>11}")
    for row in measure_section_savings():
        print(
            f"{row['sections']:<26} {row['input_tokens']:>6,} {row['output_tokens']:>6,} "
            f"{row['cost_usd']:>9.5f} {row['output_saved_pct']:>9.1f}% {row['cost_saved_pct']:>10.1f}%"
        )
    print(f"(tokens at 4 characters each; cost at the {PRICED_AS} price, no cache hits)")


if __name__ == "__main__":
    main()
