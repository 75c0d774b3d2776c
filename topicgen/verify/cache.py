"""Lookup answers kept on disk with an age limit, so a title checked once is not checked per page.

One small JSON file per lookup under ``<vault>/.topicgen/cache/verify``:
whether the thing was found, and when it was checked. Only answers are
kept; a lookup that could not be made (the service was down) is not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from topicgen.errors import VaultError
from topicgen.vault.files import read_regular, write_atomic

DAY = 86_400.0
MAX_ENTRY_BYTES = 64 << 10  # an entry is ~200 bytes; anything larger is not one of ours


class LookupCache:
    def __init__(self, folder: Path, max_age_days: float, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self.max_age = max_age_days * DAY
        self.clock = clock

    @classmethod
    def of_vault(cls, state_dir: Path, max_age_days: float) -> LookupCache:
        return cls(state_dir / "cache" / "verify", max_age_days)

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
        except (OSError, ValueError, KeyError, TypeError, VaultError, RecursionError):
            return None
        if not isinstance(found, bool) or not 0 <= self.clock() - checked <= self.max_age:
            return None
        return found

    def put(self, key: str, found: bool) -> None:
        if self.max_age <= 0:
            return
        record = {"key": key, "found": found, "checked": self.clock()}
        with contextlib.suppress(VaultError):  # a cache that cannot be written costs a lookup next time
            write_atomic(self._path(key), json.dumps(record, ensure_ascii=False), overwrite=True)
