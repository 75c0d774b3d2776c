"""The page schema: a Pydantic model of the whole page, exported as strict JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from topicgen.page.outline import OUTLINE
from topicgen.page.schema import TopicSummary, page_json_schema, schema_text, shipped_schema_path

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "topic-summary.schema.json"
STRICT_KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "description", "enum"}


def _objects(node, where="$"):
    """Every object schema in a JSON Schema, with a path to it."""
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield where, node
        for key, value in node.items():
            if key == "properties":
                for name, child in value.items():
                    yield from _objects(child, f"{where}.{name}")
            else:
                yield from _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item, where)


def _keywords(node):
    """Every keyword used anywhere in a JSON Schema (property names are not keywords)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            if key == "properties":
                for child in value.values():
                    yield from _keywords(child)
            else:
                yield from _keywords(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keywords(item)


def test_exported_schema_file_equals_the_schema_the_model_produces():
    # Regenerate with: topicgen schema > schemas/topic-summary.schema.json
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


def test_shipped_schema_path_finds_the_exported_file():
    assert shipped_schema_path().read_text(encoding="utf-8") == schema_text()


def test_schema_has_the_title_emoji_and_the_twenty_outline_sections_in_order():
    properties = list(page_json_schema()["properties"])
    assert properties == ["title_emoji", *(section.key for section in OUTLINE)]
    assert len(OUTLINE) == 20


def test_every_object_requires_all_its_properties_and_forbids_others():
    objects = list(_objects(page_json_schema()))
    assert {"$", "$.books", "$.books.topical", "$.videos/items"} <= {where for where, _ in objects}
    for where, node in objects:
        assert node["required"] == list(node["properties"]), where
        assert node["additionalProperties"] is False, where


def test_schema_uses_only_keywords_strict_structured_outputs_accept():
    used = set(_keywords(page_json_schema()))
    assert used <= STRICT_KEYWORDS, used - STRICT_KEYWORDS


def test_schema_has_no_refs_or_defs_left():
    text = json.dumps(page_json_schema())
    assert "$ref" not in text
    assert "$defs" not in text


def test_a_property_named_title_survives_the_removal_of_title_keywords():
    book = page_json_schema()["properties"]["books"]["properties"]["topical"]
    assert list(book["properties"]) == ["title", "authors", "note"]
    assert book["properties"]["title"]["type"] == "string"


def test_schema_is_usable_as_an_anthropic_tool_input_schema():
    schema = page_json_schema()
    assert schema["type"] == "object"
    assert isinstance(schema["properties"], dict)
    json.dumps(schema)  # plain JSON, nothing Python-only


def test_section_descriptions_come_from_the_outline():
    properties = page_json_schema()["properties"]
    for section in OUTLINE:
        description = properties[section.key]["description"]
        assert section.heading_text.rstrip(":") in description
        assert section.instruction in description


def test_list_sections_state_their_item_bounds_in_the_description():
    qualities = next(s for s in OUTLINE if s.key == "qualities")
    description = page_json_schema()["properties"]["qualities"]["description"]
    assert f"{qualities.min_items} to {qualities.max_items} items" in description


def test_the_reference_page_data_validates(llm_page_data):
    page = TopicSummary.model_validate(llm_page_data)
    assert page.title_emoji == "🤖🦜"


def test_unknown_fields_are_rejected(llm_page_data):
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        TopicSummary.model_validate({**llm_page_data, "preamble": "Sure! Here is your note."})


def test_missing_sections_are_rejected(llm_page_data):
    del llm_page_data["joke"]
    with pytest.raises(ValidationError, match="joke"):
        TopicSummary.model_validate(llm_page_data)
