"""The ``[verify]`` settings: where the services are, and how politely to use them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_BOOKS_URL = "https://openlibrary.org"
DEFAULT_VIDEOS_URL = "https://www.youtube.com"


class VerifySettings(BaseModel):
    """``[verify]`` in topicgen.toml (``TOPICGEN_VERIFY_<NAME>`` in the environment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="check books and YouTube links before a page is written")
    books_url: str = Field(DEFAULT_BOOKS_URL, description="the book catalog (Open Library's search API)")
    videos_url: str = Field(DEFAULT_VIDEOS_URL, description="YouTube: oEmbed for videos, pages for channels")
    concurrency: int = Field(4, ge=1, le=32, description="lookups in flight at once, per service")
    timeout: float = Field(10.0, gt=0, le=120, description="seconds per lookup")
    retries: int = Field(2, ge=0, le=10, description="retries of a lookup after a 429 or a 5xx")
    max_wait: float = Field(30.0, ge=0, le=600, description="longest Retry-After honoured, seconds")
    cache_days: float = Field(30.0, ge=0, le=3650, description="how long a lookup's answer is reused")
    contact: str | None = Field(
        None, max_length=200, description="an address for the User-Agent, as Open Library asks"
    )

    @field_validator("books_url", "videos_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("contact")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.isprintable() or "(" in value or ")" in value):
            raise ValueError("must be one line of plain text, without parentheses")
        return value or None
