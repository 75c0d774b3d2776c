"""Reading the notes a vault already has, to link to them by title."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from topicgen.errors import TopicNameError
from topicgen.vault.frontmatter import read_frontmatter
from topicgen.vault.slugs import slug_for
from topicgen.vault.stat_cache import Facts, ScanCache, page_names, read_pages

_H1 = re.compile(r"^# (.+?)\s*$", re.MULTILINE)
_NON_WORD = re.compile(r"[^\w]+")
HEAD_BYTES = 64 * 1024


@lru_cache(maxsize=1 << 16)  # pure, and asked again for the same titles on every page rendered
def title_key(text: str) -> str:
    """A title reduced for matching: emoji, accents, case and punctuation ignored.

    Emoji need no library call here: they are symbols and joiners, not word
    characters, so the punctuation pass removes them with everything else.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


@dataclass(frozen=True)
class Note:
    slug: str
    title: str
    aliases: tuple[str, ...] = ()


_TITLE_LINE = re.compile(r"^title:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_ALIASES = re.compile(r"^aliases:[ \t]*(.*?)[ \t]*\n((?:[ \t]*- [^\n]*(?:\n|$))*)", re.MULTILINE)
_ALIAS_ITEM = re.compile(r"^[ \t]*- [ \t]*(.*?)[ \t]*$", re.MULTILINE)
_COMPLEX = ("|", ">", "&", "*", "!", "[", "{", "%", "@", "`")
HEAD_FAST = 8 * 1024


def unquote(value: str) -> str:
    """A one-line YAML scalar's text: double-quoted (JSON-like), single-quoted or plain."""
    if value.startswith('"'):
        try:
            return str(json.loads(value))
        except ValueError:
            return value.strip('"')
    if len(value) > 1 and value.startswith("'") and value.endswith("'"):
        return value[1:-1].replace("''", "'")
    return value


def _fast_title(frontmatter: str) -> tuple[str, tuple[str, ...]] | None:
    """Title and aliases read with regular expressions, or None when the YAML needs a parser."""
    title = _TITLE_LINE.search(frontmatter)
    if title is None or title.group(1).startswith(_COMPLEX) or " #" in title.group(1):
        return None
    aliases: tuple[str, ...] = ()
    block = _ALIASES.search(frontmatter)
    if block is not None:
        if block.group(1):  # an inline value (a flow list, a single string): leave it to YAML
            return None
        items = _ALIAS_ITEM.findall(block.group(2))
        if any(item.startswith(_COMPLEX) for item in items):
            return None
        aliases = tuple(unquote(item) for item in items if item)
    elif re.search(r"^aliases:", frontmatter, re.MULTILINE):
        return None
    return unquote(title.group(1)), aliases


def read_note(path: Path) -> Note:
    """The title and aliases of the note at ``path``, read from its head."""
    with path.open("r", encoding="utf-8", errors="replace") as stream:
        head = stream.read(HEAD_FAST)
        if head.startswith("---") and "\n---" not in head[3:]:
            head += stream.read(HEAD_BYTES - HEAD_FAST)
    return _note_from_head(path, head)


def note_of(path: Path, raw: bytes) -> Note:
    """The note whose file holds ``raw``: what ``read_note`` reads from it."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads
    head = text[:HEAD_FAST]
    if head.startswith("---") and "\n---" not in head[3:]:
        head = text[:HEAD_BYTES]
    return _note_from_head(path, head)


def _note_from_head(path: Path, head: str) -> Note:
    if head.startswith("---"):
        end = head.find("\n---", 3)
        fast = _fast_title(head[head.find("\n") + 1 : end]) if end > 0 else None
        if fast is not None and fast[0].strip():
            return Note(path.stem, fast[0].strip(), fast[1])
    data, body = read_frontmatter(head)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        heading = _H1.search(body)
        title = heading.group(1) if heading else path.stem
    aliases = data.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    return Note(path.stem, str(title).strip(), tuple(str(a) for a in aliases if a))


def _no_note(path: Path, _: OSError) -> None:
    return None  # a note that cannot be read now: nothing to link to


NOTES: Facts[Note | None] = Facts(
    "notes",
    1,
    note_of,
    _no_note,
    _no_note,
    lambda note: [note.title, list(note.aliases)] if note is not None else None,
    lambda path, kept: Note(path.stem, str(kept[0]), tuple(str(alias) for alias in kept[1])),
)


def pages_end_with_newline(folder: Path, sample: int = 25) -> bool:
    """Whether a folder's pages end with a newline: most of the first ``sample`` do, or there are none.

    New pages follow the vault's own habit (``final_newline`` unset); a vault
    with no pages yet gets the POSIX convention.
    """
    endings = []
    for name in page_names(folder)[:sample]:
        try:
            handle = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            size = os.fstat(handle).st_size
            if size:
                endings.append(os.pread(handle, 1, size - 1) == b"\n")
        except OSError:
            pass
        finally:
            os.close(handle)
    return not endings or 2 * sum(endings) >= len(endings)


class NoteIndex:
    """The notes of one vault folder, found by title (emoji and case ignored) or by slug."""

    def __init__(self, notes: list[Note]) -> None:
        self.notes = notes
        self._by_key: dict[str, Note] = {}
        self._by_slug = {note.slug: note for note in notes}
        for note in notes:
            for name in (note.title, *note.aliases):
                for key in name_keys(name):
                    self._by_key.setdefault(key, note)

    @classmethod
    def scan(cls, folder: Path, cache: ScanCache | None = None) -> NoteIndex:
        """The notes of ``folder``; with a scan ``cache``, a note unchanged since last time is not read."""
        return cls([note for note in read_pages(folder, NOTES, cache) if note is not None])

    def by_slug(self, slug: str) -> Note | None:
        return self._by_slug.get(slug)

    def find(self, name: str) -> Note | None:
        """The note ``name`` names: by one of its ``name_keys`` (in order), else by its slug."""
        for key in name_keys(name):
            if key in self._by_key:
                return self._by_key[key]
        try:
            return self._by_slug.get(slug_for(name))
        except (ValueError, TopicNameError):  # a name with no letters names no note
            return None


def name_keys(name: str) -> list[str]:
    """The keys a name finds a note by, and a note is found by: the full title, then the title
    without its subtitle or a trailing '(...)' (``title_key`` of each)."""
    keys = [title_key(name)]
    for short in (name.split(": ", 1)[0], re.sub(r"\s*\([^)]*\)\s*$", "", name)):
        key = title_key(short)
        if key and key not in keys:
            keys.append(key)
    return [key for key in keys if key]


class VaultFiles:
    """Every file in a vault (hidden folders such as .obsidian and .topicgen left out), found the way
    Obsidian resolves a wiki link or embed: by the shortest path that names it, anywhere in the vault.

    ``[[note]]`` names ``note.md`` in any folder, ``[[folder/note]]`` any ``.../folder/note.md``,
    ``![[diagram.png]]`` any ``diagram.png``; case is ignored, as Obsidian does.
    """

    def __init__(self, root: Path, paths: list[str]) -> None:
        self.root = root
        self._by_name: dict[str, list[str]] = {}
        for path in paths:
            self._by_name.setdefault(path.rsplit("/", 1)[-1].casefold(), []).append(path.casefold())

    @classmethod
    def scan(cls, root: Path) -> VaultFiles:
        paths = []
        for folder, folders, files in os.walk(root):
            folders[:] = [name for name in folders if not name.startswith(".")]
            relative = os.path.relpath(folder, root)
            prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
            paths += [prefix + name for name in files if not name.startswith(".")]
        return cls(root, paths)

    def resolves(self, target: str, page: Path | None = None) -> bool:
        """Whether a link target (without ``#heading`` or ``|alias``) names a file of the vault."""
        target = target.strip().replace("\\", "/")
        if not target:
            return False
        for candidate in (target, f"{target}.md"):
            if page is not None and candidate.startswith(("./", "../")):
                if (page.parent / candidate).is_file():
                    return True
                continue
            wanted = candidate.lstrip("/").casefold()
            for path in self._by_name.get(wanted.rsplit("/", 1)[-1], ()):
                if path == wanted or path.endswith("/" + wanted):
                    return True
        return False
