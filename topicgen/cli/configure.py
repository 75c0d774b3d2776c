"""``topicgen config``: the settings in effect, and where each one came from."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from topicgen.cli.app import (
    ModelOption,
    VaultOption,
    app,
    note_unsent_effort,
    reports_errors,
    run_overrides,
    warn_if_retiring,
)


@app.command("config")
@reports_errors
def show_config(
    vault: VaultOption = None,
    model: ModelOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per setting, for scripts.")
    ] = False,
) -> None:
    """Print the settings in effect and where each came from: flag, environment, file or default.

    Keys are never shown: topicgen.toml holds only the names of the variables
    that hold them, and those variables' values are not printed.
    """
    from topicgen.config import locate_vault, settings_with_sources
    from topicgen.model.redact import redact

    location = locate_vault(vault, required=False)
    settings, sources = settings_with_sources(location.root, run_overrides(model=model))
    rows = list(_rows(settings.model_dump(mode="json"), sources))
    warn_if_retiring(settings.models)  # on stderr: scripts reading the settings are not disturbed
    note_unsent_effort(settings)
    if as_json:
        typer.echo(
            json.dumps({"setting": "vault", "value": str(location.root), "from": location.how or "none"})
        )
        for name, value, source in rows:
            typer.echo(
                redact(json.dumps({"setting": name, "value": value, "from": source}, ensure_ascii=False))
            )
        return
    typer.echo(f"# vault: {location.describe()}")
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        shown = json.dumps(value, ensure_ascii=False)
        typer.echo(redact(f"{name.ljust(width)} = {shown}  # {source}"))


def _rows(values: dict[str, Any], sources: dict[str, str], prefix: str = "") -> Any:
    """(dotted name, value, where it came from) for every setting, tables entry by entry."""
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from _rows(value, sources, f"{name}.")
            continue
        source = sources.get(name) or next(
            (sources[part] for part in _parents(name) if part in sources), "default"
        )
        yield name, value, _describe(source)


def _parents(name: str) -> list[str]:
    """A table entry's enclosing tables, nearest first (not the top-level table: it is named whole)."""
    parts = name.split(".")
    return [".".join(parts[:size]) for size in range(len(parts) - 1, 1, -1)]


def _describe(source: str) -> str:
    if source.startswith("--"):
        return f"flag {source}"
    if source.startswith("TOPICGEN_"):
        return f"environment {source}"
    return source if source == "default" else f"file {source}"
