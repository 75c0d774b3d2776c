"""Classifying provider failures into topicgen's error tree, shared by the adapters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from topicgen.errors import (
    AuthError,
    NetworkError,
    PermanentError,
    ProviderUnavailable,
    RateLimited,
    TopicgenError,
)
from topicgen.model.clients.retry_after import retry_after_seconds
from topicgen.model.redact import redact


def body_message(body: Any, fallback: str | None) -> str:
    """The provider's own one-line explanation from an error body."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"]).splitlines()[0]
        if isinstance(inner, str) and inner:
            return inner.splitlines()[0]
    return fallback.splitlines()[0] if fallback else "request failed"


def status_error(provider: str, status: int, message: str, headers: Mapping[str, str]) -> TopicgenError:
    """429 and 5xx/529/408/409 are transient (with the provider's retry-after); the rest are not."""
    wait = retry_after_seconds(headers)
    text = redact(f"{provider}: HTTP {status}: {message}")
    if status == 429:
        return RateLimited(text, wait)
    if status in (408, 409) or status >= 500:
        return ProviderUnavailable(text, wait)
    if status == 401:
        return AuthError(text)
    return PermanentError(text)


def connection_error(provider: str, error: BaseException, *, timed_out: bool) -> TopicgenError:
    cause = error.__cause__
    if isinstance(cause, TopicgenError):  # raised by one of our own transports (replay miss)
        return cause
    if timed_out:
        return NetworkError(f"{provider}: request timed out")
    reason = f": {cause}" if cause else ""
    return NetworkError(redact(f"{provider}: connection failed{reason}"))
