"""Which vaults' settings files the user trusts to decide where a key goes, as direnv and mise do.

A cloned vault's ``topicgen.toml`` could point a provider at any server and
name any variable as the key (``api_key_env = "GITHUB_TOKEN"``). Those settings
are used only from a file the user has trusted as it is: ``topicgen trust``
records the file's real path and the SHA-256 of its bytes under the user's
data folder, outside every vault; a file whose bytes differ is untrusted again.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from topicgen.errors import VaultError
from topicgen.user.dirs import data_dir
from topicgen.vault.files import read_regular, write_atomic

TRUSTED_FOLDER = "trusted"
MAX_RECORD_BYTES = 64 << 10  # a record is ~200 bytes
MAX_SETTINGS_BYTES = 1 << 20  # a settings file is a few hundred bytes; past this it is not read


class TrustState(enum.Enum):
    TRUSTED = "trusted"
    CHANGED = "changed since it was trusted"
    UNTRUSTED = "not trusted"


@dataclass(frozen=True)
class TrustRecord:
    """One trusted settings file: where it is, the hash of what the user trusted, and when."""

    path: str
    sha256: str
    trusted_at: float


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _folder() -> Path:
    return data_dir() / TRUSTED_FOLDER


def _record_path(settings_file: Path) -> Path:
    """A record's file, named by the settings file's real path (a vault moved is a vault to trust again)."""
    name = hashlib.sha256(os.fsencode(os.path.realpath(settings_file))).hexdigest()
    return _folder() / f"{name}.json"


def _load(path: Path) -> TrustRecord | None:
    try:
        data = json.loads(read_regular(path, limit=MAX_RECORD_BYTES))
        return TrustRecord(str(data["path"]), str(data["sha256"]), float(data["trusted_at"]))
    except (OSError, ValueError, KeyError, TypeError, VaultError):
        return None  # unreadable or not one of ours: trusts nothing


def trust_state(settings_file: Path, content: bytes) -> TrustState:
    """Whether the user trusts ``settings_file`` holding exactly ``content``."""
    record = _load(_record_path(settings_file))
    if record is None or record.path != os.path.realpath(settings_file):
        return TrustState.UNTRUSTED
    return TrustState.TRUSTED if record.sha256 == content_hash(content) else TrustState.CHANGED


def trust(settings_file: Path, content: bytes, clock: Callable[[], float] = time.time) -> TrustRecord:
    """Trust ``settings_file`` as long as it holds ``content`` (the bytes the user reviewed)."""
    record = TrustRecord(os.path.realpath(settings_file), content_hash(content), clock())
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise VaultError(f"cannot write in {folder}: {error.strerror or error}") from None
    write_atomic(_record_path(settings_file), json.dumps(asdict(record)) + "\n", overwrite=True, mode=0o600)
    return record


def revoke(settings_file: Path) -> bool:
    """Trust ``settings_file`` no longer; False if it was not trusted."""
    try:
        _record_path(settings_file).unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise VaultError(f"cannot remove {_record_path(settings_file)}: {error.strerror or error}") from None
    return True


def trusted_files() -> list[tuple[TrustRecord, TrustState | None]]:
    """Every trusted settings file, oldest first, with its state now (None: the file is gone)."""
    folder = _folder()
    records = [record for path in sorted(folder.glob("*.json")) if (record := _load(path)) is not None]
    found = []
    for record in sorted(records, key=lambda record: record.trusted_at):
        try:
            content = read_regular(Path(record.path), limit=MAX_SETTINGS_BYTES)
        except (OSError, VaultError):
            found.append((record, None))
            continue
        same = content_hash(content) == record.sha256
        found.append((record, TrustState.TRUSTED if same else TrustState.CHANGED))
    return found
