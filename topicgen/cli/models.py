"""``topicgen models``: the models topicgen knows, their status, prices and capabilities."""

import json
from typing import Annotated, Any

import typer

from topicgen.cli.app import app, reports_errors
from topicgen.errors import UsageError

PROVIDERS = ("openai", "anthropic", "gemini")


@app.command("models")
@reports_errors
def list_models(
    provider: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Only this provider's models: openai, anthropic, gemini."),
    ] = None,
    include_retired: Annotated[bool, typer.Option("--all", help="Include retired models.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per model, for scripts.")] = False,
) -> None:
    """List the models in topicgen's catalogue: status, prices per million tokens, capabilities.

    * marks the default model, + the ones the README recommends. Prices are
    genai-prices' on today's date, else the catalogue's last recorded ones.
    """
    from topicgen.config import DEFAULT_MODEL
    from topicgen.model.catalogue.listing import model_rows

    if provider is not None and provider not in PROVIDERS:
        raise UsageError(f"--provider takes one of {', '.join(PROVIDERS)}, not {provider!r}")
    rows = list(model_rows(provider=provider, include_retired=include_retired, default=DEFAULT_MODEL))
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row.as_json(), ensure_ascii=False))
        return
    table = [("", "model", "status", "live in/out", "batch in/out", "capabilities")]
    table += [_cells(row) for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    typer.echo("* default  + recommended in the README  prices: USD per million tokens")


def _money(price: Any) -> str:
    if price is None:
        return "-"
    return f"${price.input:g} / ${price.output:g}"


def _cells(row: Any) -> tuple[str, ...]:
    mark = "*" if row.default else "+" if row.facts.recommended else ""
    status = row.status
    if row.retires is not None:
        status += f" {row.retires.isoformat()}"
    if row.status != "active" and row.successor:
        status += f" → {row.successor.partition(':')[2]}"
    facts = row.facts
    capabilities = [
        "structured"
        if facts.structured_outputs
        else "tool/json"
        if facts.structured_outputs is False
        else "",
        f"effort {'/'.join(facts.effort)}" if facts.effort else "",
        f"cache ≥{facts.cache_min_tokens:,}" if facts.cache_min_tokens else "",
    ]
    return (
        mark,
        row.spec,
        status,
        _money(row.live),
        _money(row.batch),
        ", ".join(part for part in capabilities if part),
    )
