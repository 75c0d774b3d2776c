"""``topicgen config``: the settings in effect, and where each one came from."""

from __future__ import annotations

import json
from typing import Annotated

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
    from topicgen.config import locate_vault
    from topicgen.model.redact import redact
    from topicgen.upkeep.settings_report import settings_report

    location = locate_vault(vault, required=False)
    settings, rows = settings_report(location.root, run_overrides(model=model))
    warn_if_retiring(settings.models)  # on stderr: scripts reading the settings are not disturbed
    note_unsent_effort(settings)
    if as_json:
        typer.echo(
            json.dumps({"setting": "vault", "value": str(location.root), "from": location.how or "none"})
        )
        for row in rows:
            shown = {"setting": row.name, "value": row.value, "from": row.source}
            typer.echo(
                redact(json.dumps(shown | ({"note": row.note} if row.note else {}), ensure_ascii=False))
            )
        return
    typer.echo(f"# vault: {location.describe()}")
    width = max(len(row.name) for row in rows)
    for row in rows:
        value = "none" if row.value is None else json.dumps(row.value, ensure_ascii=False)
        said = f"{row.source}: {row.note}" if row.note else row.source
        typer.echo(redact(f"{row.name.ljust(width)} = {value}  # {said}"))
