"""Validated replies kept on disk, so an interrupted run never pays twice.

A reply is stored, keyed by the model spec and the request's content
(messages and schema), as soon as it validates and before its page is
written. Running the same command again finds it and spends nothing.

The cache serves replies that have not been written yet: a resumed run, or
a page previewed with ``--output -`` and then written. It never hands back
the reply a page was already made from (``newer_than`` the page), and a
``fresh`` view reads nothing at all (``--fresh``), so asking again always
asks the model.

An entry is written to a temporary file and renamed into place, so a reader
never sees half of one, but not fsynced: that would hold up the run's event
loop for every page, and what a power cut could lose is only a cache entry
(``get`` reads anything unreadable as a miss, and the model is asked again).
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
    """One JSON file per validated reply under ``<vault>/.topicgen/cache/replies``.

    ``reuse=False`` stores replies but never reads one; ``newer_than`` (a file
    time in nanoseconds) reads only replies stored after that moment.
    """

    def __init__(
        self,
        folder: Path,
        *,
        reuse: bool = True,
        newer_than: int | None = None,
        stored_before: int | None = None,
    ) -> None:
        self.folder = folder
        self.reuse = reuse
        self.after = newer_than
        self.before = stored_before

    def fresh(self) -> ReplyCache:
        """The same cache, storing replies but never answering from it."""
        return ReplyCache(self.folder, reuse=False)

    def newer_than(self, moment_ns: int | None) -> ReplyCache:
        """The same cache answering only with replies stored after ``moment_ns`` (a page's mtime)."""
        if moment_ns is None or not self.reuse:
            return self
        return ReplyCache(self.folder, newer_than=max(moment_ns, self.after or 0), stored_before=self.before)

    def stored_before(self, moment_ns: int) -> ReplyCache:
        """The same cache answering only with replies stored before ``moment_ns``.

        A batch run passes over its pages again once a follow-up batch is back;
        a reply it validated on an earlier pass is then read from its batch, so
        its tokens are counted with the page, not lost as a cache hit.
        """
        if not self.reuse:
            return self
        return ReplyCache(self.folder, newer_than=self.after, stored_before=moment_ns)

    @classmethod
    def of_vault(cls, state_dir: Path) -> ReplyCache:
        """The cache a vault keeps in its state folder (``<vault>/.topicgen``)."""
        return cls(state_dir / "cache" / "replies")

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedReply | None:
        if not self.reuse:
            return None
        path = self._path(key)
        try:
            if self.after is not None or self.before is not None:
                stored = path.lstat().st_mtime_ns
                if self.after is not None and stored <= self.after:
                    return None  # the reply the page was made from: asking again means asking the model
                if self.before is not None and stored >= self.before:
                    return None
            # a cache in a vault someone else wrote may hold links or FIFOs: regular files only
            saved = json.loads(read_regular(path, limit=MAX_CACHED_BYTES))
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
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)
