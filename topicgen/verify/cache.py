"""Lookup answers kept on disk with an age limit, so a title checked once is not checked per page.

One small JSON file per lookup under ``<vault>/.topicgen/cache/verify``:
whether the thing was found, and when it was checked. Only answers are
kept; a lookup that could not be made (the service was down) is not. As the
reply cache's, each entry is sealed with this user's key, so an entry that
came with a cloned vault (a made-up book "found") is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from topicgen.errors import VaultError
from topicgen.user.seal import is_sealed, seal, user_key
from topicgen.vault.files import read_regular, state_folder, write_atomic

DAY = 86_400.0
MAX_ENTRY_BYTES = 64 << 10  # an entry is ~200 bytes; anything larger is not one of ours


class LookupCache:
    def __init__(
        self,
        folder: Path,
        max_age_days: float,
        clock: Callable[[], float] = time.time,
        *,
        key: bytes | None = None,
        under: Path | None = None,
    ) -> None:
        self.folder = folder
        self.max_age = max_age_days * DAY
        self.clock = clock
        self.key = user_key() if key is None else key
        self.under = folder.parent if under is None else under

    @classmethod
    def of_vault(cls, state_dir: Path, max_age_days: float) -> LookupCache:
        return cls(state_dir / "cache" / "verify", max_age_days, under=state_dir)

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest}.json"

    def get(self, key: str) -> bool | None:
        """Whether ``key`` was found, when it was checked within the age limit; else None."""
        if self.max_age <= 0:
            return None
        try:
            # a cache in a vault someone else wrote may hold links or FIFOs: regular files only
            saved = json.loads(read_regular(self._path(key), limit=MAX_ENTRY_BYTES))
            checked, found = float(saved["checked"]), saved["found"]
            sealed = is_sealed(self.key, saved.get("seal"), key.encode(), _content(found, checked))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, VaultError, RecursionError):
            return None
        if not sealed or not isinstance(found, bool) or not 0 <= self.clock() - checked <= self.max_age:
            return None
        return found

    def put(self, key: str, found: bool) -> None:
        if self.max_age <= 0:
            return
        checked = self.clock()
        record = {"key": key, "found": found, "checked": checked}
        record["seal"] = seal(self.key, key.encode(), _content(found, checked))
        path = self._path(key)
        with contextlib.suppress(VaultError):  # a cache that cannot be written costs a lookup next time
            state_folder(path.parent, under=self.under)  # never through a link planted in .topicgen
            write_atomic(path, json.dumps(record, ensure_ascii=False), overwrite=True)


def _content(found: object, checked: float) -> bytes:
    return json.dumps([found, checked]).encode()
