"""The batch APIs as the fake provider serves them: OpenAI Files + Batches, Anthropic Message Batches,
Gemini's Batch and Files APIs (``desk`` holds what they share)."""

from __future__ import annotations

from topicgen.testing.fake_provider.batches.anthropic import AnthropicBatches
from topicgen.testing.fake_provider.batches.desk import BatchDesk, Provider
from topicgen.testing.fake_provider.batches.gemini import GeminiBatches
from topicgen.testing.fake_provider.batches.openai import OpenAIBatches

BATCH_APIS = (GeminiBatches, AnthropicBatches, OpenAIBatches)  # Gemini first: OpenAI's paths look alike


def batch_desk(provider: Provider) -> BatchDesk:
    """The desk serving every batch API for ``provider``."""
    return BatchDesk(provider, BATCH_APIS)


__all__ = ["BATCH_APIS", "BatchDesk", "batch_desk"]
