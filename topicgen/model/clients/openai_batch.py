"""OpenAI's Batch API: a JSONL file of chat completions uploaded to /v1/files, run as one batch.

Each line's body is built by the live client's ``ChatForm``, so it is exactly
what the live client sends (strict structured outputs, the reasoning effort).
A model that rejects the effort errors those requests; as the live client
does, the batch client then drops it, and the errored requests are sent again
without it (``BatchResult.resend_as``) in the follow-up batch. The batch
carries ``metadata.topicgen_batch`` with topicgen's name for it, so a run
killed between creating a batch and recording its id finds it again instead
of creating a second one. Results (output and error files) are streamed line
by line and parsed like live replies.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import openai
from openai.types import Batch
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from topicgen.model.clients import ClientOptions
from topicgen.model.clients.base import ModelRequest
from topicgen.model.clients.batch import MAX_REQUESTS_BYTES, BatchLimits, BatchResult, BatchStatus
from topicgen.model.clients.faults import body_message
from topicgen.model.clients.openai import ChatForm, _key, completion_reply, map_openai_error
from topicgen.model.clients.wire import sdk_http_client, sdk_timeout
from topicgen.model.redact import redact
from topicgen.vault.files import open_regular

ENDPOINT = "/v1/chat/completions"
LIMITS = BatchLimits(max_requests=50_000, max_bytes=200 * 1024 * 1024)
ENDED = ("completed", "failed", "expired", "cancelled")
LABEL = "topicgen_batch"
_ERROR_KINDS = {"batch_expired": "expired", "batch_cancelled": "cancelled"}
T = TypeVar("T")


class OpenAIBatchClient:
    provider = "openai"
    limits = LIMITS

    def __init__(self, model: str, *, api_key: str, base_url: str | None, options: ClientOptions) -> None:
        self.spec = f"openai:{model}"
        self.model = model
        self._form = ChatForm.of(model, options)
        self._sdk = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=sdk_timeout(options),  # a short connect, a long read: as the live clients
            max_retries=0,  # a retried create could make a second batch; the runner decides
            http_client=sdk_http_client(options),
        )

    def line(self, custom_id: str, request: ModelRequest) -> dict[str, Any]:
        body = self._form.body(request)
        return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}

    def adapt(self, forms: Iterable[str]) -> None:
        self._form.take(forms)  # strict structured outputs always; the effort until the model rejects it

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except openai.OpenAIError as error:
            raise map_openai_error(error, self.provider) from None

    async def prepare(self, name: str, lines: Path) -> str | None:
        with open_regular(lines, limit=MAX_REQUESTS_BYTES) as stream:  # streamed, never held whole
            upload = (f"{name}.jsonl", stream, "application/jsonl")
            created = await self._call(self._sdk.files.create(file=upload, purpose="batch"))
        return created.id

    async def create(self, name: str, lines: Path, prepared: str | None) -> str:
        assert prepared is not None, "the file is uploaded first"
        batch = await self._call(
            self._sdk.batches.create(
                input_file_id=prepared,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata={LABEL: name},
            )
        )
        return batch.id

    async def find(self, name: str, since: float, count: int) -> str | None:
        async def search() -> str | None:
            async for batch in self._sdk.batches.list(limit=100):
                if (batch.metadata or {}).get(LABEL) == name:
                    return batch.id
                if batch.created_at < since - 60:  # newest first: nothing older can be ours
                    return None
            return None

        return await self._call(search())

    async def status(self, batch_id: str) -> BatchStatus:
        return _status(await self._call(self._sdk.batches.retrieve(batch_id)))

    async def cancel(self, batch_id: str) -> BatchStatus:
        return _status(await self._call(self._sdk.batches.cancel(batch_id)))

    async def results(self, status: BatchStatus) -> AsyncIterator[BatchResult]:
        batch = await self._call(self._sdk.batches.retrieve(status.id))
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            stream = self._sdk.files.with_streaming_response.content(file_id)
            try:
                async with stream as response:
                    async for text in response.iter_lines():
                        if text.strip():
                            yield self._result(json.loads(text))
            except openai.OpenAIError as error:
                raise map_openai_error(error, self.provider) from None

    def _result(self, line: dict[str, Any]) -> BatchResult:
        custom_id = str(line.get("custom_id") or "")
        response = line.get("response") or {}
        error = line.get("error") or {}
        if response.get("status_code") == 200:
            try:
                completion = ChatCompletion.model_validate(response.get("body") or {})
            except ValidationError:
                return BatchResult(custom_id, error="errored: the reply could not be read")
            return BatchResult(custom_id, completion_reply(completion, self.model))
        if error:
            code = str(error.get("code") or "error")
            kind = _ERROR_KINDS.get(code) or f"errored: {code}: {error.get('message') or ''}".rstrip(": ")
            return BatchResult(custom_id, error=redact(kind))
        status, body = response.get("status_code"), response.get("body")
        message = body_message(body, None)
        failed = redact(f"errored: HTTP {status}: {message}")
        form = self._form.refusal(status, f"{message} {body}") if isinstance(status, int) else None
        if form is not None:  # as the live client does: no effort from now on
            self._form.take({form})
            return BatchResult(custom_id, error=failed, resend_as=form)
        return BatchResult(custom_id, error=failed)

    async def aclose(self) -> None:
        await self._sdk.close()


def _status(batch: Batch) -> BatchStatus:
    counts = batch.request_counts
    errors = batch.errors.data if batch.errors and batch.errors.data else []
    problem = "; ".join(
        f"line {e.line}: {e.message}" if e.line is not None else str(e.message) for e in errors[:3]
    )
    return BatchStatus(
        id=batch.id,
        state=str(batch.status),
        ended=batch.status in ENDED,
        total=counts.total if counts else 0,
        succeeded=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        problem=redact(problem),
    )


def openai_batch_client(model: str, options: ClientOptions) -> OpenAIBatchClient:
    return OpenAIBatchClient(
        model,
        api_key=_key(options, "OPENAI_API_KEY", required=True),
        base_url=options.base_url or os.environ.get("OPENAI_BASE_URL"),
        options=options,
    )
