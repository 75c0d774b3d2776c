"""Writing pages safely: whole or not at all, never clobbering, one writer per page."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from topicgen.errors import PageLockedError, VaultError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


NEW_FILE_MODE = 0o666 & ~_current_umask()


class PageExists(VaultError):
    """The page is already there and overwriting was not asked for."""


def write_atomic(path: Path, text: str, *, overwrite: bool) -> None:
    """Write via a temporary file in the same folder, fsync, then rename into place.

    Without ``overwrite`` the final step is a hard link, which fails if the
    page appeared meanwhile, so a page is never replaced by accident.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise VaultError(f"cannot write in {folder}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = NEW_FILE_MODE
        os.chmod(temporary, mode)
        if overwrite:
            os.replace(temporary, path)
        else:
            _link_no_clobber(temporary, path)
    except FileExistsError:
        raise PageExists(f"{path} already exists; pass --force to replace it") from None
    except OSError as error:
        raise VaultError(f"cannot write {path}: {error.strerror or error}") from None
    except UnicodeEncodeError:
        raise VaultError(f"cannot write {path}: the text is not valid Unicode") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _link_no_clobber(source: str, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if target.exists():  # the filesystem has no hard links: a best-effort check instead
            raise FileExistsError(target) from None
        os.replace(source, target)


@contextlib.contextmanager
def page_lock(lock_dir: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock for one page; another process gets ``PageLockedError``.

    Locks are ``flock``s on files under ``.topicgen/locks``: the kernel drops
    them when a process dies, even by ``kill -9``, so none goes stale.
    """
    try:
        lock_dir.mkdir(parents=True, exist_ok=True)
        handle = os.open(lock_dir / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise VaultError(f"cannot create a lock in {lock_dir}: {error.strerror or error}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PageLockedError(f"{name} is being written by another topicgen process") from None
        yield
    finally:
        os.close(handle)


def sweep_temporaries(folder: Path, lock_dir: Path) -> list[Path]:
    """Remove temporary files a killed run left beside pages nobody is writing now."""
    removed = []
    if not folder.is_dir():
        return removed
    for temporary in folder.glob(".*.md.*.tmp"):
        page = temporary.name[1:].split(".md.", 1)[0]
        try:
            with page_lock(lock_dir, page):
                temporary.unlink(missing_ok=True)
                removed.append(temporary)
        except (PageLockedError, VaultError, OSError):
            continue
    return removed


def read_page_text(path: Path) -> str:
    """A page's text, or ``VaultError`` saying in one line why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VaultError(f"{path} no longer exists") from None
    except UnicodeDecodeError:
        raise VaultError(f"{path.name} is not UTF-8 text") from None
    except OSError as error:
        raise VaultError(f"cannot read {path}: {error.strerror or error}") from None
