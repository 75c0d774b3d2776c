"""Reading a vault's YAML safely (``topicgen.vault.frontmatter.load_yaml``), with PyYAML.

Apart from ``frontmatter`` so that importing it does not import PyYAML: a
scan reads topicgen's own keys with a regular expression and never needs a
YAML parser (10 ms of every command's start-up otherwise).
"""

from __future__ import annotations

from typing import Any

import yaml

from topicgen.vault.frontmatter import MAX_DEPTH, MAX_YAML_CHARS

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: ~10x faster


class UnsafeYaml(yaml.YAMLError):
    """Frontmatter topicgen refuses to expand: aliases, deep nesting, an oversized block."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem  # read like PyYAML's own errors' ``problem``


def load_yaml(text: str) -> Any:
    """YAML from a vault, parsed without aliases, deeper than ``MAX_DEPTH`` or longer than
    ``MAX_YAML_CHARS``: ``UnsafeYaml`` (a ``yaml.YAMLError``) says which."""
    if len(text) > MAX_YAML_CHARS:
        raise UnsafeYaml(f"it is over {MAX_YAML_CHARS // 1024} KiB of YAML")
    too_deep = UnsafeYaml(f"it nests deeper than {MAX_DEPTH} levels")
    depth = 0
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):  # events stream: nothing is built yet
            if isinstance(event, yaml.AliasEvent):
                raise UnsafeYaml("it uses YAML aliases (*name), which topicgen does not expand")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise too_deep
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as error:
        if "nesting depth" in str(error.problem):  # libyaml's own limit, met while scanning ahead
            raise too_deep from None
        raise
    return yaml.load(text, Loader=SAFE_LOADER)
