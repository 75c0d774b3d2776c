"""Model clients, chosen by a model spec such as ``openai:gpt-6-luna``.

Each provider prefix maps to a factory in the ``topicgen.clients`` entry-point
group; topicgen's own providers are registered there too, so a third-party
package adds a provider the same way. Provider SDKs are imported only inside
the factory that needs them.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from topicgen.errors import ConfigError

if TYPE_CHECKING:
    from topicgen.model.clients.base import ModelClient

ENTRY_POINT_GROUP = "topicgen.clients"
BUILTIN_FACTORIES = {
    "openai": "topicgen.model.clients.openai:openai_client",
    "openai-compatible": "topicgen.model.clients.openai:compatible_client",
    "ollama": "topicgen.model.clients.ollama:ollama_client",
    "anthropic": "topicgen.model.clients.anthropic:anthropic_client",
    "gemini": "topicgen.model.clients.gemini:gemini_client",
    "replay": "topicgen.model.clients.replay:replay_client",
}
# Providers whose SDK is an extra: what to install when it is missing.
SDK_EXTRAS = {"google": "google-genai: pip install 'topicgen[gemini]'"}


@dataclass(frozen=True)
class ClientOptions:
    """What a factory may use besides the model name; every field has a safe default."""

    timeout: float = 600.0  # seconds to wait for a reply (a long page can take minutes)
    connect_timeout: float = 5.0  # seconds to reach the server
    base_url: str | None = None
    api_key: str | None = None
    api_key_env: str | None = None
    transport: Any = None  # an httpx2 async transport layered under the SDK (record, tests)
    extra: dict[str, Any] | None = None
    reasoning_effort: str | None = None  # for models that take one; None leaves the model's default
    num_ctx: int | None = None  # Ollama: the context window to ask for; None: the adapter's default


ClientFactory = Callable[[str, ClientOptions], "ModelClient"]


@dataclass(frozen=True)
class ProviderEnvironment:
    """Where a built-in provider reads its key and address when ``[providers.<name>]`` names neither."""

    key_variable: str
    key_required: bool
    address_variable: str
    default_address: str | None  # None: the address must be given (an OpenAI-compatible server)


PROVIDER_ENVIRONMENT = {
    "openai": ProviderEnvironment("OPENAI_API_KEY", True, "OPENAI_BASE_URL", "https://api.openai.com/v1"),
    "openai-compatible": ProviderEnvironment("OPENAI_API_KEY", False, "OPENAI_BASE_URL", None),
    "ollama": ProviderEnvironment("OLLAMA_API_KEY", False, "OLLAMA_BASE_URL", "http://localhost:11434"),
    "anthropic": ProviderEnvironment(
        "ANTHROPIC_API_KEY", True, "ANTHROPIC_BASE_URL", "https://api.anthropic.com"
    ),
    "gemini": ProviderEnvironment(
        "GEMINI_API_KEY", True, "GOOGLE_GEMINI_BASE_URL", "https://generativelanguage.googleapis.com"
    ),
}
# The variables the built-in providers read their address from when topicgen.toml names none.
BASE_URL_VARIABLES = {name: found.address_variable for name, found in PROVIDER_ENVIRONMENT.items()}


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a provider's address (http or https, with a host), or None if it can."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as error:
        return str(error)
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it names no host"
    return None


# The variables the built-in providers read their key from when ``api_key_env`` names none.
KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY",
    "openai-compatible": "OPENAI_API_KEY",
    "ollama": "OLLAMA_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
}


def is_loopback(host: str) -> bool:
    """This machine: ``localhost`` (and ``*.localhost``), 127.0.0.0/8 or ::1; never the local network."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(provider: str, options: ClientOptions) -> None:
    """A provider address that can never answer is a usage error before any call (not 35 s of retries),
    and so is one that would carry a key in the clear: plain http to a host other than this machine."""
    variable = BASE_URL_VARIABLES.get(provider)
    url, source = options.base_url, f"[providers.{provider}] base_url"
    if url is None and variable:
        url, source = os.environ.get(variable) or None, variable
    if url is None:
        return
    if (problem := url_problem(url)) is not None:
        raise ConfigError(f"{source} = {url!r} is not a server address: {problem}")
    parts = urlsplit(url.strip())
    key_variable = options.api_key_env or KEY_VARIABLES.get(provider)
    key = options.api_key or (os.environ.get(key_variable) if key_variable else None)
    if parts.scheme == "http" and key and not is_loopback(parts.hostname or ""):
        held = f"the key in {key_variable}" if not options.api_key and key_variable else "the API key"
        raise ConfigError(
            f"{source} = {url!r} is plain http to {parts.hostname}: refusing to send {held} unencrypted; "
            "use https://, or a server on this machine (127.0.0.1, ::1, localhost)"
        )


@dataclass(frozen=True)
class ModelSpec:
    provider: str
    model: str

    @classmethod
    def parse(cls, spec: str) -> ModelSpec:
        provider, sep, model = spec.strip().partition(":")
        if not sep or not provider or not model:
            raise ConfigError(f"model spec {spec!r} must look like provider:model, e.g. openai:gpt-6-luna")
        return cls(provider.lower(), model)

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


def load_factory(target: str, provider: str) -> Any:
    """The factory at ``module:attribute``; a provider SDK that is not installed is a usage error."""
    module, _, attribute = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except ModuleNotFoundError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in SDK_EXTRAS:
            raise
        raise ConfigError(f"{provider}: models need {SDK_EXTRAS[missing]}") from None


def available_providers() -> dict[str, str]:
    """Provider prefix → factory path, built-ins first, then installed plugins."""
    from importlib.metadata import entry_points  # scanning installed packages takes a while: only here

    found = dict(BUILTIN_FACTORIES)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return found


def create_client(spec: str, options: ClientOptions | None = None) -> ModelClient:
    parsed = ModelSpec.parse(spec)
    target = BUILTIN_FACTORIES.get(parsed.provider)  # a built-in needs no look at installed plugins
    if target is None:
        providers = available_providers()
        if parsed.provider not in providers:
            known = ", ".join(sorted(providers))
            raise ConfigError(f"unknown model provider {parsed.provider!r} in {spec!r}; known: {known}")
        target = providers[parsed.provider]
    factory: ClientFactory = load_factory(target, parsed.provider)
    options = options or ClientOptions()
    check_base_url(parsed.provider, options)
    return factory(parsed.model, options)
