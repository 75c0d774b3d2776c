"""``replay:<dir>``: answer from recorded exchanges, through the real provider SDKs.

The folder is searched recursively for exchange files. For each request the
client finds the recording whose user messages match, then runs the real
adapter for that recording's provider over a replay transport, so replayed
runs exercise the same parsing code as live ones.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from topicgen.errors import ConfigError, ReplayMiss
from topicgen.model.clients import ClientOptions, available_providers, create_client
from topicgen.model.clients.base import ModelClient, ModelReply, ModelRequest
from topicgen.model.clients.batch import BatchClient
from topicgen.model.clients.wire import (
    WIRE_FORMATS,
    Exchange,
    ReplayTransport,
    conversation_key,
    load_exchanges,
    recorded_model,
)

PROVIDER_PREFERENCE = tuple(found.provider for found in WIRE_FORMATS)  # a folder of several: the first


class ReplayClient:
    def __init__(self, folder: Path, options: ClientOptions) -> None:
        self.spec = f"replay:{folder}"
        self.folder = folder
        self._options = options
        if not folder.is_dir():  # a wrong replay: spec is a usage error (exit 2), like a missing key
            raise ConfigError(f"replay folder {folder} does not exist")
        self._exchanges = load_exchanges(folder)
        if not self._exchanges:
            raise ConfigError(f"replay folder {folder} holds no recorded exchanges")
        known = available_providers()
        unknown = [e for e in self._exchanges if e.provider not in known]
        if unknown:
            lines = "\n  ".join(f"{e.path}: provider {e.provider!r} is not installed" for e in unknown[:20])
            raise ConfigError(f"replay folder {folder} has recordings topicgen cannot replay:\n  {lines}")
        self._clients: dict[str, ModelClient] = {}

    def _find(self, request: ModelRequest) -> Exchange:
        key = conversation_key([m.content for m in request.messages if m.role == "user"])
        matches = [e for e in self._exchanges if e.key == key]
        if not matches:
            asked = next((m.content for m in request.messages if m.role == "user"), "")
            raise ReplayMiss(
                f"no recorded exchange in {self.folder} for {asked[:80]!r}; "
                "record one with --record DIR against a live model"
            )
        rank = {name: i for i, name in enumerate(PROVIDER_PREFERENCE)}
        return min(matches, key=lambda e: (rank.get(e.provider, len(rank)), str(e.path)))

    def _client_for(self, exchange: Exchange) -> ModelClient:
        if exchange.provider not in self._clients:
            same = [e for e in self._exchanges if e.provider == exchange.provider]
            options = replace(
                self._options,
                transport=ReplayTransport(same, self.folder),
                base_url=None,
                api_key="replay-has-no-key",
            )
            model = recorded_model(exchange.request) or "recorded"
            self._clients[exchange.provider] = create_client(f"{exchange.provider}:{model}", options)
        return self._clients[exchange.provider]

    async def complete(self, request: ModelRequest) -> ModelReply:
        return await self._client_for(self._find(request)).complete(request)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def replay_client(model: str, options: ClientOptions) -> ReplayClient:
    return ReplayClient(Path(model).expanduser(), options)


def replay_batch_client(model: str, options: ClientOptions) -> BatchClient:
    """``replay:<dir>`` with ``--batch``: the recorded provider's batch adapter over its recordings."""
    from topicgen.model.clients.batch import create_batch_client

    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"replay folder {folder} does not exist")
    recorded = [e for e in load_exchanges(folder) if e.key.startswith("batch-")]
    if not recorded:
        raise ConfigError(
            f"replay folder {folder} holds no recorded batch; record one with --batch --record DIR"
        )
    rank = {name: i for i, name in enumerate(PROVIDER_PREFERENCE)}
    provider = min({e.provider for e in recorded}, key=lambda name: rank.get(name, len(rank)))
    same = [e for e in recorded if e.provider == provider]
    replayed = replace(
        options, transport=ReplayTransport(same, folder), base_url=None, api_key="replay-has-no-key"
    )
    model = next((name for e in same if (name := recorded_model(e.request))), "recorded")
    return create_batch_client(f"{provider}:{model}", replayed)
