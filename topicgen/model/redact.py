"""Keep API keys out of every message, log, page and recording.

Every key topicgen reads goes through ``read_key``, which remembers its value,
so ``redact`` hides it wherever it turns up, whatever its shape and whatever
variable held it (``api_key_env = "VLLM_API_KEY"`` included), in any form it
knows: as is in any letter case, escaped in JSON, percent-encoded, or
base64-encoded (alone or inside a longer encoding, as in a recorded header).
Anything shaped like a well-known key is hidden too, and so are the
credentials an address can carry: its userinfo (``http://admin:pass@host``)
and secret-looking query values (``?api_key=``, ``&token=``). ``echoed_key``
tells whether a model's text repeats a key, so that no page ever holds it.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote

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
# A page refuses text holding a key this long or longer. Shorter values are the placeholders local
# servers take ("ollama", "EMPTY", "lm-studio"), words a page may well hold; no provider's key is short.
MIN_ECHOED_LENGTH = 16
_MIN_BASE64_CORE = 8  # a key's base64 characters that do not depend on what is encoded around it
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


def _forms(value: str) -> tuple[frozenset[str], frozenset[str]]:
    """A secret as it may appear: (forms matched in any letter case, base64 forms matched exactly).

    As is, escaped inside JSON (recordings, error bodies) and percent-encoded
    (addresses); and base64-encoded, standard or URL-safe, at each of the
    three alignments it can have inside a longer encoding (a recorded
    ``Authorization: Basic`` header): only the characters that depend on the
    secret alone are kept.
    """
    plain = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        quote(value, safe=""),
    }
    data = value.encode("utf-8", "surrogatepass")
    encoded = set()
    for shift in range(3):
        first, end = -(-shift * 8 // 6), (shift + len(data)) * 8 // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            core = encode(bytes(shift) + data).decode("ascii")[first:end]
            if len(core) >= _MIN_BASE64_CORE:
                encoded.add(core)
    return frozenset(plain), frozenset(encoded)


def _secrets(*extra: str | None) -> frozenset[str]:
    values = {os.environ.get(name) for name in KEY_VARIABLES} | set(extra) | _read_keys
    return frozenset(value for value in values if value and len(value.strip()) >= MIN_SECRET_LENGTH)


@lru_cache(maxsize=64)
def _finder(secrets: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern finding every form of every secret (a longer form first, in case one holds another):
    plain forms in any letter case, base64 ones exactly. A placeholder shorter than a key
    (``ollama``) is matched in its own case only, so the word stays readable in other cases."""
    alternatives: list[str] = []
    for secret in secrets:
        plain, encoded = _forms(secret)
        any_case = len(secret.strip()) >= MIN_ECHOED_LENGTH
        alternatives += [f"(?i:{re.escape(form)})" if any_case else re.escape(form) for form in plain]
        alternatives += [re.escape(form) for form in encoded]
    alternatives.sort(key=len, reverse=True)
    return re.compile("|".join(alternatives)) if alternatives else None


def key_finder() -> Callable[[str], bool]:
    """A test of whether a text (a model's) holds a key topicgen read, or one the usual variables hold,
    in any form ``redact`` knows; made once for many texts. Values shorter than ``MIN_ECHOED_LENGTH``
    are placeholders, not keys."""
    finder = _finder(frozenset(value for value in _secrets() if len(value.strip()) >= MIN_ECHOED_LENGTH))
    return (lambda text: False) if finder is None else (lambda text: finder.search(text) is not None)


def echoed_key(text: str) -> bool:
    """Whether ``text`` holds a key (see ``key_finder``)."""
    return key_finder()(text)


def redact(text: str, *secrets: str | None) -> str:
    """Replace every key read, the usual key variables' values and anything shaped like a key, in
    every form they may take."""
    finder = _finder(_secrets(*secrets))
    if finder is not None:
        text = finder.sub("[redacted]", text)
    return redact_addresses(_KEY_PATTERN.sub("[redacted]", text))


def redact_addresses(text: str) -> str:
    """``text`` with the credentials of every address in it hidden: ``https://[redacted]@host/v1?key=[redacted]``."""
    return _SECRET_QUERY.sub(r"\1[redacted]", _USERINFO.sub("[redacted]@", text))
