"""The fingerprint of everything that shapes a page: outline, prompt templates, schema.

Pages record it when written; a page whose fingerprint differs from the
current one is stale. It is computed from the files themselves (the
shipped JSON Schema, which a test keeps equal to the Pydantic model), so
checking staleness needs neither jinja2 nor the page model.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from topicgen import resources
from topicgen.errors import UsageError
from topicgen.page.outline import outline_fingerprint_data
from topicgen.vault import inside_vault
from topicgen.vault.files import read_regular

SCHEMA_FILE = "topic-summary.schema.json"
TEMPLATES = ("system.md.j2", "user.md.j2", "reask.md.j2", "sections.md.j2")
VAULT_PROMPTS = Path(".topicgen") / "prompts"
MAX_TEMPLATE_BYTES = 256 * 1024


def read_vault_template(vault: Path, name: str) -> str | None:
    """A vault's own copy of a template, or None; read only as a regular file inside the vault.

    A link, a FIFO, a huge file or undecodable bytes is a ``UsageError`` naming the file.
    """
    path = vault / VAULT_PROMPTS / name
    inside_vault(vault, path.parent)
    try:
        return read_regular(path, limit=MAX_TEMPLATE_BYTES).decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except UnicodeDecodeError:
        raise UsageError(f"prompt template {VAULT_PROMPTS / name} is not UTF-8 text") from None


def shipped_schema_text() -> str:
    return (resources.resource_dir("schemas") / SCHEMA_FILE).read_text(encoding="utf-8")


@functools.cache
def shipped_schema() -> dict[str, Any]:
    """The whole page's JSON Schema as requests send it, parsed once from the shipped file, so a
    run's first request needs neither the page model nor its validators. Every request of a run
    shares this one dict: read it, never change it."""
    return json.loads(shipped_schema_text())


def template_sources(vault: Path | None) -> dict[str, str]:
    """Each prompt template's text in effect: the vault's copy if it has one, else topicgen's."""
    shipped = resources.resource_dir("prompts")
    sources = {}
    for name in TEMPLATES:
        own = read_vault_template(vault, name) if vault is not None else None
        sources[name] = own if own is not None else (shipped / name).read_text(encoding="utf-8")
    return sources


def combine(sources: Mapping[str, str], schema_text: str) -> str:
    digest = hashlib.sha256()
    digest.update(outline_fingerprint_data().encode())
    for name, source in sorted(sources.items()):
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    digest.update(schema_text.encode())
    return "sha256:" + digest.hexdigest()[:16]


def vault_fingerprint(vault: Path | None) -> str:
    """The current fingerprint for pages of ``vault`` (its prompt overrides included)."""
    return combine(template_sources(vault), shipped_schema_text())
