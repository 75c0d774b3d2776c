"""Hashes that say whether a page or a section changed since topicgen wrote it."""

from __future__ import annotations

import hashlib


def content_hash(text: str) -> str:
    """A section's hash, with trailing spaces ignored so the hard-break setting can change."""
    normalized = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    return hashlib.sha256(normalized.encode()).hexdigest()[:12]


def body_hash(body: bytes | str) -> str:
    """The whole body's hash, exactly as written: a cheap 'untouched since generation' check."""
    data = body.encode() if isinstance(body, str) else body
    return hashlib.sha256(data).hexdigest()[:12]
