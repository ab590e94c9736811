"""Per-user token buckets: a steady rate with room for bursts; over it, 429 with Retry-After."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    """Spends one of a key's tokens: None if allowed, else seconds until a token is back."""

    async def wait_time(self, key: str) -> float | None: ...


class TokenBuckets:
    """In memory, per gateway process (replicas behind a load balancer each keep their own)."""

    def __init__(
        self,
        rate_per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Spends one token; returns None if allowed, else seconds until a token is back."""
        now = self.clock()
        with self._lock:
            tokens, updated = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self.rate
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._forget_full_buckets(now)
            self._buckets[key] = (tokens - 1.0, now)
            return None

    async def wait_time(self, key: str) -> float | None:
        return self.take(key)

    def _forget_full_buckets(self, now: float) -> None:
        # A bucket that has refilled holds no state worth keeping.
        refill_time = self.burst / self.rate
        for key, (_, updated) in list(self._buckets.items()):
            if now - updated >= refill_time:
                del self._buckets[key]


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
