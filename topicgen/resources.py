"""Where the shipped prompt templates and schema live.

In a built wheel `prompts/` and `schemas/` sit inside the package; in a source
checkout (and an editable install) they sit beside it at the repository root.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    beside = PACKAGE_DIR.parent / name
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"topicgen is missing its {name}/ folder (looked in {inside} and {beside})")
