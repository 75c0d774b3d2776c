"""Gemini's Batch API and Files API as the fake provider serves them.

A JSONL file of ``{"key", "request"}`` lines is uploaded with Google's
resumable upload protocol (a ``start`` that answers with an upload URL, then
chunks, the last one ``finalize``); ``models/<model>:batchGenerateContent``
makes a batch of it, named ``batches/<id>`` and labelled with its
``displayName``. Batches are read, listed (newest first, ``pageToken``) and
cancelled as operations whose ``metadata`` holds the batch; once it has ended
its ``metadata.output.responsesFile`` names a JSONL file of ``{"key",
"response"}`` lines, or ``{"key", "error"}`` with a ``google.rpc.Status``,
downloaded from ``files/<id>:download``.

OpenAI's routes look the same (``/v1/batches/...``, ``/v1/files/...``): a
request is Gemini's when it carries Google's ``x-goog-`` headers, as the SDK's
always do.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from topicgen.testing.fake_provider.batches.desk import (
    Answer,
    Batch,
    BatchApi,
    BatchDesk,
    Call,
    jsonl,
    read_lines,
    stamp,
    succeeded,
)
from topicgen.testing.fake_provider.wire import GeminiWire
from topicgen.testing.fake_provider.wire.common import Respond
from topicgen.testing.fake_provider.wire.gemini import GRPC_CODES, error_body, field_of

LIMITS = (100_000, 2 * 1024**3)  # topicgen's cap on requests; Gemini's 2 GB input file
_UPLOAD = re.compile(r"^/upload/(v1\w*)/files$")
_CREATE = re.compile(r"^/(v1\w*)/models/([^/:]+):batchGenerateContent$")
_BATCHES = re.compile(r"^/(v1\w*)/batches(?:/([^/:]+))?(?::(cancel))?$")
_FILES = re.compile(r"^/(v1\w*)/files/([^/:]+)(?::(download))?$")
_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
_OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
_UNRUN = {
    "expired": ("DEADLINE_EXCEEDED", "The batch expired before this request ran."),
    "canceled": ("CANCELLED", "The batch was cancelled before this request ran."),
}


@dataclass
class _Upload:
    """A resumable upload in progress."""

    display_name: str
    mime_type: str
    size: int
    received: bytearray = field(default_factory=bytearray)


class GeminiBatches(BatchApi):
    name = "gemini"
    refusal = "API key not valid. Please pass a valid API key."

    wire_format = GeminiWire

    def __init__(self, desk: BatchDesk) -> None:
        super().__init__(desk)
        self._uploads: dict[str, _Upload] = {}

    def route(self, path: str, headers: Mapping[str, str]) -> re.Match[str] | None:
        if not any(name.startswith("x-goog-") for name in headers):
            return None
        for pattern in (_UPLOAD, _CREATE, _BATCHES, _FILES):
            if match := pattern.search(path):
                return match
        return None

    def authorized(self, headers: Mapping[str, str]) -> bool:
        chunk = headers.get("x-goog-upload-command", "start") != "start"  # its upload URL is its credential
        return chunk or super().authorized(headers)

    def handle(self, call: Call) -> tuple[str, Respond]:
        match, method = call.match, call.method
        if match.re is _UPLOAD and method == "POST":
            return self._upload(match.group(1), call.headers, call.raw, call.params)
        if match.re is _CREATE and method == "POST":
            return self._create(match.group(2), call.raw)
        if match.re is _BATCHES:
            return self._batches(method, match.group(2), match.group(3), call.params)
        if match.re is _FILES and method == "GET":
            return self._file(match.group(2), match.group(3))
        return "not_found", self.wire.error(404, f"no route for {method} {match.group(0)}", {})

    # -- files ----------------------------------------------------------------------------------

    def _upload(
        self, version: str, headers: Mapping[str, str], raw: bytes, params: dict[str, str]
    ) -> tuple[str, Respond]:
        command = headers.get("x-goog-upload-command", "")
        if command == "start":
            try:
                asked = field_of(json.loads(raw or b"{}"), "file", "file") or {}
            except ValueError:
                return "bad_request", self.wire.error(400, "the body is not JSON", {})
            size = int(headers.get("x-goog-upload-header-content-length") or 0)
            mime = str(field_of(asked, "mimeType", "mime_type") or "")
            upload = _Upload(str(field_of(asked, "displayName", "display_name") or ""), mime, size)
            session = self.desk.next_id("upload")
            with self.desk.lock:
                self._uploads[session] = upload
            url = f"http://{self.desk.host(headers)}/upload/{version}/files?upload_id={session}"
            started = {"x-goog-upload-url": url, "x-goog-upload-status": "active"}
            return "upload_started", Respond(200, {}, started)
        with self.desk.lock:
            upload = self._uploads.get(params.get("upload_id", ""))
        if upload is None:
            return "not_found", self.wire.error(404, "no such upload session", {})
        if int(headers.get("x-goog-upload-offset") or 0) != len(upload.received):
            return "bad_request", self.wire.error(400, "the upload offset does not match", {})
        upload.received += raw
        if "finalize" not in command:
            return "upload_chunk", Respond(200, {}, {"x-goog-upload-status": "active"})
        file_id = self.desk.next_id("file")
        with self.desk.lock:
            del self._uploads[params["upload_id"]]
            self.desk.store_file(file_id, upload.display_name, upload.mime_type, bytes(upload.received))
        body = {"file": self._file_object(file_id)}
        return "file_uploaded", Respond(200, body, {"x-goog-upload-status": "final"})

    def _file_object(self, file_id: str) -> dict[str, Any]:
        display_name, mime_type, content = self.desk.files[file_id]
        now = stamp(time.time())
        return {
            "name": f"files/{file_id}",
            "displayName": display_name,
            "mimeType": mime_type,
            "sizeBytes": str(len(content)),
            "createTime": now,
            "updateTime": now,
            "expirationTime": stamp(time.time() + 48 * 3600),
            "uri": f"https://generativelanguage.googleapis.com/v1beta/files/{file_id}",
            "state": "ACTIVE",
            "source": "UPLOADED",
        }

    def _file(self, file_id: str, action: str | None) -> tuple[str, Respond]:
        with self.desk.lock:
            found = self.desk.files.get(file_id)
        if found is None:
            return "not_found", self.wire.error(404, f"File files/{file_id} not found.", {})
        if action == "download":
            return "file_content", Respond(200, found[2], {"content-type": "application/octet-stream"})
        return "file_retrieved", Respond(200, self._file_object(file_id), {})

    # -- batches --------------------------------------------------------------------------------

    def _create(self, model: str, raw: bytes) -> tuple[str, Respond]:
        try:
            batch = field_of(json.loads(raw or b"{}"), "batch", "batch") or {}
        except ValueError:
            return "bad_request", self.wire.error(400, "the body is not JSON", {})
        source = field_of(batch, "inputConfig", "input_config") or {}
        file_name = str(field_of(source, "fileName", "file_name") or "")
        with self.desk.lock:
            found = self.desk.files.get(file_name.removeprefix("files/"))
        if found is None:
            return "bad_request", self.wire.error(
                400, f"inputConfig.fileName {file_name!r} does not exist", {}
            )
        content = found[2]
        requests, problem = read_lines(content, _entry_of)
        if problem is None:
            problem = self.desk.over_limit(len(requests), len(content), LIMITS)
        if problem is not None:
            return "bad_request", self.wire.error(400, problem, {})
        label = str(field_of(batch, "displayName", "display_name") or "")
        wire = GeminiWire(f"/models/{model}:batchGenerateContent")
        metadata = {"displayName": label, "model": f"models/{model}"}
        made = self.desk.create(
            self.name, "gbatch", requests, wire, metadata=metadata, input_file_id=file_name
        )
        return "batch_created", Respond(200, self._operation(made), {})

    def _batches(
        self, method: str, ident: str | None, action: str | None, params: dict[str, str]
    ) -> tuple[str, Respond]:
        if ident is None and method == "GET":
            size = int(params.get("pageSize") or 50)
            listed, more = self.desk.listing(params.get("pageToken"), size, self.name)
            page: dict[str, Any] = {"operations": [self._operation(batch) for batch in listed]}
            if more and listed:
                page["nextPageToken"] = listed[-1].id
            return "batches_listed", Respond(200, page, {})
        batch = self.desk.batch(ident, self.name)
        if batch is None:
            return "not_found", self.wire.error(404, f"Batch batches/{ident} not found.", {})
        if method == "POST" and action == "cancel":
            self.desk.cancel(batch)
            return "batch_cancelled", Respond(200, {}, {})
        if method == "GET" and action is None:
            return "batch_retrieved", Respond(200, self._operation(batch), {})
        return "not_found", self.wire.error(404, f"no route for {method} batches", {})

    def _operation(self, batch: Batch) -> dict[str, Any]:
        """The batch as the API returns it: an operation whose metadata is the batch."""
        now = time.time()
        final = self.desk.finish(batch, now)
        total = len(batch.requests)
        name = f"batches/{batch.id}"
        metadata: dict[str, Any] = {
            "@type": _TYPE,
            "name": name,
            "model": batch.metadata.get("model"),
            "displayName": batch.metadata.get("displayName"),
            "inputConfig": {"fileName": batch.input_file_id},
            "createTime": stamp(batch.created),
            "updateTime": stamp(batch.ended_at or now),
        }
        operation: dict[str, Any] = {"name": name, "metadata": metadata}
        if final is None:
            done = batch.running(now)
            metadata["state"] = "BATCH_STATE_RUNNING" if done else "BATCH_STATE_PENDING"
            metadata["batchStats"] = _stats(total, done, 0)
            return operation
        failed = sum(1 for answer in final if not succeeded(answer))
        metadata["batchStats"] = _stats(total, total - failed, failed)
        metadata["state"] = (
            "BATCH_STATE_CANCELLED"
            if batch.cancelled_at
            else "BATCH_STATE_EXPIRED"
            if any(answer.outcome == "expired" for answer in final)
            else "BATCH_STATE_SUCCEEDED"
        )
        metadata["endTime"] = stamp(batch.ended_at)
        output = {"responsesFile": f"files/{batch.output_file_id}"}
        metadata["output"] = output
        operation.update(done=True, response={"@type": _OUTPUT_TYPE, **output})
        return operation

    def results(self, batch: Batch, final: list[Answer]) -> None:
        file_id = self.desk.new_file_id("batch-")
        lines = jsonl([_line(answer) for answer in final])
        self.desk.store_file(file_id, f"{batch.id}-responses", "application/jsonl", lines)
        batch.output_file_id = file_id


def _stats(total: int, succeeded_count: int, failed: int) -> dict[str, str]:
    """``batchStats`` as the API writes them (int64 counts are JSON strings)."""
    pending = total - succeeded_count - failed
    return {
        "requestCount": str(total),
        "successfulRequestCount": str(succeeded_count),
        "failedRequestCount": str(failed),
        "pendingRequestCount": str(pending),
    }


def _entry_of(entry: Any) -> tuple[str, dict[str, Any]] | str:
    if not isinstance(entry, dict) or not entry.get("key") or not isinstance(entry.get("request"), dict):
        return "needs a key and a request"
    return str(entry["key"]), entry["request"]


def _line(answer: Answer) -> dict[str, Any]:
    """One line of the responses file: the response, or a ``google.rpc.Status`` saying why there is none."""
    action = answer.action
    if succeeded(answer):
        return {"key": answer.custom_id, "response": action.body}
    if answer.outcome in _UNRUN:
        status, message = _UNRUN[answer.outcome]
    elif isinstance(action, Respond) and isinstance(action.body, dict):
        error = action.body.get("error") or {}
        status, message = str(error.get("status") or "UNKNOWN"), str(error.get("message") or "")
        status_object = error_body(action.status, message, tuple(error.get("details") or ()))["error"]
        return {"key": answer.custom_id, "error": _status(status, status_object["message"], status_object)}
    else:  # dropped or stalled: the batch says the request failed
        status, message = "INTERNAL", "An internal error has occurred while running this request."
    return {"key": answer.custom_id, "error": _status(status, message)}


def _status(status: str, message: str, error: Mapping[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"code": GRPC_CODES.get(status, 2), "message": message}
    if error and error.get("details"):
        found["details"] = error["details"]
    return found
