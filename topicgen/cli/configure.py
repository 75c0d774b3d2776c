"""``topicgen config``: the settings in effect, and where each one came from."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from topicgen.cli.app import ModelOption, VaultOption, app, reports_errors, run_overrides, warn_if_retiring


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
    from topicgen.config import locate_vault, read_settings
    from topicgen.model.redact import redact

    location = locate_vault(vault, required=False)
    loaded = read_settings(location.root, run_overrides(model=model))
    settings, sources = loaded.settings, loaded.sources
    trusted = {str(loaded.vault_file)} if loaded.trust is not None and not loaded.ignored else set()
    rows = list(_rows(settings.model_dump(mode="json"), sources, trusted))
    why = f"ignored: {loaded.trust.value if loaded.trust else ''}; see `topicgen trust`"
    ignored = [(name, value, f"file {loaded.vault_file} ({why})") for name, value in loaded.ignored.items()]
    warn_if_retiring(settings.model)  # on stderr: scripts reading the settings are not disturbed
    if as_json:
        typer.echo(
            json.dumps({"setting": "vault", "value": str(location.root), "from": location.how or "none"})
        )
        for name, value, source in rows:
            typer.echo(
                redact(json.dumps({"setting": name, "value": value, "from": source}, ensure_ascii=False))
            )
        for name, value, _ in ignored:
            row = {"setting": name, "ignored": value, "from": f"file {loaded.vault_file}", "why": why}
            typer.echo(redact(json.dumps(row, ensure_ascii=False)))
        return
    typer.echo(f"# vault: {location.describe()}")
    width = max(len(name) for name, _, _ in rows + ignored)
    for name, value, source in rows:
        shown = json.dumps(value, ensure_ascii=False)
        typer.echo(redact(f"{name.ljust(width)} = {shown}  # {source}"))
    for name, value, source in ignored:
        typer.echo(redact(f"# {name} = {json.dumps(value, ensure_ascii=False)}  # {source}"))


def _rows(values: dict[str, Any], sources: dict[str, str], trusted: set[str], prefix: str = "") -> Any:
    """(dotted name, value, where it came from) for every setting, tables entry by entry; a setting
    from a vault file the user trusted (``trusted``) says so."""
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from _rows(value, sources, trusted, f"{name}.")
            continue
        source = sources.get(name) or next(
            (sources[part] for part in _parents(name) if part in sources), "default"
        )
        yield name, value, _describe(source) + (" (trusted)" if source in trusted else "")


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
