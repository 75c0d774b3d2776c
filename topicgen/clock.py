"""The one place topicgen asks the calendar what day it is.

Whether a model has retired and which price applies depend on the date;
they read it here, so a test pins the day (``set_today``) instead of passing
or failing with the calendar, and a person can ask what a later day would
bring (``TOPICGEN_TODAY=2027-01-15 topicgen models``).
"""

from __future__ import annotations

import datetime as dt
import os

from topicgen.errors import ConfigError

TODAY_VARIABLE = "TOPICGEN_TODAY"
_pinned: dt.date | None = None


def today() -> dt.date:
    """Today's date (UTC): a pinned day, else ``TOPICGEN_TODAY``, else the system clock."""
    if _pinned is not None:
        return _pinned
    if value := os.environ.get(TODAY_VARIABLE, "").strip():
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{TODAY_VARIABLE}={value!r} is not a date like 2027-01-15") from None
    return dt.datetime.now(dt.UTC).date()


def moment() -> dt.datetime:
    """Now (UTC), on ``today()``'s date: what dated price data is looked up at."""
    now = dt.datetime.now(dt.UTC)
    day = today()
    return now if day == now.date() else dt.datetime.combine(day, dt.time(12), dt.UTC)


def set_today(day: dt.date | None) -> None:
    """Pin the date for this process (None: back to the system clock)."""
    global _pinned
    _pinned = day
