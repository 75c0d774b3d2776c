"""Hypothesis strategies for what people put in a vault: their own notes, sections, embeds and keys.

The property tests of issue 13 (a person's text is never lost; ``check`` does not
flag what the README promises to keep) draw their pages from here.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

import yaml
from hypothesis import strategies as st

from topicgen.read.recognise import is_summary_heading, match_heading

# Emoji people use in their own headings; none is an outline heading's emoji.
OWN_EMOJI = ("🧪", "🛠️", "🎯", "🐍", "🗒️", "💭", "")
# Keys topicgen writes itself; a person's own keys are anything else.
OWNED_KEYS = ("title", "aliases", "share", "URL")
# Notes of the fixture vault a person may link to.
EXISTING_NOTES = ("large-language-models", "deep-learning", "life-3-0", "books/deep-learning")
EMBED_FOLDERS = ("attachments", "assets/images", "")

words = st.text(alphabet=string.ascii_letters, min_size=1, max_size=9)
sentences = st.lists(words, min_size=1, max_size=7).map(lambda ws: " ".join(ws).capitalize() + ".")


@dataclass(frozen=True)
class Embed:
    """``![[name]]`` in a page, and the file it names somewhere in the vault."""

    link: str
    file: str


@dataclass(frozen=True)
class OwnText:
    """A person's own section or notes: a heading and its lines, and the files they embed."""

    heading: str
    lines: tuple[str, ...]
    embeds: tuple[Embed, ...] = field(default_factory=tuple)

    def text(self, hard_breaks: bool = True) -> list[str]:
        end = "  " if hard_breaks else ""
        return [f"{self.heading}{end}", *(f"{line}{end}" for line in self.lines)]


@st.composite
def embeds(draw: st.DrawFn) -> Embed:
    name = draw(st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12))
    extension = draw(st.sampled_from(("png", "jpg", "pdf", "excalidraw.md")))
    folder = draw(st.sampled_from(EMBED_FOLDERS))
    size = draw(st.sampled_from(("", "|300", "|alt text")))
    file = f"{folder}/{name}.{extension}".lstrip("/")
    return Embed(f"![[{name}.{extension}{size}]]", file)


def _line(draw: st.DrawFn, found: list[Embed]) -> str:
    kind = draw(st.sampled_from(("sentence", "bullet", "embed", "link")))
    if kind == "embed":
        embed = draw(embeds())
        found.append(embed)
        return embed.link
    if kind == "link":
        note = draw(st.sampled_from(EXISTING_NOTES))
        return f"{draw(sentences)} See [[{note}]]."
    text = draw(sentences)
    return f"- {text}" if kind == "bullet" else text


@st.composite
def heading_titles(draw: st.DrawFn) -> str:
    """A heading of a person's own: no outline heading, however loosely matched, and not the summary's."""
    emoji = draw(st.sampled_from(OWN_EMOJI))
    title = " ".join(draw(st.lists(words, min_size=1, max_size=4))).title()
    text = f"{emoji} {title}".strip()
    if match_heading(text) is not None or is_summary_heading(text):
        return "🧪 My Experiments"
    return text


@st.composite
def own_texts(draw: st.DrawFn, level: int) -> OwnText:
    found: list[Embed] = []
    lines = [_line(draw, found) for _ in range(draw(st.integers(1, 4)))]
    return OwnText(f"{'#' * level} {draw(heading_titles())}", tuple(lines), tuple(found))


def own_sections() -> st.SearchStrategy[OwnText]:
    """``### 🧪 My Experiments`` and its lines: a section of one's own inside the summary."""
    return own_texts(3)


def own_notes() -> st.SearchStrategy[OwnText]:
    """``## 📝 My Notes`` and its lines: a person's notes after the summary."""
    return own_texts(2)


_KEY = st.from_regex(r"[a-z][a-z_-]{0,11}", fullmatch=True).filter(
    lambda key: key not in OWNED_KEYS and not key.startswith("topicgen")
)
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=0, max_size=24
)
frontmatter_values = st.one_of(
    _TEXT,
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.lists(_TEXT, max_size=3),
)
own_keys = st.dictionaries(_KEY, frontmatter_values, min_size=1, max_size=3)


def yaml_lines(keys: dict) -> str:
    """A person's keys as they would write them in the frontmatter."""
    return yaml.safe_dump(keys, allow_unicode=True, sort_keys=False, width=1000)


@st.composite
def persons_notes(draw: st.DrawFn, reference_page: str) -> tuple[str, str]:
    """(topic, page) of a page topicgen did not write: a note of one's own, with or without an AI summary."""
    shape = draw(st.sampled_from(("note", "note-with-summary", "reference-page")))
    if shape == "reference-page":  # an AI summary pasted in by hand: no generation metadata
        return "Large Language Models", reference_page
    parts = []
    keys = draw(st.one_of(st.none(), own_keys))
    if keys is not None:
        parts.append(f"---\n{yaml_lines(keys)}---")
    parts.append(f"# {draw(st.sampled_from(OWN_EMOJI))} Rust".replace("#  ", "# "))
    if shape == "note-with-summary":
        parts.append("## 🤖 AI Summary")
    for own in draw(st.lists(st.one_of(own_sections(), own_notes()), min_size=1, max_size=3)):
        parts.extend(own.text())
    return "Rust", "\n".join(parts) + draw(st.sampled_from(("\n", "")))


def with_own_text(
    page: str, sections: list[tuple[int, OwnText]], notes: list[OwnText]
) -> tuple[str, list[str]]:
    """``page`` with a person's sections before its outline headings (by index, 1-19) and their notes
    after it; returns the text and the lines they added, in order."""
    lines = page.rstrip("\n").split("\n")
    headings = [index for index, line in enumerate(lines) if line.startswith("### ")]
    placed = sorted(enumerate(sections), key=lambda item: (item[1][0], item[0]))
    for _, (where, own) in reversed(placed):
        lines[headings[where] : headings[where]] = [*own.text(), "  "]
    added = [line for _, (_, own) in placed for line in own.text()]
    for own in notes:
        lines += ["", *own.text()]
        added += own.text()
    return "\n".join(lines) + "\n", added


def assert_in_order(wanted: list[str], lines: list[str]) -> None:
    """Every wanted line appears in ``lines``, in the same order."""
    position = 0
    for line in wanted:
        assert line in lines[position:], f"{line!r} was lost"
        position = lines.index(line, position) + 1


# --- issue 21: two names of one file, and the links a person writes ---------------------------------

_NAME_WORDS = ("graph", "theory", "rust", "quantum", "computing", "élan", "naïve", "data", "x")
# Ways of writing a name that keep its slug: the same topic written another way (case, accents,
# spacing, punctuation), or another topic (a symbol spelled out, an apostrophe dropped).
_SAME_TOPIC = (
    lambda name: name.lower(),
    lambda name: name.upper(),
    lambda name: name.replace(" ", "-"),
    lambda name: name + "!",
    lambda name: name.replace("é", "e").replace("ï", "i"),
)
_OTHER_TOPIC = (
    lambda name: name.replace("++", " Plus Plus"),
    lambda name: name.replace("#", " Sharp"),
    lambda name: name.replace("'s", "s"),
)


@st.composite
def names_of_one_file(draw: st.DrawFn) -> tuple[str, str]:
    """Two different topic names that share a slug (``C++`` and ``C Plus Plus``, ``Rust`` and ``rust``)."""
    from hypothesis import assume

    from topicgen.errors import TopicNameError
    from topicgen.vault.slugs import clean_topic_name, slug_for

    base = " ".join(
        word.capitalize() for word in draw(st.lists(st.sampled_from(_NAME_WORDS), min_size=1, max_size=3))
    )
    first = base + draw(st.sampled_from(("++", "#", "'s", "", " 2")))
    second = draw(st.sampled_from(_OTHER_TOPIC))(first) if draw(st.booleans()) else first
    for change in draw(st.lists(st.sampled_from(_SAME_TOPIC), min_size=second == first, max_size=2)):
        second = change(second)
    try:
        first, second = clean_topic_name(first), clean_topic_name(second)
    except TopicNameError:
        assume(False)
    assume(first != second and slug_for(first) == slug_for(second))
    return first, second


_LINK_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " ", min_size=1, max_size=16).map(
    lambda text: " ".join(text.split()) or "note"
)
_SLUG = st.from_regex(r"[a-z][a-z0-9-]{0,14}", fullmatch=True)


_BULLET = re.compile(r"^\s*[-*+] ")


@st.composite
def persons_links(draw: st.DrawFn) -> str:
    """A link as a person writes one: to a note (which may be missing here), a web page, or a wiki link."""
    slug = draw(_SLUG)
    target = draw(
        st.sampled_from((f"../books/{slug}.md", f"./{slug}.md", f"{slug}.md", f"https://example.org/{slug}"))
    )
    text = draw(_LINK_TEXT)
    return draw(st.sampled_from((f"[{text}]({target})", f"[[{slug}]]", f"[[{slug}|{text}]]")))


def with_links(page: str, draw: st.DrawFn) -> tuple[str, list[str]]:
    """``page`` with links a person wrote into some of its summary's items: around a book's title or a
    topic's name, or between two words of any item. Returns the page and the links added."""
    lines = page.split("\n")
    body = lines.index("---", 1) + 1  # the summary's items, not the frontmatter's lists
    items = [index for index, line in enumerate(lines[body:], body) if _BULLET.match(line)]
    added = []
    for index in draw(st.lists(st.sampled_from(items), min_size=1, max_size=4, unique=True)):
        link = draw(persons_links())
        line = lines[index]
        start = _BULLET.match(line).end()
        words_at = [at for at, char in enumerate(line) if char == " " and at > start + 1]
        quoted = line.find(': "')
        nested = line.startswith("    - ") and line.count(" ") >= 7
        if "](" in link and (quoted > 0 or nested) and draw(st.booleans()):  # around a title or a name
            begin = quoted + 3 if quoted > 0 else line.index(" ", 6) + 1
            end = line.find('"', begin) if quoted > 0 else line.rstrip().rindex(" ")
            cut = draw(st.integers(begin + 1, max(begin + 1, end)))
            link = f"[{line[begin:cut]}]({link.split('](')[-1]}"
            lines[index] = f"{line[:begin]}{link}{line[cut:]}"
        else:
            at = draw(st.sampled_from(words_at)) if words_at else len(line.rstrip())
            lines[index] = f"{line[:at]} {link}{line[at:]}"
        added.append(link)
    return "\n".join(lines), added
