"""The vault on disk: where topics and books live, and how pages are read and written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from topicgen.errors import VaultError

STATE_DIR = ".topicgen"


@dataclass(frozen=True)
class Vault:
    root: Path
    topics_folder: str = "topics"
    books_folder: str = "books"

    @classmethod
    def open(cls, root: Path, topics: str = "topics", books: str = "books") -> Vault:
        root = root.expanduser()
        if not root.is_dir():
            raise VaultError(f"vault folder {root} does not exist")
        return cls(root.resolve(), topics, books)

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

    def topic_path(self, slug: str) -> Path:
        path = (self.topics_dir / f"{slug}.md").resolve()
        if path.parent != self.topics_dir.resolve():
            raise VaultError(f"refusing to write outside {self.topics_dir}: {path}")
        return path
