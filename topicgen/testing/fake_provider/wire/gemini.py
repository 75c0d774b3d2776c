"""Gemini's REST API (``models/<model>:generateContent``) as the fake provider speaks it.

Requests are read in either of the JSON forms the API takes (camelCase, as the
SDK sends them, or snake_case, as batch lines may hold them). Errors are
Google's status objects: ``{"error": {"code", "message", "status", "details"}}``;
a 429 names the quota it hit (``QuotaFailure``) and how long to wait
(``RetryInfo``) instead of sending ``retry-after``, a rejected key is a 400
with ``ErrorInfo`` ``API_KEY_INVALID``, and an overload is a 503
``UNAVAILABLE``. ``gemini_daily_quota`` and ``gemini_minute_quota`` script the
two kinds of 429 a Gemini account meets.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from topicgen.testing.fake_provider.pages import schema_in_prompt, text_of
from topicgen.testing.fake_provider.script import Details, HttpError
from topicgen.testing.fake_provider.wire.common import Respond, Served, Serving, Structure

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# google.rpc.Code of each status, as a batch's results file carries them
GRPC_CODES = {
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "ABORTED": 10,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}
THINKING_LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")
MINUTE_QUOTA = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
DAILY_QUOTA = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
QUOTA_METRIC = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more information "
    "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
)
SCHEMA_REJECTED = (
    "Invalid JSON payload received. Unknown name \"responseJsonSchema\" at 'generation_config': "
    "Cannot find field."
)
OVERLOADED = "The model is overloaded. Please try again later."
_MODEL = re.compile(r"/models/([^/:]+):")


def model_in(path: str) -> str:
    """The model a Gemini path names (``/v1/models/<model>:generateContent``)."""
    found = _MODEL.search(path)
    return found.group(1) if found else "fake-model"


def field_of(data: Any, camel: str, snake: str) -> Any:
    """A field under either of its JSON names (the API reads both)."""
    if not isinstance(data, Mapping):
        return None
    return data.get(camel, data.get(snake))


def quota_failure(quota_id: str, model: str, limit: int) -> dict[str, Any]:
    violation = {
        "quotaMetric": QUOTA_METRIC,
        "quotaId": quota_id,
        "quotaDimensions": {"location": "global", "model": model},
        "quotaValue": str(limit),
    }
    return {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]}


def retry_info(seconds: float) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{seconds:g}s"}


def error_info(reason: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"},
    }


def _quota_message(model: str, limit: int) -> str:
    return f"{QUOTA_MESSAGE}\n* Quota exceeded for metric: {QUOTA_METRIC}, limit: {limit}, model: {model}"


def gemini_daily_quota(model: str, limit: int = 250) -> HttpError:
    """The 429 of a used-up daily quota (it names a short retryDelay too, as Gemini's do)."""
    details = (quota_failure(DAILY_QUOTA, model, limit), retry_info(41))
    return HttpError(429, _quota_message(model, limit), details=details)


def gemini_minute_quota(model: str, retry_delay: float = 2.0, limit: int = 15) -> HttpError:
    """The 429 of a per-minute limit, asking to wait ``retry_delay`` seconds."""
    message = f"{_quota_message(model, limit)}\nPlease retry in {retry_delay:g}s."
    return HttpError(
        429, message, details=(quota_failure(MINUTE_QUOTA, model, limit), retry_info(retry_delay))
    )


def error_body(status: int, message: str, details: Details = ()) -> dict[str, Any]:
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": STATUS_NAMES.get(status, "UNKNOWN"),
    }
    if details:
        error["details"] = [dict(detail) for detail in details]
    return {"error": error}


class GeminiWire:
    """Gemini's generateContent: request parsing and response bodies, for the model the path names."""

    def __init__(self, path: str = "") -> None:
        self.model = model_in(path)

    def _system(self, body: dict[str, Any]) -> str:
        return text_of(field_of(field_of(body, "systemInstruction", "system_instruction"), "parts", "parts"))

    def _contents(self, body: dict[str, Any]) -> list[Mapping[str, Any]]:
        return [c for c in body.get("contents") or [] if isinstance(c, Mapping)]

    def user_texts(self, body: dict[str, Any]) -> list[str]:
        return [text_of(c.get("parts")) for c in self._contents(body) if c.get("role", "user") == "user"]

    def api_key(self, headers: Mapping[str, str]) -> str:
        return headers.get("x-goog-api-key", "").strip()

    def prompt_text(self, body: dict[str, Any]) -> str:
        texts = [self._system(body)] + [text_of(c.get("parts")) for c in self._contents(body)]
        config = field_of(body, "generationConfig", "generation_config") or {}
        return "\n".join(texts) + json.dumps(config, ensure_ascii=False)

    def cacheable_prefix(self, body: dict[str, Any]) -> str | None:
        return self._system(body) or None  # Gemini caches a repeated prefix on its own (implicit caching)

    def structure(self, body: dict[str, Any], serving: Serving) -> Structure | str:
        config = field_of(body, "generationConfig", "generation_config") or {}
        thinking = field_of(
            field_of(config, "thinkingConfig", "thinking_config"), "thinkingLevel", "thinking_level"
        )
        if thinking is not None and str(thinking).upper() not in THINKING_LEVELS:
            return f"Invalid value at 'generation_config.thinking_config.thinking_level' ({thinking!r})"
        if field_of(config, "responseMimeType", "response_mime_type") != "application/json":
            return "this fake provider answers only requests with responseMimeType application/json"
        schema = field_of(config, "responseJsonSchema", "response_json_schema")
        if schema is not None:
            if not serving.json_schema:
                return SCHEMA_REJECTED
            return Structure(schema) if isinstance(schema, dict) else "responseJsonSchema must be an object"
        found = schema_in_prompt([self._system(body), *self.user_texts(body)])
        return Structure(found) if found else "JSON mode: no JSON Schema found in the prompt"

    def reply(self, served: Served) -> dict[str, Any]:
        usage, finish = served.usage, served.finish
        counts: dict[str, Any] = {
            "promptTokenCount": usage.prompt,
            "candidatesTokenCount": usage.output,
            "totalTokenCount": usage.prompt + usage.output,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": usage.prompt}],
        }
        if usage.cached:
            counts["cachedContentTokenCount"] = usage.cached
        answer: dict[str, Any] = {
            "usageMetadata": counts,
            "modelVersion": self.model,
            "responseId": f"fake{served.index:06d}",
        }
        if finish == "blocked":  # the prompt itself is refused: no candidate at all
            return {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, **answer}
        candidate: dict[str, Any] = {"index": 0, "finishReason": "STOP"}
        if finish == "refusal":
            blocked = {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
            candidate.update(finishReason="SAFETY", safetyRatings=[blocked])
        else:
            candidate["content"] = {"parts": [{"text": served.text}], "role": "model"}
            candidate["finishReason"] = "MAX_TOKENS" if finish == "length" else "STOP"
        return {"candidates": [candidate], **answer}

    def error(self, status: int, message: str, headers: Mapping[str, str], details: Details = ()) -> Respond:
        """Google's error object; what the other formats say in headers goes in its details."""
        kept = {k: v for k, v in headers.items() if not k.lower().startswith("retry-after")}
        lowered = {k.lower(): v for k, v in headers.items()}
        if status == 401:  # Gemini answers a bad key with a 400 saying why in its details
            status, details = 400, (*details, error_info("API_KEY_INVALID"))
        elif status == 529:
            status, message = 503, OVERLOADED
        elif status == 429 and not details:
            wait = float(lowered.get("retry-after-ms", 0) or 0) / 1000 or float(lowered.get("retry-after", 1))
            details = (quota_failure(MINUTE_QUOTA, self.model, 15), retry_info(math.ceil(wait * 1000) / 1000))
        return Respond(status, error_body(status, message, details), kept)

    def missing_model(self, model: str) -> Respond:
        """The 404 Gemini sends for a model it does not have."""
        message = (
            f"models/{model} is not found for API version v1beta, or is not supported for generateContent."
        )
        return self.error(404, message, {})

    def rate_limit_headers(self, limits: Mapping[str, tuple[int, int, float]]) -> dict[str, str]:
        return {}  # Gemini reports no rate-limit state in headers
