"""What a test can script the fake provider to do, and what it counts: faults, replies, stats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

CHARS_PER_TOKEN = 4
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."


class Fault(StrEnum):
    """A fault the server can inject; its value is how ``stats()`` counts it."""

    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    OVERLOADED = "529"
    DROP = "drop"  # the connection is closed without a response
    STALL = "stall"  # no response until the client gives up (or ``stall_seconds`` pass)
    INVALID_JSON = "invalid_json"  # prose around the JSON, as chatty models do
    SCHEMA_VIOLATION = "schema_violation"  # valid JSON: a required field missing, an unknown one added
    TRUNCATED = "truncated"  # half the reply, stopped at the output token limit
    REFUSAL = "refusal"  # the model declines

    @property
    def status(self) -> int | None:
        """The HTTP status of an HTTP fault, else None."""
        return int(self.value) if self.value.isdigit() else None


HTTP_FAULTS = frozenset(f for f in Fault if f.status is not None)
CONNECTION_FAULTS = frozenset({Fault.DROP, Fault.STALL})
REPLY_FAULTS = frozenset({Fault.INVALID_JSON, Fault.SCHEMA_VIOLATION, Fault.TRUNCATED, Fault.REFUSAL})


class BatchFault(StrEnum):
    """What can happen to one request inside a batch besides an answer (script it for a topic)."""

    EXPIRED = "expired"  # the batch's window ended before the request ran
    CANCELED = "canceled"  # the batch was cancelled before the request ran


@dataclass(frozen=True)
class Reply:
    """A scripted HTTP 200 reply.

    ``patch`` maps dotted paths in the generated page to new values
    (``"joke"``, ``"books.topical.title"``, ``"what_is_it.0"``); ``data``
    replaces the page entirely; ``text`` is sent verbatim as the reply's text.
    ``finish`` is ``"stop"``, ``"length"`` (cut off) or ``"refusal"``.
    """

    patch: Mapping[str, Any] | None = None
    data: Any = None
    text: str | None = None
    finish: str = "stop"


Details = tuple[Mapping[str, Any], ...]  # a Google error's ``details`` (QuotaFailure, RetryInfo, ErrorInfo)


@dataclass(frozen=True)
class HttpError:
    """A scripted error response with any status, in the provider's error format.

    ``details`` go into a Google error's ``details`` (Gemini); the other formats have no place for them.
    """

    status: int
    message: str = "scripted error"
    headers: Mapping[str, str] = field(default_factory=dict)
    details: Details = ()


ScriptItem = Fault | Reply | HttpError | BatchFault


@dataclass(frozen=True)
class Stats:
    """What the server has served so far."""

    requests: int
    outcomes: dict[str, int]
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    max_in_flight: int
    pages: dict[str, int]  # topic → valid pages served (generated replies, not faults or scripted ones)
    first_request: float | None
    last_response: float | None
    drift: dict[str, int] = field(default_factory=dict)  # drift kinds applied ('replies': replies drifted)
    section_requests: int = 0  # requests for some sections only (section re-asks, in a `new` run)
    section_output_tokens: int = 0  # what their replies cost

    def count(self, outcome: str | Fault) -> int:
        return self.outcomes.get(str(outcome), 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "outcomes": dict(self.outcomes),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "max_in_flight": self.max_in_flight,
            "pages": sum(self.pages.values()),
            "drift": dict(self.drift),
            "section_requests": self.section_requests,
            "section_output_tokens": self.section_output_tokens,
        }


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it (the API key is never kept)."""

    index: int
    provider: str  # "openai", "anthropic", "ollama" or "gemini"
    path: str
    topic: str
    outcome: str
    body: dict[str, Any]
    authorized: bool
