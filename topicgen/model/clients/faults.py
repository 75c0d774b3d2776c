"""Classifying provider failures into topicgen's error tree, shared by the adapters.

What decides: the provider's own ``x-should-retry`` header first (as the SDKs
do), then account errors that no retry can fix (OpenAI ``insufficient_quota``,
Anthropic billing, credit and spend-limit errors), then the status. A refused
connection to a server on this machine or the local network means the server
is not running: it gets one quick retry and a line saying how to start it.

Google's APIs (Gemini) say more in the error's ``details`` than in its status:
a 429 ``RESOURCE_EXHAUSTED`` names the quota it hit (``QuotaFailure``) and how
long to wait (``RetryInfo``), so a per-minute limit is retried after that
wait while a per-day quota stops the run; a rejected key is a 400 whose
``ErrorInfo`` says ``API_KEY_INVALID`` (``google_error``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx2

from topicgen.errors import (
    AccountError,
    AuthError,
    ConfigError,
    ModelNotFound,
    NetworkError,
    PermanentError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    ReplyTimedOut,
    ServerNotRunning,
    TopicgenError,
)
from topicgen.model.clients.retry_after import google_details, google_retry_delay, retry_after_seconds
from topicgen.model.redact import redact

ACCOUNT_CODES = frozenset(
    {
        "insufficient_quota",  # OpenAI: no credit left or the monthly budget is spent
        "billing_error",  # Anthropic 402
        "enforced_spend_limit_reached",  # Anthropic 429s the SDK would retry
        "contract_spend_limit_reached",
        "ramp_limit_exceeded",
        "linked_organization_spend_limit_reached",
        "linked_organization_billing_unavailable",
    }
)
ACCOUNT_MESSAGES = ("credit balance is too low", "exceeded your current quota")
ACCOUNT_HINT = "a quota or billing limit: retrying cannot help; add credit or raise the limit, then run again"
LOCAL_NAMES = ("localhost", "host.docker.internal")
QUICK_RETRY = 0.25  # seconds before the one retry of a refused local connection

START_HINTS = {
    "ollama": "start it with `ollama serve`, or point OLLAMA_BASE_URL or [providers.ollama] base_url at it",
    "openai-compatible": (
        "start the server, or point OPENAI_BASE_URL or [providers.openai-compatible] base_url at it"
    ),
    "openai": "start the server, or point OPENAI_BASE_URL or [providers.openai] base_url at it",
    "anthropic": "start the server, or point ANTHROPIC_BASE_URL or [providers.anthropic] base_url at it",
    "gemini": "start the server, or point GOOGLE_GEMINI_BASE_URL or [providers.gemini] base_url at it",
}
GOOGLE_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"})
DAILY_QUOTA_HINT = (
    "retrying today cannot help: wait for the quota to reset (midnight Pacific time), raise it, "
    "or choose another model"
)


def _detail_text(detail: Any) -> str:
    """FastAPI's 422 ``detail``: a string, or a list of {loc, msg} objects."""
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(part) for part in item.get("loc") or [])
                parts.append(f"{where}: {item.get('msg', '')}" if where else str(item.get("msg", "")))
            else:
                parts.append(str(item))
        return "; ".join(part for part in parts if part)
    return str(detail) if detail else ""


def body_message(body: Any, fallback: str | None) -> str:
    """The provider's own one-line explanation from an error body (dict, list or plain text)."""
    text = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            text = str(inner["message"])
        elif isinstance(inner, str) and inner:
            text = inner
        elif body.get("detail"):
            text = _detail_text(body["detail"])
        elif body.get("message"):
            text = str(body["message"])
    elif isinstance(body, str | list):
        text = _detail_text(body)
    text = text.strip() or (fallback or "").strip() or "request failed"
    return text.splitlines()[0]


def error_codes(body: Any) -> set[str]:
    """Every type and code an error body names (``error.type``, ``error.code``, ``details.error_code``)."""
    codes: set[str] = set()
    inner = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(inner, dict):
        for key in ("type", "code"):
            if isinstance(inner.get(key), str):
                codes.add(inner[key])
        details = inner.get("details")
        if isinstance(details, dict) and isinstance(details.get("error_code"), str):
            codes.add(details["error_code"])
    return codes


def status_error(
    provider: str, status: int, message: str, headers: Mapping[str, str], body: Any = None
) -> TopicgenError:
    """The error for an HTTP failure: retried only where a retry can help."""
    wait = retry_after_seconds(headers)
    text = redact(f"{provider}: HTTP {status}: {message}")
    should_retry = {k.lower(): v for k, v in headers.items()}.get("x-should-retry", "").strip().lower()
    lowered = message.lower()
    if status == 402 or error_codes(body) & ACCOUNT_CODES or any(m in lowered for m in ACCOUNT_MESSAGES):
        return AccountError(f"{text} ({ACCOUNT_HINT})")
    if should_retry == "false":
        return (AuthError if status == 401 else PermanentError)(f"{text} (the provider says not to retry)")
    if status == 429:
        return RateLimited(text, wait)
    if should_retry == "true" or status in (408, 409) or status >= 500:
        return ProviderUnavailable(text, wait)
    if status == 401:
        return AuthError(text)
    if status == 404 and is_missing_model(message, body):
        return ModelNotFound(f"{text} ({MODEL_HINT})")
    return PermanentError(text)


def google_error(provider: str, status: int, body: Any, headers: Mapping[str, str]) -> TopicgenError:
    """The error for a Google API failure (Gemini), read from its status object and details.

    A 429 is a per-minute limit, retried after the ``retryDelay`` it names, unless the quota it hit
    is counted per day: that one is permanent until the day ends, and stops the run.
    """
    message = body_message(body, None)
    text = redact(f"{provider}: HTTP {status}: {message}")
    details = google_details(body)
    if status == 429:
        daily = daily_quota(details)
        if daily is not None:
            return QuotaExhausted(redact(f"{text} (the daily quota {daily} is used up; {DAILY_QUOTA_HINT})"))
        return RateLimited(text, google_retry_delay(body) or retry_after_seconds(headers))
    reasons = {str(d.get("reason")) for d in details if str(d.get("@type", "")).endswith("rpc.ErrorInfo")}
    if reasons & GOOGLE_KEY_REASONS:
        return AuthError(text)
    return status_error(provider, status, message, headers, body)


def daily_quota(details: list[dict[str, Any]]) -> str | None:
    """The quota a ``QuotaFailure`` names when it is counted per day (``...PerDay...``), with its model,
    e.g. ``GenerateRequestsPerDayPerProjectPerModel-FreeTier (gemini-2.5-flash)``; else None."""
    for detail in details:
        if not str(detail.get("@type", "")).endswith("rpc.QuotaFailure"):
            continue
        for violation in detail.get("violations") or []:
            if not isinstance(violation, dict):
                continue
            quota = str(violation.get("quotaId") or "")
            metric = str(violation.get("quotaMetric") or "")
            if "perday" in quota.lower() or "per_day" in metric.lower():
                dimensions = violation.get("quotaDimensions")
                model = dimensions.get("model") if isinstance(dimensions, dict) else None
                return f"{quota or metric}" + (f" ({model})" if model else "")
    return None


MODEL_HINT = "check the model name: `topicgen config` shows it; --model or `model` in topicgen.toml sets it"


def is_missing_model(message: str, body: Any = None) -> bool:
    """A 404 about the model (OpenAI's ``model_not_found``; Anthropic's ``not_found_error`` naming the
    model), not about a path: a wrong address is a different fix."""
    lowered, codes = message.lower(), error_codes(body)
    if "model_not_found" in codes:
        return True
    named = "not_found_error" in codes or any(words in lowered for words in ("not found", "does not exist"))
    return named and "model" in lowered


def is_local_address(url: str | None) -> bool:
    """A server on this machine or the local network (where Ollama, vLLM or LM Studio run)."""
    host = (urlsplit(url or "").hostname or "").lower()
    if not host:
        return False
    if host in LOCAL_NAMES or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


def _causes(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def connection_error(
    provider: str, error: BaseException, *, timed_out: bool, address: str | None = None
) -> TopicgenError:
    """A timeout, a refused local connection (with how to start the server) or a dropped link."""
    causes = _causes(error)
    ours = next((cause for cause in causes[1:] if isinstance(cause, TopicgenError)), None)
    if ours is not None:  # raised by one of our own transports (replay miss)
        return ours
    if timed_out:
        if any(isinstance(cause, httpx2.ConnectTimeout) for cause in causes):
            return NetworkError(redact(f"{provider}: could not connect to {address or 'the server'} in time"))
        return ReplyTimedOut(f"{provider}: request timed out")
    refused = any(isinstance(cause, httpx2.ConnectError | ConnectionRefusedError) for cause in causes)
    if refused and is_local_address(address):
        hint = START_HINTS.get(provider, START_HINTS["openai-compatible"])
        return ServerNotRunning(
            redact(f"{provider}: nothing answers at {address} (connection refused); {hint}"), QUICK_RETRY
        )
    cause = error.__cause__
    reason = f": {cause}" if cause else ""
    return NetworkError(redact(f"{provider}: connection failed{reason}"))


TRY_WITHOUT_A_KEY = 'to try topicgen without one, see "Try it without a key" in the README'


def missing_key(variable: str) -> ConfigError:
    """The one line a missing key gets: the variable to set, and where to try topicgen without one."""
    return ConfigError(f"{variable} is not set: export {variable}=... to use this model; {TRY_WITHOUT_A_KEY}")
