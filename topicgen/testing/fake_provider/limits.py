"""Rate limits the fake provider enforces: token buckets and the providers' header formats."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta


class Bucket:
    """A per-minute limit as a token bucket holding ``burst_seconds`` of budget; it may go into debt."""

    def __init__(self, per_minute: int, burst_seconds: float, now: float) -> None:
        self.limit = per_minute
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_seconds)
        self.level = self.capacity
        self.stamp = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, cost: float) -> float:
        """Seconds until ``cost`` may be admitted (0 now); a cost above capacity needs a full bucket."""
        need = min(cost, self.capacity)
        return 0.0 if self.level >= need - 1e-9 else (need - self.level) / self.rate

    def remaining(self) -> int:
        return max(0, math.floor(self.level))

    def reset_after(self) -> float:
        return max(0.0, (self.capacity - self.level) / self.rate)


def openai_duration(seconds: float) -> str:
    """OpenAI's reset format: '20ms', '1.5s', '6m0s'."""
    if seconds < 1:
        return f"{max(1, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:.3g}s" if minutes else f"{rest:.3g}s"


def rfc3339(seconds_from_now: float) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
