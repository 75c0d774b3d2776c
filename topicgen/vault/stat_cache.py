"""A folder's pages, and what scans learnt from each, remembered by its stat as git's index does.

A scan of a big vault reads every page, though almost none changed since the
last scan. ``read_pages`` keeps what it learnt from each page in
``.topicgen/cache/scan/`` beside the page's size, mtime, inode and ctime, and
next time reads only the pages whose stat changed.

Trust goes no further than "same stat, same answer":

- An entry answers only while the file's size, mtime, inode and ctime (in
  nanoseconds) are all what they were. No program can set a ctime (short of
  setting the clock), and a copied or cloned vault has new inodes and ctimes,
  so a cache that came with someone else's vault never matches its files. The whole cache is also bound
  to the folder it describes (its real path, device and inode): a moved or
  cloned vault drops it at once.
- Racy-git rule: file times are coarse, so a page changed within the same
  tick as it was read could keep its stat. A page whose mtime or ctime is
  within ``RACY_NS`` of the scan's start is not remembered; the next scan
  reads it again.
- The cache names its format, the kind of facts and their version, and
  topicgen's version and code. Any difference, or a file that cannot be read
  or parsed, is an empty cache, rebuilt by the scan.
- Facts are what the file says, never what settings make of it: commands
  judge them with the settings of the day (a staleness rule, a model), so no
  setting can make a remembered fact wrong.
- It is read through ``read_regular`` (no link, no FIFO, bounded by the number
  of pages) and written to a temporary file in folders opened without
  following links, then renamed over the old one: whole or not at all.

The file is ASCII JSON: a stamp, and an entry per page, a string holding the
stat it was learnt at and the facts' own JSON, decoded when the page is
asked for (a hundred thousand short strings cost a fifth of what as many
small lists of values do).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from topicgen.errors import VaultError
from topicgen.vault import STATE_DIR, Vault
from topicgen.vault.files import UnsafeFile, filesystem_now, read_regular

FORMAT = 1
CACHE_FOLDER = ("cache", "scan")  # under the vault's state folder
RACY_NS = 2_000_000_000  # file times are at worst 2 s apart (FAT); ext4 and tmpfs tick in milliseconds
BYTES_PER_PAGE = 16 << 10  # what a cache may hold per page listed (entries are ~0.2-1 KB) ...
BASE_BYTES = 1 << 20  # ... beyond this: a bigger cache file is not one of ours
T = TypeVar("T")
_DECODER = json.JSONDecoder()


def is_page_name(entry: os.DirEntry[str]) -> bool:
    """Whether a folder entry is a note: a ``.md`` file, not index.md, not hidden, not a link or folder."""
    return (
        entry.name.endswith(".md")
        and entry.name != "index.md"
        and not entry.name.startswith(".")
        and entry.is_file(follow_symlinks=False)  # a folder named *.md, or a link, is not a page
    )


def page_names(folder: Path) -> list[str]:
    """File names of a vault folder's notes (index.md and dotfiles excluded), sorted."""
    try:
        return sorted(entry.name for entry in os.scandir(folder) if is_page_name(entry))
    except (FileNotFoundError, NotADirectoryError):
        return []


@functools.cache
def code_version() -> str:
    """topicgen's version and its code as installed: what a fact means changes with either.

    Each module's size and mtime (no file is read): an edited checkout or an
    upgraded install makes every scan cache a miss.
    """
    package = Path(__file__).resolve().parent.parent
    version = str(getattr(sys.modules.get(package.name), "__version__", ""))  # imported before any module
    digest = hashlib.sha256(version.encode())
    for folder, folders, files in os.walk(package):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                where = os.path.relpath(os.path.join(folder, name), package)
                digest.update(f"{where}:{info.st_size}:{info.st_mtime_ns};".encode())
    return f"{version}+{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class Facts(Generic[T]):
    """One kind of fact a scan learns from a page: how it is learnt, and how it is kept.

    ``learn`` reads a page's bytes; ``refused`` answers for a file
    ``read_regular`` refuses (remembered when its stat alone decides it: too
    large, not a regular file); ``failed`` answers for a read that failed now
    (permissions, a page deleted meanwhile), never remembered. ``version``
    goes up whenever ``dump``'s shape or ``learn``'s meaning changes.
    """

    name: str
    version: int
    learn: Callable[[Path, bytes], T]
    refused: Callable[[Path, VaultError], T]
    failed: Callable[[Path, OSError], T]
    dump: Callable[[T], Any]
    load: Callable[[Path, Any], T]


class StatCache:
    """The remembered facts of one kind for one folder; ``get`` answers only for an unchanged stat."""

    def __init__(
        self,
        file: Path,
        stamp: dict[str, Any],
        *,
        racy_ns: int = RACY_NS,
        prepare: Callable[[], None] = lambda: None,
    ) -> None:
        self.file = file
        self.stamp = stamp
        self.racy_ns = racy_ns
        self.prepare = prepare  # run before the first write (the state folder's .gitignore)
        # before any page of this scan is looked at: the racy-git reference, read off the file system's
        # clock (as the page times it is compared with are), not this process's
        self.started = filesystem_now(file.parent)
        self._old: dict[str, str] = {}
        self._new: dict[str, str] = {}
        self._changed = False
        self.read_only = False  # answers from the file, never writes it

    def load(self, pages: int) -> None:
        """Read the cache file (a cache for ``pages`` pages at most); anything amiss is an empty cache."""
        try:
            _real_folders(self.file.parent)
            text = read_regular(self.file, limit=BASE_BYTES + BYTES_PER_PAGE * pages).decode("ascii")
            data = json.loads(text)  # the bytes are gone by now: only the text and what it parses into
            if data["stamp"] == self.stamp and isinstance(data["entries"], dict):
                self._old = data["entries"]
        except (OSError, VaultError, ValueError, KeyError, TypeError, RecursionError):  # incl. not ASCII
            self._old = {}

    def get(self, name: str, info: os.stat_result) -> str | None:
        """The facts remembered for ``name`` (as JSON text) if its stat is still ``info``, else None."""
        entry = self._old.get(name)
        if type(entry) is not str:
            return None
        stat_text = _stat_text(info)
        if not entry.startswith(stat_text):
            return None
        self._new[name] = entry
        return entry[len(stat_text) :]

    def put(self, name: str, info: os.stat_result, facts: Any) -> None:
        """Remember ``facts`` for ``name`` at stat ``info``, unless the page is too recent to trust."""
        if max(info.st_mtime_ns, info.st_ctime_ns) >= self.started - self.racy_ns:
            return  # it could still change without its stat changing: read again next time
        self._new[name] = _stat_text(info) + json.dumps(facts, separators=(",", ":"))
        self._changed = True

    def keep_unread(self, names: list[str] | None) -> None:
        """Carry over the entries of pages not looked at: of ``names`` (the pages listed: the others are
        gone), or all of them (None: only some pages were looked at)."""
        for name in self._old if names is None else names:
            if name not in self._new and name in self._old:
                self._new[name] = self._old[name]

    def save(self) -> None:
        """Write the entries looked at or learnt, if anything changed; a failed write costs a read later."""
        if self.read_only or (not self._changed and len(self._new) == len(self._old)):
            return  # every entry was looked at and kept as it was
        # ASCII throughout: the text parses into compact strings (one emoji would make it four bytes a
        # character), and an entry is a string of its stat and its facts' JSON, parsed when it is used
        text = json.dumps({"stamp": self.stamp, "entries": self._new}, separators=(",", ":"))
        self.prepare()
        with contextlib.suppress(OSError, VaultError):
            _write_unfollowed(self.file, text.encode("utf-8"))


def _stat_text(info: os.stat_result) -> str:
    """How an entry starts: the stat it was learnt at (size, mtime, inode, ctime)."""
    return f"{info.st_size} {info.st_mtime_ns} {info.st_ino} {info.st_ctime_ns} "


def _real_folders(folder: Path) -> None:
    """Refuse a cache folder reached through a link (a vault from elsewhere may plant one)."""
    for path in (folder, folder.parent, folder.parent.parent):
        if os.path.islink(path):
            raise UnsafeFile(f"{path} is a symbolic link")


def _write_unfollowed(file: Path, data: bytes) -> None:
    """Write ``file`` whole via a temporary file, opening every folder from the state folder down
    without following a link, and renaming over the old file (a link there is replaced, never followed)."""
    state = file.parents[len(CACHE_FOLDER)]
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    handle = os.open(state.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in (state.name, *CACHE_FOLDER):
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o777, dir_fd=handle)
            inner = os.open(part, flags, dir_fd=handle)
            os.close(handle)
            handle = inner
        temporary = f".{file.name}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        out = os.open(
            temporary,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=handle,
        )
        try:
            with os.fdopen(out, "wb") as stream:
                stream.write(data)
            os.replace(temporary, file.name, src_dir_fd=handle, dst_dir_fd=handle)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=handle)
            raise
    finally:
        os.close(handle)


@dataclass(frozen=True)
class ScanCache:
    """Where a vault keeps its scan caches; ``None`` in its place (``--no-cache``) reads every page."""

    vault: Vault
    racy_ns: int = RACY_NS  # tests shorten it (and wait it out) to see entries remembered
    remember: bool = True  # False: read what earlier scans left, write nothing (commands that only print)

    @classmethod
    def of(cls, vault: Vault, enabled: bool = True, *, remember: bool = True) -> ScanCache | None:
        """The vault's scan caches, or None when they are off (``scan_cache = false``, ``--no-cache``);
        ``remember=False`` for a command that writes nothing (``render``, ``new --output -``)."""
        return cls(vault, remember=remember) if enabled else None

    def open(self, folder: Path, facts: Facts[Any]) -> StatCache | None:
        """The cache of ``facts`` for ``folder``, or None for a folder outside the vault."""
        try:
            resolved = folder.resolve()
            relative = resolved.relative_to(self.vault.root).as_posix()
            info = os.stat(resolved)
        except (ValueError, OSError):
            return None
        if relative.split("/", 1)[0] == STATE_DIR:
            return None
        stamp = {
            "format": FORMAT,
            "facts": f"{facts.name}/{facts.version}",
            "topicgen": code_version(),
            "folder": [str(resolved), info.st_dev, info.st_ino],
        }
        tag = hashlib.sha256(relative.encode()).hexdigest()[:10]
        file = self.vault.state_dir.joinpath(*CACHE_FOLDER, f"{facts.name}-{tag}.json")
        cache = StatCache(file, stamp, racy_ns=self.racy_ns, prepare=self.vault.keep_state_out_of_git)
        cache.read_only = not self.remember
        return cache


def read_pages(
    folder: Path, facts: Facts[T], cache: ScanCache | None = None, names: list[str] | None = None
) -> Iterator[T]:
    """What ``facts`` learns from each page of ``folder`` (index.md, dotfiles, links and folders left
    out), in name order, one page at a time; or from the pages ``names`` of it, in that order. With a
    ``cache``, a page whose stat is unchanged is not read.
    """
    if names is not None and not names:
        return
    store = cache.open(folder, facts) if cache is not None else None  # the clock starts before listing
    listed = page_names(folder) if names is None else names
    if store is None:
        yield from (read_page(folder / name, facts) for name in listed)
        return
    store.load(len(listed) if names is None else len(page_names(folder)))
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        yield from (read_page(folder / name, facts) for name in listed)
        return
    try:
        yield from _read_remembering(folder, listed, handle, facts, store)
    finally:
        os.close(handle)
        store.keep_unread(listed if names is None else None)  # a scan of some pages forgets none
        store.save()


def _read_remembering(
    folder: Path, names: list[str], handle: int, facts: Facts[T], store: StatCache
) -> Iterator[T]:
    child = getattr(folder, "_make_child_relpath", folder.joinpath)  # a name needs no parsing: 3x faster
    answer, decode, load, is_regular = store.get, _DECODER.raw_decode, facts.load, stat.S_ISREG
    for name in names:  # ten thousand pages a scan: what each one costs is kept to the least
        path = child(name)
        try:
            info = os.stat(name, dir_fd=handle, follow_symlinks=False)
        except OSError:
            yield read_page(path, facts)  # gone since it was listed: reading it says so
            continue
        known = answer(name, info) if is_regular(info.st_mode) else None
        if known is not None:
            try:
                kept = decode(known)[0]  # json.loads, less its checks for what we wrote
                if kept is not None:
                    yield load(path, kept)
                    continue
            except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError):
                pass  # an entry not of this shape: read the page
        found, remembered = _learn(path, facts)
        if remembered and stat.S_ISREG(info.st_mode):
            store.put(name, info, facts.dump(found))
        yield found


def read_page(path: Path, facts: Facts[T]) -> T:
    """What ``facts`` learns from one page, read now."""
    return _learn(path, facts)[0]


def _learn(path: Path, facts: Facts[T]) -> tuple[T, bool]:
    """What ``facts`` learns from the page at ``path``, and whether it can be remembered by its stat."""
    try:
        raw = read_regular(path)
    except VaultError as error:  # a link, a FIFO, a page over the size cap (decided by its stat alone)
        return facts.refused(path, error), isinstance(error, UnsafeFile)
    except OSError as error:
        return facts.failed(path, error), False
    return facts.learn(path, raw), True
