"""One exception tree for topicgen, so callers can catch by meaning.

``UsageError`` (exit 2) is bad input or configuration, found before any money
is spent. ``ModelError`` is a provider or reply fault for one topic: transient
ones are retried, invalid replies are re-asked, the rest fail that topic.
"""

from __future__ import annotations

from typing import Self


class TopicgenError(Exception):
    """Base of every error topicgen reports; its message is one line for the user."""

    def again(self) -> Self:
        """The same error for another call: a fresh instance, so concurrent calls never share a traceback."""
        copy = self.__class__.__new__(self.__class__)
        copy.__dict__.update(self.__dict__)
        copy.args = self.args
        return copy


class UsageError(TopicgenError):
    """Bad input or configuration: reported with exit code 2, nothing written."""


class ConfigError(UsageError):
    """topicgen.toml, an environment variable or a flag holds an invalid value."""


class TopicNameError(UsageError):
    """A topic name cannot be turned into a safe page."""


class VaultError(UsageError):
    """The vault cannot be read or written as asked."""


class PageLockedError(VaultError):
    """Another topicgen process is writing the same page."""


class ModelError(TopicgenError):
    """A model call failed for one topic."""


class TransientError(ModelError):
    """A fault worth retrying: rate limits, overload, server errors, timeouts, dropped links.

    ``max_retries`` caps how often this kind is retried within one call (None: the
    configured attempts), for faults where more retries cannot help or cost money.
    """

    max_retries: int | None = None

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """HTTP 429: the provider asks us to slow down."""


class ProviderUnavailable(TransientError):
    """HTTP 5xx or 529: the provider is failing or overloaded."""


class NetworkError(TransientError):
    """A timeout or a dropped connection."""


class ReplyTimedOut(NetworkError):
    """No reply within the read timeout: retried once only, since the timed-out generation may be billed."""

    max_retries = 1


class ServerNotRunning(NetworkError):
    """A local server refused the connection: one quick retry (it may be starting), then the run stops."""

    max_retries = 1


class PermanentError(ModelError):
    """A fault retrying cannot fix: bad request, bad key, no access, no such model."""


class AuthError(PermanentError):
    """The API key is missing or rejected."""


class ModelNotFound(PermanentError):
    """The provider has no such model, or not for this key (a typo, a retired model): every call fails."""


class ContextWindowExceeded(PermanentError):
    """A local model's context window is too small for the prompt and a page: a setting fixes it."""


class AccountError(PermanentError):
    """Quota, credit or spend limit exhausted: nothing works until someone pays or raises a limit."""


class QuotaExhausted(AccountError):
    """A quota of one model for a period is used up (Gemini's requests per day): every call to that model
    fails until the period ends, while another model of the same account may still answer."""


class ReplayMiss(PermanentError):
    """A replayed run asked for an exchange that was never recorded."""


class InvalidReply(ModelError):
    """The model answered, but the answer is unusable: re-asked, then reported."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class BudgetExceeded(TopicgenError):
    """The run's cost budget is spent; work not started is left for the next run."""
