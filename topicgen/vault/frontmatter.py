"""A page's YAML frontmatter: read safely, written the way the vault writes it, keeping what others own.

topicgen owns ``share``, ``aliases``, ``title``, ``URL`` and its ``topicgen_*``
generation keys. Every other key (tags, other tools' keys, anything unknown)
is carried over verbatim, in its order, whenever a page is rewritten, and so
are the comments a person wrote (beside the keys topicgen rewrites too).

Reading: a vault's YAML is untrusted. Aliases are refused (nine levels of
them expand to a billion nodes), nesting is capped (20,000 brackets overflow
the stack) and so is size; a page with such frontmatter is that page's error.

Writing: every string reads back as the same string under YAML 1.1 (PyYAML)
and YAML 1.2 (the JavaScript parsers Obsidian and Quartz use): a value either
reader could take for a number, boolean, null or date is quoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from topicgen.errors import VaultError
from topicgen.vault import GENERATION_PREFIX, OWNED_KEYS  # the keys topicgen owns: settings need them too

MAX_DEPTH = 32  # nested mappings and lists; real frontmatter uses two or three
MAX_YAML_CHARS = 256 * 1024
# A plain key is taken whole up to its colon (spaces before it included, stripped in code), never given
# back: a key that could end anywhere before optional spaces would read a line of spaces once per space.
_TOP_LEVEL_KEY = re.compile(r"""^(?:"([^"]+)"|'([^']+)'|([^\s#'"\-][^:]*+))\s*:(?:\s|$)""")
_BLOCK_SCALAR = re.compile(r"^[^:]*:\s*[|>]")  # 'key: |' or 'key: >': the lines below are text
_COMMENT_START = re.compile(r"\s#")
_PLAIN_SAFE = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`~][^#]*$")
# Plain scalars some YAML reader takes for something other than a string: numbers in any base or
# notation (1e10, 0o17, 0x1F, .5, +1, 1_000, 1:20), booleans and nulls of YAML 1.1 and 1.2.
_NOT_A_STRING_START = re.compile(r"^[-+.]?[0-9]|^[-+]?\.(inf|nan)$", re.IGNORECASE)
_KEYWORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ""})
# Characters YAML 1.1 reads as line breaks (or may not print) inside any scalar: written escaped.
_ESCAPED = re.compile(r"[\x7f-\x9f\u2028\u2029\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff\ue000-\uf8ff]")


def __getattr__(name: str) -> Any:
    """``UnsafeYaml`` (``topicgen.vault.safe_yaml``), loaded with PyYAML when first asked for."""
    if name == "UnsafeYaml":
        from topicgen.vault.safe_yaml import UnsafeYaml

        return UnsafeYaml
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_yaml(text: str) -> Any:
    """YAML from a vault, parsed without aliases, deeper than ``MAX_DEPTH`` or longer than
    ``MAX_YAML_CHARS``: ``UnsafeYaml`` (a ``yaml.YAMLError``) says which. PyYAML is imported here, on
    the first YAML read, not with this module: reading topicgen's own keys (a scan) never needs it."""
    from topicgen.vault.safe_yaml import load_yaml as load

    return load(text)


_FRONTMATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$", re.DOTALL | re.MULTILINE)


def read_frontmatter(text: str) -> tuple[dict, str]:
    """(frontmatter mapping, body) of a note; a note without valid, safe frontmatter gives ({}, text)."""
    match = _FRONTMATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        data = load_yaml(match.group(1))
    except yaml.YAMLError:
        return {}, text
    body = text[match.end() :].removeprefix("\r").removeprefix("\n")
    return (data if isinstance(data, dict) else {}), body


def frontmatter_data(raw: str, where: str = "the page") -> dict[str, Any]:
    """The mapping of a frontmatter topicgen is about to rewrite; ``VaultError`` when it cannot be
    read safely, so that page fails alone instead of losing keys (or hanging on a YAML bomb)."""
    import yaml

    try:
        data = load_yaml(raw) if raw.strip() else {}
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "it is not valid YAML"
        raise VaultError(f"{where}: the frontmatter cannot be read safely: {problem}") from None
    if not isinstance(data, dict):
        raise VaultError(f"{where}: the frontmatter is not a set of 'key: value' lines")
    return data


def yaml_scalar(value: str) -> str:
    """A string as YAML that reads back as the same string under YAML 1.1 and 1.2: plain where
    both readers agree it is that string, else double-quoted."""
    if (
        _PLAIN_SAFE.match(value)
        and ": " not in value
        and not value.endswith((" ", ":"))
        and "\t" not in value  # libyaml reads a plain tab; PyYAML's pure-Python scanner refuses it
        and not _NOT_A_STRING_START.match(value)
        and value.lower() not in _KEYWORDS
        and not _ESCAPED.search(value)
        and _reads_back(value)
    ):
        return value
    return _ESCAPED.sub(_escape, json.dumps(value, ensure_ascii=False))


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _reads_back(value: str) -> bool:
    import yaml

    from topicgen.vault.safe_yaml import SAFE_LOADER

    try:
        return yaml.load(f"k: {value}", Loader=SAFE_LOADER) == {"k": value}
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
    foreign keys are kept verbatim, its ``share`` value, extra aliases and
    comments too. Frontmatter that cannot be read safely is a ``VaultError``.
    """
    old_data: dict[str, Any] = {}
    kept: list[tuple[str, str]] = []
    notes = Comments()
    if previous:
        old_data = frontmatter_data(previous)
        for key, text in split_blocks(previous):
            if key is None or key in OWNED_KEYS or key.startswith(GENERATION_PREFIX):
                notes.take(key, text)
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
    # topicgen's keys, and the [frontmatter] defaults a page does not have yet (its own value is kept)
    order = [key for key in values if key in OWNED_KEYS or key not in old_data]
    lines = notes.leading + [notes.around(key, f"{key}:{_value(values[key])}") for key in order]
    kept_text = [text for _, text in kept]
    lines += kept_text
    lines += [notes.around(key, f"{key}:{_value(value)}") for key, value in generation.items()]
    lines += notes.left_over()
    text = "---\n" + "\n".join(lines) + "\n---"
    if kept and not _kept_intact(text, old_data, [key for key, _ in kept]):
        import yaml

        dumped = yaml.safe_dump(
            {key: old_data[key] for key, _ in kept}, allow_unicode=True, sort_keys=False
        ).rstrip("\n")
        text = text.replace("\n".join(kept_text), dumped)
    return text


class Comments:
    """The comments of the frontmatter blocks topicgen rewrites, to write back beside their keys.

    A whole-line comment inside a rewritten block follows the key's new lines;
    a comment after the key's value stays on the key's line; comments before
    the first key stay first.
    """

    def __init__(self) -> None:
        self.leading: list[str] = []
        self._inline: dict[str, str] = {}
        self._after: dict[str, list[str]] = {}
        self._used: set[str] = set()

    def take(self, key: str | None, text: str) -> None:
        lines = text.split("\n")
        if key is None:
            self.leading += lines
            return
        head, *rest = lines
        inline = _inline_comment(head)
        if inline:
            self._inline[key] = inline
        if not _BLOCK_SCALAR.match(head):  # in a block scalar, '#' lines are text
            comments = (_comment_of(line) for line in rest if "#" in line)
            self._after[key] = [comment for comment in comments if comment]

    def around(self, key: str, rendered: str) -> str:
        self._used.add(key)
        first, newline, rest = rendered.partition("\n")
        if key in self._inline:
            first = f"{first}  {self._inline[key]}"
        return "\n".join([first + newline + rest, *self._after.get(key, [])])

    def left_over(self) -> list[str]:
        """Comments of keys no longer written (an old generation key): kept at the end."""
        lines = []
        for key in dict.fromkeys([*self._inline, *self._after]):
            if key not in self._used:
                lines += ([self._inline[key]] if key in self._inline else []) + self._after.get(key, [])
        return lines


def _comment_of(line: str) -> str | None:
    """A continuation line's comment, whole-line or after an item, indented as it was."""
    indent = line[: len(line) - len(line.lstrip())]
    if line.lstrip().startswith("#"):
        return line
    comment = _inline_comment(line.strip())
    return f"{indent}{comment}" if comment else None


def _inline_comment(line: str) -> str | None:
    """The ``# ...`` ending a ``key: value`` line, when YAML reads the line the same without it."""
    import yaml

    for match in _COMMENT_START.finditer(line):
        head, comment = line[: match.start()], line[match.start() :].strip()
        try:
            if load_yaml(head) == load_yaml(line):
                return comment
        except yaml.YAMLError:
            continue
    return None


def _kept_intact(text: str, old: Mapping[str, Any], keys: list[str]) -> bool:
    data, _ = read_frontmatter(text + "\n")
    return bool(data) and all(data.get(key) == old.get(key) for key in keys)
