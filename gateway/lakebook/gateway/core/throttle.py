"""Login throttling: too many failed sign-ins for one user or from one address answer 429."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Sliding-window failure counts per key, in memory (one gateway process)."""

    def __init__(
        self,
        max_failures: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, limit: int | None = None) -> int | None:
        """Seconds until this key may try again, or None when it may try now."""
        limit = limit or self.max_failures
        with self._lock:
            failures = self._recent(key)
            if len(failures) < limit:
                return None
            return max(1, math.ceil(failures[-limit] + self.window - self.clock()))

    def record_failure(self, key: str) -> None:
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._forget_expired()
            self._failures.setdefault(key, deque()).append(self.clock())

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque())
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures

    def _forget_expired(self) -> None:
        for key in list(self._failures):
            if not self._recent(key):
                del self._failures[key]
        if len(self._failures) >= self.max_keys:
            # Still full of live keys (an attack from many addresses): keep the newest half.
            by_age = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in by_age[: len(by_age) // 2]:
                del self._failures[key]
