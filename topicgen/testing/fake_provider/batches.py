"""The batch APIs as the fake provider serves them: OpenAI Files + Batches, Anthropic Message Batches.

A batch is answered request by request exactly as the live endpoints would
answer (same pages, scripts and faults, see ``FakeProvider.answer``), in a
background thread, and ends ``batch_delay`` seconds after it was created (or
when its answers are ready, if that takes longer). Meanwhile its request
counts grow with the time elapsed. Cancelling keeps the answers of the
requests "already run" by then and cancels the rest; a ``BatchFault``
scripted for a topic expires or cancels that request (an OpenAI batch with
an expired request ends ``expired``). Over ``batch_max_requests`` or
``batch_max_bytes`` a batch is refused with HTTP 400, as the real APIs refuse
oversized input. Result files are JSONL without blank lines.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from topicgen.testing.fake_provider.wire import AnthropicWire, Drop, OpenAIWire, Respond, Stall

if TYPE_CHECKING:
    from topicgen.testing.fake_provider.server import FakeProvider

OPENAI_LIMITS = (50_000, 200 * 1024 * 1024)
ANTHROPIC_LIMITS = (100_000, 256 * 1024 * 1024)
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_OPENAI_ROUTE = re.compile(r"/v1/(files|batches)(?:/([^/?]+))?(?:/(content|cancel))?$")
_ANTHROPIC_ROUTE = re.compile(r"/v1/messages/batches(?:/([^/?]+))?(?:/(cancel|results))?$")


@dataclass
class _Answer:
    custom_id: str
    outcome: str  # "ok", a fault's value, "expired", "canceled", ...
    action: Any  # Respond, Drop or Stall; None for a batch fault


@dataclass
class _Batch:
    id: str
    api: str  # "openai" or "anthropic"
    requests: list[tuple[str, dict[str, Any]]]
    created: float
    delay: float
    metadata: dict[str, Any] = field(default_factory=dict)
    input_file_id: str | None = None
    endpoint: str = "/v1/chat/completions"
    answers: list[_Answer] = field(default_factory=list)
    computed: threading.Event = field(default_factory=threading.Event)
    cancelled_at: float | None = None
    ended_at: float | None = None
    final: list[_Answer] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results: bytes = b""

    def running(self, now: float) -> int:
        """How many requests count as done by ``now`` (they grow with the time elapsed)."""
        share = 1.0 if self.delay <= 0 else min(1.0, (now - self.created) / self.delay)
        return min(len(self.answers), int(len(self.requests) * share))


def _stamp(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class BatchDesk:
    """Serves the batch routes of both providers for one ``FakeProvider``."""

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider
        self._lock = threading.Lock()
        self._files: dict[str, tuple[str, str, bytes]] = {}  # id → (filename, purpose, content)
        self._batches: dict[str, _Batch] = {}
        self._serial = 0

    # -- routing --------------------------------------------------------------------------------

    def serve(self, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> Respond:
        """Answer one request on a batch route, counted in the provider's stats like any other."""
        index = self.provider._enter()
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            outcome, response = self.handle(index, method, path, lowered, raw)
        except Exception as error:  # a bug in the fake must show up as a 500, not a hung client
            problem = {"error": {"message": f"fake provider bug: {error!r}"}}
            outcome, response = "bug", Respond(500, problem, {})
        api = "anthropic" if "/messages/batches" in path else "openai"
        self.provider._record(index, api, path.split("?", 1)[0], "", outcome, {}, outcome != "unauthorized")
        return response

    def routes(self, path: str) -> bool:
        bare = path.split("?", 1)[0]
        return bool(_ANTHROPIC_ROUTE.search(bare) or _OPENAI_ROUTE.search(bare))

    def handle(
        self, index: int, method: str, path: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[str, Respond]:
        """(outcome for the stats, response) for one request on a batch route."""
        bare, _, query = path.partition("?")
        params = {key: values[-1] for key, values in parse_qs(query).items()}
        if match := _ANTHROPIC_ROUTE.search(bare):
            wire: OpenAIWire | AnthropicWire = AnthropicWire()
            if not self._authorized(wire, headers):
                return "unauthorized", wire.error(401, "invalid x-api-key", {})
            host = headers.get("host", f"127.0.0.1:{self.provider.port}")
            return self._anthropic(method, match.group(1), match.group(2), raw, params, host)
        match = _OPENAI_ROUTE.search(bare)
        assert match is not None
        wire = OpenAIWire()
        if not self._authorized(wire, headers):
            return "unauthorized", wire.error(401, "Incorrect API key provided.", {})
        kind, ident, action = match.groups()
        if kind == "files":
            return self._openai_files(method, ident, action, headers, raw)
        return self._openai_batches(method, ident, action, raw, params)

    def _authorized(self, wire: OpenAIWire | AnthropicWire, headers: Mapping[str, str]) -> bool:
        return self.provider.api_key is None or wire.api_key(headers) == self.provider.api_key

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._serial += 1
            return f"{prefix}{self._serial:06d}fake"

    # -- OpenAI ---------------------------------------------------------------------------------

    def _openai_files(
        self, method: str, ident: str | None, action: str | None, headers: Mapping[str, str], raw: bytes
    ) -> tuple[str, Respond]:
        wire = OpenAIWire()
        if method == "POST" and ident is None:
            parts = _multipart(headers.get("content-type", ""), raw)
            if "file" not in parts:
                return "bad_request", wire.error(400, "a 'file' part is required", {})
            filename, content = parts["file"]
            purpose = parts.get("purpose", ("", b""))[1].decode()
            file_id = self._next_id("file-")
            with self._lock:
                self._files[file_id] = (filename or "upload", purpose, content)
            return "file_uploaded", Respond(200, self._file_object(file_id), {})
        with self._lock:
            found = self._files.get(ident or "")
        if found is None:
            return "not_found", wire.error(404, f"No such File object: {ident}", {})
        if method == "GET" and action == "content":
            return "file_content", Respond(200, found[2], {"content-type": "application/octet-stream"})
        if method == "GET" and action is None:
            return "file_retrieved", Respond(200, self._file_object(ident or ""), {})
        return "not_found", wire.error(404, f"no route for {method} files", {})

    def _file_object(self, file_id: str) -> dict[str, Any]:
        filename, purpose, content = self._files[file_id]
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

    def _openai_batches(
        self, method: str, ident: str | None, action: str | None, raw: bytes, params: dict[str, str]
    ) -> tuple[str, Respond]:
        wire = OpenAIWire()
        if ident is None and method == "POST":
            return self._openai_create(raw)
        if ident is None and method == "GET":
            listed = self._listing(params.get("after"), int(params.get("limit") or 20), "openai")
            data = [self._openai_object(batch) for batch in listed[0]]
            page = {"object": "list", "data": data, "has_more": listed[1]}
            page.update(first_id=data[0]["id"] if data else None, last_id=data[-1]["id"] if data else None)
            return "batches_listed", Respond(200, page, {})
        batch = self._batch(ident, "openai")
        if batch is None:
            return "not_found", wire.error(404, f"No batch found with id '{ident}'.", {})
        if method == "POST" and action == "cancel":
            self._cancel(batch)
            return "batch_cancelled", Respond(200, self._openai_object(batch), {})
        if method == "GET" and action is None:
            return "batch_retrieved", Respond(200, self._openai_object(batch), {})
        return "not_found", wire.error(404, f"no route for {method} batches", {})

    def _openai_create(self, raw: bytes) -> tuple[str, Respond]:
        wire = OpenAIWire()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return "bad_request", wire.error(400, "the body is not JSON", {})
        file_id = str(body.get("input_file_id") or "")
        with self._lock:
            found = self._files.get(file_id)
        if found is None:
            return "bad_request", wire.error(400, f"input_file_id {file_id!r} does not exist", {})
        if body.get("completion_window") != "24h" or body.get("endpoint") != "/v1/chat/completions":
            return "bad_request", wire.error(400, "endpoint must be /v1/chat/completions, window 24h", {})
        content = found[2]
        requests, problem = _openai_lines(content, body["endpoint"])
        if problem is None:
            problem = self._over_limit(len(requests), len(content), OPENAI_LIMITS)
        if problem is not None:
            return "bad_request", wire.error(400, problem, {})
        batch = self._create("openai", requests, metadata=body.get("metadata") or {}, input_file_id=file_id)
        return "batch_created", Respond(200, self._openai_object(batch), {})

    def _openai_object(self, batch: _Batch) -> dict[str, Any]:
        now = time.time()
        final = self._finish(batch, now)
        status = "cancelling" if batch.cancelled_at else "in_progress"
        total = len(batch.requests)
        if final is not None:
            failed = sum(1 for a in final if not _succeeded(a))
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

    # -- Anthropic ------------------------------------------------------------------------------

    def _anthropic(
        self,
        method: str,
        ident: str | None,
        action: str | None,
        raw: bytes,
        params: dict[str, str],
        host: str,
    ) -> tuple[str, Respond]:
        wire = AnthropicWire()
        if ident is None and method == "POST":
            return self._anthropic_create(raw, host)
        if ident is None and method == "GET":
            listed, more = self._listing(params.get("after_id"), int(params.get("limit") or 20), "anthropic")
            data = [self._anthropic_object(batch, host) for batch in listed]
            page = {
                "data": data,
                "has_more": more,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
            return "batches_listed", Respond(200, page, {})
        batch = self._batch(ident, "anthropic")
        if batch is None:
            return "not_found", wire.error(404, f"batch {ident} not found", {})
        if method == "POST" and action == "cancel":
            self._cancel(batch)
            return "batch_cancelled", Respond(200, self._anthropic_object(batch, host), {})
        if method == "GET" and action == "results":
            if self._finish(batch, time.time()) is None:
                return "bad_request", wire.error(400, f"batch {ident} has not ended", {})
            return "batch_results", Respond(200, batch.results, {"content-type": "application/binary"})
        if method == "GET" and action is None:
            return "batch_retrieved", Respond(200, self._anthropic_object(batch, host), {})
        return "not_found", wire.error(404, f"no route for {method} message batches", {})

    def _anthropic_create(self, raw: bytes, host: str) -> tuple[str, Respond]:
        wire = AnthropicWire()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return "bad_request", wire.error(400, "the body is not JSON", {})
        entries = body.get("requests")
        if not isinstance(entries, list) or not entries:
            return "bad_request", wire.error(400, "requests: at least one request is required", {})
        requests: list[tuple[str, dict[str, Any]]] = []
        for n, entry in enumerate(entries):
            custom_id = str(entry.get("custom_id") or "") if isinstance(entry, dict) else ""
            params = entry.get("params") if isinstance(entry, dict) else None
            if not CUSTOM_ID.match(custom_id) or not isinstance(params, dict):
                return "bad_request", wire.error(400, f"requests.{n}: custom_id and params are required", {})
            requests.append((custom_id, params))
        problem = _duplicate(requests) or self._over_limit(len(requests), len(raw), ANTHROPIC_LIMITS)
        if problem is not None:
            return "bad_request", wire.error(400, problem, {})
        batch = self._create("anthropic", requests)
        return "batch_created", Respond(200, self._anthropic_object(batch, host), {})

    def _anthropic_object(self, batch: _Batch, host: str) -> dict[str, Any]:
        now = time.time()
        final = self._finish(batch, now)
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        if final is None:
            counts["processing"] = len(batch.requests)
            status = "canceling" if batch.cancelled_at else "in_progress"
        else:
            status = "ended"
            for answer in final:
                counts[_anthropic_kind(answer)] += 1
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "ended_at": _stamp(batch.ended_at),
            "created_at": _stamp(batch.created),
            "expires_at": _stamp(batch.created + 86_400),
            "archived_at": None,
            "cancel_initiated_at": _stamp(batch.cancelled_at),
            "results_url": f"http://{host}/v1/messages/batches/{batch.id}/results" if final else None,
        }

    # -- both -----------------------------------------------------------------------------------

    def _over_limit(self, count: int, size: int, limits: tuple[int, int]) -> str | None:
        max_requests = min(limits[0], self.provider.batch_max_requests or limits[0])
        max_bytes = min(limits[1], self.provider.batch_max_bytes or limits[1])
        if count > max_requests:
            return f"a batch holds at most {max_requests} requests (got {count})"
        if size > max_bytes:
            return f"a batch holds at most {max_bytes} bytes (got {size})"
        return None

    def _create(self, api: str, requests: list[tuple[str, dict[str, Any]]], **extra: Any) -> _Batch:
        prefix = "batch_" if api == "openai" else "msgbatch_"
        batch = _Batch(self._next_id(prefix), api, requests, time.time(), self.provider.batch_delay, **extra)
        with self._lock:
            self._batches[batch.id] = batch
        threading.Thread(target=self._compute, args=(batch,), daemon=True).start()
        return batch

    def _compute(self, batch: _Batch) -> None:
        for custom_id, body in batch.requests:
            outcome, action = self.provider.answer(0, batch.api, body)
            batch.answers.append(_Answer(custom_id, outcome, action))
        batch.computed.set()

    def _batch(self, ident: str | None, api: str) -> _Batch | None:
        with self._lock:
            batch = self._batches.get(ident or "")
        return batch if batch is not None and batch.api == api else None

    def _listing(self, after: str | None, limit: int, api: str) -> tuple[list[_Batch], bool]:
        with self._lock:
            newest_first = [b for b in reversed(self._batches.values()) if b.api == api]
        if after:
            ids = [b.id for b in newest_first]
            newest_first = newest_first[ids.index(after) + 1 :] if after in ids else []
        return newest_first[:limit], len(newest_first) > limit

    def _cancel(self, batch: _Batch) -> None:
        with self._lock:
            if batch.final is None and batch.cancelled_at is None:
                batch.cancelled_at = time.time()

    def _finish(self, batch: _Batch, now: float) -> list[_Answer] | None:
        """The batch's final answers once it has ended (building its result files once), else None."""
        with self._lock:
            if batch.final is not None:
                return batch.final
            if not batch.computed.is_set():
                return None
            if batch.cancelled_at is None and now < batch.created + batch.delay:
                return None
            ran = batch.running(batch.cancelled_at) if batch.cancelled_at else len(batch.requests)
            final = [
                answer if n < ran else _Answer(answer.custom_id, "canceled", None)
                for n, answer in enumerate(batch.answers)
            ]
            batch.ended_at = now
            if batch.api == "openai":
                good = [a for a in final if _succeeded(a)]
                bad = [a for a in final if not _succeeded(a)]
                batch.output_file_id = self._store_lines(batch, "output", [_openai_line(a) for a in good])
                batch.error_file_id = self._store_lines(batch, "errors", [_openai_line(a) for a in bad])
            else:
                batch.results = _jsonl([_anthropic_line(a) for a in final])
            batch.final = final
            return final

    def _store_lines(self, batch: _Batch, kind: str, lines: list[dict[str, Any]]) -> str | None:
        if not lines:
            return None
        self._serial += 1
        file_id = f"file-{self._serial:06d}fake"
        self._files[file_id] = (f"{batch.id}_{kind}.jsonl", "batch_output", _jsonl(lines))
        return file_id

    def summary(self) -> list[dict[str, Any]]:
        """One entry per batch created: id, api, request count, whether it was cancelled."""
        with self._lock:
            batches = list(self._batches.values())
        return [
            {"id": b.id, "api": b.api, "requests": len(b.requests), "cancelled": b.cancelled_at is not None}
            for b in batches
        ]


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


def _succeeded(answer: _Answer) -> bool:
    return isinstance(answer.action, Respond) and answer.action.status == 200


def _duplicate(requests: list[tuple[str, dict[str, Any]]]) -> str | None:
    seen: set[str] = set()
    for custom_id, _ in requests:
        if custom_id in seen:
            return f"custom_id {custom_id!r} is used twice"
        seen.add(custom_id)
    return None


def _openai_lines(content: bytes, endpoint: str) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    requests = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            return [], f"line {number}: not JSON"
        if entry.get("method") != "POST" or entry.get("url") != endpoint or "custom_id" not in entry:
            return [], f"line {number}: needs custom_id, method POST and url {endpoint}"
        requests.append((str(entry["custom_id"]), entry.get("body") or {}))
    return requests, _duplicate(requests) if requests else "the input file holds no requests"


_OPENAI_CODES = {"expired": "batch_expired", "canceled": "batch_cancelled"}


def _openai_line(answer: _Answer) -> dict[str, Any]:
    line: dict[str, Any] = {"id": f"batch_req_{answer.custom_id}", "custom_id": answer.custom_id}
    action = answer.action
    if isinstance(action, Respond):
        request_id = f"req_{answer.custom_id}"
        response = {"status_code": action.status, "request_id": request_id, "body": action.body}
        return {**line, "response": response, "error": None}
    code = _OPENAI_CODES.get(answer.outcome, "request_timeout")
    message = {
        "batch_expired": "This request could not be executed before the completion window expired.",
        "batch_cancelled": "This request was not executed because the batch was cancelled.",
    }.get(code, "The underlying call to the model timed out.")
    return {**line, "response": None, "error": {"code": code, "message": message}}


def _anthropic_kind(answer: _Answer) -> str:
    if _succeeded(answer):
        return "succeeded"
    if answer.outcome in ("expired", "canceled"):
        return answer.outcome
    return "errored"


def _anthropic_line(answer: _Answer) -> dict[str, Any]:
    kind = _anthropic_kind(answer)
    action = answer.action
    if kind == "succeeded":
        result: dict[str, Any] = {"type": kind, "message": action.body}
    elif kind == "errored":
        if isinstance(action, (Drop, Stall)) or not isinstance(action, Respond):
            error = {"type": "error", "error": {"type": "api_error", "message": "the request timed out"}}
        else:
            error = action.body
        result = {"type": kind, "error": error}
    else:
        result = {"type": kind}
    return {"custom_id": answer.custom_id, "result": result}


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
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
