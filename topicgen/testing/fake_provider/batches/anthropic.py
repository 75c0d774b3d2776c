"""Anthropic's Message Batches as the fake provider serves them.

The requests come in one call; the batch ends ``ended`` with a results body
of one line per request (succeeded, errored, canceled or expired), served at
its ``results_url``.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from topicgen.testing.fake_provider.batches.desk import (
    CUSTOM_ID,
    Answer,
    Batch,
    BatchApi,
    Call,
    duplicate,
    jsonl,
    stamp,
    succeeded,
)
from topicgen.testing.fake_provider.wire import AnthropicWire
from topicgen.testing.fake_provider.wire.common import Respond

LIMITS = (100_000, 256 * 1024 * 1024)
_ROUTE = re.compile(r"/v1/messages/batches(?:/([^/?]+))?(?:/(cancel|results))?$")


class AnthropicBatches(BatchApi):
    name = "anthropic"
    route_pattern = _ROUTE
    refusal = "invalid x-api-key"
    wire_format = AnthropicWire

    def handle(self, call: Call) -> tuple[str, Respond]:
        method, raw, params = call.method, call.raw, call.params
        ident, action = call.match.groups()
        host = self.desk.host(call.headers)
        if ident is None and method == "POST":
            return self._create(raw, host)
        if ident is None and method == "GET":
            listed, more = self.desk.listing(
                params.get("after_id"), int(params.get("limit") or 20), self.name
            )
            data = [self._object(batch, host) for batch in listed]
            page = {
                "data": data,
                "has_more": more,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
            return "batches_listed", Respond(200, page, {})
        batch = self.desk.batch(ident, self.name)
        if batch is None:
            return "not_found", self.wire.error(404, f"batch {ident} not found", {})
        if method == "POST" and action == "cancel":
            self.desk.cancel(batch)
            return "batch_cancelled", Respond(200, self._object(batch, host), {})
        if method == "GET" and action == "results":
            if self.desk.finish(batch, time.time()) is None:
                return "bad_request", self.wire.error(400, f"batch {ident} has not ended", {})
            return "batch_results", Respond(200, batch.results, {"content-type": "application/binary"})
        if method == "GET" and action is None:
            return "batch_retrieved", Respond(200, self._object(batch, host), {})
        return "not_found", self.wire.error(404, f"no route for {method} message batches", {})

    def _create(self, raw: bytes, host: str) -> tuple[str, Respond]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return "bad_request", self.wire.error(400, "the body is not JSON", {})
        entries = body.get("requests")
        if not isinstance(entries, list) or not entries:
            return "bad_request", self.wire.error(400, "requests: at least one request is required", {})
        requests: list[tuple[str, dict[str, Any]]] = []
        for n, entry in enumerate(entries):
            custom_id = str(entry.get("custom_id") or "") if isinstance(entry, dict) else ""
            params = entry.get("params") if isinstance(entry, dict) else None
            if not CUSTOM_ID.match(custom_id) or not isinstance(params, dict):
                problem = f"requests.{n}: custom_id and params are required"
                return "bad_request", self.wire.error(400, problem, {})
            requests.append((custom_id, params))
        problem = duplicate(requests) or self.desk.over_limit(len(requests), len(raw), LIMITS)
        if problem is not None:
            return "bad_request", self.wire.error(400, problem, {})
        batch = self.desk.create(self.name, "msgbatch_", requests, self.wire)
        return "batch_created", Respond(200, self._object(batch, host), {})

    def _object(self, batch: Batch, host: str) -> dict[str, Any]:
        now = time.time()
        final = self.desk.finish(batch, now)
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        if final is None:
            counts["processing"] = len(batch.requests)
            status = "canceling" if batch.cancelled_at else "in_progress"
        else:
            status = "ended"
            for answer in final:
                counts[_kind(answer)] += 1
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "ended_at": stamp(batch.ended_at),
            "created_at": stamp(batch.created),
            "expires_at": stamp(batch.created + 86_400),
            "archived_at": None,
            "cancel_initiated_at": stamp(batch.cancelled_at),
            "results_url": f"http://{host}/v1/messages/batches/{batch.id}/results" if final else None,
        }

    def results(self, batch: Batch, final: list[Answer]) -> None:
        batch.results = jsonl([_line(a) for a in final])


def _kind(answer: Answer) -> str:
    if succeeded(answer):
        return "succeeded"
    if answer.outcome in ("expired", "canceled"):
        return answer.outcome
    return "errored"


def _line(answer: Answer) -> dict[str, Any]:
    kind = _kind(answer)
    action = answer.action
    if kind == "succeeded":
        result: dict[str, Any] = {"type": kind, "message": action.body}
    elif kind == "errored":
        if not isinstance(action, Respond):  # dropped or stalled: the batch says it timed out
            error = {"type": "error", "error": {"type": "api_error", "message": "the request timed out"}}
        else:
            error = action.body
        result = {"type": kind, "error": error}
    else:
        result = {"type": kind}
    return {"custom_id": answer.custom_id, "result": result}
