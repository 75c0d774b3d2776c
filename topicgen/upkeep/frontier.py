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

Speed (``bench/grow.py``: 10,000 pages with 210,000 mentions of 57,000
spellings, 27,587 topics without a page): reading a page is a pure function
of its bytes (``names_on_page``), so the vault's scan cache
(``vault.stat_cache``) stands in front of it: a page unchanged since the last
scan is not read, and an hourly run reads only what changed. The cache keeps
a page's mentions as columns (``_dump``), which load without a list per
mention. Without the cache (``--no-cache``) the pages are read by two worker
processes when the vault is big and the machine has the cores (reading a
page costs several times what ``stale``'s frontmatter scan does, so workers
pay for their start-up here). Each spelling named without a link is looked
up once (``NoteIndex.find``, most of what ranking costs), a mention of a
spelling already tallied only adds to its tally, and a candidate's rank is
worked out when it is made. Python's cycle collector is off while the names
are tallied, and through a dry run's listing: the tallies and candidates are
hundreds of thousands of small objects with no cycles, and each pass over
them costs 0.1-0.2 s (``no_cycle_collection``). Warm, ``grow --dry-run``
takes 1.6 s (median, load 1.5; 2.6 s before these changes, measured in the
same minute), of which reading the cache is about 0.25 s and ranking 0.8 s;
most of the ranking is working out the keys of the 55,000 spellings
(``vault.notes.key_tiers``), afresh in each process.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, partial
from operator import attrgetter
from pathlib import Path

from topicgen.errors import TopicNameError, UsageError, VaultError
from topicgen.read.names import NAMING, TREE, Mention, PageNames, load_page_readers, names_on_page
from topicgen.vault.files import read_regular
from topicgen.vault.notes import Note, NoteIndex, key_tiers, name_keys, page_names, title_key
from topicgen.vault.slugs import clean_topic_name, slug_for
from topicgen.vault.stat_cache import Facts, ScanCache
from topicgen.vault.stat_cache import read_pages as read_remembered

DEFAULT_DEPTH = 2  # ``--from`` without ``--depth``: its names, and the names of their pages
WEIGHTS = {"parent": 3.0, "children": 3.0, "advanced": 2.0, "concepts": 1.0, "comparisons": 0.5}
ABBREVIATION_TIER = 2  # ``key_tiers``: a trailing abbreviation on its own


PARALLEL_FROM = 2_000  # pages: below this, worker processes cost more than they save
CHUNK = 500


def read_pages(topics_dir: Path, workers: int = 1) -> Iterator[tuple[str, PageNames]]:
    """(slug, what the page names) for every page of the folder, in name order; with ``workers``
    a big vault is read by that many processes.

    Each page's reading is a pure function of its bytes (``names_on_page``), so a scan cache
    keyed by the file's stat can stand in front of it. A page that cannot be read is skipped.
    """
    names = page_names(topics_dir)
    if workers < 2 or len(names) < PARALLEL_FROM:
        yield from _read_chunk(topics_dir, names)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    load_page_readers()  # once, not in each worker
    chunks = [names[start : start + CHUNK] for start in range(0, len(names), CHUNK)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for chunk in pool.map(partial(_read_chunk, topics_dir), chunks):
            yield from chunk


def _read_chunk(topics_dir: Path, names: list[str]) -> list[tuple[str, PageNames]]:
    read = []
    for name in names:
        try:
            raw = read_regular(topics_dir / name)
        except (OSError, VaultError):
            continue
        read.append((name[:-3], names_on_page(raw)))
    return read


_SECTION_CODES = {section: str(rank) for rank, section in enumerate(NAMING)}
_SECTION_OF = {code: section for section, code in _SECTION_CODES.items()}
_MENTION = partial(tuple.__new__, Mention)  # a Mention of (name, section, target), with no call into Python
_NAME_TYPES, _TARGET_TYPES = frozenset({str}), frozenset({str, type(None)})


def _dump(found: tuple[str, PageNames] | None) -> object:
    """A page's names as the scan cache keeps them: its mentions as three columns (names, a digit per
    section, links), which load with no list per mention (a warm ``grow`` loads 200,000 of them)."""
    if found is None:
        return None
    names = found[1]
    mentions = names.mentions
    return [
        names.title,
        list(names.aliases),
        names.generated,
        [mention.name for mention in mentions],
        "".join(_SECTION_CODES[mention.section] for mention in mentions),
        [mention.target for mention in mentions],
    ]


def _load(path: Path, kept: list) -> tuple[str, PageNames] | None:
    """``_dump``'s columns back into a page's names; an entry of another shape is an error the scan
    cache catches (the page is read again)."""
    if kept is None:
        return None
    title, aliases, generated, names, sections, targets = kept
    if not _NAME_TYPES.issuperset(map(type, names)) or not _TARGET_TYPES.issuperset(map(type, targets)):
        raise ValueError(f"not the names of a page: {path.name}")
    columns = zip(names, map(_SECTION_OF.__getitem__, sections), targets, strict=True)
    named = tuple(map(_MENTION, columns))
    return path.stem, PageNames(str(title), tuple(map(str, aliases)), bool(generated), named)


# What ``grow`` learns from a page, kept by the scan cache (a new field is a new version).
PAGE_NAMES: Facts[tuple[str, PageNames] | None] = Facts(
    "grow-names",
    2,
    lambda path, raw: (path.stem, names_on_page(raw)),
    lambda path, error: None,
    lambda path, error: None,
    _dump,
    _load,
)


def scan(
    topics_dir: Path,
    *,
    root: str | None = None,
    depth: int | None = None,
    ignore: Iterable[str] = (),
    cache: ScanCache | None = None,
) -> Frontier:
    """The frontier of a vault's topics folder (``frontier`` over its pages' names): through the scan
    ``cache`` when given (a page unchanged since the last scan is not read), else read by two
    processes when it is big (``PARALLEL_FROM``) and the machine has two cores."""
    with no_cycle_collection():
        if cache is not None:
            pages = (found for found in read_remembered(topics_dir, PAGE_NAMES, cache) if found is not None)
        else:
            pages = read_pages(topics_dir, min(2, os.cpu_count() or 1))
        return frontier(pages, root=root, depth=depth, ignore=ignore)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off (the scan makes no cycles; reference counting frees it all).

    Also around a dry run's listing (``cli.grow``): each pass the collector made while the ranked
    candidates are alive would walk all of them (a pass over a 10,000-page vault's: 0.15 s). When it
    is back on, what was made meanwhile joins the oldest generation (frozen, and thawed there), so
    the young collection that would follow at once does not walk it either.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


class Candidate:
    """A topic the vault names and has no page for: a view of its tally, its listing worked out
    when asked (a run shows and drafts a few of tens of thousands)."""

    def __init__(self, group: _Group) -> None:
        self._group = group
        self.depth = group.depth  # steps from the root page (``--from``)
        self.score = sum(map(WEIGHTS.__getitem__, group.pages.values()))
        self.strongest = min(map(_STRENGTH.__getitem__, group.sections))
        names = group.names  # most topics have one spelling: no preference to work out
        first = next(iter(names)) if len(names) == 1 else self.preferred[0]
        self._rank = (self.depth or 0, -self.score, self.strongest, title_key(first), first)

    @cached_property
    def preferred(self) -> tuple[str, ...]:
        """Its spellings, the one a page is drafted under first: one that carries its abbreviation
        ('Natural Language Processing (NLP)', which every other spelling finds), else the one
        named most."""
        names = self._group.names
        if len(names) == 1:
            return tuple(names)

        def preference(name: str) -> tuple[bool, float, str]:
            return (not key_tiers(name)[ABBREVIATION_TIER], -names[name], title_key(name))

        return tuple(sorted(names, key=preference))

    @cached_property
    def spellings(self) -> tuple[str, ...]:
        """Every spelling found, most named first."""
        names = self._group.names
        return tuple(sorted(names, key=lambda name: (-names[name], title_key(name))))

    @cached_property
    def pages(self) -> tuple[str, ...]:
        """The slugs of the pages naming it, in name order."""
        return tuple(sorted(self._group.pages))

    @cached_property
    def sections(self) -> tuple[str, ...]:
        """Where it was named (``read.names.NAMING``), strongest first."""
        return tuple(sorted(self._group.sections, key=_STRENGTH.__getitem__))

    @cached_property
    def name(self) -> str:
        """The spelling a page would be drafted under: the first preferred one that can be a topic
        name ('' when none can). Checked when asked, for the few names a run shows or drafts."""
        return next((name for name in self.preferred if _usable(name)), "")

    @property
    def slug(self) -> str:
        return slug_for(self.name)

    def __repr__(self) -> str:
        return f"Candidate({self.preferred[0]!r}, score={self.score}, depth={self.depth})"


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
    named_pages: set[str] = set()  # spellings that name a page somewhere (a link, or by name)
    tallies: dict[str, _Tally] = {}  # spelling without a page → how it is named
    unlinked: list[str] = []
    tally_of, strength, weights = tallies.get, _STRENGTH, WEIGHTS  # the loop's names
    for slug, names in read.items():
        strays = False
        for name, section, link in names.mentions:
            if link is None or link not in read:
                tally = tally_of(name)
                if tally is not None:  # most mentions without a link: a spelling already tallied
                    tally.weight += weights[section]
                    tally.sections.add(section)
                    strongest = tally.pages.setdefault(slug, section)
                    if strength[section] < strength[strongest]:
                        tally.pages[slug] = section
                    continue
                target = found.get(name, _UNSEEN)
                if target is _UNSEEN:  # looked up once per spelling
                    note = index.find(name)
                    target = found[name] = note.slug if note is not None else None
                if target is None:
                    spellings.add(name)
                    tallies[name] = _Tally(weights[section], {slug: section}, {section})
                    continue
                strays = strays or (link is None and target != slug and section in TREE)
            if "(" in name or ": " in name:  # its other forms ('NLP' alone) name the page too
                spellings.add(name)
                named_pages.add(name)
        if strays:
            unlinked.append(slug)
    groups = spellings.groups()
    topics = _topics(tallies, groups, {groups[name] for name in named_pages})
    if root is not None:
        _walk(read, index, found, groups, topics, root, depth)
    refused = {key for name in ignore for key in name_keys(name)}
    candidates: list[Candidate] = []
    ignored = 0
    for group in topics.values():
        if root is not None and group.depth is None:
            continue
        if refused and any(key in refused for name in group.names for key in name_keys(name)):
            ignored += 1
            continue
        candidates.append(Candidate(group))
    candidates.sort(key=_RANK)
    generated = sum(1 for names in read.values() if names.generated)
    return Frontier(candidates, len(read), generated, unlinked, ignored)


_STRENGTH = {section: rank for rank, section in enumerate(NAMING)}


_UNSEEN = ""  # a spelling not looked up yet (no slug is empty)


@dataclass(slots=True)
class _Tally:
    """How one spelling without a page is named: its weighted mentions, the strongest section
    naming it on each page, every section naming it."""

    weight: float
    pages: dict[str, str]
    sections: set[str]


def _topics(tallies: dict[str, _Tally], groups: dict[str, str], with_pages: set[str]) -> dict[str, _Group]:
    """The spellings' tallies added up by topic; a topic one of whose spellings names a page has
    one, and is left out."""
    topics: dict[str, _Group] = {}
    for name, tally in tallies.items():
        key = groups[name]
        if key in with_pages:
            continue
        group = topics.get(key)
        if group is None:
            topics[key] = _Group({name: tally.weight}, tally.pages, tally.sections)
            continue
        group.names[name] = tally.weight
        group.sections |= tally.sections
        for slug, section in tally.pages.items():
            strongest = group.pages.get(slug)
            if strongest is None or _STRENGTH[section] < _STRENGTH[strongest]:
                group.pages[slug] = section
    return topics


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
        for name, _, link in read[slug].mentions:
            target = link if link in read else found[name]
            if target is None:
                group = topics.get(groups[name])
                if group is not None and group.depth is None:
                    group.depth = steps[slug] + 1
            elif target not in steps:
                steps[target] = steps[slug] + 1
                queue.append(target)


def _usable(name: str) -> bool:
    try:
        return clean_topic_name(name) == name
    except TopicNameError:
        return False


_RANK = attrgetter("_rank")  # nearest first, then most named, strongest section, name
