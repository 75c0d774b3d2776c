"""Generating a reply that satisfies a JSON schema (and topicgen's text rules), and reading requests."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from topicgen.testing.fake_provider.script import CHARS_PER_TOKEN

_BOUNDED_ITEMS = re.compile(r"\b(\d+)\s+to\s+(\d+)\s+items\b")
_BOUNDED = re.compile(r"\b(\d+)\s+to\s+(\d+)\b")
_BOUNDED_EMOJI = re.compile(r"\b(\d+)\s+to\s+(\d+)\s+emoji\b", re.IGNORECASE)
_UNSAFE_IN_TEXT = re.compile(r"[^\w .,'&+-]+")
_EMOJI = ("🤖", "🧠", "📚", "🔬", "🌍", "🚀", "💡", "🧩", "🌟", "📈", "🛰️", "🧪")
_SURNAMES = ("Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Kowalski")
_FILLER = (
    "it",
    "matters",
    "because",
    "people",
    "use",
    "it",
    "every",
    "day",
    "in",
    "many",
    "practical",
    "settings",
)


def _plain(topic: str) -> str:
    """The topic reduced to characters that can sit anywhere in page text."""
    return " ".join(_UNSAFE_IN_TEXT.sub(" ", topic).split()) or "the topic"


def _bounds(description: str, default: tuple[int, int] = (1, 3)) -> tuple[int, int]:
    match = _BOUNDED_ITEMS.search(description) or _BOUNDED.search(description)
    if not match:
        return default
    low, high = int(match.group(1)), int(match.group(2))
    return (low, high) if low <= high else default


def _non_null(node: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [o for o in node[key] if isinstance(o, Mapping) and o.get("type") != "null"]
            return options[0] if options else {"type": "null"}
    return node


def _type_of(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in node else "array" if "items" in node else "string"
    return str(kind)


class _PageWriter:
    """Walks a schema and writes plausible, rule-abiding data for one topic."""

    def __init__(self, topic: str, words: int, root: Mapping[str, Any]) -> None:
        self.topic = _plain(topic)
        self.words = words
        self.definitions = root.get("$defs") or root.get("definitions") or {}
        digest = hashlib.sha256(topic.encode()).digest()
        self.offset = digest[0]

    def value(self, node: Mapping[str, Any], path: tuple[str, ...]) -> Any:
        if isinstance(node.get("$ref"), str):  # '#/$defs/Name': the definition, with the node's own keywords
            target = self.definitions.get(node["$ref"].rsplit("/", 1)[-1], {})
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        node = _non_null(node)
        if "const" in node:
            return node["const"]
        if node.get("enum"):
            return node["enum"][0]
        kind = _type_of(node)
        description = str(node.get("description") or "")
        if kind == "object":
            properties = node.get("properties") or {}
            return {key: self.value(sub, (*path, key)) for key, sub in properties.items()}
        if kind == "array":
            low, high = _bounds(description)
            count = min(high, max(low, 3))
            return [self.value(node.get("items") or {}, (*path, str(i))) for i in range(count)]
        if kind == "integer":
            return int(node.get("minimum", 1))
        if kind == "number":
            return float(node.get("minimum", 1.0))
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self.text(description, path)

    def text(self, description: str, path: tuple[str, ...]) -> str:
        key = next((part for part in reversed(path) if not part.isdigit()), "")
        index = int(path[-1]) if path and path[-1].isdigit() else 0
        lowered = description.lower()
        if match := _BOUNDED_EMOJI.search(description):
            low, high = int(match.group(1)), int(match.group(2))
            count = min(high, max(low, 2))
            return "".join(_EMOJI[(self.offset + i) % len(_EMOJI)] for i in range(count))
        if key == "url" or "youtube" in lowered:  # videos and channels, alternately
            token = hashlib.sha256(f"{self.topic}/{'/'.join(path)}".encode()).hexdigest()[:11]
            position = next((int(part) for part in reversed(path) if part.isdigit()), 0)
            if position % 2:
                return f"https://www.youtube.com/@channel{token}"
            return f"https://www.youtube.com/watch?v={token}"
        if key == "note":  # a book's note: one emoji, as the schema asks
            return _EMOJI[(self.offset + len(path[-2] if len(path) > 1 else "")) % len(_EMOJI)]
        if key == "authors":  # names with surnames, as a book's authors are written
            pick = hashlib.sha256("/".join(path).encode()).digest()[0] + self.offset
            first, second = (_SURNAMES[(pick + i) % len(_SURNAMES)] for i in (0, 3))
            return f"Ada {first} and Ben {second}"
        if key in ("parent", "children", "advanced"):  # topic names, as a model writes a page's tree
            return _tree_name(self.topic, key, index)
        words = " ".join(part for part in path if not part.isdigit()).replace("_", " ")
        filler = " ".join(_FILLER[(index + i) % len(_FILLER)] for i in range(self.words))
        sentence = f"{words.capitalize()} {index + 1} for {self.topic}: a plain fact"
        return f"{sentence} {filler}." if filler else f"{sentence}."


_ASPECTS = ("Basics", "Methods", "Applications", "Tools", "History", "Theory", "Practice", "Variants")


def _tree_name(topic: str, key: str, index: int) -> str:
    """A related topic's name: the parent, a child or an advanced topic of ``topic`` (no emoji),
    starting with a word whatever the topic starts with (a name is never read as Markdown)."""
    if key == "parent":
        return f"Foundations of {topic}"
    if key == "children":
        return f"{_ASPECTS[index % len(_ASPECTS)]} of {topic}"
    return f"Advanced {_ASPECTS[(index + 3) % len(_ASPECTS)]} of {topic}"


def page_for_schema(schema: Mapping[str, Any], topic: str, *, words: int = 6) -> Any:
    """Data for ``topic`` that satisfies ``schema`` and topicgen's text rules."""
    return _PageWriter(topic, words, schema).value(schema, ())


def set_path(data: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def violate(data: Any) -> Any:
    """Valid JSON that breaks the schema: the first field missing, an unknown one added."""
    if isinstance(data, dict) and data:
        broken = dict(data)
        broken.pop(next(iter(broken)))
        broken["unexpected_field"] = "not in the schema"
        return broken
    return {"unexpected_field": "not in the schema"}


def token_count(text: str) -> int:
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", "")) if isinstance(part, Mapping) else str(part) for part in content
        )
    return ""


_TOPIC_PATTERNS = (
    re.compile(r"topic note for:\s*(.+)"),
    re.compile(r"note for \"([^\"\n]+)\""),
)


def topic_of(user_texts: list[str]) -> str:
    """The topic a conversation is about, read from its user messages."""
    for pattern in _TOPIC_PATTERNS:
        for text in user_texts:
            if match := pattern.search(text):
                return match.group(1).strip()
    lines = [line.strip() for line in (user_texts[-1] if user_texts else "").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "topic"


def schema_in_prompt(texts: Iterable[str]) -> dict[str, Any] | None:
    """JSON mode carries the schema in the prompt, after the words 'JSON Schema'."""
    decoder = json.JSONDecoder()
    for text in texts:
        at = text.find("JSON Schema")
        start = text.find("{", at) if at >= 0 else -1
        if start >= 0:
            with contextlib.suppress(json.JSONDecodeError):
                schema, _ = decoder.raw_decode(text, start)
                if isinstance(schema, dict):
                    return schema
    return None
