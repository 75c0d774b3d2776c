"""OpenAI's Files and Batches as the fake provider serves them.

A batch is made from an uploaded JSONL file of chat completion requests; it
ends ``completed`` (or ``expired`` when a request expired, ``cancelled``),
with an output file of the answered requests and an error file of the rest.
Result files are JSONL without blank lines.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

from topicgen.testing.fake_provider.batches.desk import (
    Answer,
    Batch,
    BatchApi,
    Call,
    Requests,
    jsonl,
    read_lines,
    succeeded,
)
from topicgen.testing.fake_provider.wire import OpenAIWire
from topicgen.testing.fake_provider.wire.common import Respond

LIMITS = (50_000, 200 * 1024 * 1024)
ENDPOINT = "/v1/chat/completions"
_ROUTE = re.compile(r"/v1/(files|batches)(?:/([^/?]+))?(?:/(content|cancel))?$")
_CODES = {"expired": "batch_expired", "canceled": "batch_cancelled"}


class OpenAIBatches(BatchApi):
    name = "openai"
    route_pattern = _ROUTE
    refusal = "Incorrect API key provided."
    wire_format = OpenAIWire

    def handle(self, call: Call) -> tuple[str, Respond]:
        kind, ident, action = call.match.groups()
        if kind == "files":
            return self._files(call.method, ident, action, call.headers, call.raw)
        return self._batches(call.method, ident, action, call.raw, call.params)

    # -- files ----------------------------------------------------------------------------------

    def _files(
        self, method: str, ident: str | None, action: str | None, headers: Mapping[str, str], raw: bytes
    ) -> tuple[str, Respond]:
        if method == "POST" and ident is None:
            parts = multipart(headers.get("content-type", ""), raw)
            if "file" not in parts:
                return "bad_request", self.wire.error(400, "a 'file' part is required", {})
            filename, content = parts["file"]
            purpose = parts.get("purpose", ("", b""))[1].decode()
            file_id = self.desk.next_id("file-")
            with self.desk.lock:
                self.desk.store_file(file_id, filename or "upload", purpose, content)
            return "file_uploaded", Respond(200, self._file_object(file_id), {})
        with self.desk.lock:
            found = self.desk.files.get(ident or "")
        if found is None:
            return "not_found", self.wire.error(404, f"No such File object: {ident}", {})
        if method == "GET" and action == "content":
            return "file_content", Respond(200, found[2], {"content-type": "application/octet-stream"})
        if method == "GET" and action is None:
            return "file_retrieved", Respond(200, self._file_object(ident or ""), {})
        return "not_found", self.wire.error(404, f"no route for {method} files", {})

    def _file_object(self, file_id: str) -> dict[str, Any]:
        filename, purpose, content = self.desk.files[file_id]
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }

    # -- batches --------------------------------------------------------------------------------

    def _batches(
        self, method: str, ident: str | None, action: str | None, raw: bytes, params: dict[str, str]
    ) -> tuple[str, Respond]:
        if ident is None and method == "POST":
            return self._create(raw)
        if ident is None and method == "GET":
            listed, more = self.desk.listing(params.get("after"), int(params.get("limit") or 20), self.name)
            data = [self._object(batch) for batch in listed]
            page = {"object": "list", "data": data, "has_more": more}
            page.update(first_id=data[0]["id"] if data else None, last_id=data[-1]["id"] if data else None)
            return "batches_listed", Respond(200, page, {})
        batch = self.desk.batch(ident, self.name)
        if batch is None:
            return "not_found", self.wire.error(404, f"No batch found with id '{ident}'.", {})
        if method == "POST" and action == "cancel":
            self.desk.cancel(batch)
            return "batch_cancelled", Respond(200, self._object(batch), {})
        if method == "GET" and action is None:
            return "batch_retrieved", Respond(200, self._object(batch), {})
        return "not_found", self.wire.error(404, f"no route for {method} batches", {})

    def _create(self, raw: bytes) -> tuple[str, Respond]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return "bad_request", self.wire.error(400, "the body is not JSON", {})
        file_id = str(body.get("input_file_id") or "")
        with self.desk.lock:
            found = self.desk.files.get(file_id)
        if found is None:
            return "bad_request", self.wire.error(400, f"input_file_id {file_id!r} does not exist", {})
        if body.get("completion_window") != "24h" or body.get("endpoint") != ENDPOINT:
            return "bad_request", self.wire.error(400, f"endpoint must be {ENDPOINT}, window 24h", {})
        content = found[2]
        requests, problem = _lines(content, body["endpoint"])
        if problem is None:
            problem = self.desk.over_limit(len(requests), len(content), LIMITS)
        if problem is not None:
            return "bad_request", self.wire.error(400, problem, {})
        metadata = body.get("metadata") or {}
        batch = self.desk.create(
            self.name, "batch_", requests, self.wire, metadata=metadata, input_file_id=file_id
        )
        return "batch_created", Respond(200, self._object(batch), {})

    def _object(self, batch: Batch) -> dict[str, Any]:
        now = time.time()
        final = self.desk.finish(batch, now)
        status = "cancelling" if batch.cancelled_at else "in_progress"
        total = len(batch.requests)
        if final is not None:
            failed = sum(1 for a in final if not succeeded(a))
            counts = {"total": total, "completed": total - failed, "failed": failed}
            status = (
                "cancelled"
                if batch.cancelled_at
                else "expired"
                if any(a.outcome == "expired" for a in final)
                else "completed"
            )
        else:
            counts = {"total": total, "completed": batch.running(now), "failed": 0}
        ended = int(batch.ended_at) if batch.ended_at else None
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "errors": None,
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": int(batch.created),
            "in_progress_at": int(batch.created),
            "expires_at": int(batch.created) + 86_400,
            "finalizing_at": ended,
            "completed_at": ended if status == "completed" else None,
            "failed_at": None,
            "expired_at": ended if status == "expired" else None,
            "cancelling_at": int(batch.cancelled_at) if batch.cancelled_at else None,
            "cancelled_at": ended if status == "cancelled" else None,
            "request_counts": counts,
            "metadata": batch.metadata or None,
            "model": None,
            "usage": None,
        }

    def results(self, batch: Batch, final: list[Answer]) -> None:
        good = [a for a in final if succeeded(a)]
        bad = [a for a in final if not succeeded(a)]
        batch.output_file_id = self._store_lines(batch, "output", [_line(a) for a in good])
        batch.error_file_id = self._store_lines(batch, "errors", [_line(a) for a in bad])

    def _store_lines(self, batch: Batch, kind: str, lines: list[dict[str, Any]]) -> str | None:
        if not lines:
            return None
        file_id = self.desk.new_file_id("file-")
        self.desk.store_file(file_id, f"{batch.id}_{kind}.jsonl", "batch_output", jsonl(lines))
        return file_id


def _lines(content: bytes, endpoint: str) -> tuple[Requests, str | None]:
    def entry_of(entry: Any) -> tuple[str, dict[str, Any]] | str:
        wrong = not isinstance(entry, dict) or "custom_id" not in entry
        if wrong or entry.get("method") != "POST" or entry.get("url") != endpoint:
            return f"needs custom_id, method POST and url {endpoint}"
        return str(entry["custom_id"]), entry.get("body") or {}

    return read_lines(content, entry_of)


def _line(answer: Answer) -> dict[str, Any]:
    line: dict[str, Any] = {"id": f"batch_req_{answer.custom_id}", "custom_id": answer.custom_id}
    action = answer.action
    if isinstance(action, Respond):
        request_id = f"req_{answer.custom_id}"
        response = {"status_code": action.status, "request_id": request_id, "body": action.body}
        return {**line, "response": response, "error": None}
    code = _CODES.get(answer.outcome, "request_timeout")
    message = {
        "batch_expired": "This request could not be executed before the completion window expired.",
        "batch_cancelled": "This request was not executed because the batch was cancelled.",
    }.get(code, "The underlying call to the model timed out.")
    return {**line, "response": None, "error": {"code": code, "message": message}}


def multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """The parts of a multipart/form-data body: name → (filename, content)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return {}
    delimiter = b"--" + match.group(1).encode()
    parts: dict[str, tuple[str, bytes]] = {}
    for chunk in raw.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, body = chunk.partition(b"\r\n\r\n")
        headers = head.decode("utf-8", "replace")
        name = re.search(r'name="([^"]*)"', headers)
        filename = re.search(r'filename="([^"]*)"', headers)
        if name:
            parts[name.group(1)] = (filename.group(1) if filename else "", body.removesuffix(b"\r\n"))
    return parts
