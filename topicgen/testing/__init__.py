"""Test support that ships with topicgen, so its tests and benchmarks (and yours) can use it.

``FakeProvider`` is a loopback HTTP server that speaks the OpenAI chat
completions, Anthropic messages, Ollama chat and Gemini generateContent wire
formats and their batch APIs, with latency, rate limits and injectable faults.
``ReferenceServer`` stands in for the book catalog and YouTube that reference
checks ask (known and unknown titles, videos and channels, 429s, slow answers,
outages). Both use the standard library only and are never imported by the
``topicgen`` command itself. ``python -m topicgen.testing serve`` runs both for
a person trying topicgen without a key (``serve``).
"""

from __future__ import annotations

from topicgen.testing.fake_provider import (
    BatchFault,
    FakeProvider,
    Fault,
    HttpError,
    Reply,
    page_for_schema,
)
from topicgen.testing.references import ReferenceServer, Status, TooManyRequests

__all__ = [
    "BatchFault",
    "FakeProvider",
    "Fault",
    "HttpError",
    "ReferenceServer",
    "Reply",
    "Status",
    "TooManyRequests",
    "page_for_schema",
]
