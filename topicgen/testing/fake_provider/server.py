"""The fake provider itself: a loopback HTTP server with scripted faults, limits and counters."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import random
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

from topicgen.testing.fake_provider.batches import batch_desk
from topicgen.testing.fake_provider.drift import break_section, drift_reply
from topicgen.testing.fake_provider.limits import Bucket
from topicgen.testing.fake_provider.pages import page_for_schema, set_path, token_count, topic_of, violate
from topicgen.testing.fake_provider.script import (
    REFUSAL_TEXT,
    BatchFault,
    Fault,
    HttpError,
    Reply,
    RequestRecord,
    ScriptItem,
    Stats,
)
from topicgen.testing.fake_provider.wire import Wire, wire_for
from topicgen.testing.fake_provider.wire.common import (
    FAULT_MESSAGES,
    Action,
    Drop,
    Respond,
    Served,
    Serving,
    Stall,
    WireUsage,
)
from topicgen.testing.loopback import LoopbackServer, QuietServer, hung_up


class FakeProvider(LoopbackServer):
    """The fake provider server. Settings may be changed at any time with ``configure``."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        rpm: int | None = None,
        tpm: int | None = None,
        burst_seconds: float = 1.0,
        fault_rate: float = 0.0,
        faults: Iterable[Fault] = tuple(Fault),
        seed: int = 0,
        stall_seconds: float = 30.0,
        fault_retry_after: float = 1.0,
        api_key: str | None = None,
        structured_outputs: bool = True,
        json_schema: bool = True,
        words: int = 6,
        record_requests: bool = True,
        cache_min_tokens: int = 0,
        batch_delay: float = 0.5,
        batch_max_requests: int | None = None,
        batch_max_bytes: int | None = None,
        drift_rate: float = 0.0,
        wrong_section_rate: float = 0.0,
        port: int = 0,
        on_page: Callable[[Any], None] | None = None,
        missing_models: Iterable[str] = (),
    ) -> None:
        self.bind_port = port
        self.on_page = on_page  # called with each page (or sections) it makes up, e.g. to teach a catalog
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._random = random.Random(seed)
        self._script: deque[ScriptItem] = deque()
        self._topic_scripts: dict[str, deque[ScriptItem]] = {}
        self._seen_prefixes: set[str] = set()
        self._pages: dict[tuple[str, str], Any] = {}
        self._buckets: dict[str, Bucket] = {}
        self.latency = latency
        self.jitter = jitter
        self.burst_seconds = burst_seconds
        self.fault_rate = fault_rate
        self.faults = tuple(faults)
        self.stall_seconds = stall_seconds
        self.fault_retry_after = fault_retry_after
        self.api_key = api_key
        self.structured_outputs = structured_outputs
        self.json_schema = json_schema
        self.words = words
        self.record_requests = record_requests
        self.cache_min_tokens = cache_min_tokens  # a shorter marked prefix is not cached (as Anthropic's)
        self.batch_delay = batch_delay
        self.batch_max_requests = batch_max_requests
        self.batch_max_bytes = batch_max_bytes
        self.batch_desk = batch_desk(self)
        self.drift_rate = drift_rate  # share of generated replies that drift as real ones do
        self.wrong_section_rate = wrong_section_rate  # share of replies with one section emptied
        self.missing_models = frozenset(missing_models)  # answered with the provider's "model not found"
        self.seed = seed
        self._replies_seen: Counter[tuple[str, str]] = Counter()
        self.rpm: int | None = None
        self.tpm: int | None = None
        self.configure(rpm=rpm, tpm=tpm)
        self.reset_stats()

    # -- lifecycle: start, stop, port and url come from LoopbackServer ----------------------

    def _make_server(self) -> _Server:
        return _Server(self.bind_address, _Handler, self)

    @property
    def openai_base_url(self) -> str:
        """The OpenAI-style base URL (with ``/v1``), e.g. for OPENAI_BASE_URL."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """The bare address, for ANTHROPIC_BASE_URL, OLLAMA_BASE_URL (the native API is at ``/api/chat``)
        and GOOGLE_GEMINI_BASE_URL (the SDK adds ``/v1beta/models/...``)."""
        return self.url

    ollama_base_url = anthropic_base_url
    gemini_base_url = anthropic_base_url

    @property
    def serving(self) -> Serving:
        """What the server is set to accept, as the wire formats read requests against it."""
        return Serving(json_schema=self.json_schema, structured_outputs=self.structured_outputs)

    # -- configuration and scripting --------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        """Change settings (any ``__init__`` argument but ``seed``) while running."""
        with self._lock:
            for name, value in settings.items():
                if name in ("rpm", "tpm"):
                    self._set_limit(name, value)
                elif name == "faults":
                    self.faults = tuple(value)
                elif name == "missing_models":
                    self.missing_models = frozenset(value)
                elif name == "seed":
                    self._random = random.Random(value)
                    self.seed = value
                elif hasattr(self, name) and not name.startswith("_"):
                    setattr(self, name, value)
                else:
                    raise TypeError(f"unknown fake provider setting {name!r}")
            if "burst_seconds" in settings:
                for name in list(self._buckets):
                    self._set_limit(name, getattr(self, name))

    def _set_limit(self, name: str, value: int | None) -> None:
        setattr(self, name, value)
        if value:
            self._buckets[name] = Bucket(value, self.burst_seconds, time.monotonic())
        else:
            self._buckets.pop(name, None)

    def script(self, *items: ScriptItem, topic: str | None = None) -> None:
        """Queue how the next requests are answered (those for ``topic`` only, if given)."""
        with self._lock:
            queue = self._script if topic is None else self._topic_scripts.setdefault(topic, deque())
            queue.extend(items)

    def pending(self) -> int:
        """Scripted answers not yet used."""
        with self._lock:
            return len(self._script) + sum(len(q) for q in self._topic_scripts.values())

    def reset_stats(self) -> None:
        with self._lock:
            self._outcomes: Counter[str] = Counter()
            self._served_pages: Counter[str] = Counter()
            self._records: list[RequestRecord] = []
            self._requests = 0
            self._in_flight = 0
            self._max_in_flight = 0
            self._input_tokens = 0
            self._output_tokens = 0
            self._cached_tokens = 0
            self._first_request: float | None = None
            self._last_response: float | None = None
            self._drift: Counter[str] = Counter()
            self._replies_seen.clear()  # a fresh run drifts as the first one did
            self._section_requests = 0
            self._section_output_tokens = 0

    def stats(self) -> Stats:
        with self._lock:
            return Stats(
                requests=self._requests,
                outcomes=dict(self._outcomes),
                input_tokens=self._input_tokens,
                output_tokens=self._output_tokens,
                cached_tokens=self._cached_tokens,
                max_in_flight=self._max_in_flight,
                pages=dict(self._served_pages),
                first_request=self._first_request,
                last_response=self._last_response,
                drift=dict(self._drift),
                section_requests=self._section_requests,
                section_output_tokens=self._section_output_tokens,
            )

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    # -- serving ------------------------------------------------------------------------------

    def _enter(self) -> int:
        with self._lock:
            self._requests += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            if self._first_request is None:
                self._first_request = time.perf_counter()
            return self._requests

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._last_response = time.perf_counter()

    def _record(
        self, index: int, provider: str, path: str, topic: str, outcome: str, body: Any, authorized: bool
    ) -> None:
        with self._lock:
            self._outcomes[outcome] += 1
            if self.record_requests:
                kept = body if isinstance(body, dict) else {}
                self._records.append(RequestRecord(index, provider, path, topic, outcome, kept, authorized))

    def _next_item(self, topic: str) -> ScriptItem | None:
        with self._lock:
            queue = self._topic_scripts.get(topic)
            if queue:
                return queue.popleft()
            if self._script:
                return self._script.popleft()
            if self.fault_rate and self.faults and self._random.random() < self.fault_rate:
                return self._random.choice(self.faults)
            return None

    def _delay(self) -> float:
        with self._lock:
            spread = self._random.uniform(-self.jitter, self.jitter) if self.jitter else 0.0
        return max(0.0, self.latency + spread)

    def _page(self, schema: dict[str, Any], topic: str) -> Any:
        key = (hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest(), topic)
        with self._lock:
            page = self._pages.get(key)
        if page is None:
            page = page_for_schema(schema, topic, words=self.words)
            with self._lock:
                if len(self._pages) > 4096:
                    self._pages.clear()
                self._pages[key] = page
            if self.on_page is not None:
                self.on_page(copy.deepcopy(page))
        return copy.deepcopy(page)

    def _admit(self, cost: int) -> tuple[float, dict[str, tuple[int, int, float]]]:
        """(seconds to wait, 0 if admitted; per-limit (limit, remaining, reset seconds))."""
        now = time.monotonic()
        with self._lock:
            costs = {"rpm": 1, "tpm": cost}
            for bucket in self._buckets.values():
                bucket.refill(now)
            wait = max((b.wait(costs[name]) for name, b in self._buckets.items()), default=0.0)
            if wait == 0.0:
                for name, bucket in self._buckets.items():
                    bucket.level -= costs[name]
            state = {n: (b.limit, b.remaining(), b.reset_after()) for n, b in self._buckets.items()}
        return wait, state

    def handle(self, path: str, headers: Mapping[str, str], raw: bytes) -> Action:
        """Decide the answer to one request (the HTTP handler carries it out)."""
        index = self._enter()
        try:
            return self._handle(index, path, {k.lower(): v for k, v in headers.items()}, raw)
        except Exception as error:  # a bug in the fake must show up as a 500, not a hung client
            return Respond(500, {"error": {"message": f"fake provider bug: {error!r}"}}, {})

    def _handle(self, index: int, path: str, headers: dict[str, str], raw: bytes) -> Action:
        path = path.split("?", 1)[0]
        found = wire_for(path)
        if found is None:
            self._record(index, "unknown", path, "", "not_found", {}, False)
            return Respond(404, {"error": {"message": f"no route for {path}"}}, {})
        provider, wire = found
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the request body must be a JSON object")
        except (ValueError, UnicodeDecodeError) as error:
            self._record(index, provider, path, "", "bad_request", {}, False)
            return wire.error(400, f"could not parse the request body: {error}", {})
        user_texts = wire.user_texts(body)
        topic = topic_of(user_texts)
        presented = wire.api_key(headers)
        authorized = self.api_key is None or presented == self.api_key
        record = {"index": index, "provider": provider, "path": path, "topic": topic, "body": body}

        def done(outcome: str, action: Action) -> Action:
            self._record(outcome=outcome, authorized=authorized, **record)
            return action

        if not authorized:
            # Like the real APIs, the message names the key it was given: output must redact it.
            message = f"Incorrect API key provided: {presented}. You can find your API key in settings."
            return done("unauthorized", wire.error(401, message, {}))
        if str(body.get("model")) in self.missing_models:
            return done("model_not_found", wire.missing_model(str(body.get("model"))))
        if body.get("stream"):
            return done("bad_request", wire.error(400, "this fake provider does not stream", {}))
        request = wire.structure(body, self.serving)
        if isinstance(request, str):
            return done("bad_request", wire.error(400, request, {}))
        page = self._page(request.schema, topic)
        good_text = json.dumps(page, ensure_ascii=False)
        prompt_tokens = token_count(wire.prompt_text(body))
        wait, limits = self._admit(prompt_tokens + token_count(good_text))
        limit_headers = wire.rate_limit_headers(limits)
        if wait > 0:
            retry = {
                "retry-after": str(max(1, math.ceil(wait))),
                "retry-after-ms": str(math.ceil(wait * 1000)),
            }
            message = f"Rate limit reached. Please try again in {wait:.3f}s."
            return done("rate_limited", wire.error(429, message, {**limit_headers, **retry}))
        item = self._next_item(topic)
        return done(*self._serve(index, wire, body, request, topic, item, limit_headers))

    def answer(self, index: int, wire: Wire, body: dict[str, Any]) -> tuple[str, Action | None]:
        """(outcome, answer) for one request inside a batch, in ``wire``'s format: no rate limits, no latency.

        A ``BatchFault`` scripted for the topic comes back as its outcome with no answer.
        """
        request = wire.structure(body, self.serving)
        if isinstance(request, str):
            return "bad_request", wire.error(400, request, {})
        topic = topic_of(wire.user_texts(body))
        item = self._next_item(topic)
        if isinstance(item, BatchFault):
            return item.value, None
        return self._serve(index, wire, body, request, topic, item, {})

    def _serve(
        self,
        index: int,
        wire: Wire,
        body: dict[str, Any],
        request: Any,
        topic: str,
        item: ScriptItem | None,
        limit_headers: dict[str, str],
    ) -> tuple[str, Action]:
        """The answer to a well-formed request: a scripted fault or error, else the page."""
        if isinstance(item, HttpError):
            return f"http_{item.status}", wire.error(
                item.status, item.message, dict(item.headers), item.details
            )
        if isinstance(item, Fault) and item.status is not None:
            extra = dict(limit_headers)
            if item is Fault.RATE_LIMIT:
                extra["retry-after"] = str(max(1, math.ceil(self.fault_retry_after)))
                extra["retry-after-ms"] = str(math.ceil(self.fault_retry_after * 1000))
            return item.value, wire.error(item.status, FAULT_MESSAGES[item], extra)
        if item is Fault.DROP:
            return item.value, Drop()
        if item is Fault.STALL:
            return item.value, Stall(self.stall_seconds)
        page = self._page(request.schema, topic)
        if item is None:
            page = self._drifted(page, request.schema, topic)
        good_text = json.dumps(page, ensure_ascii=False)
        prompt_tokens = token_count(wire.prompt_text(body))
        system = wire.cacheable_prefix(body)
        content, finish = reply_content(item, page, good_text)
        cached = 0
        caches = bool(system) and request.caches and token_count(system or "") >= self.cache_min_tokens
        if system and caches:
            with self._lock:
                cached = token_count(system) if system in self._seen_prefixes else 0
                self._seen_prefixes.add(system)
        output_text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        output_tokens = token_count(output_text)
        with self._lock:
            self._input_tokens += prompt_tokens
            self._output_tokens += output_tokens
            self._cached_tokens += cached
            if item is None:
                self._served_pages[topic] += 1
            if "title_emoji" not in (request.schema.get("properties") or {}):  # some sections only
                self._section_requests += 1
                self._section_output_tokens += output_tokens
        created = 0 if system is None or not caches else (token_count(system) if not cached else 0)
        usage = WireUsage(prompt_tokens, output_tokens, cached, created)
        reply_body = wire.reply(Served(index, body, request, content, finish, usage))
        outcome = item.value if isinstance(item, Fault) else "ok" if item is None else "scripted"
        return outcome, Respond(200, reply_body, limit_headers, self._delay())

    def _drifted(self, page: Any, schema: dict[str, Any], topic: str) -> Any:
        """The page as this reply drifts it (``drift_rate``) or breaks one of its sections
        (``wrong_section_rate``, whole-page replies only, so a section re-ask can mend it).

        Each reply gets its own generator, seeded by the server's seed, the topic, the
        schema and how many replies this topic had for it, so the order requests arrive
        in changes nothing.
        """
        if not (self.drift_rate or self.wrong_section_rate):
            return page
        digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:16]
        with self._lock:
            self._replies_seen[(topic, digest)] += 1
            nth = self._replies_seen[(topic, digest)]
        rng = random.Random(f"{self.seed}/{topic}/{digest}/{nth}")
        kinds: list[str] = []
        if rng.random() < self.drift_rate:
            page, kinds = drift_reply(page, schema, rng)
        whole = "title_emoji" in (schema.get("properties") or {})  # a section re-ask is answered right
        if rng.random() < self.wrong_section_rate and whole:
            page, broken = break_section(page, rng)
            kinds += ["wrong-section"] if broken else []
        with self._lock:
            self._drift.update(kinds)
            self._drift["replies"] += bool(kinds)
        return page


def reply_content(item: ScriptItem | None, page: Any, good_text: str) -> tuple[Any, str]:
    """The reply's content (a str of text, or data for a tool call) and how it finished."""
    if item is None:
        return page, "stop"
    if item is Fault.INVALID_JSON:
        return f"Sure! Here is the note you asked for:\n```json\n{good_text}\n```", "stop"
    if item is Fault.SCHEMA_VIOLATION:
        return violate(page), "stop"
    if item is Fault.TRUNCATED:
        return good_text[: len(good_text) // 2], "length"
    if item is Fault.REFUSAL:
        return REFUSAL_TEXT, "refusal"
    assert isinstance(item, Reply)
    if item.text is not None:
        return item.text, item.finish
    data = copy.deepcopy(item.data) if item.data is not None else page
    for path, value in (item.patch or {}).items():
        set_path(data, path, value)
    return data, item.finish


class _Server(QuietServer):
    request_queue_size = 256  # many clients connect at once; a short backlog would delay them by seconds

    def __init__(self, address: tuple[str, int], handler: type, provider: FakeProvider) -> None:
        self.provider = provider
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    # TCP_NODELAY, as real API servers set it: headers and body are two writes, and with Nagle's
    # algorithm the body would wait for the client's delayed ACK of the headers (40 ms on Linux)
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read the client's output, not the server's

    def do_GET(self) -> None:
        if not self._batch_route("GET", b""):
            self._write(404, {"error": {"message": f"no route for GET {self.path}"}}, {})

    def do_DELETE(self) -> None:
        if not self._batch_route("DELETE", b""):
            self._write(404, {"error": {"message": f"no route for DELETE {self.path}"}}, {})

    def do_POST(self) -> None:
        arrived = time.monotonic()  # a reply's latency runs from here: handling it is part of it
        provider = self.server.provider
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self._batch_route("POST", raw):
            return
        try:
            action = provider.handle(self.path, dict(self.headers.items()), raw)
            self._perform(action, provider._stopping, arrived)
        finally:
            provider._leave()

    def _batch_route(self, method: str, raw: bytes) -> bool:
        """Serve the request if it is on a batch API's route; False if it is not."""
        provider = self.server.provider
        if not provider.batch_desk.routes(self.path, dict(self.headers.items())):
            return False
        try:
            response = provider.batch_desk.serve(method, self.path, dict(self.headers.items()), raw)
            self._write(response.status, response.body, response.headers)
        finally:
            provider._leave()
        return True

    def _perform(self, action: Action, stopping: threading.Event, arrived: float) -> None:
        if isinstance(action, Stall):
            stopping.wait(action.seconds)
            self._hang_up()
            return
        delay = action.delay - (time.monotonic() - arrived) if action.delay else 0.0
        if delay > 0 and stopping.wait(delay):
            self._hang_up()
            return
        if isinstance(action, Drop):
            self._hang_up()
            return
        self._write(action.status, action.body, action.headers)

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write(self, status: int, body: Any, headers: Mapping[str, str]) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if not any(name.lower() == "content-type" for name in headers):
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as error:
            if not hung_up(error):
                raise
            self.close_connection = True  # the client gave up (e.g. its timeout passed)
