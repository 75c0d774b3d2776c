"""Recorded provider exchanges: httpx2 transports that record and replay them.

An exchange is one HTTP request and the provider's own wire response, stored
as JSON. Replaying sends it back through the real SDK, so a replayed run
exercises the same adapter code as a live one. Requests are matched on what
the user side said (the user messages), so editing the fixed system prompt
does not orphan a recording. Nothing secret is ever stored: request headers
are dropped and response headers are kept only from an allow-list.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from topicgen.errors import ConfigError, ReplayMiss, VaultError
from topicgen.model.redact import redact
from topicgen.vault.files import read_regular

FORMAT_VERSION = 1
KEPT_RESPONSE_HEADERS = (
    "content-type",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-ratelimit-",
    "anthropic-ratelimit-",
    "request-id",
    "x-request-id",
    "x-goog-upload-",  # Google's resumable upload: where to send the file, and how far it got
)
JSONL = "jsonl"  # a recorded batch results file: {"jsonl": [one object a line]}
RESULTS_SUFFIXES = ("/content", "/results", ":download")  # the routes that serve a batch's results
_OPENAI_BATCH_PATH = re.compile(r"/(?:files|batches)(?:/|$)")
_GEMINI_BATCH_PATH = re.compile(r":batchGenerateContent$|/(?:files|batches)(?:[/:]|$)")
_GEMINI_MODEL = re.compile(r"/models/([^/:]+):")


def sdk_timeout(options: Any) -> httpx2.Timeout:
    """A short connect timeout and a long read timeout, as the options say."""
    return httpx2.Timeout(options.timeout, connect=options.connect_timeout)


def sdk_http_client(options: Any) -> httpx2.AsyncClient | None:
    """An httpx2 client over the options' transport (record, replay, tests), else None (SDK default)."""
    if options.transport is None:
        return None
    return httpx2.AsyncClient(transport=options.transport, timeout=sdk_timeout(options))


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return ""


def _user_messages(body: dict[str, Any]) -> list[str]:
    """The user messages of a chat body (``messages``: OpenAI, Anthropic, Ollama), in order."""
    messages = body.get("messages") or []
    return [_text_of(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") == "user"]


def _chat_completion_text(body: dict[str, Any]) -> str:
    return str(body["choices"][0]["message"]["content"])


def _anthropic_message_text(body: dict[str, Any]) -> str:
    """The page a Messages response holds: a forced tool call's input, else its text."""
    if body.get("type") != "message":
        raise ValueError("not an Anthropic message")
    for block in body["content"]:
        if block.get("type") == "tool_use":
            return json.dumps(block["input"], ensure_ascii=False)
        if block.get("type") == "text":
            return str(block["text"])
    raise ValueError("the message holds no text and no tool call")


def _ollama_chat_text(body: dict[str, Any]) -> str:
    return str(body["message"]["content"])


def _gemini_user_texts(body: dict[str, Any]) -> list[str]:
    """The user turns of a generateContent body (``contents``, each with its ``parts``), in order."""
    contents = body.get("contents") or []
    return [
        _text_of(c.get("parts")) for c in contents if isinstance(c, dict) and c.get("role", "user") == "user"
    ]


def _gemini_reply_text(body: dict[str, Any]) -> str:
    """The page a GenerateContentResponse holds: its first candidate's parts, thoughts left out."""
    parts = body["candidates"][0]["content"]["parts"]
    return "".join(part["text"] for part in parts if not part.get("thought"))


@dataclass(frozen=True)
class WireFormat:
    """How one provider's chat exchanges read on the wire, for recording, replay and ``render``:
    the endpoint a request goes to, what the user said, and the page text a response holds."""

    provider: str
    path_suffix: str  # a request to a path ending so is this provider's chat call
    user_texts: Callable[[dict[str, Any]], list[str]]  # a request body's user messages, in order
    reply_text: Callable[[dict[str, Any]], str]  # a successful response body's page JSON


# Every provider whose chat exchanges ``--record`` writes, in the order a replay folder holding
# several prefers them; a new provider is one entry here (OpenAI-compatible servers speak "openai").
WIRE_FORMATS: tuple[WireFormat, ...] = (
    WireFormat("openai", "/chat/completions", _user_messages, _chat_completion_text),
    WireFormat("anthropic", "/messages", _user_messages, _anthropic_message_text),
    WireFormat("ollama", "/api/chat", _user_messages, _ollama_chat_text),
    WireFormat("gemini", ":generateContent", _gemini_user_texts, _gemini_reply_text),
)


def wire_format(provider: str) -> WireFormat | None:
    """The wire format of a provider's recordings, or None for one topicgen does not know."""
    return next((found for found in WIRE_FORMATS if found.provider == provider), None)


def conversation_key(user_texts: list[str]) -> str:
    """The replay key: a hash of the user messages, in order."""
    payload = json.dumps(user_texts, ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()[:20]


def key_of_body(body: dict[str, Any], provider: str = "openai") -> str:
    """A request body's replay key, read the way its provider's wire carries the user messages."""
    found = wire_format(provider)
    return conversation_key(found.user_texts(body) if found else _user_messages(body))


def recorded_model(request: dict[str, Any]) -> str | None:
    """The model a recorded request asked: in its body, or (Gemini) in its path."""
    body = request.get("body")
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        return body["model"]
    found = _GEMINI_MODEL.search(str(request.get("path") or ""))
    return found.group(1) if found else None


def batch_route(path: str, headers: Any = None) -> str | None:
    """The provider whose batch API a request belongs to (files, batches, message batches), else None.

    OpenAI's and Gemini's routes can share a path (``/v1/batches/...``); Google's SDK marks every
    request with ``x-goog-`` headers (its key, its client, its upload protocol).
    """
    if "/messages/batches" in path:
        return "anthropic"
    google = any(str(name).lower().startswith("x-goog-") for name in (headers or {}))
    if google and _GEMINI_BATCH_PATH.search(path):
        return "gemini"
    if _OPENAI_BATCH_PATH.search(path):
        return "openai"
    return None


def batch_key(method: str, path: str) -> str:
    """A batch exchange's key: its method and path (ids included), so a replay polls the same ids."""
    return "batch-" + hashlib.sha256(f"{method} {path}".encode()).hexdigest()[:16]


def provider_of_path(path: str) -> str:
    for found in WIRE_FORMATS:
        if path.endswith(found.path_suffix):
            return found.provider
    return "unknown"


@dataclass(frozen=True)
class Exchange:
    provider: str
    key: str
    request: dict[str, Any]
    responses: tuple[dict[str, Any], ...]
    path: Path | None = None

    @classmethod
    def load(cls, path: Path) -> Exchange:
        """One recorded exchange; ``BadRecording`` says in one line why a file is not one."""
        return _exchange_of(path, _read_json(path))

    def to_json(self) -> str:
        data = {
            "format": FORMAT_VERSION,
            "provider": self.provider,
            "key": self.key,
            "request": self.request,
            "response": self.responses[0],
        }
        if len(self.responses) > 1:
            data = {**data, "responses": list(self.responses)}
            del data["response"]
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def exchange_file_name(exchange: Exchange) -> str:
    """'<what was asked, slugified>-<key>.json', so a folder of recordings is browsable."""
    from slugify import slugify

    body = exchange.request.get("body", {})
    found = wire_format(exchange.provider)
    users = found.user_texts(body) if found else _user_messages(body)
    asked = slugify(users[-1] if users else "", max_length=48)
    return f"{asked}-{exchange.key}.json" if asked else f"{exchange.key}.json"


# --- reading recordings: a replay folder may come from anyone, so every file is checked ---------

MAX_RECORDING_BYTES = 8 << 20  # a recorded page is ~50 KB
MAX_RECORDINGS = 10_000
_EXCHANGE_KEYS = frozenset({"provider", "key", "request", "response", "responses"})


class BadRecording(ValueError):
    """A file in a replay folder that looks like a recording but cannot be replayed."""


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: int = Field(200, ge=100, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | list[Any] | str | None = None

    @model_validator(mode="after")
    def _answer_is_an_object(self) -> _Response:
        if 200 <= self.status < 300 and not isinstance(self.body, dict):
            raise ValueError("a successful response's body must be a JSON object")
        return self


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")

    method: str = "POST"
    path: str = ""
    body: dict[str, Any]


class _Recording(BaseModel):
    """What a recorded exchange file must hold to be replayed."""

    model_config = ConfigDict(extra="ignore")

    provider: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    key: str = Field(min_length=1, max_length=200)
    request: _Request
    response: _Response | None = None
    responses: list[_Response] | None = Field(None, min_length=1)

    @field_validator("provider")
    @classmethod
    def _not_replay(cls, value: str) -> str:
        if value == "replay":  # replaying a replay would recurse without end
            raise ValueError("'replay' is not a provider a recording can come from")
        return value


def _read_json(path: Path) -> Any:
    try:
        raw = read_regular(path, limit=MAX_RECORDING_BYTES)
    except VaultError as error:  # a link, a FIFO or device, an oversized file
        raise BadRecording(str(error).replace(f"{path} ", "", 1)) from None
    except OSError as error:
        raise BadRecording(f"cannot read: {error.strerror or error}") from None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRecording(f"not JSON: {error}") from None
    except RecursionError:
        raise BadRecording("not JSON topicgen reads: nested too deeply") from None


def _exchange_of(path: Path, data: Any) -> Exchange:
    try:
        record = _Recording.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise BadRecording(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None
    responses = record.responses or ([record.response] if record.response else [])
    if not responses:
        raise BadRecording("response: a recording needs a response (or responses)")
    request = record.request.model_dump()
    return Exchange(record.provider, record.key, request, tuple(r.model_dump() for r in responses), path)


def _json_files(folder: Path) -> list[Path]:
    """The .json files under ``folder``, never through a linked folder, at most ``MAX_RECORDINGS``."""
    found: list[Path] = []
    for top, folders, files in os.walk(folder, followlinks=False):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found.extend(Path(top) / name for name in sorted(files) if name.endswith(".json"))
        if len(found) > MAX_RECORDINGS:
            raise ConfigError(f"replay folder {folder} holds over {MAX_RECORDINGS:,} .json files")
    return sorted(found)


def load_exchanges(folder: Path) -> list[Exchange]:
    """The recordings in ``folder``. JSON that is not a recording is ignored; a file that looks like
    one but cannot be replayed is a ``ConfigError`` with one line per file, before anything runs."""
    if not folder.is_dir():
        raise ReplayMiss(f"replay folder {folder} does not exist")
    found: list[Exchange] = []
    problems: list[str] = []
    for path in _json_files(folder):
        try:
            data = _read_json(path)
            if isinstance(data, dict) and data.keys() & _EXCHANGE_KEYS:
                found.append(_exchange_of(path, data))
        except BadRecording as error:
            problems.append(f"{path.relative_to(folder)}: {error}")
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise ConfigError(
            f"replay folder {folder} has {len(problems)} file(s) that cannot be replayed:\n  "
            + "\n  ".join(shown)
        )
    return found


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", "replace")


def _response_record(response: httpx2.Response, body: bytes) -> dict[str, Any]:
    headers = {
        k.lower(): v for k, v in response.headers.items() if k.lower().startswith(KEPT_RESPONSE_HEADERS)
    }
    return {"status": response.status_code, "headers": headers, "body": _json_or_text(body)}


def response_from_record(record: dict[str, Any], request: httpx2.Request) -> httpx2.Response:
    body = record.get("body")
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    if isinstance(body, dict) and list(body) == [JSONL]:  # a batch's results file, one object a line
        content = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in body[JSONL]).encode()
    headers = dict(record.get("headers") or {})
    headers.setdefault("content-type", "application/json")
    return httpx2.Response(record.get("status", 200), headers=headers, content=content, request=request)


class ReplayTransport(httpx2.AsyncBaseTransport):
    """Answers each request with the recorded response whose key matches."""

    def __init__(self, exchanges: list[Exchange], source: Path) -> None:
        self._by_key = {(e.provider, e.key): e for e in exchanges}
        self._served: dict[tuple[str, str], int] = {}
        self._source = source

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        batch_provider = batch_route(request.url.path, request.headers)
        if batch_provider is not None:
            provider, key = batch_provider, batch_key(request.method, request.url.path)
        else:
            provider = provider_of_path(request.url.path)
            key = key_of_body(json.loads(request.content or b"{}"), provider)
        slot = (provider, key)
        exchange = self._by_key.get(slot)
        if exchange is None:
            raise ReplayMiss(
                f"no recorded {provider} exchange in {self._source} matches this request; "
                "record one with --record DIR against a live model"
            )
        index = self._served.get(slot, 0)
        self._served[slot] = index + 1
        record = exchange.responses[min(index, len(exchange.responses) - 1)]
        return response_from_record(record, request)


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Passes requests through to the provider and saves each exchange, minus secrets."""

    def __init__(self, folder: Path, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self._folder = folder
        self._inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        sent = await request.aread()
        response = await self._inner.handle_async_request(request)
        raw = await response.aread()
        await response.aclose()
        batch_provider = batch_route(request.url.path, request.headers)
        if batch_provider is not None:
            self._save_batch(batch_provider, request, sent, _response_record(response, raw))
            return httpx2.Response(
                response.status_code, headers=response.headers, content=raw, request=request
            )
        body = json.loads(request.content or b"{}")
        provider = provider_of_path(request.url.path)
        exchange = Exchange(
            provider=provider,
            key=key_of_body(body, provider),
            request={"method": request.method, "path": request.url.path, "body": body},
            responses=(_response_record(response, raw),),
        )
        self._save(exchange, body)
        return httpx2.Response(response.status_code, headers=response.headers, content=raw, request=request)

    def _save(self, exchange: Exchange, body: dict[str, Any]) -> None:
        folder = self._folder / exchange.provider
        folder.mkdir(parents=True, exist_ok=True)
        text = redact(exchange.to_json())
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, folder / exchange_file_name(exchange))

    def _save_batch(
        self, provider: str, request: httpx2.Request, sent: bytes, response: dict[str, Any]
    ) -> None:
        """A batch route's exchanges are kept per method and path, each response appended (polls)."""
        key = batch_key(request.method, request.url.path)
        folder = self._folder / provider
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.json"
        earlier = Exchange.load(path).responses if path.exists() else ()
        body = _json_or_text(sent) if sent else {}
        if not isinstance(body, dict | list):  # an uploaded file: what it was, not its bytes
            body = {"bytes": len(sent), "sha256": hashlib.sha256(sent).hexdigest()}
        if request.url.path.endswith(RESULTS_SUFFIXES) and response["status"] == 200:
            text = response["body"] if isinstance(response["body"], str) else json.dumps(response["body"])
            response = {**response, "body": {JSONL: [json.loads(line) for line in text.splitlines() if line]}}
        request_record = {"method": request.method, "path": request.url.path, "body": body}
        exchange = Exchange(provider, key, request_record, (*earlier, response))
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(redact(exchange.to_json()))
        os.replace(temporary, path)

    async def aclose(self) -> None:
        await self._inner.aclose()
