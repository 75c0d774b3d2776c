"""A secret of this user's that binds what topicgen caches in a vault to the user who cached it.

A vault's ``.topicgen/`` can be committed and cloned with the vault, and an
entry in it edited: a reply cache entry would then be written to a page as the
model's answer without a request. Each entry carries an HMAC made with a key
kept outside every vault (``<data dir>/cache-key``, readable by the user
alone); an entry whose HMAC does not check out is a miss.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from pathlib import Path

from topicgen.errors import VaultError
from topicgen.user.dirs import data_dir
from topicgen.vault.files import PageExists, read_regular, write_atomic

KEY_FILE = "cache-key"
KEY_BYTES = 32


def user_key() -> bytes:
    """This user's key (made on first use). Where it cannot be kept (a read-only home), a key for
    this process alone: entries from earlier runs are then misses, never trusted."""
    return _key_at(data_dir() / KEY_FILE)


@functools.cache
def _key_at(path: Path) -> bytes:
    for _ in range(2):
        try:
            key = bytes.fromhex(read_regular(path, limit=4 * KEY_BYTES).decode("ascii").strip())
            if len(key) == KEY_BYTES:
                return key
        except FileNotFoundError:
            pass
        except (OSError, ValueError, VaultError):
            break  # unreadable or not a key: not replaced (it may be the user's), just not used
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(path, secrets.token_hex(KEY_BYTES) + "\n", overwrite=False, mode=0o600)
        except PageExists:
            continue  # another process made it first: read that one
        except (OSError, VaultError):
            break
    return secrets.token_bytes(KEY_BYTES)


def seal(key: bytes, *parts: bytes) -> str:
    """The HMAC-SHA256 of ``parts`` (each length-prefixed, so no two lists of parts seal alike)."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(len(part).to_bytes(8, "big") + part)
    return mac.hexdigest()


def is_sealed(key: bytes, mac: object, *parts: bytes) -> bool:
    """Whether ``mac`` is the seal of ``parts`` under ``key`` (compared in constant time)."""
    return isinstance(mac, str) and hmac.compare_digest(mac, seal(key, *parts))
