"""The fingerprint of everything that shapes a page: outline, prompt templates, schema.

Pages record it when written; a page whose fingerprint differs from the
current one is stale. It is computed from the files themselves (the
shipped JSON Schema, which a test keeps equal to the Pydantic model), so
checking staleness needs neither jinja2 nor the page model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from topicgen import resources
from topicgen.page.outline import outline_fingerprint_data

SCHEMA_FILE = "topic-summary.schema.json"
TEMPLATES = ("system.md.j2", "user.md.j2", "reask.md.j2", "sections.md.j2")
VAULT_PROMPTS = Path(".topicgen") / "prompts"


def shipped_schema_text() -> str:
    return (resources.resource_dir("schemas") / SCHEMA_FILE).read_text(encoding="utf-8")


def template_sources(vault: Path | None) -> dict[str, str]:
    """Each prompt template's text in effect: the vault's copy if it has one, else topicgen's."""
    folders = [resources.resource_dir("prompts")]
    if vault is not None:
        folders.insert(0, vault / VAULT_PROMPTS)
    sources = {}
    for name in TEMPLATES:
        path = next((folder / name for folder in folders if (folder / name).is_file()), folders[-1] / name)
        sources[name] = path.read_text(encoding="utf-8")
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
