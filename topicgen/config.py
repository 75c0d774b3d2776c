"""Settings: ``topicgen.toml`` at the vault root, environment, then flags.

Precedence is CLI flag > environment (``TOPICGEN_*``) > file > default. Every
value is validated; a bad one is reported in one line naming where it came from.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from topicgen.errors import ConfigError, UsageError
from topicgen.model.clients import url_problem
from topicgen.model.costs import Price
from topicgen.vault import Vault
from topicgen.vault.frontmatter import GENERATION_PREFIX, OWNED_KEYS
from topicgen.verify.settings import VerifySettings

CONFIG_FILE = "topicgen.toml"
DEFAULT_MODEL = "openai:gpt-6-luna"  # cheapest current OpenAI model (tests/test_default_models.py)
ENV_PREFIX = "TOPICGEN_"
TABLES = frozenset({"verify"})  # tables that environment and flags set key by key
_SECRET_NAMES = {"api_key", "apikey", "key", "token", "api_token", "secret"}


FrontmatterValue = str | bool | int | float | list[str]


class Paths(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topics: str = "topics"
    books: str = "books"

    @field_validator("topics", "books")
    @classmethod
    def _inside_vault(cls, value: str) -> str:
        path = PurePosixPath(value.replace("\\", "/"))
        if not value.strip() or path.is_absolute() or ".." in path.parts:
            raise ValueError("must be a folder inside the vault, like 'topics'")
        return path.as_posix()


class ProviderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    num_ctx: int | None = Field(
        None, ge=1024, le=1_048_576, description="Ollama: context window in tokens (default 16384)"
    )

    @field_validator("base_url")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None and (problem := url_problem(value)) is not None:
            raise ValueError(f"not a server address: {problem}")
        return value


class Settings(BaseModel):
    """Every setting, with the defaults a new vault gets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = DEFAULT_MODEL
    site_url: str | None = None
    concurrency: int = Field(4, ge=1, le=256)
    retries: int = Field(6, ge=1, le=20, description="attempts per call on transient faults")
    retry_wait: float = Field(1.0, gt=0, le=60, description="first backoff wait, seconds")
    retry_max_wait: float = Field(
        120.0, gt=0, le=3600, description="longest single wait, seconds; a longer retry-after fails the topic"
    )
    reasks: int = Field(2, ge=0, le=10, description="re-asks after an unusable reply")
    timeout: float = Field(600.0, gt=0, le=3600, description="seconds to wait for a reply")
    connect_timeout: float = Field(5.0, gt=0, le=120, description="seconds to reach the server")
    max_output_tokens: int = Field(16_000, ge=512, le=200_000)
    reasoning_effort: Literal["default", "none", "minimal", "low", "medium", "high", "xhigh", "max"] = Field(
        "low", description="sent to reasoning models that take it; 'default' sends none"
    )
    trailing_spaces: bool = Field(True, description="end lines with two spaces (hard breaks)")
    rpm: int | None = Field(None, ge=1, description="client-side requests per minute")
    tpm: int | None = Field(None, ge=1, description="client-side tokens per minute")
    max_age_days: int | None = Field(None, ge=1)
    scan_cache: bool = Field(
        True, description="remember what scans read from each page (.topicgen/cache/scan), by its stat"
    )
    stale_on_model_change: bool = False
    max_cost: float | None = Field(None, ge=0)
    batch_poll: float = Field(10.0, gt=0, le=3600, description="first wait between batch polls, seconds")
    batch_max_requests: int | None = Field(None, ge=1, description="requests per batch, below the provider's")
    batch_max_bytes: int | None = Field(None, ge=1024, description="bytes per batch, below the provider's")
    prices: dict[str, Price] = Field(
        default_factory=dict, description="USD per million tokens by model spec, over the built-in table"
    )
    paths: Paths = Field(default_factory=Paths)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    verify: VerifySettings = Field(default_factory=VerifySettings)
    final_newline: bool | None = Field(
        None, description="end written pages with a newline; unset: as the vault's own pages do"
    )
    frontmatter: dict[str, FrontmatterValue] = Field(
        default_factory=lambda: {"share": True},
        description="keys every new page starts with (a page's own values win), before aliases and title",
    )

    @field_validator("frontmatter")
    @classmethod
    def _frontmatter_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key in OWNED_KEYS[1:] or key.startswith(GENERATION_PREFIX) or not key.strip():
                raise ValueError(f"{key!r} is written by topicgen itself; [frontmatter] sets other keys")
        return value

    @field_validator("model")
    @classmethod
    def _model_spec(cls, value: str) -> str:
        provider, sep, name = value.partition(":")
        if not sep or not provider or not name:
            raise ValueError("must look like provider:model, e.g. openai:gpt-6-luna")
        return value

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    def provider(self, name: str) -> ProviderSettings:
        return self.providers.get(name, ProviderSettings())


ENV_SETTINGS = {
    name: f"{ENV_PREFIX}{name.upper()}"
    for name in Settings.model_fields
    if name not in {"paths", "providers", "prices", "verify", "frontmatter"}
}
TABLE_ENV_SETTINGS = {  # (table, key) → variable: TOPICGEN_VERIFY_BOOKS_URL sets [verify] books_url
    ("verify", name): f"{ENV_PREFIX}VERIFY_{name.upper()}" for name in VerifySettings.model_fields
}


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None


def _from_environment(environ: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for field, variable in ENV_SETTINGS.items():
        if variable in environ and environ[variable] != "":
            found[field] = environ[variable]
    for (table, field), variable in TABLE_ENV_SETTINGS.items():
        if variable in environ and environ[variable] != "":
            found.setdefault(table, {})[field] = environ[variable]
    return found


def _merge(merged: dict[str, Any], layer: dict[str, Any]) -> None:
    """Later layers win; a table given by a later layer (``verify``) is merged key by key."""
    for key, value in layer.items():
        if isinstance(value, dict) and key in TABLES and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value


def _describe(error: ValidationError, sources: dict[str, str]) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    top = str(first["loc"][0]) if first["loc"] else ""
    nested = ".".join(str(part) for part in first["loc"][:2])
    source = sources.get(nested) or sources.get(top, "settings")
    if first["type"] == "extra_forbidden":
        loc = first["loc"]
        if len(loc) == 3 and loc[0] == "providers" and str(loc[-1]).lower() in _SECRET_NAMES:
            return (
                f"{source}: unknown setting {where!r}: keys never go in topicgen.toml; "
                "name the variable that holds it with api_key_env"
            )
        tables = {"paths": Paths, "providers": ProviderSettings, "prices": Price, "verify": VerifySettings}
        table = tables.get(str(loc[0]))
        known = list((table if table and len(loc) > 1 else Settings).model_fields)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{source}: unknown setting {where!r}{hint}"
    message = first["msg"].removeprefix("Value error, ")
    return f"{source}: {where}: {message} (got {first.get('input')!r})"


def load_settings(
    vault: Path,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Settings for a vault: defaults < topicgen.toml < TOPICGEN_* variables < ``overrides``."""
    return settings_with_sources(vault, overrides, environ)[0]


def settings_with_sources(
    vault: Path,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """The settings, and where each one set came from (``model`` → ``--model``, ``TOPICGEN_MODEL`` or
    the file's path; a table's entries as ``verify.enabled``); a setting not named is the default."""
    environ = dict(os.environ if environ is None else environ)
    file = vault / CONFIG_FILE
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if file.exists():  # a folder or unreadable file by that name is an error, not "no settings"
        data = _read_file(file)
        merged.update(data)
        sources.update(dict.fromkeys(data, str(file)))
        for key, value in data.items():  # a table's own entries, for `topicgen config`
            if isinstance(value, dict):
                sources.update({f"{key}.{name}": str(file) for name in value})
    env = _from_environment(environ)
    _merge(merged, env)
    for key, value in env.items():
        if key in TABLES:
            sources.update({f"{key}.{name}": TABLE_ENV_SETTINGS[(key, name)] for name in value})
        else:
            sources[key] = ENV_SETTINGS[key]
    flags = {key: value for key, value in (overrides or {}).items() if value is not None}
    _merge(merged, flags)
    for key, value in flags.items():
        names = [f"{key}.{name}" for name in value] if key in TABLES and isinstance(value, dict) else [key]
        sources.update({name: f"--{name.split('.')[-1].replace('_', '-')}" for name in names})
    try:
        return Settings.model_validate(merged), sources
    except ValidationError as error:
        raise ConfigError(_describe(error, sources)) from None


def open_vault(root: str | Path, overrides: dict[str, Any] | None = None) -> tuple[Vault, Settings]:
    """The vault at ``root`` and its settings, with the folders the settings name."""
    vault = Vault.open(Path(root))
    settings = load_settings(vault.root, overrides)
    return Vault(vault.root, settings.paths.topics, settings.paths.books), settings


# What makes a folder a vault, in the order they are looked for in each folder (like git's .git).
VAULT_MARKERS = ((CONFIG_FILE, False), (".obsidian", True), ("topics", True))


@dataclass(frozen=True)
class VaultLocation:
    """Where the vault is and how it was found: ``--vault``, or the marker seen walking up."""

    root: Path
    how: str  # "--vault", "topicgen.toml", ".obsidian/" or "topics/"; "" when none was found
    start: Path  # the folder the search started from

    @property
    def found(self) -> bool:
        return bool(self.how)

    def describe(self) -> str:
        if self.how == "--vault":
            return f"{self.root} (--vault)"
        return f"{self.root} (it has {self.how})" if self.found else f"{self.root} (no vault found)"


def find_vault(start: Path) -> VaultLocation | None:
    """The nearest folder at or above ``start`` holding topicgen.toml, .obsidian/ or topics/."""
    start = start.expanduser().resolve()
    for folder in (start, *start.parents):
        for name, is_folder in VAULT_MARKERS:
            marker = folder / name
            if marker.is_dir() if is_folder else marker.exists():
                return VaultLocation(folder, f"{name}/" if is_folder else name, start)
    return None


def locate_vault(option: Path | None, *, cwd: Path | None = None, required: bool = True) -> VaultLocation:
    """The vault a command works on: ``--vault`` as given, else found walking up from ``cwd``.

    With no ``--vault`` and no vault found, ``required`` refuses (so no command
    makes a vault by accident); otherwise the current folder stands in, for
    commands that only print.
    """
    here = (cwd or Path.cwd()).resolve()
    if option is not None:
        return VaultLocation(option, "--vault", here)
    found = find_vault(here)
    if found is not None:
        return found
    if required:
        raise UsageError(
            f"no vault here: neither {here} nor a folder above it has topicgen.toml, .obsidian/ "
            "or topics/; run topicgen inside a vault, or pass --vault DIR to use (or start) one"
        )
    return VaultLocation(here, "", here)
