"""Turning deferred requests into batches: one line each, split by the provider's limits, within budget.

Lines are written to disk as they come (a 10,000-page run never holds its
requests in memory), starting a new batch whenever the next line would take
the current one over the request count or byte limit. Each request is priced
before it is written, at batch prices, and ``--max-cost`` is applied here,
before anything is submitted: requests past the budget are left out.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from typing import IO

from topicgen.model.clients.base import ModelRequest, Usage
from topicgen.model.clients.batch import BatchClient, BatchLimits
from topicgen.page.schema import page_json_schema
from topicgen.runs.batch.store import BatchRecord, BatchStore, RunRecord
from topicgen.vault.files import open_for_writing

CHARS_PER_TOKEN = 4
WHOLE_PAGE_OUTPUT_TOKENS = 3_000  # about what the reference page costs
_WHOLE_PAGE_FIELDS = len(page_json_schema()["properties"])


def estimate(request: ModelRequest) -> Usage:
    """A rough token estimate for one request: its text, and a share of a whole page's output."""
    chars = sum(len(m.content) for m in request.messages) + len(json.dumps(request.schema))
    share = len(request.schema.get("properties") or {}) / _WHOLE_PAGE_FIELDS
    return Usage(input_tokens=chars // CHARS_PER_TOKEN, output_tokens=int(WHOLE_PAGE_OUTPUT_TOKENS * share))


class _Open:
    """The batch being filled: its lines file, labels, size."""

    def __init__(self, store: BatchStore, run: RunRecord) -> None:
        self.name = store.new_name(run)
        self.stream: IO[str] = io.TextIOWrapper(open_for_writing(store.requests_path_of(self.name)), "utf-8")
        self.labels: dict[str, str] = {}
        self.bytes = 0


class Planner:
    """Collects the requests of one page pass into planned batches."""

    def __init__(
        self,
        store: BatchStore,
        run: RunRecord,
        client: BatchClient,
        limits: BatchLimits,
        *,
        budget: float | None = None,
        cost: Callable[[Usage], float] | None = None,
    ) -> None:
        self.store = store
        self.run = run
        self.client = client
        self.limits = limits
        self.budget = budget
        self.cost = cost
        self.estimated = 0.0  # USD, of the requests planned so far
        self.planned: list[BatchRecord] = []
        self.cut = 0
        self._seen: set[str] = set()
        self._open: _Open | None = None

    def add(self, custom_id: str, label: str, request: ModelRequest) -> bool:
        """Plan one request (once, however many pages ask it); False when the budget leaves it out."""
        if custom_id in self._seen:
            return True
        if self.budget is not None and self.cost is not None:
            price = self.cost(estimate(request))
            if self.estimated + price > self.budget:
                self.cut += 1
                return False
            self.estimated += price
        self._seen.add(custom_id)
        text = json.dumps(self.client.line(custom_id, request), ensure_ascii=False) + "\n"
        size = len(text.encode())
        current = self._open
        if current is not None and (
            len(current.labels) + 1 > self.limits.max_requests or current.bytes + size > self.limits.max_bytes
        ):
            self._close()
            current = None
        if current is None:
            current = self._open = _Open(self.store, self.run)
        current.stream.write(text)
        current.labels[custom_id] = label
        current.bytes += size
        return True

    def _close(self) -> None:
        current, self._open = self._open, None
        if current is None:
            return
        current.stream.flush()
        os.fsync(current.stream.fileno())
        current.stream.close()
        record = self.store.record_planned(
            current.name, self.run, self.client.provider, current.labels, current.bytes
        )
        self.planned.append(record)

    def close(self) -> list[BatchRecord]:
        """Every batch planned (recorded as ``planned``, ready to submit)."""
        self._close()
        return self.planned
