"""Test support that ships with topicgen, so its tests and benchmarks (and yours) can use it.

``FakeProvider`` is a loopback HTTP server that speaks the OpenAI chat
completions and Anthropic messages wire formats, with latency, rate limits
and injectable faults. It uses the standard library only and is never
imported by the ``topicgen`` command itself.
"""

from __future__ import annotations

from topicgen.testing.fake_provider import FakeProvider, Fault, HttpError, Reply, page_for_schema

__all__ = ["FakeProvider", "Fault", "HttpError", "Reply", "page_for_schema"]
