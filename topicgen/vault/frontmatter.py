"""Writing a page's YAML frontmatter the way the vault writes it, keeping what others own.

topicgen owns ``share``, ``aliases``, ``title``, ``URL`` and its ``topicgen_*``
generation keys. Every other key (tags, other tools' keys, anything unknown)
is carried over verbatim, in its order, whenever a page is rewritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from topicgen.vault.notes import read_frontmatter

OWNED_KEYS = ("share", "aliases", "title", "URL")
GENERATION_PREFIX = "topicgen_"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: ~10x faster
_TOP_LEVEL_KEY = re.compile(r"""^(?:"([^"]+)"|'([^']+)'|([^\s#'"\-][^:]*?))\s*:(?:\s|$)""")
_PLAIN_SAFE = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`~][^#]*$")


def yaml_scalar(value: str) -> str:
    """A string as YAML: plain where YAML reads it back unchanged, else double-quoted."""
    if (
        _PLAIN_SAFE.match(value)
        and ": " not in value
        and not value.endswith((" ", ":"))
        and _reads_back(value)
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


def _reads_back(value: str) -> bool:
    try:
        return yaml.load(f"k: {value}", Loader=_SAFE_LOADER) == {"k": value}
    except yaml.YAMLError:
        return False


def _value(value: Any, indent: str = "  ") -> str:
    if isinstance(value, bool):
        return " true" if value else " false"
    if isinstance(value, int | float):
        return f" {value}"
    if isinstance(value, list | Mapping) and not value:
        return " []" if isinstance(value, list) else " {}"
    if isinstance(value, list):
        return "".join(f"\n{indent}- {yaml_scalar(str(item))}" for item in value)
    if isinstance(value, Mapping):
        return "".join(f"\n{indent}{key}: {yaml_scalar(str(item))}" for key, item in value.items())
    return f" {yaml_scalar(str(value))}"


def split_blocks(raw: str) -> list[tuple[str | None, str]]:
    """Top-level ``key: ...`` blocks of a frontmatter text, each with its continuation lines."""
    blocks: list[tuple[str | None, list[str]]] = []
    for line in raw.splitlines():
        match = _TOP_LEVEL_KEY.match(line)
        if match and not line[:1].isspace():
            key = next(group for group in match.groups() if group is not None).strip()
            blocks.append((key, [line]))
        elif blocks:
            blocks[-1][1].append(line)
        else:
            blocks.append((None, [line]))
    return [(key, "\n".join(lines)) for key, lines in blocks]


_PAGE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def split_page(page_text: str) -> tuple[str | None, str]:
    """(frontmatter YAML or None, body) of a page, exactly as written."""
    match = _PAGE.match(page_text)
    if not match:
        return None, page_text
    return match.group(1), page_text[match.end() :]


def raw_frontmatter(page_text: str) -> str | None:
    """The YAML between a page's leading ``---`` fences, or None."""
    if not page_text.startswith("---"):
        return None
    lines = page_text.split("\n")
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index])
    return None


def compose(owned: Mapping[str, Any], generation: Mapping[str, Any], previous: str | None = None) -> str:
    """The frontmatter block (with fences) for a page topicgen writes.

    ``previous`` is the frontmatter YAML of the page being replaced: its
    foreign keys are kept verbatim, its ``share`` value and extra aliases too.
    """
    old_data: dict[str, Any] = {}
    kept: list[tuple[str, str]] = []
    if previous:
        old_data, _ = read_frontmatter(f"---\n{previous}\n---\n")
        for key, text in split_blocks(previous):
            if key is None or key in OWNED_KEYS or key.startswith(GENERATION_PREFIX):
                continue
            kept.append((key, text))
    values = dict(owned)
    if "share" in old_data:
        values["share"] = old_data["share"]
    if "URL" not in values and isinstance(old_data.get("URL"), str):
        values["URL"] = old_data["URL"]  # no site_url configured: the page's own address stays
    old_aliases = old_data.get("aliases") or []
    if isinstance(old_aliases, list):
        merged = list(values.get("aliases", []))
        merged += [str(a) for a in old_aliases if str(a) not in merged and a != old_data.get("title")]
        values["aliases"] = merged
    lines = [f"{key}:{_value(values[key])}" for key in OWNED_KEYS if key in values]
    kept_text = [text for _, text in kept]
    lines += kept_text
    lines += [f"{key}:{_value(value)}" for key, value in generation.items()]
    text = "---\n" + "\n".join(lines) + "\n---"
    if kept and not _kept_intact(text, old_data, [key for key, _ in kept]):
        dumped = yaml.safe_dump(
            {key: old_data[key] for key, _ in kept}, allow_unicode=True, sort_keys=False
        ).rstrip("\n")
        text = text.replace("\n".join(kept_text), dumped)
    return text


def _kept_intact(text: str, old: Mapping[str, Any], keys: list[str]) -> bool:
    data, _ = read_frontmatter(text + "\n")
    return bool(data) and all(data.get(key) == old.get(key) for key in keys)
