"""topicgen: draft and maintain encyclopedia-style topic notes in a Markdown vault.

The library a Python user calls (the ``topicgen`` command is a thin layer over it)::

    import asyncio
    import topicgen

    vault, settings = topicgen.open_vault("my-vault", {"model": "anthropic:claude-haiku-4-5"})
    client = topicgen.build_client(settings)
    report = asyncio.run(topicgen.draft_topics(vault, settings, ["Graph Theory"], client=client))

    page = topicgen.read_page("my-vault/topics/graph-theory.md")   # any era's shape, read back
    print(page.missing, page.findings)

Names are imported on first use, so ``import topicgen`` (and ``topicgen --help``)
stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "open_vault": "topicgen.config",
    "Settings": "topicgen.config",
    "build_client": "topicgen.runs.api",
    "draft_topics": "topicgen.runs.api",
    "grow_frontier": "topicgen.runs.api",
    "regenerate": "topicgen.runs.api",
    "adopt_pages": "topicgen.runs.api",
    "plan_regen": "topicgen.runs.regen",
    "read_page": "topicgen.read.parse",
    "parse_page": "topicgen.read.parse",
    "ParsedPage": "topicgen.read.parse",
    "render_page": "topicgen.page.render",
    "PageContext": "topicgen.page.render",
    "TopicSummary": "topicgen.page.schema",
    "TopicgenError": "topicgen.errors",
}

__all__ = [
    "PageContext",
    "ParsedPage",
    "Settings",
    "TopicSummary",
    "TopicgenError",
    "__version__",
    "adopt_pages",
    "build_client",
    "draft_topics",
    "grow_frontier",
    "open_vault",
    "parse_page",
    "plan_regen",
    "read_page",
    "regenerate",
    "render_page",
]

if TYPE_CHECKING:
    from topicgen.config import Settings, open_vault
    from topicgen.errors import TopicgenError
    from topicgen.page.render import PageContext, render_page
    from topicgen.page.schema import TopicSummary
    from topicgen.read.parse import ParsedPage, parse_page, read_page
    from topicgen.runs.api import adopt_pages, build_client, draft_topics, grow_frontier, regenerate
    from topicgen.runs.regen import plan_regen


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'topicgen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
