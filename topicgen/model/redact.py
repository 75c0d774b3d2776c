"""Keep API keys out of every message, log, page and recording."""

from __future__ import annotations

import os
import re

KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOPICGEN_API_KEY", "OPENROUTER_API_KEY")
_KEY_PATTERN = re.compile(r"\b(sk-(?:ant-|proj-)?[A-Za-z0-9_\-*]{8,}|Bearer\s+[A-Za-z0-9_\-.]{8,})")


def redact(text: str, *secrets: str | None) -> str:
    """Replace known key values and anything shaped like a key with [redacted]."""
    values = [os.environ.get(name) for name in KEY_VARIABLES] + list(secrets)
    for value in values:
        if value and len(value) >= 8:
            text = text.replace(value, "[redacted]")
    return _KEY_PATTERN.sub("[redacted]", text)
