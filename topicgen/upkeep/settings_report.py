"""Every setting in effect, with its value and where it came from: what ``topicgen config`` shows.

A row is a setting's value in effect (never ``null`` for one that is unset:
the default it stands for, or what "none" means), its source (``flag
--model``, ``environment TOPICGEN_RETRIES``, ``file <vault>/topicgen.toml``,
``default``) and a note: what else set it and why that is not used. A rule
that overrides where a setting comes from shows up the same way, as a row's
source and note (``ProviderRows`` is one: a provider's own address variable is
what ``[providers.<name>]`` falls back to, so the file wins over it).

Keys are never shown: only the names of the variables that hold them, and
whether each is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from topicgen.config import Settings, read_settings
from topicgen.model.clients import PROVIDER_ENVIRONMENT, ModelSpec
from topicgen.model.redact import redact_addresses
from topicgen.vault.notes import pages_end_with_newline

# What an unset setting means, shown in place of null (the README's "default" column says the same).
UNSET = {
    "site_url": "pages get no URL",
    "rpm": "no client-side budget (learnt from the provider's rate-limit headers)",
    "tpm": "no client-side budget (learnt from the provider's rate-limit headers)",
    "max_age_days": "age never makes a page stale",
    "max_cost": "no budget",
    "batch_max_requests": "the provider's limit (50,000 OpenAI, 100,000 Anthropic)",
    "batch_max_bytes": "the provider's limit (200 MB OpenAI, 256 MB Anthropic)",
    "prices": "genai-prices' table",
    "verify.contact": "the User-Agent names no contact",
}
OLLAMA_NUM_CTX = 16_384  # model.clients.ollama.DEFAULT_NUM_CTX, without loading the adapter


@dataclass(frozen=True)
class SettingRow:
    """One setting as ``topicgen config`` shows it."""

    name: str
    value: Any  # in effect, as JSON; None only when nothing is (``note`` then says what that means)
    source: str  # "default", "file <path>", "environment NAME", "flag --name", or a rule's own words
    note: str = ""  # what an unset value means; what else set it and why that is not used
    ignored: bool = False  # set by a vault file the user has not trusted: shown, not in effect


def describe_source(source: str) -> str:
    """A raw source from ``config.settings_with_sources`` in words: a flag, a variable or the file."""
    if source.startswith("--"):
        return f"flag {source}"
    if source.startswith("TOPICGEN_"):
        return f"environment {source}"
    return source if source == "default" else f"file {source}"


def shown_address(url: str) -> str:
    """An address with any credentials in it hidden (``model.redact``: user:password@, ?api_key=...)."""
    return redact_addresses(url)


def settings_report(
    root: Path, overrides: dict[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Settings, list[SettingRow]]:
    """The settings of the vault at ``root`` and a row for each: the top-level ones, tables entry by
    entry, the providers the vault names or its model uses."""
    environ = dict(os.environ if environ is None else environ)
    loaded = read_settings(root, overrides, environ)
    settings, sources = loaded.settings, loaded.sources
    rows = [
        row
        for name, value in settings.model_dump(mode="json").items()
        if name != "providers"
        for row in _rows(name, value, sources)
    ]
    if settings.final_newline is None:  # unset: new pages do what most of the vault's pages do
        at = next(i for i, row in enumerate(rows) if row.name == "final_newline")
        habit = pages_end_with_newline(root / settings.paths.topics)
        rows[at] = SettingRow("final_newline", habit, "default", "as the vault's pages end (or none yet)")
    rows += ProviderRows(settings, sources, environ).rows()
    if loaded.trust is not None and not loaded.ignored:  # where the key goes, from a file the user trusts
        trusted = describe_source(str(loaded.vault_file))
        rows = [
            replace(row, source=f"{row.source} (trusted)") if row.source == trusted else row for row in rows
        ]
    why = f"ignored: {loaded.trust.value if loaded.trust else ''}; see `topicgen trust`"
    rows += [
        SettingRow(name, value, describe_source(str(loaded.vault_file)), why, ignored=True)
        for name, value in loaded.ignored.items()
    ]
    return settings, rows


def _rows(name: str, value: Any, sources: dict[str, str]) -> Iterator[SettingRow]:
    """A setting's rows: one, or one per entry of a table."""
    if isinstance(value, dict) and value:
        for key, entry in value.items():
            yield from _rows(f"{name}.{key}", entry, sources)
        return
    source = sources.get(name) or next(
        (sources[part] for part in _parents(name) if part in sources), "default"
    )
    empty = value is None or value == {}
    yield SettingRow(
        name, None if empty else value, describe_source(source), UNSET.get(name, "") if empty else ""
    )


def _parents(name: str) -> list[str]:
    """A table entry's enclosing tables, nearest first (not the top-level table: it is named whole)."""
    parts = name.split(".")
    return [".".join(parts[:size]) for size in range(len(parts) - 1, 1, -1)]


class ProviderRows:
    """``providers.<name>.*`` in effect: the address, the key's variable and (Ollama) the context
    window, from the file, else the provider's own variable, else its default
    (``model.clients.PROVIDER_ENVIRONMENT``)."""

    def __init__(self, settings: Settings, sources: dict[str, str], environ: Mapping[str, str]) -> None:
        self.settings = settings
        self.sources = sources
        self.environ = environ

    def names(self) -> list[str]:
        """The providers the file configures, and the one the model uses."""
        named = set(self.settings.providers)
        provider = ModelSpec.parse(self.settings.model).provider
        if provider in PROVIDER_ENVIRONMENT:
            named.add(provider)
        return sorted(named)

    def rows(self) -> list[SettingRow]:
        return [row for name in self.names() for row in self._provider(name)]

    def _file(self, provider: str, key: str) -> str | None:
        """Where the file set ``[providers.<provider>] key``, or None when it did not."""
        configured = self.settings.providers.get(provider)
        if configured is None or key not in configured.model_fields_set:
            return None
        return (
            self.sources.get(f"providers.{provider}.{key}")
            or self.sources.get(f"providers.{provider}")
            or self.sources.get("providers")
        )

    def _provider(self, provider: str) -> Iterator[SettingRow]:
        configured = self.settings.provider(provider)
        known = PROVIDER_ENVIRONMENT.get(provider)
        prefix = f"providers.{provider}"
        if known is None:  # a plugin's provider: only what the file says
            for key, value in configured.model_dump(mode="json", exclude_unset=True).items():
                yield SettingRow(f"{prefix}.{key}", value, describe_source(self._file(provider, key) or ""))
            return
        yield self._address(provider, configured.base_url, known)
        variable = configured.api_key_env or known.key_variable
        is_set = "is set" if self.environ.get(variable) else "is not set"
        needed = "" if self.environ.get(variable) else (" (needed)" if known.key_required else " (optional)")
        source = self._file(provider, "api_key_env")
        yield SettingRow(
            f"{prefix}.api_key_env",
            variable,
            describe_source(source or "default"),
            f"{variable} {is_set}{needed}",
        )
        if provider == "ollama":
            source = self._file(provider, "num_ctx")
            yield SettingRow(
                f"{prefix}.num_ctx",
                configured.num_ctx or OLLAMA_NUM_CTX,
                describe_source(source or "default"),
            )

    def _address(self, provider: str, configured: str | None, known: Any) -> SettingRow:
        name, variable = f"providers.{provider}.base_url", known.address_variable
        from_environment = self.environ.get(variable) or None
        if configured is not None:
            unused = (
                f"{variable}={shown_address(from_environment)} is not used: the file's base_url wins"
                if from_environment
                else ""
            )
            return SettingRow(
                name,
                shown_address(configured),
                describe_source(self._file(provider, "base_url") or ""),
                unused,
            )
        if from_environment:
            return SettingRow(name, shown_address(from_environment), f"environment {variable}")
        if known.default_address:
            return SettingRow(name, known.default_address, "default")
        return SettingRow(name, None, "default", f"none: set base_url here or {variable} (needed)")
