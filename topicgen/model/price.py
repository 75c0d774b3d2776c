"""A price: US dollars per million tokens, and what a run's usage costs at it (``topicgen.model.costs``).

Apart from ``costs`` so that settings (``[prices]`` tables are ``Price``) load without what pricing a
run needs: the usage records and the run prices' classes, a few milliseconds of every command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topicgen.model.catalogue import Rates

if TYPE_CHECKING:
    from topicgen.model.clients.base import Usage


class Price(Rates):
    """USD per million tokens. Cache reads default to a tenth of input; cache writes to input;
    1-hour cache writes to the 5-minute rate."""

    def cost(self, usage: Usage) -> float:
        """``usage.input_tokens`` counts every input token, cache reads and writes included."""
        read = self.input / 10 if self.cached_input is None else self.cached_input
        write = self.input if self.cache_write is None else self.cache_write
        write_1h = write if self.cache_write_1h is None else self.cache_write_1h
        hour = min(usage.cache_write_1h_tokens, usage.cache_write_tokens)
        fresh = max(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens)
        return (
            fresh * self.input
            + usage.cached_tokens * read
            + (usage.cache_write_tokens - hour) * write
            + hour * write_1h
            + usage.output_tokens * self.output
        ) / 1_000_000

    def scaled(self, factor: float) -> Price:
        return Price(
            **{name: None if rate is None else rate * factor for name, rate in self.model_dump().items()}
        )
