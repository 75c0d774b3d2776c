"""Settings: the user's own ``config.toml``, ``topicgen.toml`` at the vault root, environment, then flags.

Precedence is CLI flag > environment (``TOPICGEN_*``) > the vault's file > the
user's file > default. Every value is validated; a bad one is reported in one
line naming where it came from.

A vault is often someone else's (a clone), so its file may not decide where a
key goes: ``[providers.*]`` ``base_url`` and ``api_key_env`` are taken from it
only once the user trusts that file as it is (``topicgen trust``, recorded
outside the vault with the file's hash); otherwise they are left out and
reported (``LoadedSettings.ignored``).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator

from topicgen.errors import ConfigError, UsageError
from topicgen.model.price import Price
from topicgen.user.dirs import user_config_file
from topicgen.user.trust import MAX_SETTINGS_BYTES, TrustState, trust_state
from topicgen.vault import GENERATION_PREFIX, OWNED_KEYS, Vault
from topicgen.vault.files import read_regular
from topicgen.verify.settings import VerifySettings

CONFIG_FILE = "topicgen.toml"
DEFAULT_MODEL = "openai:gpt-6-luna"  # cheapest current OpenAI model (tests/test_default_models.py)
ENV_PREFIX = "TOPICGEN_"
TABLES = frozenset({"verify"})  # tables that environment and flags set key by key
_SECRET_NAMES = {"api_key", "apikey", "key", "token", "api_token", "secret"}
ROUTING_KEYS = ("base_url", "api_key_env")  # where a key is sent, and which variable it is read from


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
        from topicgen.model.clients import url_problem  # its dataclasses load only for a base_url set

        if value is not None and (problem := url_problem(value)) is not None:
            raise ValueError(f"not a server address: {problem}")
        return value


class GrowSettings(BaseModel):
    """``[grow]``: what ``topicgen grow`` never drafts."""

    model_config = ConfigDict(extra="forbid")

    ignore: list[str] = Field(
        default_factory=list,
        description="topic names grow never drafts (their other spellings neither), e.g. 'Mathematics'",
    )


class Settings(BaseModel):
    """Every setting, with the defaults a new vault gets."""

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True)

    # ``model`` in the file, the environment and --model: one spec, or a fallback chain of them
    # (``settings.model`` is the chain's first; see ``model.clients.fallback``)
    models: tuple[str, ...] = Field((DEFAULT_MODEL,), alias="model")
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
    grow: GrowSettings = Field(default_factory=GrowSettings)
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

    @field_validator("models", mode="before")
    @classmethod
    def _chain(cls, value: Any) -> Any:
        """A spec, a list of specs, or specs separated by commas (``TOPICGEN_MODEL``) → the chain."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            raise ValueError("must be a model spec, or a list of them for a fallback chain")
        return tuple(spec.strip() for item in value for spec in item.split(",") if spec.strip())

    @field_validator("models")
    @classmethod
    def _model_specs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must name a model, e.g. openai:gpt-6-luna")
        for spec in value:
            provider, sep, name = spec.partition(":")
            if not sep or not provider or not name:
                named = "" if len(value) == 1 else f"{spec!r} "
                raise ValueError(f"{named}must look like provider:model, e.g. openai:gpt-6-luna")
        if len(set(value)) < len(value):
            twice = next(spec for spec in value if value.count(spec) > 1)
            raise ValueError(f"{twice} is in the fallback chain twice")
        return value

    @field_serializer("models")
    def _shown_as_given(self, value: tuple[str, ...]) -> str | list[str]:
        """One model shows as the spec it is; a chain as the list it is in topicgen.toml."""
        return value[0] if len(value) == 1 else list(value)

    @property
    def model(self) -> str:
        """The model a run asks first: the one spec, or the chain's first. Estimates, ``--dry-run``
        prices and ``stale_on_model_change`` are about it; ``models`` is the whole chain."""
        return self.models[0]

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Settings:
        """As pydantic's, and ``update={"model": spec}`` (a spec or a chain, as a setting is written)
        sets the chain: ``model`` is no field of its own, so pydantic's copy would ignore it."""
        if update is not None and "model" in update:
            update = {**update, "models": self._chain(update["model"])}
            del update["model"]
        return super().model_copy(update=update, deep=deep)

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    def provider(self, name: str) -> ProviderSettings:
        return self.providers.get(name, ProviderSettings())


SETTING_NAMES = [field.alias or name for name, field in Settings.model_fields.items()]  # as users write them
ENV_SETTINGS = {
    name: f"{ENV_PREFIX}{name.upper()}"
    for name in SETTING_NAMES
    if name not in {"paths", "providers", "prices", "verify", "frontmatter", "grow"}
}
TABLE_ENV_SETTINGS = {  # (table, key) → variable: TOPICGEN_VERIFY_BOOKS_URL sets [verify] books_url
    ("verify", name): f"{ENV_PREFIX}VERIFY_{name.upper()}" for name in VerifySettings.model_fields
}


def _read_file(path: Path, *, follow_links: bool = False) -> tuple[dict[str, Any], bytes]:
    """A settings file's table and the bytes it was parsed from (read once: the bytes trust is checked on).

    A vault's file is read like every vault file (regular, not a link, bounded);
    the user's own may be a link (into a dotfiles checkout, say).
    """
    try:
        raw = read_regular(path, limit=MAX_SETTINGS_BYTES, follow_links=follow_links)
        return tomllib.loads(raw.decode("utf-8")), raw
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except UsageError as error:
        raise ConfigError(str(error)) from None


def routing_settings(data: dict[str, Any]) -> dict[str, Any]:
    """The settings of a file's table that decide where a key goes: dotted name → value."""
    providers = data.get("providers")
    if not isinstance(providers, dict):
        return {}
    return {
        f"providers.{name}.{key}": table[key]
        for name, table in providers.items()
        if isinstance(table, dict)
        for key in ROUTING_KEYS
        if key in table
    }


def _without(data: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the dotted ``providers.<name>.<key>`` settings named (a provider left empty goes)."""
    providers = {name: dict(table) for name, table in data["providers"].items()}
    for dotted in names:
        _, name, key = dotted.split(".", 2)
        del providers[name][key]
    kept = {name: table for name, table in providers.items() if table}
    return {**{k: v for k, v in data.items() if k != "providers"}, **({"providers": kept} if kept else {})}


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
    """Later layers win; a table both give (``verify``, ``[providers.ollama]``) is merged key by key."""
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = dict(merged[key])
            _merge(merged[key], value)
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
        tables = {
            "paths": Paths,
            "providers": ProviderSettings,
            "prices": Price,
            "verify": VerifySettings,
            "grow": GrowSettings,
        }
        table = tables.get(str(loc[0]))
        known = list(table.model_fields) if table and len(loc) > 1 else SETTING_NAMES
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{source}: unknown setting {where!r}{hint}"
    message = first["msg"].removeprefix("Value error, ")
    return f"{source}: {where}: {message} (got {first.get('input')!r})"


@dataclass(frozen=True)
class LoadedSettings:
    """Settings, where each came from, and what a vault's file set that was not used."""

    settings: Settings
    sources: dict[str, str]  # dotted name → "--model", "TOPICGEN_MODEL" or a file's path
    vault_file: Path
    trust: TrustState | None = None  # the vault file's, when it sets where a key goes
    ignored: dict[str, Any] = dataclass_field(default_factory=dict)  # dotted name → the value left out

    def ignored_warning(self) -> str | None:
        """One line saying which of the vault file's settings were left out, why, and how to use them."""
        if not self.ignored:
            return None
        names = ", ".join(sorted(self.ignored))
        changed = self.trust is TrustState.CHANGED
        why = "it changed since you trusted it" if changed else "you have not trusted it"
        return (
            f"{self.vault_file} sets {names}, where your API key would go: ignored, since {why}; "
            "review the file, then run `topicgen trust` to use it"
        )


def load_settings(
    vault: Path,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Settings for a vault: defaults < the user's file < topicgen.toml < TOPICGEN_* < ``overrides``."""
    return read_settings(vault, overrides, environ).settings


def settings_with_sources(
    vault: Path,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """The settings, and where each one set came from (``model`` → ``--model``, ``TOPICGEN_MODEL`` or
    a file's path; a table's entries as ``verify.enabled``); a setting not named is the default."""
    loaded = read_settings(vault, overrides, environ)
    return loaded.settings, loaded.sources


def _file_layer(path: Path, data: dict[str, Any], merged: dict[str, Any], sources: dict[str, str]) -> None:
    _merge(merged, data)
    for key, value in data.items():
        if isinstance(value, dict):  # a table's own entries (and a provider's), for `topicgen config`
            for name, inner in value.items():
                sources[f"{key}.{name}"] = str(path)
                if isinstance(inner, dict):
                    sources.update({f"{key}.{name}.{entry}": str(path) for entry in inner})
        sources[key] = str(path)


def read_settings(
    vault: Path,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> LoadedSettings:
    """The settings in effect for a vault, with their sources and what its untrusted file was denied.

    Layers, later winning: defaults, the user's ``config.toml``, the vault's
    ``topicgen.toml`` (without where-a-key-goes settings unless trusted),
    ``TOPICGEN_*`` variables, ``overrides`` (flags).
    """
    environ = dict(os.environ if environ is None else environ)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    user_file = user_config_file()
    if user_file.exists():  # a folder or unreadable file by that name is an error, not "no settings"
        _file_layer(user_file, _read_file(user_file, follow_links=True)[0], merged, sources)
    file = vault / CONFIG_FILE
    trust, ignored = None, {}
    if file.exists() or file.is_symlink():
        data, raw = _read_file(file)
        routing = routing_settings(data)
        if routing:
            trust = trust_state(file, raw)
            if trust is not TrustState.TRUSTED:  # still checked, so a mistake shows before it is trusted
                _validate({"providers": data["providers"]}, {"providers": str(file)})
                data, ignored = _without(data, routing), routing
        _file_layer(file, data, merged, sources)
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
    return LoadedSettings(_validate(merged, sources), sources, file, trust, ignored)


def _validate(merged: dict[str, Any], sources: dict[str, str]) -> Settings:
    try:
        return Settings.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(_describe(error, sources)) from None


def read_vault_file(root: Path) -> tuple[Path, dict[str, Any], bytes]:
    """A vault's ``topicgen.toml``: its path, its table and its bytes; ``ConfigError`` if it has none."""
    file = root / CONFIG_FILE
    if not (file.exists() or file.is_symlink()):
        raise ConfigError(f"{root} has no {CONFIG_FILE}: there are no vault settings to trust")
    data, raw = _read_file(file)
    _validate(data, dict.fromkeys(data, str(file)))
    return file, data, raw


def open_vault(
    root: str | Path,
    overrides: dict[str, Any] | None = None,
    *,
    notify: Callable[[str], None] | None = None,
) -> tuple[Vault, Settings]:
    """The vault at ``root`` and its settings, with the folders the settings name.

    ``notify`` is told, in one line, of settings the vault's file holds that were
    not used (``LoadedSettings.ignored_warning``).
    """
    vault = Vault.open(Path(root))
    loaded = read_settings(vault.root, overrides)
    if notify is not None and (warning := loaded.ignored_warning()) is not None:
        notify(warning)
    settings = loaded.settings
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


def record_ignored(root: Path, names: list[str], *, dry_run: bool = False) -> list[str]:
    """Add ``names`` to ``[grow] ignore`` in the vault's topicgen.toml; the names added (one already
    listed, in any case or spacing, is not repeated).

    The file is the vault's, often committed and commented by hand: it is edited with tomlkit,
    which keeps every comment, key order and layout, and written whole or not at all. A file
    that does not exist yet is made. The result is read back as settings before it is written,
    so a file topicgen cannot read afterwards is never left behind.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from topicgen.vault.files import MAX_PAGE_BYTES, read_named_file, write_atomic
    from topicgen.vault.notes import title_key

    file = root / CONFIG_FILE
    try:
        text = read_named_file(file, limit=MAX_PAGE_BYTES).decode("utf-8") if file.exists() else ""
        document = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, TOMLKitError) as error:
        raise ConfigError(f"{file}: cannot add to [grow] ignore: {error}") from None
    table = document.setdefault("grow", tomlkit.table())
    listed = table.setdefault("ignore", tomlkit.array()) if isinstance(table, dict) else None
    if not isinstance(listed, list):
        raise ConfigError(f"{file}: [grow] ignore is not a list of names; it cannot be added to")
    known = {title_key(str(name)) for name in listed}
    added = []
    for name in names:
        cleaned = " ".join(name.split())
        if cleaned and title_key(cleaned) not in known:
            known.add(title_key(cleaned))
            listed.append(cleaned)
            added.append(cleaned)
    if not added or dry_run:
        return added
    new_text = tomlkit.dumps(document)
    try:
        Settings.model_validate(tomllib.loads(new_text))
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        problem = f"{file}: [grow] ignore not written: the file would not read back ({error})"
        raise ConfigError(problem) from None
    write_atomic(file, new_text, overwrite=True)
    return added
