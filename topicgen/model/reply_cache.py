"""Validated replies kept on disk, so an interrupted run never pays twice.

A reply is stored, keyed by the model spec and the request's content
(messages and schema), as soon as it validates and before its page is
written. Running the same command again finds it and spends nothing.

The cache serves replies that have not been written yet: a resumed run, or
a page previewed with ``--output -`` and then written. It never hands back
the reply a page was already made from (``newer_than`` the page), and a
``fresh`` view reads nothing at all (``--fresh``), so asking again always
asks the model.

The cache sits in the vault's ``.topicgen/``, which may have come with a
clone: each entry is sealed with this user's key (``topicgen.user.seal``, kept
outside every vault) over the request it answers and its content, so an entry
shipped or edited in a vault is a miss, never the model's answer; and the
cache's folders are made and written without following a link.

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
from topicgen.user.seal import is_sealed, seal, user_key
from topicgen.vault.files import read_regular, state_folder

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
    """One sealed JSON file per validated reply under ``<vault>/.topicgen/cache/replies``.

    ``reuse=False`` stores replies but never reads one; ``newer_than`` (a file
    time in nanoseconds) reads only replies stored after that moment. ``key``
    seals entries (by default this user's, ``user_key``); ``under`` is the folder
    below which no step of the cache's path may be a link (the state folder).
    """

    def __init__(
        self,
        folder: Path,
        *,
        key: bytes | None = None,
        under: Path | None = None,
        reuse: bool = True,
        newer_than: int | None = None,
        stored_before: int | None = None,
    ) -> None:
        self.folder = folder
        self.key = user_key() if key is None else key
        self.under = folder.parent if under is None else under
        self.reuse = reuse
        self.after = newer_than
        self.before = stored_before

    def _with(self, **changes: Any) -> ReplyCache:
        settings = {"reuse": self.reuse, "newer_than": self.after, "stored_before": self.before, **changes}
        return ReplyCache(self.folder, key=self.key, under=self.under, **settings)

    def fresh(self) -> ReplyCache:
        """The same cache, storing replies but never answering from it."""
        return self._with(reuse=False, newer_than=None, stored_before=None)

    def newer_than(self, moment_ns: int | None) -> ReplyCache:
        """The same cache answering only with replies stored after ``moment_ns`` (a page's mtime)."""
        if moment_ns is None or not self.reuse:
            return self
        return self._with(newer_than=max(moment_ns, self.after or 0))

    def stored_before(self, moment_ns: int) -> ReplyCache:
        """The same cache answering only with replies stored before ``moment_ns``.

        A batch run passes over its pages again once a follow-up batch is back;
        a reply it validated on an earlier pass is then read from its batch, so
        its tokens are counted with the page, not lost as a cache hit.
        """
        if not self.reuse:
            return self
        return self._with(stored_before=moment_ns)

    @classmethod
    def of_vault(cls, state_dir: Path) -> ReplyCache:
        """The cache a vault keeps in its state folder (``<vault>/.topicgen``)."""
        return cls(state_dir / "cache" / "replies", under=state_dir)

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
            mac = saved.pop("seal", None)
            if not is_sealed(self.key, mac, key.encode(), self._content(saved)):
                return None  # not written by this user for this request: shipped, edited or moved
            usage = Usage(**saved.get("usage", {}))
            return CachedReply(saved["page"], saved["model"], usage)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, VaultError, RecursionError):
            return None

    @staticmethod
    def _content(record: dict[str, Any]) -> bytes:
        return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    def put(self, key: str, data: dict[str, Any], model: str, usage: Usage, topic: str) -> None:
        path = self._path(key)
        record: dict[str, Any] = {
            "topic": topic,
            "model": model,
            "usage": usage.__dict__,
            "page": data,
        }
        record["seal"] = seal(self.key, key.encode(), self._content(record))
        try:
            state_folder(path.parent, under=self.under)  # never through a link planted in .topicgen
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(record, stream, ensure_ascii=False)
            os.replace(temporary, path)
        except (OSError, VaultError):
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)
