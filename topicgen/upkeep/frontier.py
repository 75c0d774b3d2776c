"""The vault's frontier: the topics its pages name that have no page yet, ranked (``topicgen grow``).

Every page is read once (``read.names``): all pages give their titles and
aliases (what a name may already have a page under), and the pages topicgen
wrote or adopted give the topics their naming sections name. Names are
matched to pages the way links are (``vault.notes``: title, alias, slug;
case, emoji and punctuation aside; a trailing '(...)' or subtitle off; a
trailing abbreviation on its own; plural or singular), so a topic that has a
page under any of those spellings is never a candidate. The spellings left
are grouped the same way (NLP, "Natural Language Processing" and "Natural
Language Processing (NLP)" are one topic), and each group is ranked by:

- nearness to a root page (``root``, ``depth``): breadth first from that page
  over the topics it names, through the pages that exist, as the vault's
  owner discovers work; names further away than ``depth`` are left out;
- how many pages name it, each page counting with the weight of the strongest
  section it names it in (``WEIGHTS``: a child outranks a comparison);
- then the strongest section, then the name.

Pages whose Topics tree names a topic that has a page without linking it
(a page drafted by a run that was killed before relinking) are listed, so
the caller can relink them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from topicgen.errors import TopicNameError, UsageError, VaultError
from topicgen.read.names import NAMING, TREE, Mention, PageNames, names_on_page
from topicgen.vault.files import read_regular
from topicgen.vault.notes import Note, NoteIndex, key_tiers, name_keys, page_names, title_key
from topicgen.vault.slugs import clean_topic_name, slug_for

DEFAULT_DEPTH = 2  # ``--from`` without ``--depth``: its names, and the names of their pages
WEIGHTS = {"parent": 3.0, "children": 3.0, "advanced": 2.0, "concepts": 1.0, "comparisons": 0.5}
ABBREVIATION_TIER = 2  # ``key_tiers``: a trailing abbreviation on its own


def read_pages(topics_dir: Path) -> Iterator[tuple[str, PageNames]]:
    """(slug, what the page names) for every page of the folder, in name order.

    Each page's reading is a pure function of its bytes (``names_on_page``), so a scan cache
    keyed by the file's stat can stand in front of it. A page that cannot be read is skipped.
    """
    for name in page_names(topics_dir):
        try:
            raw = read_regular(topics_dir / name)
        except (OSError, VaultError):
            continue
        yield name[:-3], names_on_page(raw.decode("utf-8", "replace"))


@dataclass
class Candidate:
    """A topic the vault names and has no page for."""

    name: str  # the spelling a page would be drafted under
    spellings: tuple[str, ...]  # every spelling found, most named first
    pages: tuple[str, ...]  # slugs of the pages naming it, in name order
    sections: tuple[str, ...]  # where it was named (``read.names.NAMING``), strongest first
    score: float
    depth: int | None = None  # steps from the root page (``--from``)

    @property
    def slug(self) -> str:
        return slug_for(self.name)


@dataclass
class Frontier:
    candidates: list[Candidate]
    pages: int  # pages read
    read_from: int  # of them, pages topicgen wrote or adopted (their names were read)
    unlinked: list[str] = field(default_factory=list)  # slugs of pages naming a page without a link
    ignored: int = 0  # named topics refused by the ignore list


@dataclass
class _Group:
    names: dict[str, float] = field(default_factory=dict)  # spelling → its weighted mentions
    pages: dict[str, str] = field(default_factory=dict)  # page slug → strongest section naming it there
    sections: set[str] = field(default_factory=set)  # every section naming it
    found: bool = False  # a spelling has a page
    depth: int | None = None


class _Spellings:
    """Spellings joined into topics by the keys they share (union-find over ``key_tiers``).

    An abbreviation joins only a spelling that is that abbreviation alone, and only when one
    topic has it: 'ML' after 'Machine Learning (ML)' and 'Markup Language (ML)' stays apart.
    """

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._by_key: dict[str, str] = {}
        self._abbreviations: dict[str, set[str]] = {}

    def add(self, name: str) -> None:
        if name in self._parent:
            return
        self._parent[name] = name
        tiers = key_tiers(name)
        for tier, keys in enumerate(tiers):
            for key in keys:
                if tier == ABBREVIATION_TIER:
                    self._abbreviations.setdefault(key, set()).add(name)
                    continue
                other = self._by_key.setdefault(key, name)
                if other != name:
                    self._union(other, name)

    def _find(self, name: str) -> str:
        root = name
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[name] != root:
            self._parent[name], name = root, self._parent[name]
        return root

    def _union(self, one: str, other: str) -> None:
        one, other = self._find(one), self._find(other)
        if one != other:
            self._parent[max(one, other)] = min(one, other)

    def groups(self) -> dict[str, str]:
        """Spelling → the spelling that stands for its topic."""
        for key, names in self._abbreviations.items():
            roots = {self._find(name) for name in names}
            alone = self._by_key.get(key)
            if len(roots) == 1 and alone is not None:
                self._union(alone, next(iter(roots)))
        return {name: self._find(name) for name in self._parent}


def frontier(
    pages: Iterable[tuple[str, PageNames]],
    *,
    root: str | None = None,
    depth: int | None = None,
    ignore: Iterable[str] = (),
) -> Frontier:
    """The ranked topics the ``pages`` name without a page of their own (see the module's doc).

    ``root`` (a topic name or title with a page topicgen wrote or adopted) and ``depth`` keep the
    names within that many steps of it; ``ignore`` lists names (and so their other spellings)
    never to draft. A root with no page, or whose names are not read, is a ``UsageError``.
    """
    read = dict(pages)
    index = NoteIndex([Note(slug, names.title or slug, names.aliases) for slug, names in read.items()])
    spellings = _Spellings()
    found: dict[str, str | None] = {}  # spelling → slug of the page it names, if any
    for names in read.values():
        for mention in names.mentions:
            if mention.name not in found:
                note = index.find(mention.name)
                found[mention.name] = note.slug if note is not None else None
            spellings.add(mention.name)
    groups = spellings.groups()
    refused = {key for name in ignore for key in name_keys(name)}
    topics: dict[str, _Group] = {}
    unlinked: list[str] = []
    for slug, names in read.items():
        strays = False
        for mention in names.mentions:
            target = _target(mention, read, found)
            group = topics.setdefault(groups[mention.name], _Group())
            if target is not None:
                group.found = True
                strays = strays or (mention.target is None and mention.section in TREE and target != slug)
                continue
            weight = WEIGHTS[mention.section]
            group.names[mention.name] = group.names.get(mention.name, 0.0) + weight
            group.sections.add(mention.section)
            strongest = group.pages.get(slug)
            if strongest is None or NAMING.index(mention.section) < NAMING.index(strongest):
                group.pages[slug] = mention.section
        if strays:
            unlinked.append(slug)
    if root is not None:
        _walk(read, index, found, groups, topics, root, depth)
    candidates: list[Candidate] = []
    ignored = 0
    for group in topics.values():
        if group.found or not group.names or (root is not None and group.depth is None):
            continue
        if refused and any(key in refused for name in group.names for key in name_keys(name)):
            ignored += 1
            continue
        candidate = _candidate(group)
        if candidate is not None:
            candidates.append(candidate)
    candidates.sort(key=_rank)
    generated = sum(1 for names in read.values() if names.generated)
    return Frontier(candidates, len(read), generated, unlinked, ignored)


def _target(mention: Mention, read: dict[str, PageNames], found: dict[str, str | None]) -> str | None:
    """The page a mention names: the note its link points at, else the one its name finds."""
    if mention.target is not None and mention.target in read:
        return mention.target
    return found[mention.name]


def _walk(
    read: dict[str, PageNames],
    index: NoteIndex,
    found: dict[str, str | None],
    groups: dict[str, str],
    topics: dict[str, _Group],
    root: str,
    depth: int | None,
) -> None:
    """Breadth first from the root's page: each topic's steps from it, within ``depth``."""
    start = index.find(root)
    if start is None:
        raise UsageError(f"no page for {root!r} to grow from (`topicgen new {root!r}` drafts one)")
    if not read[start.slug].generated:
        raise UsageError(
            f"{start.slug}.md was not written by topicgen: grow reads the topics only topicgen's pages "
            f"name (`topicgen adopt` takes it over)"
        )
    steps = {start.slug: 0}
    queue = deque([start.slug])
    while queue:
        slug = queue.popleft()
        if depth is not None and steps[slug] >= depth:
            continue
        for mention in read[slug].mentions:
            target = _target(mention, read, found)
            if target is None:
                group = topics[groups[mention.name]]
                if group.depth is None:
                    group.depth = steps[slug] + 1
            elif target not in steps:
                steps[target] = steps[slug] + 1
                queue.append(target)


def _candidate(group: _Group) -> Candidate | None:
    """The group as a candidate, under the spelling a page would be drafted with: one that carries
    its abbreviation ('Natural Language Processing (NLP)', found by every other spelling), else the
    one named most; a group with no spelling that can be a topic name is none."""

    def preference(name: str) -> tuple[bool, float, str]:
        return (not key_tiers(name)[ABBREVIATION_TIER], -group.names[name], title_key(name))

    name = next((name for name in sorted(group.names, key=preference) if _usable(name)), None)
    if name is None:
        return None
    sections = sorted(group.sections, key=NAMING.index)
    score = sum(WEIGHTS[section] for section in group.pages.values())
    spellings = tuple(sorted(group.names, key=lambda name: (-group.names[name], title_key(name))))
    return Candidate(name, spellings, tuple(sorted(group.pages)), tuple(sections), score, group.depth)


def _usable(name: str) -> bool:
    try:
        return clean_topic_name(name) == name
    except TopicNameError:
        return False


def _rank(candidate: Candidate) -> tuple[int, float, int, str, str]:
    return (
        candidate.depth or 0,
        -candidate.score,
        NAMING.index(candidate.sections[0]),
        title_key(candidate.name),
        candidate.name,
    )
