"""Replies that drift the way real models' do, and replies with one section wrong (issue 8).

``drift_reply`` takes a schema-satisfying reply and changes a few fields the
way real models write them: a list one item over or under its stated bounds
(never empty), ``**Name:**`` bold label prefixes, inline ``$...$`` math, emoji
with zero-width joiners and skin tones, stray spaces. topicgen must accept
all of it without a call. ``break_section`` empties one section, which
topicgen must ask for again on its own.

Everything is decided by a ``random.Random`` the server seeds per reply, so
a run drifts the same way whatever order its requests arrive in.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from typing import Any

_BOUNDED = re.compile(r"\b(\d+)\s+to\s+(\d+)\b")
_EMOJI_FORMS = ("🧑🏽\u200d🔬", "👩\u200d👩\u200d👧", "👍🏿", "🧑\u200d🤝\u200d🧑", "🏳️\u200d🌈")
_MATH = ("$x^2 + y^2 = r^2$", "$O(n \\log n)$", "$\\sum_{i=1}^{n} i$")
Path = tuple[str, ...]


def _walk(node: Mapping[str, Any], value: Any, path: Path, lists: list, texts: list) -> None:
    """Every bounded list and every free-text field of a reply, with its path."""
    if isinstance(value, dict):
        properties = node.get("properties") or {}
        for key, item in value.items():
            _walk(properties.get(key) or {}, item, (*path, key), lists, texts)
    elif isinstance(value, list):
        bounds = _BOUNDED.search(str(node.get("description") or ""))
        if bounds and value and all(isinstance(item, str) for item in value):
            lists.append((path, int(bounds.group(1)), int(bounds.group(2))))
        for index, item in enumerate(value):
            _walk(node.get("items") or {}, item, (*path, str(index)), lists, texts)
    elif isinstance(value, str) and path and path[-1] not in {"url", "title_emoji"}:
        texts.append(path)


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _set(data: Any, path: Path, value: Any) -> None:
    parent = _get(data, path[:-1])
    if isinstance(parent, list):
        parent[int(path[-1])] = value
    else:
        parent[path[-1]] = value


def drift_reply(data: Any, schema: Mapping[str, Any], rng: random.Random) -> tuple[Any, list[str]]:
    """``data`` drifted in a few places, and the kinds of drift applied (for the server's counts)."""
    if not isinstance(data, dict):
        return data, []
    data = copy.deepcopy(data)
    lists: list[tuple[Path, int, int]] = []
    texts: list[Path] = []
    _walk(schema, data, (), lists, texts)
    kinds: list[str] = []
    if lists:
        path, low, high = rng.choice(lists)
        items = _get(data, path)
        if low >= 2 and rng.random() < 0.5:
            _set(data, path, items[: low - 1])  # one under: never empty
        else:
            last = items[-1].rstrip(".")
            extra = [f"{last} and one more point {n + 1}." for n in range(high + 1 - len(items))]
            _set(data, path, items + extra)  # one over
        kinds.append("list-length")
    for path in rng.sample(texts, min(3, len(texts))):
        text = _get(data, path)
        if path[-1].isdigit() and ": " in text and "bold-label" not in kinds:
            name, rest = text.split(": ", 1)
            _set(data, path, f"**{name}:** {rest}")
            kinds.append("bold-label")
        elif "math" not in kinds:
            _set(data, path, f"{text.rstrip('.')} with {rng.choice(_MATH)}.")
            kinds.append("math")
        elif "emoji" not in kinds:
            _set(data, path, f"{text} {rng.choice(_EMOJI_FORMS)}")
            kinds.append("emoji")
        else:
            _set(data, path, "  " + text.replace(" ", "   ", 2) + "  ")
            kinds.append("whitespace")
    if "title_emoji" in data and rng.random() < 0.5:
        data["title_emoji"] = rng.choice(_EMOJI_FORMS) + rng.choice(_EMOJI_FORMS)
        kinds.append("emoji")
    return data, kinds


def break_section(data: Any, rng: random.Random) -> tuple[Any, str | None]:
    """``data`` with one section emptied (a real error, confined to that section), and its key."""
    if not isinstance(data, dict):
        return data, None
    keys = [key for key, value in data.items() if key != "title_emoji" and isinstance(value, list | str)]
    if not keys:
        return data, None
    data = copy.deepcopy(data)
    key = rng.choice(keys)
    data[key] = [] if isinstance(data[key], list) else ""
    return data, key
