"""The batch desk: what every batch API the fake provider serves shares.

A batch is answered request by request exactly as the live endpoints would
answer (same pages, scripts and faults, see ``FakeProvider.answer``), in a
background thread, and ends ``batch_delay`` seconds after it was created (or
when its answers are ready, if that takes longer). Meanwhile its request
counts grow with the time elapsed. Cancelling keeps the answers of the
requests "already run" by then and cancels the rest. Over
``batch_max_requests`` or ``batch_max_bytes`` a batch is refused, as the real
APIs refuse oversized input.

Each API (``openai``, ``anthropic``, ``gemini``) is a ``BatchApi``: its routes,
its objects and its results files. The desk knows them only through that
base class and the server only through ``Provider``, so the modules import one
way: wire formats, then this desk, then the APIs, then the server.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

from topicgen.testing.fake_provider.wire import Wire
from topicgen.testing.fake_provider.wire.common import Action, Respond

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass
class Answer:
    custom_id: str
    outcome: str  # "ok", a fault's value, "expired", "canceled", ...
    action: Any  # Respond, Drop or Stall; None for a batch fault


@dataclass
class Batch:
    id: str
    api: str  # the BatchApi that made it
    requests: list[tuple[str, dict[str, Any]]]
    created: float
    delay: float
    wire: Wire  # what answers its requests (the live endpoint's format)
    metadata: dict[str, Any] = field(default_factory=dict)
    input_file_id: str | None = None
    endpoint: str = "/v1/chat/completions"
    answers: list[Answer] = field(default_factory=list)
    computed: threading.Event = field(default_factory=threading.Event)
    cancelled_at: float | None = None
    ended_at: float | None = None
    final: list[Answer] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results: bytes = b""

    def running(self, now: float) -> int:
        """How many requests count as done by ``now`` (they grow with the time elapsed)."""
        share = 1.0 if self.delay <= 0 else min(1.0, (now - self.created) / self.delay)
        return min(len(self.answers), int(len(self.requests) * share))


class Provider(Protocol):
    """What the desk needs of the server: its settings, its counters, and a live answer."""

    api_key: str | None
    batch_delay: float
    batch_max_requests: int | None
    batch_max_bytes: int | None

    @property
    def port(self) -> int: ...

    def _enter(self) -> int: ...

    def _leave(self) -> None: ...

    def _record(
        self, index: int, provider: str, path: str, topic: str, outcome: str, body: Any, authorized: bool
    ) -> None: ...

    def answer(self, index: int, wire: Wire, body: dict[str, Any]) -> tuple[str, Action | None]: ...


@dataclass(frozen=True)
class Call:
    """One request on a batch route: method, the route's match, headers (lower-cased), body, query."""

    method: str
    match: re.Match[str]
    headers: Mapping[str, str]
    raw: bytes
    params: dict[str, str]


class BatchApi:
    """One provider's batch API on the desk: its routes, the key it reads, its objects and results."""

    name = ""
    route_pattern: re.Pattern[str]
    refusal = "invalid API key"  # what a request with a wrong key is told
    wire_format: Callable[[], Wire]  # the live endpoint's wire format, which answers the batch's requests

    def __init__(self, desk: BatchDesk) -> None:
        self.desk = desk
        self.wire = self.wire_format()

    def route(self, path: str, headers: Mapping[str, str]) -> re.Match[str] | None:
        """The route's match when the request is on one of this API's routes, else None."""
        return self.route_pattern.search(path)

    def authorized(self, headers: Mapping[str, str]) -> bool:
        return self.desk.key_matches(self.wire.api_key(headers))

    def unauthorized(self) -> Respond:
        return self.wire.error(401, self.refusal, {})

    def handle(self, call: Call) -> tuple[str, Respond]:
        """(outcome for the stats, response) for one request on this API's routes."""
        raise NotImplementedError

    def results(self, batch: Batch, final: list[Answer]) -> None:
        """Make the results of an ended batch (files, a results body) from its final answers."""
        raise NotImplementedError


def stamp(moment: float | None) -> str | None:
    """An RFC 3339 UTC time with microseconds, as Anthropic and Google write them."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


def succeeded(answer: Answer) -> bool:
    return isinstance(answer.action, Respond) and answer.action.status == 200


Requests = list[tuple[str, dict[str, Any]]]  # (custom id, request body), in the order given


def read_lines(
    content: bytes, entry_of: Callable[[Any], tuple[str, dict[str, Any]] | str]
) -> tuple[Requests, str | None]:
    """The requests of a JSONL input file (``entry_of`` reads a line's object, or says what it lacks),
    or why the file is refused: a line that is not JSON, a wrong line, a repeated id, no line at all."""
    requests: Requests = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = entry_of(json.loads(line))
        except ValueError:
            return [], f"line {number}: not JSON"
        if isinstance(entry, str):
            return [], f"line {number}: {entry}"
        requests.append(entry)
    return requests, duplicate(requests) if requests else "the input file holds no requests"


def duplicate(requests: list[tuple[str, dict[str, Any]]]) -> str | None:
    seen: set[str] = set()
    for custom_id, _ in requests:
        if custom_id in seen:
            return f"custom_id {custom_id!r} is used twice"
        seen.add(custom_id)
    return None


class BatchDesk:
    """Serves the batch routes of every API it is given, for one ``Provider``."""

    def __init__(self, provider: Provider, apis: Iterable[Callable[[BatchDesk], BatchApi]]) -> None:
        self.provider = provider
        self.lock = threading.Lock()
        self.files: dict[str, tuple[str, str, bytes]] = {}  # id → (filename, purpose, content)
        self._batches: dict[str, Batch] = {}
        self._serial = 0
        self._apis = [make(self) for make in apis]

    # -- routing --------------------------------------------------------------------------------

    def _api_for(self, path: str, headers: Mapping[str, str]) -> tuple[BatchApi, re.Match[str]] | None:
        bare = path.split("?", 1)[0]
        lowered = {k.lower(): v for k, v in headers.items()}
        for api in self._apis:
            if (match := api.route(bare, lowered)) is not None:
                return api, match
        return None

    def routes(self, path: str, headers: Mapping[str, str]) -> bool:
        return self._api_for(path, headers) is not None

    def serve(self, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> Respond:
        """Answer one request on a batch route, counted in the provider's stats like any other."""
        index = self.provider._enter()
        lowered = {k.lower(): v for k, v in headers.items()}
        found = self._api_for(path, lowered)
        api = found[0].name if found else "unknown"
        try:
            outcome, response = self.handle(method, path, lowered, raw)
        except Exception as error:  # a bug in the fake must show up as a 500, not a hung client
            problem = {"error": {"message": f"fake provider bug: {error!r}"}}
            outcome, response = "bug", Respond(500, problem, {})
        self.provider._record(index, api, path.split("?", 1)[0], "", outcome, {}, outcome != "unauthorized")
        return response

    def handle(self, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> tuple[str, Respond]:
        """(outcome for the stats, response) for one request on a batch route."""
        found = self._api_for(path, headers)
        if found is None:
            return "not_found", Respond(404, {"error": {"message": f"no route for {path}"}}, {})
        api, match = found
        if not api.authorized(headers):
            return "unauthorized", api.unauthorized()
        query = path.partition("?")[2]
        params = {key: values[-1] for key, values in parse_qs(query).items()}
        return api.handle(Call(method, match, headers, raw, params))

    def key_matches(self, presented: str) -> bool:
        return self.provider.api_key is None or presented == self.provider.api_key

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self._serial += 1
            return f"{prefix}{self._serial:06d}fake"

    def host(self, headers: Mapping[str, str]) -> str:
        return headers.get("host", f"127.0.0.1:{self.provider.port}")

    # -- batches --------------------------------------------------------------------------------

    def over_limit(self, count: int, size: int, limits: tuple[int, int]) -> str | None:
        max_requests = min(limits[0], self.provider.batch_max_requests or limits[0])
        max_bytes = min(limits[1], self.provider.batch_max_bytes or limits[1])
        if count > max_requests:
            return f"a batch holds at most {max_requests} requests (got {count})"
        if size > max_bytes:
            return f"a batch holds at most {max_bytes} bytes (got {size})"
        return None

    def create(
        self, api: str, prefix: str, requests: list[tuple[str, dict[str, Any]]], wire: Wire, **extra: Any
    ) -> Batch:
        """A new batch of ``requests``, answered by ``wire`` in a background thread."""
        batch = Batch(
            self.next_id(prefix), api, requests, time.time(), self.provider.batch_delay, wire, **extra
        )
        with self.lock:
            self._batches[batch.id] = batch
        threading.Thread(target=self._compute, args=(batch,), daemon=True).start()
        return batch

    def _compute(self, batch: Batch) -> None:
        for custom_id, body in batch.requests:
            outcome, action = self.provider.answer(0, batch.wire, body)
            batch.answers.append(Answer(custom_id, outcome, action))
        batch.computed.set()

    def batch(self, ident: str | None, api: str) -> Batch | None:
        with self.lock:
            batch = self._batches.get(ident or "")
        return batch if batch is not None and batch.api == api else None

    def listing(self, after: str | None, limit: int, api: str) -> tuple[list[Batch], bool]:
        """A page of ``api``'s batches, newest first, after the one with id ``after``; whether more follow."""
        with self.lock:
            newest_first = [b for b in reversed(self._batches.values()) if b.api == api]
        if after:
            ids = [b.id for b in newest_first]
            newest_first = newest_first[ids.index(after) + 1 :] if after in ids else []
        return newest_first[:limit], len(newest_first) > limit

    def cancel(self, batch: Batch) -> None:
        with self.lock:
            if batch.final is None and batch.cancelled_at is None:
                batch.cancelled_at = time.time()

    def finish(self, batch: Batch, now: float) -> list[Answer] | None:
        """The batch's final answers once it has ended (building its results once), else None."""
        with self.lock:
            if batch.final is not None:
                return batch.final
            if not batch.computed.is_set():
                return None
            if batch.cancelled_at is None and now < batch.created + batch.delay:
                return None
            ran = batch.running(batch.cancelled_at) if batch.cancelled_at else len(batch.requests)
            final = [
                answer if n < ran else Answer(answer.custom_id, "canceled", None)
                for n, answer in enumerate(batch.answers)
            ]
            batch.ended_at = now
            next(api for api in self._apis if api.name == batch.api).results(batch, final)
            batch.final = final
            return final

    def store_file(self, file_id: str, filename: str, purpose: str, content: bytes) -> None:
        """Keep a file (call under ``lock`` when the caller holds it, as ``results`` does)."""
        self.files[file_id] = (filename, purpose, content)

    def new_file_id(self, prefix: str) -> str:
        """A file id, for use under ``lock`` (``next_id`` takes the lock itself)."""
        self._serial += 1
        return f"{prefix}{self._serial:06d}fake"

    def summary(self) -> list[dict[str, Any]]:
        """One entry per batch created: id, api, request count, whether it was cancelled."""
        with self.lock:
            batches = list(self._batches.values())
        return [
            {"id": b.id, "api": b.api, "requests": len(b.requests), "cancelled": b.cancelled_at is not None}
            for b in batches
        ]
