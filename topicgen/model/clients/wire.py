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
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from topicgen.errors import ReplayMiss
from topicgen.model.redact import redact

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
)
PROVIDER_PATHS = {"/chat/completions": "openai", "/messages": "anthropic"}


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


def conversation_key(user_texts: list[str]) -> str:
    """The replay key: a hash of the user messages, in order."""
    payload = json.dumps(user_texts, ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()[:20]


def key_of_body(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    texts = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    return conversation_key(texts)


def provider_of_path(path: str) -> str:
    for suffix, provider in PROVIDER_PATHS.items():
        if path.endswith(suffix):
            return provider
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
        data = json.loads(path.read_text(encoding="utf-8"))
        responses = data.get("responses") or [data["response"]]
        return cls(data["provider"], data["key"], data["request"], tuple(responses), path)

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

    users = [m for m in exchange.request.get("body", {}).get("messages", []) if m.get("role") == "user"]
    asked = slugify(_text_of(users[-1].get("content")) if users else "", max_length=48)
    return f"{asked}-{exchange.key}.json" if asked else f"{exchange.key}.json"


def load_exchanges(folder: Path) -> list[Exchange]:
    if not folder.is_dir():
        raise ReplayMiss(f"replay folder {folder} does not exist")
    found = []
    for path in sorted(folder.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and {"provider", "key", "request"} <= data.keys():
            found.append(Exchange.load(path))
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
        body = json.loads(request.content or b"{}")
        provider = provider_of_path(request.url.path)
        slot = (provider, key_of_body(body))
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
        response = await self._inner.handle_async_request(request)
        raw = await response.aread()
        await response.aclose()
        body = json.loads(request.content or b"{}")
        provider = provider_of_path(request.url.path)
        exchange = Exchange(
            provider=provider,
            key=key_of_body(body),
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

    async def aclose(self) -> None:
        await self._inner.aclose()
