"""Reading the notes a vault already has, to link to them by title."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import emoji
import yaml

from topicgen.errors import TopicNameError
from topicgen.vault.slugs import slug_for

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_FRONTMATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$", re.DOTALL | re.MULTILINE)
_H1 = re.compile(r"^# (.+?)\s*$", re.MULTILINE)
_NON_WORD = re.compile(r"[^\w]+")
HEAD_BYTES = 64 * 1024


@lru_cache(maxsize=1 << 16)  # pure, and asked again for the same titles on every page rendered
def title_key(text: str) -> str:
    """A title reduced for matching: emoji, accents, case and punctuation ignored."""
    text = emoji.replace_emoji(text, "")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def read_frontmatter(text: str) -> tuple[dict, str]:
    """(frontmatter mapping, body) of a note; a note without valid frontmatter gives ({}, text)."""
    match = _FRONTMATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.load(match.group(1), Loader=_Loader)
    except yaml.YAMLError:
        return {}, text
    body = text[match.end() :].removeprefix("\r").removeprefix("\n")
    return (data if isinstance(data, dict) else {}), body


@dataclass(frozen=True)
class Note:
    slug: str
    title: str
    aliases: tuple[str, ...] = ()


def read_note(path: Path) -> Note:
    with path.open("r", encoding="utf-8", errors="replace") as stream:
        head = stream.read(HEAD_BYTES)
    data, body = read_frontmatter(head)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        heading = _H1.search(body)
        title = heading.group(1) if heading else path.stem
    aliases = data.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    return Note(path.stem, str(title).strip(), tuple(str(a) for a in aliases if a))


class NoteIndex:
    """The notes of one vault folder, found by title (emoji and case ignored) or by slug."""

    def __init__(self, notes: list[Note]) -> None:
        self.notes = notes
        self._by_key: dict[str, Note] = {}
        self._by_slug = {note.slug: note for note in notes}
        for note in notes:
            for name in (note.title, *note.aliases):
                for key in _keys(name):
                    self._by_key.setdefault(key, note)

    @classmethod
    def scan(cls, folder: Path) -> NoteIndex:
        if not folder.is_dir():
            return cls([])
        paths = sorted(p for p in folder.glob("*.md") if p.stem != "index" and not p.name.startswith("."))
        notes = []
        for path in paths:
            try:
                notes.append(read_note(path))
            except OSError:  # a folder named *.md, or a note that cannot be read: nothing to link to
                continue
        return cls(notes)

    def find(self, name: str) -> Note | None:
        for key in _keys(name):
            if key in self._by_key:
                return self._by_key[key]
        try:
            return self._by_slug.get(slug_for(name))
        except (ValueError, TopicNameError):  # a name with no letters names no note
            return None


def _keys(name: str) -> list[str]:
    """The full title, then the title without its subtitle or a trailing '(...)'."""
    keys = [title_key(name)]
    for short in (name.split(": ", 1)[0], re.sub(r"\s*\([^)]*\)\s*$", "", name)):
        key = title_key(short)
        if key and key not in keys:
            keys.append(key)
    return [key for key in keys if key]
