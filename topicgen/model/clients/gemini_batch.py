"""Gemini's Batch API: a JSONL file of requests uploaded through the Files API, run as one batch job.

Each line is ``{"key": <custom id>, "request": <generateContent request>}``,
the request exactly what the live client sends (the page schema as
``response_json_schema``, the thinking level). The job's ``display_name`` is
topicgen's name for the batch, so a run killed between creating a job and
recording its id finds it again in the job list instead of creating a
second one. Results come back as a JSONL file of ``{"key", "response"}`` or
``{"key", "error"}`` lines, downloaded to a spooled temporary file (never
held whole in memory) and parsed like live replies. A request whose schema
the API rejects is sent again in JSON mode (``BatchResult.resend_as``), as
the live client falls back.

The SDK reports a job's state but not its request counts, so a running
job's counts are unknown until its results are read.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from google.genai import types
from pydantic import ValidationError

from topicgen.model.clients import ClientOptions
from topicgen.model.clients.base import ModelRequest
from topicgen.model.clients.batch import BatchLimits, BatchResult, BatchStatus
from topicgen.model.clients.compat import rejects_schema
from topicgen.model.clients.gemini import (
    GeminiSdk,
    api_key,
    base_url,
    content_reply,
    content_request,
    map_gemini_error,
)
from topicgen.model.redact import redact

LIMITS = BatchLimits(max_requests=100_000, max_bytes=2 * 1024**3)  # Gemini's input file: 2 GB
JSON_MODE = "json"  # the form for a model whose API rejects the schema: JSON mode, the schema in the prompt
# a job's end states → why its requests without a result have none (cancelled ones say so themselves)
ENDED = {
    "JOB_STATE_SUCCEEDED": "",
    "JOB_STATE_CANCELLED": "",
    "JOB_STATE_FAILED": "the batch job failed",
    "JOB_STATE_EXPIRED": "the batch job expired before they ran",
}
LISTED_AT_MOST = 1_000  # jobs looked through for the one a killed run was creating
SPOOL_BYTES = 8 << 20  # a results file is kept in memory up to this size, on disk beyond
# google.rpc.Code → the HTTP status it stands for (a results file's errors are status objects)
HTTP_OF_CODE = {1: 499, 3: 400, 4: 504, 5: 404, 7: 403, 8: 429, 13: 500, 14: 503, 16: 401}
UNRUN = {1: "cancelled", 4: "expired"}  # CANCELLED, DEADLINE_EXCEEDED: said as the other batch APIs say them
T = TypeVar("T")


class GeminiBatchClient(GeminiSdk):
    provider = "gemini"
    limits = LIMITS

    def line(self, custom_id: str, request: ModelRequest) -> dict[str, Any]:
        body = content_request(request, json_mode=self._json_mode, thinking_level=self._thinking)
        return {"key": custom_id, "request": body}

    def adapt(self, forms: Iterable[str]) -> None:
        if JSON_MODE in forms:
            self._json_mode = True

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except Exception as error:
            raise map_gemini_error(error, self.address) from None

    async def prepare(self, name: str, lines: Path) -> str | None:
        """Upload the requests file (the SDK sends it in chunks from disk); returns its ``files/...`` name."""
        config = types.UploadFileConfig(mime_type="jsonl", display_name=name)
        uploaded = await self._call(self._sdk.aio.files.upload(file=str(lines), config=config))
        return uploaded.name

    async def create(self, name: str, lines: Path, prepared: str | None) -> str:
        assert prepared is not None, "the file is uploaded first"
        config = types.CreateBatchJobConfig(display_name=name)
        job = await self._call(self._sdk.aio.batches.create(model=self.model, src=prepared, config=config))
        assert job.name is not None
        return job.name

    async def find(self, name: str, since: float, count: int) -> str | None:
        async def search() -> str | None:
            """The jobs are looked through by name, not by age: the API does not promise their order."""
            pager = await self._sdk.aio.batches.list(config=types.ListBatchJobsConfig(page_size=100))
            seen = 0
            async for job in pager:
                if job.display_name == name:
                    return job.name
                seen += 1
                if seen >= LISTED_AT_MOST:
                    return None
            return None

        return await self._call(search())

    async def status(self, batch_id: str) -> BatchStatus:
        return _status(await self._call(self._sdk.aio.batches.get(name=batch_id)))

    async def cancel(self, batch_id: str) -> BatchStatus:
        await self._call(self._sdk.aio.batches.cancel(name=batch_id))
        return await self.status(batch_id)

    async def results(self, status: BatchStatus) -> AsyncIterator[BatchResult]:
        job = await self._call(self._sdk.aio.batches.get(name=status.id))
        dest = job.dest
        if dest is None or not dest.file_name:
            return  # nothing came back: the runner stores every request as missing, with the job's problem
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            await self._call(self._sdk.aio.files.download(file=dest.file_name, destination=spool))
            spool.seek(0)
            for raw in spool:
                if raw.strip():
                    yield self._result(json.loads(raw))

    def _result(self, line: dict[str, Any]) -> BatchResult:
        key = str(line.get("key") or "")
        response = line.get("response")
        if isinstance(response, dict):
            try:  # the SDK's own reading of a response (unknown fields dropped), as for a live reply
                parsed = types.GenerateContentResponse._from_response(response=response, kwargs={})
            except ValidationError:
                return BatchResult(key, error="errored: the reply could not be read")
            return BatchResult(key, content_reply(parsed, self.model))
        error = line.get("error") if isinstance(line.get("error"), dict) else {}
        code = error.get("code")
        if code in UNRUN:
            return BatchResult(key, error=UNRUN[code])
        message = str(error.get("message") or "no response").strip()
        said = redact(f"errored: {code}: {message}".splitlines()[0])
        if not self._json_mode and rejects_schema(HTTP_OF_CODE.get(code, 0), message):
            self._json_mode = True  # as the live client does: JSON mode from now on
            return BatchResult(key, error=said, resend_as=JSON_MODE)
        return BatchResult(key, error=said)


def _status(job: types.BatchJob) -> BatchStatus:
    state = getattr(job.state, "value", str(job.state))
    ended = state in ENDED
    problem = ENDED.get(state, "")
    if job.error is not None and job.error.message:
        problem = f"{problem}: {job.error.message}" if problem else job.error.message
    return BatchStatus(id=str(job.name), state=state, ended=ended, problem=redact(problem))


def gemini_batch_client(model: str, options: ClientOptions) -> GeminiBatchClient:
    return GeminiBatchClient(model, api_key=api_key(options), base_url=base_url(options), options=options)
