"""The outline of a topic page: the single source of truth for its sections.

The schema's field descriptions, the prompt, the renderer and the page parser
all read this table, so a heading, a bullet emoji or a label is written here
and nowhere else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a section's content is shaped (and so how it is validated and rendered)."""

    BULLETS = "bullets"  # a list of one-line items
    LABELLED = "labelled"  # fixed labelled one-line items (overview, problems)
    TREE = "tree"  # parent; children; advanced topics
    BULLETS_THEN_LABEL = "bullets_then_label"  # items, then one labelled closing item
    QUOTE = "quote"  # one quoted line
    BOOKS = "books"  # fixed labelled books: title, authors, note
    VIDEOS = "videos"  # [name](url) + description


@dataclass(frozen=True)
class Label:
    """A fixed item inside a section: its JSON field, its visible label and its bullet."""

    field: str
    text: str
    emoji: str
    bold: bool = False
    instruction: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    heading_emoji: str
    heading_text: str
    emoji: str
    kind: Kind
    instruction: str
    min_items: int = 1
    max_items: int = 1
    labels: tuple[Label, ...] = ()

    @property
    def heading(self) -> str:
        return f"{self.heading_emoji} {self.heading_text}"

    @property
    def is_list(self) -> bool:
        return self.kind in (Kind.BULLETS, Kind.BULLETS_THEN_LABEL, Kind.VIDEOS)

    @property
    def guidance(self) -> str:
        """The instruction, with the item bounds where the section is a list."""
        if self.is_list:
            return f"{self.instruction} {self.min_items} to {self.max_items} items."
        return self.instruction


ZWJ = "\u200d"  # zero-width joiner, inside emoji like 🧙‍♂️
PAGE_HEADING = "🤖 AI Summary"
TITLE_EMOJI_RANGE = (1, 5)

# Emoji used by more than one row, each written once.
_PUZZLE = "🧩"
_THUMBS_DOWN = "👎"
_STETHOSCOPE = "🩺"
_BOOK = "📖"
_CHILD = "👩\u200d👧\u200d👦"
_WIZARD = "🧙\u200d♂️"


def _section(
    key: str,
    emoji: str,
    heading_text: str,
    kind: Kind,
    instruction: str,
    min_items: int = 1,
    max_items: int = 1,
    labels: tuple[Label, ...] = (),
) -> Section:
    """A section whose bullets carry its heading's emoji (so each emoji is written once)."""
    return Section(key, emoji, heading_text, emoji, kind, instruction, min_items, max_items, labels)


def _labels(emoji: str, *rows: tuple[str, str, str]) -> tuple[Label, ...]:
    """Labelled items that all share one bullet emoji: (field, label, instruction) rows."""
    return tuple(Label(field, text, emoji, instruction=instruction) for field, text, instruction in rows)


OUTLINE: tuple[Section, ...] = (
    _section(
        "what_is_it",
        "👉",
        "What Is It?",
        Kind.BULLETS,
        "Define the topic in 2 to 5 short sentences, one per item: what it is and the "
        "broader class of things it belongs to.",
        2,
        5,
    ),
    Section(
        "overview",
        "☁️",
        "A High Level, Conceptual Overview",
        "",
        Kind.LABELLED,
        "Explain the topic three times, each as one paragraph on a single line.",
        labels=(
            Label("for_a_child", "For A Child", "🍼", True, "for a curious child, with a vivid analogy"),
            Label("for_a_beginner", "For A Beginner", "🏁", True, "for an adult who is new to it"),
            Label(
                "for_a_world_expert",
                "For A World Expert",
                _WIZARD,
                True,
                "for a world expert, precise and dense",
            ),
        ),
    ),
    _section(
        "qualities",
        "🌟",
        "High-Level Qualities",
        Kind.BULLETS,
        "Its defining qualities, each written 'Name: description'.",
        3,
        8,
    ),
    _section(
        "capabilities",
        "🚀",
        "Notable Capabilities",
        Kind.BULLETS,
        "What it can do, each written 'Capability: description'.",
        3,
        8,
    ),
    _section(
        "performance",
        "📊",
        "Typical Performance Characteristics",
        Kind.BULLETS,
        "How it typically performs: quantities, scaling, costs, measures, with numbers where they are known.",
        2,
        8,
    ),
    _section(
        "examples",
        "💡",
        "Examples Of Prominent Products, Applications, Or Services That Use It Or "
        "Hypothetical, Well Suited Use Cases",
        Kind.BULLETS,
        "Real products, applications or services that use it, then hypothetical use cases it would suit.",
        3,
        8,
    ),
    _section(
        "concepts",
        "📚",
        "A List Of Relevant Theoretical Concepts Or Disciplines",
        Kind.BULLETS,
        "Theoretical concepts and disciplines it draws on, one per item.",
        3,
        10,
    ),
    Section(
        "topics",
        "🌲",
        "Topics:",
        "",
        Kind.TREE,
        "Where it sits in a tree of knowledge: the name of its parent topic, its child "
        "topics and advanced topics, each a short topic name followed by one emoji.",
        labels=(
            Label("parent", "Parent", "👶", instruction="the broader parent topic"),
            Label("children", "Children", _CHILD, instruction="3 to 8 narrower child topics"),
            Label(
                "advanced", "Advanced topics", _WIZARD, instruction="3 to 8 advanced topics for further study"
            ),
        ),
        min_items=3,
        max_items=8,
    ),
    _section(
        "deep_dive",
        "🔬",
        "A Technical Deep Dive",
        Kind.BULLETS,
        "How it works, technically and precisely, one point per item.",
        3,
        10,
    ),
    _section(
        "problems",
        _PUZZLE,
        "The Problem(s) It Solves:",
        Kind.LABELLED,
        "The problems it solves.",
        labels=_labels(
            _PUZZLE,
            ("abstract", "Abstract", "the problem in the abstract"),
            ("common_examples", "Common examples", "common, specific examples"),
            ("surprising_example", "Surprising example", "one surprising example"),
        ),
    ),
    _section(
        "well_suited",
        "👍",
        "How To Recognize When It's Well Suited To A Problem",
        Kind.BULLETS,
        "Signs that a problem suits it.",
        2,
        8,
    ),
    _section(
        "not_suited",
        _THUMBS_DOWN,
        "How To Recognize When It's Not Well Suited To A Problem (And What Alternatives To Consider)",
        Kind.BULLETS_THEN_LABEL,
        "Signs that a problem does not suit it.",
        2,
        8,
        labels=_labels(
            _THUMBS_DOWN, ("alternatives", "Alternatives", "the alternatives to consider instead")
        ),
    ),
    _section(
        "not_optimal",
        _STETHOSCOPE,
        "How To Recognize When It's Not Being Used Optimally (And How To Improve)",
        Kind.BULLETS_THEN_LABEL,
        "Signs that it is not being used well.",
        2,
        8,
        labels=_labels(_STETHOSCOPE, ("improvement", "Improvement", "how to improve its use")),
    ),
    _section(
        "comparisons",
        "🔄",
        "Comparisons To Similar Alternatives",
        Kind.BULLETS,
        "How it compares with similar alternatives, one comparison per item.",
        2,
        8,
    ),
    _section(
        "surprising_perspective",
        "🤯",
        "A Surprising Perspective",
        Kind.BULLETS,
        "A surprising, thought-provoking perspective on it.",
        1,
        4,
    ),
    _section(
        "history",
        "📜",
        "Some Notes On Its History, How It Came To Be, And What Problems It Was Designed To Solve",
        Kind.BULLETS,
        "Its history: how it came to be and what it was designed to solve.",
        2,
        8,
    ),
    _section(
        "example",
        "📝",
        "A Dictionary-Like Example Using The Term In Natural Language",
        Kind.QUOTE,
        "One sentence that uses the term naturally, as a dictionary example would, "
        "without quotation marks around it.",
    ),
    _section(
        "joke",
        "😂",
        "A Joke",
        Kind.QUOTE,
        "One short, witty one-liner about the topic, without quotation marks around it.",
    ),
    _section(
        "books",
        _BOOK,
        "Book Recommendations",
        Kind.BOOKS,
        "Real, published books; give each book's exact title and its authors.",
        labels=_labels(
            _BOOK,
            ("topical", "Topical", "a book on the topic itself"),
            ("tangentially_related", "Tangentially related", "a tangentially related book"),
            ("topically_opposed", "Topically opposed", "a book with an opposing view"),
            ("more_general", "More general", "a more general book"),
            ("more_specific", "More specific", "a more specific book"),
            ("fictional", "Fictional", "a novel that explores related ideas"),
            ("rigorous", "Rigorous", "a rigorous, technical book"),
            ("accessible", "Accessible", "an accessible, popular book"),
        ),
    ),
    _section(
        "videos",
        "📺",
        "Links To Relevant YouTube Channels Or Videos",
        Kind.VIDEOS,
        "Real YouTube channels or videos about the topic, each with its name, its full "
        "https://www.youtube.com/ address and a short description.",
        1,
        6,
    ),
)

SECTIONS: dict[str, Section] = {section.key: section for section in OUTLINE}


def outline_fingerprint_data() -> str:
    """A stable text form of the outline, hashed into every page's fingerprint."""
    return json.dumps([asdict(section) for section in OUTLINE], ensure_ascii=False, sort_keys=True)


def outline_digest() -> str:
    return hashlib.sha256(outline_fingerprint_data().encode()).hexdigest()
