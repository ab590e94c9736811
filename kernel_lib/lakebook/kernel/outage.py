"""Riding out a gateway that is briefly away while a run is followed.

`lakebook up` restarts a crashed gateway on its port within seconds, and a gateway answers 503
while Prefect restarts: a notebook waiting for a run should neither fail nor miss the run's end
because of that. What follows a run (`Run.wait`, `Run.events`) retries such answers with
back-off for up to OUTAGE_SECONDS in a row, then raises the last error as it came.
"""

from __future__ import annotations

import time
from typing import Any

from lakebook.kernel.errors import LakebookConnectionError, LakebookUnavailable

# The errors that say "not now" rather than "no": nothing listening, or a 502/503/504.
TRANSIENT_ERRORS = (LakebookConnectionError, LakebookUnavailable)
# How long in a row the gateway may be away before following a run gives up.
OUTAGE_SECONDS = 120.0
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0)


class Outage:
    """The current stretch of failed attempts: how long to pause before the next one."""

    def __init__(self, limit_seconds: float = OUTAGE_SECONDS) -> None:
        self.limit_seconds = limit_seconds
        self._began: float | None = None
        self._failures = 0

    def over(self) -> None:
        """An attempt got through: the next failure starts a new outage."""
        self._began, self._failures = None, 0

    def pause_after(self, error: Exception) -> float:
        """Seconds to wait before trying again; raises `error` once the outage is too long."""
        now = time.monotonic()
        if self._began is None:
            self._began = now
        if now - self._began >= self.limit_seconds:
            raise error
        delay = RETRY_DELAYS[min(self._failures, len(RETRY_DELAYS) - 1)]
        self._failures += 1
        return delay


def event_identity(kind: str, data: dict[str, Any]) -> tuple[str, ...] | None:
    """What makes an event the same one when a new stream sends it again (a restarted gateway
    replays the run's states and logs from the start); None for events never repeated on
    purpose (`error`, `end`)."""
    if kind == "state":
        return (kind, str(data.get("state")), str(data.get("timestamp")))
    if kind == "log":
        return (kind, str(data.get("timestamp")), str(data.get("message")))
    return None
