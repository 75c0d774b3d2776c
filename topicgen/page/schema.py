"""The page as data: a Pydantic model built from the outline, and its JSON Schema.

The JSON Schema sent to providers uses only the keywords that both OpenAI
strict structured outputs and Anthropic accept (no length bounds, no $ref),
so bounds and text rules live in validators and are enforced on every reply.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, create_model

from topicgen import resources
from topicgen.page.drift import count_error, source_of, title_emoji_limit
from topicgen.page.markup import unsafe_lines
from topicgen.page.outline import OUTLINE, TITLE_EMOJI_RANGE, Kind, Section
from topicgen.page.render import section_lines
from topicgen.page.text_rules import (
    check_line,
    check_link_text,
    check_optional_line,
    check_quote,
    check_title_emoji,
    check_youtube_url,
)

SCHEMA_NAME = "topic_summary"
SCHEMA_FILE = "topic-summary.schema.json"

Line = Annotated[str, AfterValidator(check_line)]
LinkText = Annotated[str, AfterValidator(check_link_text)]
OptionalLine = Annotated[str, AfterValidator(check_optional_line)]  # a closing label left out is drift


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Book(Strict):
    title: LinkText = Field(description="The book's exact published title, without quotes.")
    authors: Line = Field(description="The book's authors, e.g. 'Ian Goodfellow and Yoshua Bengio'.")
    note: OptionalLine = Field(
        description="What follows the authors on the line: one fitting emoji, or an empty string."
    )


class Video(Strict):
    name: LinkText = Field(description="The channel's or video's name.")
    url: Annotated[str, AfterValidator(check_youtube_url)] = Field(
        description="Its full https://www.youtube.com/ (or youtu.be) address."
    )
    description: OptionalLine = Field(description="One fitting emoji, then what it offers in parentheses.")


def _bounded(low: int, high: int):
    """The outline's bounds, with the slack ``topicgen.page.drift`` allows (more for pages read back)."""

    def check(items: list, info: ValidationInfo) -> list:
        error = count_error(low, high, len(items), source_of(info))
        if error:
            raise ValueError(error)
        return items

    return AfterValidator(check)


def _title_emoji(value: str, info: ValidationInfo) -> str:
    return check_title_emoji(value, most=title_emoji_limit(source_of(info)))


def _items(section: Section, item_type: Any = Line) -> Any:
    return Annotated[list[item_type], _bounded(section.min_items, section.max_items)]


def _label_model(section: Section, value_type: Any) -> type[BaseModel]:
    fields = {
        label.field: (value_type, Field(description=f"{label.text}: {label.instruction}."))
        for label in section.labels
    }
    return create_model(_class_name(section), __base__=Strict, **fields)


def _class_name(section: Section) -> str:
    return "".join(part.title() for part in section.key.split("_"))


# Kinds whose page lines hold several of the model's fields (a book's title, authors and note; a
# video's name, address and description). Every other line is fixed text and one field, which its own
# check has read already (tests/test_hostile_text.py renders every kind to keep this true).
SHARED_LINE_KINDS = frozenset({Kind.BOOKS, Kind.VIDEOS})


def _as_written(section: Section) -> AfterValidator:
    """The section's lines as the page writes them pass the text rules too: where several fields
    share a line, markup one opens another may close (a backtick ending a title pairs with one
    starting the authors, and the tag the authors held in code is read afresh)."""

    def check(value: Any) -> Any:
        problem = unsafe_lines(section_lines(section.key, value))
        if problem:
            raise ValueError(
                f"as written on the page, where fields share a line, it {problem}; "
                "close every code span in the field that opens it"
            )
        return value

    return AfterValidator(check)


def _section_type(section: Section) -> Any:
    """The Pydantic type of a section's content, from its kind in the outline, checked as written."""
    if section.kind in SHARED_LINE_KINDS:
        return Annotated[_content_type(section), _as_written(section)]
    return _content_type(section)


def _content_type(section: Section) -> Any:
    """The Pydantic type of a section's content, from its kind in the outline."""
    if section.kind is Kind.BULLETS:
        return _items(section)
    if section.kind is Kind.LABELLED:
        return _label_model(section, Line)
    if section.kind is Kind.BOOKS:
        return _label_model(section, Book)
    if section.kind is Kind.QUOTE:
        return Annotated[str, AfterValidator(check_quote)]
    if section.kind is Kind.VIDEOS:
        return _items(section, Video)
    if section.kind is Kind.TREE:
        parent, *nested = section.labels
        fields: dict[str, Any] = {
            parent.field: (Line, Field(description=f"{parent.text}: {parent.instruction}."))
        }
        for label in nested:
            fields[label.field] = (
                _items(section),
                Field(description=f"{label.text}: {label.instruction}."),
            )
        return create_model(_class_name(section), __base__=Strict, **fields)
    if section.kind is Kind.BULLETS_THEN_LABEL:
        (closing,) = section.labels
        return create_model(
            _class_name(section),
            __base__=Strict,
            items=(_items(section), Field(description=section.guidance)),
            **{closing.field: (OptionalLine, Field(description=f"{closing.text}: {closing.instruction}."))},
        )
    raise AssertionError(f"unknown section kind {section.kind}")


def _describe(section: Section) -> str:
    return f"{section.heading_text.rstrip(':')}: {section.guidance}"


def _build_page_model() -> type[BaseModel]:
    low, high = TITLE_EMOJI_RANGE
    fields: dict[str, Any] = {
        "title_emoji": (
            Annotated[str, AfterValidator(_title_emoji)],
            Field(description=f"{low} to {high} emoji that capture the topic, and nothing else."),
        )
    }
    for section in OUTLINE:
        fields[section.key] = (_section_type(section), Field(description=_describe(section)))
    return create_model("TopicSummary", __base__=Strict, **fields)


TopicSummary = _build_page_model()
TopicSummary.__doc__ = "A whole topic page as data: the title emoji and the 20 outline sections."


def page_json_schema(model: type[BaseModel] = TopicSummary) -> dict[str, Any]:
    """The provider-facing JSON Schema: refs inlined, titles and bounds dropped (a fresh copy)."""
    return copy.deepcopy(_page_json_schema(model))


@cache  # building it takes ~10 ms, and every request of a run sends the same one
def _page_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]])
                extra = {k: v for k, v in node.items() if k != "$ref"}
                return inline({**target, **extra})
            return {
                key: (
                    {name: inline(sub) for name, sub in value.items()}
                    if key == "properties"
                    else inline(value)
                )
                for key, value in node.items()
                if key not in {"title", "default"}  # keywords only: a property may be named "title"
            }
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    schema = inline(raw)
    schema["description"] = model.__doc__
    return schema


def schema_text() -> str:
    return json.dumps(page_json_schema(), ensure_ascii=False, indent=2) + "\n"


@cache
def shipped_schema_path() -> Path:
    return resources.resource_dir("schemas") / SCHEMA_FILE
