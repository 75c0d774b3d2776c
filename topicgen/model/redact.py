"""Keep API keys out of every message, log, page and recording.

Every key topicgen reads goes through ``read_key``, which remembers its value,
so ``redact`` hides it wherever it turns up, whatever its shape and whatever
variable held it (``api_key_env = "VLLM_API_KEY"`` included). Anything shaped
like a well-known key is hidden too, and so are the credentials an address
can carry: its userinfo (``http://admin:pass@host``) and secret-looking query
values (``?api_key=``, ``&token=``).
"""

from __future__ import annotations

import json
import os
import re

KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OLLAMA_API_KEY",
    "TOPICGEN_API_KEY",
    "OPENROUTER_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
)
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words; no real key is that short
_KEY_PATTERN = re.compile(
    r"\b(sk-(?:ant-|proj-)?[A-Za-z0-9_\-*]{8,}|Bearer\s+[A-Za-z0-9_\-.]{8,}|AIza[A-Za-z0-9_\-]{30,})"
)  # OpenAI's and Anthropic's keys, bearer tokens, Google API keys
# Both patterns start at a fixed anchor (``://``, or ``?``/``&``/``;``) and stop at the first character
# that cannot belong to what they hide, so a long hostile message is scanned in linear time.
_USERINFO = re.compile(r"(?<=://)[^\s/?#@\[\]\\\"'<>]+@")
_SECRET_QUERY = re.compile(
    r"([?&;](?:[a-z0-9_.-]*[_.-])?(?:api[_-]?key|apikey|key|token|secret|password|passwd|pwd|auth|"
    r"sig|signature|credentials?|access[_-]?token|client[_-]?secret)=)[^&#\s\"'<>]+",
    re.IGNORECASE,
)
_read_keys: set[str] = set()


def read_key(variable: str, given: str | None = None) -> str | None:
    """The key ``given`` or held by ``variable``, remembered so that ``redact`` hides it from then on."""
    key = given or os.environ.get(variable)
    if key:
        remember_secret(key)
    return key


def remember_secret(value: str) -> None:
    if len(value.strip()) >= MIN_SECRET_LENGTH:
        _read_keys.add(value)


def _forms(value: str) -> set[str]:
    """A secret as it may appear: as is, and escaped inside JSON (recordings, error bodies)."""
    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}


def redact(text: str, *secrets: str | None) -> str:
    """Replace every key read, the usual key variables' values and anything shaped like a key."""
    values = {os.environ.get(name) for name in KEY_VARIABLES} | set(secrets) | _read_keys
    forms = {
        form
        for value in values
        if value and len(value.strip()) >= MIN_SECRET_LENGTH
        for form in _forms(value)
    }
    for form in sorted(forms, key=len, reverse=True):  # a longer secret first, in case one holds another
        text = text.replace(form, "[redacted]")
    return redact_addresses(_KEY_PATTERN.sub("[redacted]", text))


def redact_addresses(text: str) -> str:
    """``text`` with the credentials of every address in it hidden: ``https://[redacted]@host/v1?key=[redacted]``."""
    return _SECRET_QUERY.sub(r"\1[redacted]", _USERINFO.sub("[redacted]@", text))
