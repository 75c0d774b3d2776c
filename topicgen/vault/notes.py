"""Reading the notes a vault already has, to link to them by title."""

from __future__ import annotations

import io
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from topicgen.errors import TopicNameError
from topicgen.vault.files import open_regular
from topicgen.vault.frontmatter import read_frontmatter
from topicgen.vault.slugs import slug_for
from topicgen.vault.stat_cache import Facts, ScanCache, page_names, read_pages

_H1 = re.compile(r"^# (.*\S)", re.MULTILINE)
_NON_WORD = re.compile(r"[^\w]+")
HEAD_BYTES = 64 * 1024


@lru_cache(maxsize=1 << 17)  # pure, and asked again for the same titles on every page rendered
def title_key(text: str) -> str:
    """A title reduced for matching: emoji, accents, case and punctuation ignored.

    Emoji need no library call here: they are symbols and joiners, not word
    characters, so the punctuation pass removes them with everything else.
    ASCII text has no accents to take off, so it skips the normalisation; ASCII
    letters and digits between spaces (most names) need no punctuation pass either
    (``grow`` reduces tens of thousands of names).
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_COMBINING)
    else:
        lowered = text.lower()  # ASCII: the same as casefold
        if lowered.replace(" ", "").isalnum():
            return " ".join(lowered.split())
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


class _CombiningMarks(dict[int, int | None]):
    """For ``str.translate``: a combining mark maps to None (dropped), any other character to itself;
    each character is looked up once, so a title costs one call instead of a test per character."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_COMBINING = _CombiningMarks()


@dataclass(frozen=True)
class Note:
    slug: str
    title: str
    aliases: tuple[str, ...] = ()


# Values are taken whole and stripped in code: a lazy value before optional trailing spaces would read
# a line of spaces once per space (quadratic time).
_TITLE_LINE = re.compile(r"^title:(.*)$", re.MULTILINE)
_ALIASES = re.compile(r"^aliases:(.*)\n((?:[ \t]*- [^\n]*(?:\n|$))*)", re.MULTILINE)
_ALIAS_ITEM = re.compile(r"^[ \t]*- (.*)$", re.MULTILINE)
_ALIASES_KEY = re.compile(r"^aliases:", re.MULTILINE)
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
    line = _TITLE_LINE.search(frontmatter)
    title = line.group(1).strip(" \t") if line else ""
    if line is None or title.startswith(_COMPLEX) or " #" in title:
        return None
    aliases: tuple[str, ...] = ()
    block = _ALIASES.search(frontmatter)
    if block is not None:
        if block.group(1).strip(" \t"):  # an inline value (a flow list, a single string): leave it to YAML
            return None
        items = [item.strip(" \t") for item in _ALIAS_ITEM.findall(block.group(2))]
        if any(item.startswith(_COMPLEX) for item in items):
            return None
        aliases = tuple(unquote(item) for item in items if item)
    elif _ALIASES_KEY.search(frontmatter):
        return None
    return unquote(title), aliases


def read_note(path: Path) -> Note:
    """A note's title and aliases, from at most its first ``HEAD_BYTES`` (a regular file, not a link)."""
    with io.TextIOWrapper(open_regular(path, limit=None), encoding="utf-8", errors="replace") as stream:
        head = stream.read(HEAD_FAST)
        if head.startswith("---") and "\n---" not in head[3:]:
            head += stream.read(HEAD_BYTES - HEAD_FAST)
    return note_of_text(path.stem, head)


def note_of(path: Path, raw: bytes) -> Note:
    """The note whose file holds ``raw``: what ``read_note`` reads from it (for the scan cache)."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads
    head = text[:HEAD_FAST]
    if head.startswith("---") and "\n---" not in head[3:]:
        head = text[:HEAD_BYTES]
    return note_of_text(path.stem, head)


def note_of_text(slug: str, text: str) -> Note:
    """The note whose file is ``<slug>.md`` and holds ``text`` (its start will do): its title from
    the frontmatter, else its H1, else the file name; and its aliases."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        fast = _fast_title(text[text.find("\n") + 1 : end]) if end > 0 else None
        if fast is not None and fast[0].strip():
            return Note(slug, fast[0].strip(), fast[1])
    data, body = read_frontmatter(text)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        heading = _H1.search(body)
        title = heading.group(1) if heading else slug
    aliases = data.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    return Note(slug, str(title).strip(), tuple(str(a) for a in aliases if a))


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
        names = [(note, key_tiers(name)) for note in notes for name in (note.title, *note.aliases)]
        for tier in range(TIERS):  # a note's own title outranks another's short form, abbreviation or plural
            for note, tiers in names:
                for key in tiers[tier]:
                    self._by_key.setdefault(key, note)

    @classmethod
    def scan(cls, folder: Path, cache: ScanCache | None = None) -> NoteIndex:
        """The notes of ``folder``; with a scan ``cache``, a note unchanged since last time is not read."""
        return cls([note for note in read_pages(folder, NOTES, cache) if note is not None])

    def by_slug(self, slug: str) -> Note | None:
        return self._by_slug.get(slug)

    def find(self, name: str) -> Note | None:
        """The note ``name`` names: by one of its ``name_keys`` (in order), else by its slug."""
        by_key = self._by_key
        found = by_key.get(title_key(name))  # the first key: most names are a title as written
        if found is not None:
            return found
        for keys in key_tiers(name):
            for key in keys:
                found = by_key.get(key)
                if found is not None:
                    return found
        try:
            return self._by_slug.get(slug_for(name))
        except (ValueError, TopicNameError):  # a name with no letters names no note
            return None


_ABBREVIATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9&./+-]{0,11}")
TIERS = 4


@lru_cache(maxsize=1 << 17)  # names repeat across a vault's pages
def key_tiers(name: str) -> tuple[tuple[str, ...], ...]:
    """The keys a name finds a note by, and a note is found by (``title_key`` of each), strongest
    first, in ``TIERS`` tiers: the full title; the title without its subtitle or a trailing '(...)';
    a trailing abbreviation on its own ('Natural Language Processing (NLP)' is also 'NLP'); each of
    those with its last word made singular ('Transformer Networks' is also 'Transformer Network',
    and the singular has no other form, so a plural and its singular always share one key)."""
    full = title_key(name)
    if "(" not in name and ": " not in name:  # most names: no shorter form, no abbreviation
        return ((full,) if full else (), (), (), singular_forms(full) if full.endswith("s") else ())
    shorter = [name.split(": ", 1)[0]]
    abbreviation: list[str] = []
    parenthesis = _closing_parenthesis(name)
    if parenthesis is not None:
        before, inside = parenthesis
        shorter.append(before)
        if is_abbreviation(inside, before):
            abbreviation.append(inside)
    seen = {full}
    tiers: list[tuple[str, ...]] = [(full,) if full else ()]
    for forms in (shorter, abbreviation):
        keys = tuple(dict.fromkeys(key for key in map(title_key, forms) if key and key not in seen))
        seen.update(keys)
        tiers.append(keys)
    plurals = (variant for keys in tiers for key in keys for variant in singular_forms(key))
    tiers.append(tuple(dict.fromkeys(key for key in plurals if key not in seen)))
    return tuple(tiers)


@lru_cache(maxsize=1 << 17)
def name_keys(name: str) -> tuple[str, ...]:
    """Every key of ``key_tiers``, strongest first."""
    return tuple(key for tier in key_tiers(name) for key in tier)


def is_abbreviation(text: str, name: str) -> bool:
    """Whether a trailing '(...)' abbreviates the name before it: one short word with at least two
    capitals, starting with the name's first letter ('NLP', 'LLMs', 'k-NN', 'IoT'); a disambiguation
    such as '(UK)' after 'Labour Party', or '(Tegmark)' after a book title, is not one."""
    if not _ABBREVIATION.fullmatch(text) or sum(char.isupper() for char in text) < 2:
        return False
    first = next((char for char in name if char.isalnum()), "")
    return first.casefold() == text[0].casefold()


def singular_forms(key: str) -> tuple[str, ...]:
    """The key with its last word made singular, every way English may have made it plural
    ('caches' → 'cache' and 'cach', 'theories' → 'theory'): matching needs one of them to be right,
    and each is compared only with a real title's keys. A word of three letters or fewer, or ending
    in 'ss', is left as it is."""
    head, _, word = key.rpartition(" ")
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return ()
    prefix = f"{head} " if head else ""
    forms = [word[:-1]]
    if word.endswith("es") and len(word) > 4:
        forms.append(word[:-2])
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    return tuple(prefix + form for form in forms)


def _closing_parenthesis(name: str) -> tuple[str, str] | None:
    """(the name before it, what it holds) for the '(...)' ``name`` ends with: 'Sync (Strogatz)' →
    ('Sync', 'Strogatz'); None when it ends otherwise. Found by scanning back, in linear time."""
    text = name.rstrip()
    if not text.endswith(")"):
        return None
    opening = text.find("(", text.rfind(")", 0, len(text) - 1) + 1, len(text) - 1)
    return None if opening < 0 else (text[:opening].rstrip(), text[opening + 1 : -1])


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
        return self.find(target, page) is not None

    def find(self, target: str, page: Path | None = None) -> str | None:
        """The vault file a link target names (its path in the vault, case folded), or None."""
        target = target.strip().replace("\\", "/")
        if not target:
            return None
        for candidate in (target, f"{target}.md"):
            if page is not None and candidate.startswith(("./", "../")):
                if (page.parent / candidate).is_file():
                    return candidate
                continue
            wanted = candidate.lstrip("/").casefold()
            for path in self._by_name.get(wanted.rsplit("/", 1)[-1], ()):
                if path == wanted or path.endswith("/" + wanted):
                    return path
        return None
