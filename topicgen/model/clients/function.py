"""A model client backed by a Python function: for tests and scripts, instead of mocks.

``FunctionClient(lambda request: '{"joke": ...}')`` answers every request by
calling the function, which may return reply text or a whole ``ModelReply``.
It records the requests it saw, so a test can assert what was asked.
``FunctionBatchClient`` runs batches over any such client.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from topicgen.model.clients.base import Finish, ModelClient, ModelReply, ModelRequest, Usage
from topicgen.model.clients.batch import MAX_REQUESTS_BYTES, BatchLimits, BatchResult, BatchStatus
from topicgen.vault.files import open_regular

Answer = str | ModelReply
Function = Callable[[ModelRequest], Answer | Awaitable[Answer]]


class FunctionClient:
    def __init__(self, function: Function, spec: str = "function:test") -> None:
        self.spec = spec
        self.function = function
        self.requests: list[ModelRequest] = []

    async def complete(self, request: ModelRequest) -> ModelReply:
        self.requests.append(request)
        answer = self.function(request)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, ModelReply):
            return answer
        chars = sum(len(m.content) for m in request.messages)
        return ModelReply(answer, Finish.STOP, self.spec, Usage(chars // 4, len(answer) // 4))

    async def aclose(self) -> None:
        return None


class FunctionBatchClient:
    """A batch client backed by any model client: a batch's requests are answered when it is created.

    For tests and scripts: batch runs over ``FunctionClient`` answers, with no
    provider. It keeps the requests it was given in memory, so a batch is
    created by the same process that planned it.
    """

    provider = "function"
    limits = BatchLimits(max_requests=100_000, max_bytes=1 << 30)

    def __init__(self, client: ModelClient) -> None:
        self.client = client
        self.spec = client.spec
        self._asked: dict[str, ModelRequest] = {}
        self._batches: dict[str, list[BatchResult]] = {}

    def line(self, custom_id: str, request: ModelRequest) -> dict[str, Any]:
        self._asked[custom_id] = request
        return {"custom_id": custom_id}

    def adapt(self, forms: Iterable[str]) -> None:
        return None  # a function takes every request as it is

    async def prepare(self, name: str, lines: Path) -> str | None:
        return None

    async def create(self, name: str, lines: Path, prepared: str | None) -> str:
        with open_regular(lines, limit=MAX_REQUESTS_BYTES) as stream:
            ids = [json.loads(text)["custom_id"] for text in stream if text.strip()]
        self._batches[name] = [BatchResult(i, await self.client.complete(self._asked[i])) for i in ids]
        return name

    async def find(self, name: str, since: float, count: int) -> str | None:
        return name if name in self._batches else None

    async def status(self, batch_id: str) -> BatchStatus:
        done = len(self._batches[batch_id])
        return BatchStatus(batch_id, "ended", True, done, done, 0)

    async def results(self, status: BatchStatus) -> AsyncIterator[BatchResult]:
        for result in self._batches[status.id]:
            yield result

    async def cancel(self, batch_id: str) -> BatchStatus:
        return await self.status(batch_id)

    async def aclose(self) -> None:
        await self.client.aclose()
