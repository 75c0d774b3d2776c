"""Validated replies kept on disk, so an interrupted run never pays twice.

A reply is stored, keyed by the model spec and the request's content
(messages and schema), as soon as it validates and before its page is
written. Running the same command again finds it and spends nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topicgen.errors import VaultError
from topicgen.model.clients.base import Usage
from topicgen.model.prompt import Message
from topicgen.vault.files import read_regular

MAX_CACHED_BYTES = 8 << 20  # a cached page is ~20 KB


def request_key(model: str, messages: list[Message], schema: dict[str, Any]) -> str:
    payload = json.dumps(
        {
            "model": model,
            "messages": [[m.role, m.content] for m in messages],
            "schema": schema,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class CachedReply:
    data: dict[str, Any]
    model: str
    usage: Usage


class ReplyCache:
    """One JSON file per validated reply under ``<vault>/.topicgen/cache/replies``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def of_vault(cls, state_dir: Path) -> ReplyCache:
        """The cache a vault keeps in its state folder (``<vault>/.topicgen``)."""
        return cls(state_dir / "cache" / "replies")

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedReply | None:
        try:
            # a cache in a vault someone else wrote may hold links or FIFOs: regular files only
            saved = json.loads(read_regular(self._path(key), limit=MAX_CACHED_BYTES))
            usage = Usage(**saved.get("usage", {}))
            return CachedReply(saved["page"], saved["model"], usage)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, VaultError, RecursionError):
            return None

    def put(self, key: str, data: dict[str, Any], model: str, usage: Usage, topic: str) -> None:
        path = self._path(key)
        record = {
            "topic": topic,
            "model": model,
            "usage": usage.__dict__,
            "page": data,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(record, stream, ensure_ascii=False)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)
