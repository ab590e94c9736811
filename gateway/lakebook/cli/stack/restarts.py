"""When `lakebook up` restarts a crashed service: after an exponential back-off, and only so
many times within a window, after which the service counts as broken and the stack stops."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# Most crashes have a passing cause (an OOM kill, a dependency restarting, a killed PID): the
# first restart comes at once, so the gateway is back before a user's retry.
FIRST_DELAY_SECONDS = 0.5
# Doubling stops here: a service that kept crashing while its cause lasted (S3 down for a
# minute) must still come back within seconds once the cause is gone.
MAX_DELAY_SECONDS = 8.0


@dataclass(frozen=True)
class RestartPolicy:
    """`limit` restarts of one service within `window_seconds` (LAKEBOOK_RESTART_LIMIT and
    LAKEBOOK_RESTART_WINDOW_SECONDS); one more crash stops the stack."""

    limit: int
    window_seconds: float
    first_delay: float = FIRST_DELAY_SECONDS
    max_delay: float = MAX_DELAY_SECONDS

    def delay(self, recent_restarts: int) -> float:
        return min(self.first_delay * 2.0**recent_restarts, self.max_delay)


@dataclass
class RestartHistory:
    """One service's restarts: all of them (for `lakebook status`) and the recent ones (for
    the limit and the back-off, which start over once old crashes leave the window)."""

    policy: RestartPolicy
    total: int = 0
    _recent: deque[float] = field(default_factory=deque)

    def next_delay(self, now: float) -> float | None:
        """Seconds to wait before the next restart, or None when the limit is reached."""
        while self._recent and self._recent[0] <= now - self.policy.window_seconds:
            self._recent.popleft()
        if len(self._recent) >= self.policy.limit:
            return None
        return self.policy.delay(len(self._recent))

    def record(self, now: float) -> None:
        self._recent.append(now)
        self.total += 1
