"""Writing pages safely: whole or not at all, never clobbering, one writer per page."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from topicgen.errors import PageLockedError, UsageError, VaultError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


NEW_FILE_MODE = 0o666 & ~_current_umask()


MAX_PAGE_BYTES = 1 << 20  # a topic page is ~15 KB; a page past this is refused, not parsed for minutes
READ_CHUNK = 1 << 16


class PageExists(VaultError):
    """The page is already there and overwriting was not asked for."""


class NotText(VaultError):
    """A vault file that is not UTF-8 text."""


class UnsafeFile(VaultError):
    """A vault file topicgen will not read or write: a link, a device or FIFO, or too large."""


def read_named_file(path: Path, *, limit: int) -> bytes:
    """The bytes of a file a person names on the command line ('-': standard input), never past ``limit``.

    The file is the person's own, not the vault's: a link is followed and a pipe
    is read (``--from <(grep ...)``). A device or a folder is refused (``/dev/zero``
    never ends), and reading stops once past ``limit``. Errors are ``UsageError``
    lines; ``FileNotFoundError`` is left to the caller.
    """
    if str(path) == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read(limit + 1) if stream is not None else sys.stdin.read(limit + 1).encode()
    else:
        try:
            info = path.stat()
        except FileNotFoundError:
            raise
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{path} is a folder, not a file")
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            raise UsageError(f"{path} is a device or socket, not a file")
        try:
            with path.open("rb") as stream:
                data = stream.read(limit + 1)
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > limit:
        name = "standard input" if str(path) == "-" else str(path)
        raise UsageError(f"{name} is over the {size_text(limit)} topicgen reads from it")
    return data


def size_text(size: int) -> str:
    """Bytes for people: '50.0 MB', '1 MiB' limits included."""
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MiB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.1f} KiB"
    return f"{size} bytes"


def open_regular(path: Path, *, limit: int | None, follow_links: bool = False) -> BinaryIO:
    """A regular file of at most ``limit`` bytes, open for reading; nothing else is opened.

    Every file topicgen reads from a vault comes through here (or ``read_regular``): a
    FIFO would block forever, ``/dev/zero`` never ends, and a link could lead anywhere
    on the machine, so a link is not followed (``follow_links`` is for the user's own
    files, which may well be links into a dotfiles checkout) and whatever is not a
    regular file is refused before a byte is read. ``limit=None`` is for a reader that reads a
    bounded head of a file of any size. ``FileNotFoundError`` is left to the caller.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_links else os.O_NOFOLLOW)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        if error.errno == errno.ELOOP and not follow_links:
            raise UnsafeFile(f"{path} is a symbolic link; topicgen does not follow links") from None
        raise VaultError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{path} is not a regular file")
        if limit is not None and info.st_size > limit:
            raise UnsafeFile(
                f"{path} is {size_text(info.st_size)}, over the {size_text(limit)} topicgen reads; left alone"
            )
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def read_regular(path: Path, *, limit: int = MAX_PAGE_BYTES, follow_links: bool = False) -> bytes:
    """The bytes of a regular file (``open_regular``), never read past ``limit``."""
    with open_regular(path, limit=limit, follow_links=follow_links) as stream:
        handle = stream.fileno()
        try:  # what the file holds (a buffer of ``limit`` bytes per read would cost an mmap per page)
            data = os.read(handle, os.fstat(handle).st_size + 1)
            while len(data) <= limit:
                more = os.read(handle, min(limit + 1 - len(data), READ_CHUNK))
                if not more:
                    break
                data += more
        except OSError as error:
            raise VaultError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > limit:  # it grew while being read
        raise UnsafeFile(f"{path} is over the {size_text(limit)} topicgen reads; left alone")
    return data


def state_folder(folder: Path, *, under: Path) -> Path:
    """Make ``folder`` and every missing folder between it and ``under``, refusing a link at any step.

    topicgen's state folder (``.topicgen``) is written by topicgen alone; a link
    inside it (``.topicgen/cache -> ../..``, shipped with a cloned vault) would lead
    its writes out of the vault, so no step below ``under`` may be one.
    """
    try:
        parts = folder.relative_to(under).parts
    except ValueError:
        raise VaultError(f"refusing to write outside {under}: {folder}") from None
    if ".." in parts:
        raise VaultError(f"refusing to write outside {under}: {folder}")
    try:
        under.mkdir(parents=True, exist_ok=True)  # ``under`` itself was checked when the vault was opened
    except OSError as error:
        raise VaultError(f"cannot write in {under}: {error.strerror or error}") from None
    current = under
    for part in parts:
        current = current / part
        try:
            current.mkdir()
        except FileExistsError:
            pass
        except OSError as error:
            raise VaultError(f"cannot write in {current.parent}: {error.strerror or error}") from None
        try:
            mode = os.lstat(current).st_mode
        except OSError as error:
            raise VaultError(f"cannot write in {current}: {error.strerror or error}") from None
        if stat.S_ISLNK(mode):
            raise UnsafeFile(f"{current} is a symbolic link; topicgen never writes through a link; remove it")
        if not stat.S_ISDIR(mode):
            raise VaultError(f"{current} is a file, but topicgen needs a folder there")
    return folder


def open_for_writing(path: Path, *, append: bool = False) -> BinaryIO:
    """A state file opened for writing (emptied, or for ``append``), never through a link or into a FIFO.

    ``O_NOFOLLOW`` refuses a planted link; ``O_NONBLOCK`` makes a FIFO with no
    reader an error instead of a wait, and anything but a regular file is refused.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    flags |= os.O_APPEND if append else os.O_TRUNC
    try:
        handle = os.open(path, flags, 0o666)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafeFile(f"{path} is a symbolic link; topicgen never writes through a link") from None
        raise VaultError(f"cannot write {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise UnsafeFile(f"{path} is not a regular file; topicgen only writes regular files")
    return os.fdopen(handle, "ab" if append else "wb")


def refuse_link(path: Path) -> None:
    """Pages are never written through or over a symbolic link: the link, and its target, are not ours."""
    if path.is_symlink():
        raise UnsafeFile(f"{path} is a symbolic link; topicgen never writes through or over a link")


def write_atomic(path: Path, text: str, *, overwrite: bool, mode: int | None = None) -> None:
    """Write via a temporary file in the same folder, fsync, then rename into place.

    Without ``overwrite`` the final step is a hard link, which fails if the
    page appeared meanwhile, so a page is never replaced by accident. ``mode``:
    the file's permissions (a secret's 0o600); by default a page keeps its own.
    """
    folder = path.parent
    refuse_link(path)
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
        if mode is None:
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
    them when a process dies, even by ``kill -9``, so none goes stale. The file
    is removed on release, so a finished run leaves no lock behind; a process
    that locked a file just removed (its inode no longer the path's) starts over.
    """
    refuse_link(lock_dir)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC  # a planted link makes no file elsewhere
    path = lock_dir / f"{name}.lock"
    while True:
        try:
            lock_dir.mkdir(parents=True, exist_ok=True)
            handle = os.open(path, flags, 0o644)
        except FileNotFoundError:
            continue  # a run that just ended removed the empty folder (``Vault.tidy_state``): make it again
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise UnsafeFile(f"{path} is a symbolic link; remove it") from None
            raise VaultError(f"cannot create a lock in {lock_dir}: {error.strerror or error}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise PageLockedError(f"{name} is being written by another topicgen process") from None
        if _same_file(handle, path):
            break
        os.close(handle)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # still holding the lock: nobody can be inside it
        os.close(handle)


def _same_file(handle: int, path: Path) -> bool:
    try:
        held, current = os.fstat(handle), os.stat(path)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)


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
        text = read_regular(path).decode("utf-8")
    except FileNotFoundError:
        raise VaultError(f"{path} no longer exists") from None
    except UnicodeDecodeError:
        raise NotText(f"{path.name} is not UTF-8 text") from None
    except OSError as error:
        raise VaultError(f"cannot read {path}: {error.strerror or error}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as read_text gives


def filesystem_now(folder: Path) -> int:
    """Now, as the file system in ``folder`` stamps files (ns): what a file's mtime is compared with.

    A file's time is set by the file system's clock, which need not be this process's (a network
    share, a clock moved since): a moment to compare mtimes with is taken from a file made for it
    (unnamed where the system allows), in ``folder`` or, before it exists, the nearest folder above.
    Where no file can be made, the system clock stands in.
    """
    while not folder.is_dir() and folder.parent != folder:
        folder = folder.parent
    try:
        with tempfile.TemporaryFile(dir=folder) as marker:
            return os.fstat(marker.fileno()).st_mtime_ns
    except OSError:
        return time.time_ns()
