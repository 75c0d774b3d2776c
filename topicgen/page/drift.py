"""Which departures from the outline are wrong, and which are drift a reader would not mind.

Real models (and the vault pages they wrote) drift from the outline: a list
one item longer than asked, ``**Name:**`` where the outline writes ``Name:``,
inline math, emoji in every Unicode form. This module is the one place that
says which is which; the schema, the reply reader and the page reader all ask
it.

**Wrong or unsafe** (a reply is asked again, a page reports a defect):

- a reply that is not JSON, was cut off, or is a refusal (the whole page is asked again);
- a section missing, empty, or not of its type;
- text that could change the page's shape or run code: line breaks, headings,
  frontmatter fences, HTML, script links (``topicgen.page.text_rules``);
- a field that cannot be rendered: title emoji that are not emoji, a video
  address that is not YouTube's, link text holding brackets;
- a list more than ``LIST_SLACK`` items outside its stated bounds, in a reply.

**Drift** (accepted, normalised by ``normalise``, noted; never a call):

- ``list-length``: a list up to ``LIST_SLACK`` items outside its bounds, never
  empty; every item is kept (cutting a ninth example loses what a reader
  would want; padding invents). Pages a person keeps may hold any number.
- ``bold-label``: ``**Name:** text`` or ``**Name**: text`` → ``Name: text``,
  the outline's own form.
- ``repeated-label``: a labelled field starting with its own label
  (``For A Child: ...``): the renderer writes the label, so it is removed.
- ``quoted``: a quote field written ``"…" 😂`` or ``_"…"_``: the renderer adds the quotes.
- ``math``: inline ``$…$`` kept as written; ``\\(…\\)`` and ``\\[…\\]`` become ``$…$``
  and ``$$…$$``, the forms Obsidian and Quartz render.
- ``emoji``: ZWJ sequences, skin tones, flags and keycaps are kept as
  written; a joiner left dangling is removed; a title may carry up to
  ``LIST_SLACK`` emoji more than asked.
- ``whitespace``: runs of spaces or tabs become one space (not inside code
  spans); zero-width spaces, byte-order marks and bidirectional controls
  (which reorder how a line is shown) are removed.
- ``no-closing-label``: an empty ``Alternatives``/``Improvement`` item; the
  section is rendered without it.
- ``unknown-field``: a key the schema does not have is ignored (it is never rendered).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import emoji
from pydantic import ValidationInfo

from topicgen.page.markup import BIDI_CONTROLS, code_spans
from topicgen.page.outline import SECTIONS, TITLE_EMOJI_RANGE, ZWJ, Kind, Label, Section

LIST_SLACK = 2
TITLE_KEY = "title_emoji"
Where = tuple[str | int, ...]  # a path into page data: ("books", "topical", "title")


class Source(StrEnum):
    """Where page data comes from; it decides how far list lengths may stray."""

    REPLY = "reply"  # a model's reply: a re-ask can fix a list far out of bounds
    PAGE = "page"  # a page in the vault: what a person keeps is theirs, any length


PAGE_CONTEXT = {"source": Source.PAGE}  # pass as ``context=`` when validating a page read back


class Drift(StrEnum):
    LIST_LENGTH = "list-length"
    BOLD_LABEL = "bold-label"
    REPEATED_LABEL = "repeated-label"
    QUOTED = "quoted"
    MATH = "math"
    EMOJI = "emoji"
    WHITESPACE = "whitespace"
    NO_CLOSING_LABEL = "no-closing-label"
    UNKNOWN_FIELD = "unknown-field"


@dataclass(frozen=True)
class DriftNote:
    """One piece of drift: what, where (a data path), and how it was handled."""

    drift: Drift
    path: Where
    detail: str

    @property
    def where(self) -> str:
        return ".".join(str(part) for part in self.path) or "reply"

    def __str__(self) -> str:
        return f"{self.where}: {self.drift.value}: {self.detail}"


# ---------------------------------------------------------------- bounds


def source_of(info: ValidationInfo | None) -> Source:
    context = info.context if info is not None else None
    if isinstance(context, dict) and context.get("source") == Source.PAGE:
        return Source.PAGE
    return Source.REPLY


def accepted_range(low: int, high: int, source: Source = Source.REPLY) -> tuple[int, int | None]:
    """The item counts accepted for a list the outline bounds to ``low``..``high`` (None: no limit)."""
    if source is Source.PAGE:
        return 1, None
    return max(1, low - LIST_SLACK), high + LIST_SLACK


def count_error(low: int, high: int, count: int, source: Source = Source.REPLY) -> str | None:
    """Why ``count`` items are not accepted, or None when they are (perhaps as drift)."""
    least, most = accepted_range(low, high, source)
    if count == 0:
        return "must not be empty"
    if count < least or (most is not None and count > most):
        return f"must have {low} to {high} items, not {count}"
    return None


def title_emoji_limit(source: Source = Source.REPLY) -> int | None:
    """The most title emoji accepted (None: no limit)."""
    return None if source is Source.PAGE else TITLE_EMOJI_RANGE[1] + LIST_SLACK


# ---------------------------------------------------------------- text normalisation

_SPACES = re.compile(r"[ \t]{2,}|\t")
_INVISIBLE = re.compile("[\u200b\ufeff]")
_BOLD_LABEL = (
    re.compile(r"^(\*\*|__)(?P<label>[^*_:\n]{1,80}?)(?<!\s)\s*:\s*\1\s*(?P<rest>.*)$"),  # **Name:** text
    re.compile(r"^(\*\*|__)(?P<label>[^*_:\n]{1,80}?)\1\s*:\s*(?P<rest>.*)$"),  # **Name**: text
)
# \(…\) and \[…\] math. Their content holds no opener or closer of its kind and no line break, so a
# search stops at the next one instead of scanning every opener to the line's end (linear time).
_PAREN_MATH = re.compile(
    r"\\\((?P<inline>(?:[^\\\n]|\\[^()\n])+)\\\)|\\\[(?P<display>(?:[^\\\n]|\\[^\[\]\n])+)\\\]"
)
_DOLLAR_MATH = re.compile(r"(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\$)|\$\$[^$\n]+?\$\$")
_QUOTES = (('"', '"'), ("“", "”"))
_EMPHASISED_QUOTE = re.compile(r"(\*\*|\*|_)(?P<inner>[\"“].+[\"”])\1")
_WORD = re.compile(r"[^\W_]+")
_EMOJI_TAIL = re.compile(r"^[\s\W]*$")


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the text outside inline code spans."""
    pieces, cursor = [], 0
    for start, end in code_spans(text):
        pieces.append(change(text[cursor:start]))
        pieces.append(text[start:end])
        cursor = end
    pieces.append(change(text[cursor:]))
    return "".join(pieces)


# Joiners after a space or the start, or a run of them before a space or the end (tried from the run's
# first joiner only, so a long run followed by a letter is read once).
_DANGLING_JOINERS = re.compile(rf"(?:(?<=\s)|^){ZWJ}+|(?<!{ZWJ}){ZWJ}++(?=\s|$)")


def _dangling_joiners(text: str) -> str:
    """A zero-width joiner with whitespace or an end beside it joins nothing."""
    if ZWJ not in text:
        return text
    return _DANGLING_JOINERS.sub("", text)


class _Normaliser:
    """Walks page data by the outline, normalising drift and noting it."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.notes: list[DriftNote] = []

    def note(self, drift: Drift, path: Where, detail: str) -> None:
        self.notes.append(DriftNote(drift, path, detail))

    def text(self, value: Any, path: Where, labels: tuple[str, ...] = ()) -> Any:
        """One field's text with its drift normalised (anything but a string is left to validation)."""
        if not isinstance(value, str):
            return value
        text = value
        visible = BIDI_CONTROLS.sub("", text)
        if visible != text:
            self.note(Drift.WHITESPACE, path, "bidirectional control characters removed")
        cleaned = _INVISIBLE.sub("", visible)
        cleaned = _outside_code(cleaned, lambda part: _SPACES.sub(" ", part)).strip()
        if cleaned != visible.strip():
            self.note(Drift.WHITESPACE, path, "stray spaces removed")
        text = cleaned
        joined = _dangling_joiners(text)
        if joined != text:
            self.note(Drift.EMOJI, path, "a dangling zero-width joiner removed")
            text = joined
        for form in _BOLD_LABEL:
            match = form.match(text)
            if match:
                label, rest = match.group("label").strip(), match.group("rest")
                if labels and _same_words(label, labels):
                    self.note(Drift.REPEATED_LABEL, path, f"its own label {label!r} removed")
                    text = rest
                else:
                    self.note(Drift.BOLD_LABEL, path, f"**{label}:** written as {label}:")
                    text = f"{label}: {rest}".strip()
                break
        else:
            if labels and (plain := _plain_label(text, labels)) is not None:
                self.note(Drift.REPEATED_LABEL, path, "its own label removed")
                text = plain
        converted = _PAREN_MATH.sub(_dollars, text)
        if converted != text:
            self.note(Drift.MATH, path, r"\(…\) math written as $…$")
            text = converted
        elif _DOLLAR_MATH.search(text):
            self.note(Drift.MATH, path, "inline math kept as written")
        return text

    def title(self, value: Any) -> Any:
        text = self.text(value, (TITLE_KEY,))
        if isinstance(text, str):
            count = len(emoji.emoji_list(text))
            low, high = TITLE_EMOJI_RANGE
            limit = title_emoji_limit(self.source)
            if high < count and (limit is None or count <= limit):
                self.note(
                    Drift.EMOJI, (TITLE_KEY,), f"{count} title emoji; the outline asks for {low} to {high}"
                )
        return text

    def quote(self, value: Any, path: Where) -> Any:
        text = self.text(value, path)
        if not isinstance(text, str):
            return text
        emphasised = _EMPHASISED_QUOTE.fullmatch(text)
        if emphasised:
            self.note(Drift.QUOTED, path, "emphasis around the quotation removed")
            text = emphasised.group("inner")
        for left, right in _QUOTES:
            end = text.rfind(right)
            closed = 0 < end < len(text) - 1 and _EMOJI_TAIL.match(text[end + 1 :])
            if text.startswith(left) and closed:
                self.note(Drift.QUOTED, path, "quotation marks removed (the page adds them)")
                return f"{text[1:end].strip()} {text[end + 1 :].strip()}"
        return text

    def items(self, value: Any, section: Section, path: Where, bounds: tuple[int, int]) -> Any:
        if not isinstance(value, list):
            return value
        low, high = bounds
        count = len(value)
        if value and not low <= count <= high and count_error(low, high, count, self.source) is None:
            self.note(Drift.LIST_LENGTH, path, f"{count} items; the outline asks for {low} to {high}")
        if section.kind is Kind.VIDEOS:
            return [self.video(item, (*path, index)) for index, item in enumerate(value)]
        return [self.text(item, (*path, index)) for index, item in enumerate(value)]

    def video(self, value: Any, path: Where) -> Any:
        """A video's (or a book's) fields, each normalised as text."""
        if not isinstance(value, dict):
            return value
        return {key: self.text(item, (*path, key)) for key, item in value.items()}

    def labelled(self, value: Any, section: Section, path: Where) -> Any:
        if not isinstance(value, dict):
            return value
        by_field = {label.field: label for label in section.labels}
        result = {}
        for key, item in value.items():
            label = by_field.get(key)
            result[key] = self.text(item, (*path, key), _label_names(label) if label else ())
        return result

    def section(self, key: str, value: Any) -> Any:
        section = SECTIONS[key]
        path: Where = (key,)
        bounds = (section.min_items, section.max_items)
        if section.kind in (Kind.BULLETS, Kind.VIDEOS):
            return self.items(value, section, path, bounds)
        if section.kind is Kind.QUOTE:
            return self.quote(value, path)
        if not isinstance(value, dict):
            return value
        if section.kind is Kind.LABELLED:
            return self.labelled(value, section, path)
        if section.kind is Kind.BULLETS_THEN_LABEL:
            (closing,) = section.labels
            result = dict(value)
            result["items"] = self.items(value.get("items"), section, (*path, "items"), bounds)
            if closing.field in value:
                closing_text = self.text(value[closing.field], (*path, closing.field), _label_names(closing))
                if isinstance(closing_text, str) and not closing_text:
                    self.note(
                        Drift.NO_CLOSING_LABEL, (*path, closing.field), f"no '{closing.text}:' item; left out"
                    )
                result[closing.field] = closing_text
            return result
        if section.kind is Kind.TREE:
            parent, *nested = section.labels
            result = dict(value)
            if parent.field in value:
                parent_path = (*path, parent.field)
                result[parent.field] = self.text(value[parent.field], parent_path, _label_names(parent))
            for label in nested:
                if label.field in value:
                    nested_path = (*path, label.field)
                    result[label.field] = self.items(value[label.field], section, nested_path, bounds)
            return result
        if section.kind is Kind.BOOKS:
            return {field: self.video(book, (*path, field)) for field, book in value.items()}
        return value


def _dollars(match: re.Match[str]) -> str:
    if match.group("inline") is not None:
        return f"${match.group('inline').strip()}$"
    return f"$${match.group('display').strip()}$$"


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _label_names(label: Label) -> tuple[str, ...]:
    return (label.text,)


def _same_words(written: str, labels: tuple[str, ...]) -> bool:
    return any(_words(written) == _words(label) for label in labels)


def _plain_label(text: str, labels: tuple[str, ...]) -> str | None:
    """The text after a plain ``Label:`` naming the field's own label, or None."""
    head, colon, rest = text.partition(":")
    if colon and rest.strip() and _same_words(head, labels):
        return rest.strip()
    return None


def normalise(
    data: Any, *, fields: tuple[str, ...] | None = None, source: Source = Source.REPLY
) -> tuple[Any, list[DriftNote]]:
    """Page data (a reply, or sections read from a page) with its drift normalised, and the notes.

    ``fields`` are the keys the schema asks for (all of a page's by default);
    other keys are dropped as unknown. Anything that is not drift is left as
    it is, for validation to reject.
    """
    if not isinstance(data, dict):
        return data, []
    wanted = fields if fields is not None else (TITLE_KEY, *SECTIONS)
    walker = _Normaliser(source)
    result: dict[str, Any] = {}
    for key, value in data.items():
        if key not in wanted:
            walker.note(Drift.UNKNOWN_FIELD, (key,), "a field the schema does not have; ignored")
            continue
        if key == TITLE_KEY:
            result[key] = walker.title(value)
        elif key in SECTIONS:
            result[key] = walker.section(key, value)
        else:
            result[key] = value
    return result, walker.notes
