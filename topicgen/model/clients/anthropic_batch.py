"""Anthropic's Message Batches: the requests sent in one call, results read from ``results_url``.

Each request's params are built by the live client's ``MessagesForm``
(structured outputs, the effort), except that the cached system prompt is
kept for an hour, since a batch can run longer than the default five minutes.
A model that rejects the effort or structured outputs errors those requests;
as the live client does, the batch client then drops the effort or switches
to the forced tool call, and the errored requests are sent again in that form
(``BatchResult.resend_as``) in the follow-up batch.
Message batches carry no metadata, so a run killed between creating a batch
and recording its id finds it by its creation time and request count.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anthropic
from anthropic.types.messages import MessageBatch, MessageBatchIndividualResponse

from topicgen.model.clients import ClientOptions
from topicgen.model.clients.anthropic import (
    MessagesForm,
    api_key,
    map_anthropic_error,
    message_reply,
)
from topicgen.model.clients.base import ModelRequest
from topicgen.model.clients.batch import MAX_REQUESTS_BYTES, BatchLimits, BatchResult, BatchStatus
from topicgen.model.clients.faults import body_message, error_codes
from topicgen.model.clients.wire import sdk_http_client, sdk_timeout
from topicgen.model.redact import redact
from topicgen.vault.files import open_regular

LIMITS = BatchLimits(max_requests=100_000, max_bytes=256 * 1024 * 1024)
T = TypeVar("T")


class AnthropicBatchClient:
    provider = "anthropic"
    limits = LIMITS

    def __init__(self, model: str, *, api_key: str, options: ClientOptions) -> None:
        self.spec = f"anthropic:{model}"
        self.model = model
        self._form = MessagesForm.of(model, options, cache_ttl="1h")
        self._sdk = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=options.base_url or os.environ.get("ANTHROPIC_BASE_URL"),
            timeout=sdk_timeout(options),  # a short connect, a long read: as the live clients
            max_retries=0,  # a retried create could make a second batch; the runner decides
            http_client=sdk_http_client(options),
        )

    def line(self, custom_id: str, request: ModelRequest) -> dict[str, Any]:
        return {"custom_id": custom_id, "params": self._form.body(request)}

    def adapt(self, forms: Iterable[str]) -> None:
        self._form.take(forms)

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except anthropic.AnthropicError as error:
            raise map_anthropic_error(error) from None

    async def prepare(self, name: str, lines: Path) -> str | None:
        return None

    async def create(self, name: str, lines: Path, prepared: str | None) -> str:
        """``POST /v1/messages/batches`` with the lines streamed from disk as ``{"requests": [...]}``:
        a batch of 256 MB is never parsed or held whole (its length is known, so it is not chunked)."""
        headers = {"content-type": "application/json", "content-length": str(requests_body_size(lines))}
        batch = await self._call(
            self._sdk.post(
                "/v1/messages/batches",
                cast_to=MessageBatch,
                content=requests_body(lines),
                options={"headers": headers},
            )
        )
        return batch.id

    async def find(self, name: str, since: float, count: int) -> str | None:
        async def search() -> str | None:
            async for batch in self._sdk.messages.batches.list(limit=100):
                created = batch.created_at.timestamp()
                if created < since - 60:  # newest first: nothing older can be ours
                    return None
                if created >= since - 5 and _total(batch) == count:
                    return batch.id
            return None

        return await self._call(search())

    async def status(self, batch_id: str) -> BatchStatus:
        return _status(await self._call(self._sdk.messages.batches.retrieve(batch_id)))

    async def cancel(self, batch_id: str) -> BatchStatus:
        return _status(await self._call(self._sdk.messages.batches.cancel(batch_id)))

    async def results(self, status: BatchStatus) -> AsyncIterator[BatchResult]:
        try:
            decoder = await self._sdk.messages.batches.results(status.id)
            async for entry in decoder:
                yield self._result(entry)
        except anthropic.AnthropicError as error:
            raise map_anthropic_error(error) from None

    def _result(self, entry: MessageBatchIndividualResponse) -> BatchResult:
        result = entry.result
        if result.type == "succeeded":
            return BatchResult(entry.custom_id, message_reply(result.message, self.model))
        if result.type == "errored":
            body = result.error.model_dump() if hasattr(result.error, "model_dump") else {}
            message = body_message(body, None)
            error = redact(f"errored: {message}")
            status = 400 if "invalid_request_error" in error_codes(body) else 500  # results carry no status
            form = self._form.refusal(status, message, body)
            if form is not None:  # as the live client does: no effort, or the forced tool, from now on
                self._form.take({form})
                return BatchResult(entry.custom_id, error=error, resend_as=form)
            return BatchResult(entry.custom_id, error=error)
        return BatchResult(entry.custom_id, error="cancelled" if result.type == "canceled" else "expired")

    async def aclose(self) -> None:
        await self._sdk.close()


BODY_OPEN, BODY_CLOSE = b'{"requests":[', b"]}"
CHUNK = 1 << 20


def _lines(path: Path) -> Iterator[bytes]:
    """The JSON lines of a requests file, without their newlines."""
    with open_regular(path, limit=MAX_REQUESTS_BYTES) as stream:
        for line in stream:
            if line.strip():
                yield line.rstrip(b"\r\n")


def requests_body_size(path: Path) -> int:
    """The length of ``requests_body(path)`` in bytes."""
    sizes = [len(line) for line in _lines(path)]
    return len(BODY_OPEN) + sum(sizes) + max(0, len(sizes) - 1) + len(BODY_CLOSE)


async def requests_body(path: Path) -> AsyncIterator[bytes]:
    """``{"requests": [line, line, ...]}`` from a requests file, about a megabyte at a time."""
    buffer = bytearray(BODY_OPEN)
    for index, line in enumerate(_lines(path)):
        if index:
            buffer += b","
        buffer += line
        if len(buffer) >= CHUNK:
            yield bytes(buffer)
            buffer.clear()
    yield bytes(buffer + BODY_CLOSE)


def _total(batch: MessageBatch) -> int:
    counts = batch.request_counts
    return counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired


def _status(batch: MessageBatch) -> BatchStatus:
    counts = batch.request_counts
    return BatchStatus(
        id=batch.id,
        state=str(batch.processing_status),
        ended=batch.processing_status == "ended",
        total=_total(batch),
        succeeded=counts.succeeded,
        failed=counts.errored + counts.canceled + counts.expired,
    )


def anthropic_batch_client(model: str, options: ClientOptions) -> AnthropicBatchClient:
    return AnthropicBatchClient(model, api_key=api_key(options), options=options)
