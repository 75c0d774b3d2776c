"""``topicgen config``: the settings in effect, and where each one came from."""

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
            shown = {
                "setting": row.name,
                "ignored" if row.ignored else "value": row.value,
                "from": row.source,
            }
            typer.echo(
                redact(json.dumps(shown | ({"note": row.note} if row.note else {}), ensure_ascii=False))
            )
        return
    typer.echo(f"# vault: {location.describe()}")
    width = max(len(row.name) for row in rows)
    for row in rows:
        value = "none" if row.value is None else json.dumps(row.value, ensure_ascii=False)
        said = f"{row.source}: {row.note}" if row.note else row.source
        line = f"{row.name.ljust(width)} = {value}  # {said}"
        typer.echo(redact(f"# {line}" if row.ignored else line))


@app.command("trust")
@reports_errors
def trust_vault(
    vault: VaultOption = None,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Trust this vault's topicgen.toml no longer.")
    ] = False,
    show: Annotated[
        bool, typer.Option("--list", help="List every trusted topicgen.toml and whether it changed since.")
    ] = False,
) -> None:
    """Let this vault's topicgen.toml decide where your API key goes ([providers.*] base_url, api_key_env).

    A vault's file may point a provider at any server and name any variable as
    its key, so those settings are ignored until you trust the file as it is now.
    The trust is kept outside the vault (with the file's SHA-256): when the file
    changes, it is untrusted again.
    """
    from topicgen.config import CONFIG_FILE, locate_vault, read_vault_file, routing_settings
    from topicgen.model.redact import redact
    from topicgen.user import trust

    if show:
        for record, state in trust.trusted_files():
            typer.echo(f"{state.value if state else 'gone'}: {record.path}")
        return
    root = locate_vault(vault).root
    if revoke:
        file = root / CONFIG_FILE
        done = trust.revoke(file)
        typer.echo(f"{file}: {'no longer trusted' if done else 'was not trusted'}")
        return
    file, data, raw = read_vault_file(root)
    trust.trust(file, raw)
    routing = routing_settings(data)
    uses = ", ".join(f"{name} = {json.dumps(value)}" for name, value in sorted(routing.items()))
    typer.echo(redact(f"trusted {file} as it is now" + (f"; topicgen will use {uses}" if uses else "")))
