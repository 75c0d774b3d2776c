"""Asking a model: prompts, clients, validation and re-asks, the reply cache, costs.

Owns the provider adapters (``clients/``: one per provider behind one small
interface, plus the wrappers that compose them: retries, rate limits,
record/replay), the prompt templates, asking for a page and validating the
reply, the cache of validated replies, prices, the prompt fingerprint and
key redaction.

May import: ``topicgen.page``, ``topicgen.vault``, ``topicgen.errors``,
``topicgen.resources``. Provider SDKs are imported only inside their adapter.
"""
