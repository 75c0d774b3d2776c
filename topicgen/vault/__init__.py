"""The vault on disk: where topics and books live, and how pages are read and written.

Owns the ``Vault`` (its folders and state directory), atomic writes and page
locks, frontmatter in the vault's own style, the notes a page may link to,
and slugs. Nothing here judges a page: staleness, links and the index live in
``topicgen.upkeep``.

May import: ``topicgen.errors`` only.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from topicgen.errors import VaultError

STATE_DIR = ".topicgen"
# The frontmatter keys topicgen owns in a page (``frontmatter``: every other key is the vault's): here,
# so that settings know them without loading what reads and writes frontmatter.
OWNED_KEYS = ("share", "aliases", "title", "URL")
GENERATION_PREFIX = "topicgen_"
# The folders topicgen makes in its state folder (each writer also refuses a link at any deeper step).
STATE_FOLDERS = ("cache", "cache/replies", "cache/verify", "batches", "batches/runs", "locks")
# Written into the state folder: everything there is topicgen's working state (reply cache, locks,
# batch state) and stays out of commits, this file included; prompt overrides are the vault's own.
STATE_GITIGNORE = """\
# topicgen's working state (reply cache, locks, batch state) stays out of commits.
# Prompt overrides in prompts/ belong to the vault: commit them.
*
!prompts/
!prompts/**
"""


def inside_vault(root: Path, folder: Path) -> None:
    """Refuse a folder that resolves outside the vault: a link out is never followed, to read or write."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(folder)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise VaultError(
            f"{folder} leads outside the vault (to {real}); topicgen never follows links out of the vault"
        )


@dataclass(frozen=True)
class Vault:
    root: Path
    topics_folder: str = "topics"
    books_folder: str = "books"

    @classmethod
    def open(cls, root: Path, topics: str = "topics", books: str = "books") -> Vault:
        root = root.expanduser()
        if not root.is_dir():
            if root.exists():
                raise VaultError(f"vault folder {root} is not a folder")
            raise VaultError(
                f"vault folder {root} does not exist; to start a vault there, create the folder "
                f"(mkdir -p {shlex.quote(str(root))}) and run the command again"
            )
        return cls(root.resolve(), topics, books)

    def __post_init__(self) -> None:
        for folder in (self.topics_dir, self.books_dir, self.state_dir, self.lock_dir):
            inside_vault(self.root, folder)
        for name in STATE_FOLDERS:  # made by topicgen alone: a link there came with someone's vault
            if (self.state_dir / name).is_symlink():
                raise VaultError(
                    f"{self.state_dir / name} is a symbolic link; topicgen never follows a link inside "
                    f"{STATE_DIR}/: remove it"
                )

    @property
    def topics_dir(self) -> Path:
        return self.root / self.topics_folder

    @property
    def books_dir(self) -> Path:
        return self.root / self.books_folder

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def lock_dir(self) -> Path:
        return self.state_dir / "locks"

    def keep_state_out_of_git(self) -> None:
        """Create the state folder with its ``.gitignore`` (best effort: a read-only vault just has none)."""
        ignore = self.state_dir / ".gitignore"
        if ignore.exists():
            return
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            with open(ignore, "x", encoding="utf-8") as stream:
                stream.write(STATE_GITIGNORE)
        except OSError:
            pass

    def ensure_writable(self) -> None:
        """Fail before any model call when pages or their locks could not be written.

        Each folder (or, while it does not exist, the nearest folder above it)
        is probed with an unnamed temporary file, so a file where a folder
        should be, a read-only mount or missing permissions are one
        ``VaultError`` up front instead of a failure per page after paying.
        Nothing is created: a run that fails before writing a page leaves the
        folder as it found it (not even ``topics/``), so it does not become a vault.
        """
        for folder in (self.topics_dir, self.lock_dir):
            if folder.exists() and not folder.is_dir():
                raise VaultError(f"{folder} is a file, but topicgen needs a folder there")
            existing = folder
            while not os.path.lexists(existing) and existing != self.root:
                existing = existing.parent
            if not existing.is_dir():
                raise VaultError(f"cannot write in {folder}: {existing} is a file, not a folder")
            try:
                with tempfile.TemporaryFile(dir=existing):
                    pass
            except OSError as error:
                raise VaultError(f"cannot write in {existing}: {error.strerror or error}") from None

    def tidy_state(self) -> None:
        """What a run made only to work in goes when it ends: an empty lock folder, and the state
        folder when nothing but topicgen's own ``.gitignore`` is left in it (best effort)."""
        with contextlib.suppress(OSError):
            self.lock_dir.rmdir()  # only when empty: another run's locks keep it
        ignore = self.state_dir / ".gitignore"
        try:
            if os.listdir(self.state_dir) != [".gitignore"] or ignore.read_text("utf-8") != STATE_GITIGNORE:
                return
            ignore.unlink()
            self.state_dir.rmdir()
        except OSError:
            return

    def topic_path(self, slug: str) -> Path:
        """The page of a slug; the page itself may be a link, which writing refuses (never follows)."""
        path = self.topics_dir / f"{slug}.md"
        if path.parent != self.topics_dir or "/" in slug or slug in {"", ".", ".."}:
            raise VaultError(f"refusing to write outside {self.topics_dir}: {path}")
        return path  # the folder was checked when the Vault was made; writing refuses a linked page
