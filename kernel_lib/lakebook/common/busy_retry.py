"""Quick retries of Prefect's "database busy" answers.

Prefect's SQLite store answers 503 when a write meets another writer's commit (SQLITE_BUSY, or
SQLITE_BUSY_SNAPSHOT, which WAL mode returns at once instead of waiting). Prefect's client does
retry a 503, but only after 2 s, then 4, 8, ...: one unlucky launch took 2 s longer than the rest.
The contention lasts milliseconds, so this transport first retries a few times within about
0.6 s, and only then hands the 503 on (to Prefect's own, slower retries).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx

# Seconds before each quick retry; about 0.6 s in all. The first comes almost at once: a write
# that met another's commit (SQLITE_BUSY_SNAPSHOT) starts afresh from the committed state, and
# in a flow run that collision came with nearly every tagged task (its slot request meets the
# recording of the task's first state); a first pause of 20 ms was most of that request's time.
BUSY_RETRY_DELAYS = (0.002, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32)


class BusyRetryTransport(httpx.AsyncBaseTransport):
    """Sends a request again, after a short pause, while the answer is 503."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        delays: Sequence[float] = BUSY_RETRY_DELAYS,
    ) -> None:
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self._delays = tuple(delays)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # Prefect's requests carry their body in memory, so it can be sent again.
        response = await self._inner.handle_async_request(request)
        for delay in self._delays:
            if response.status_code != httpx.codes.SERVICE_UNAVAILABLE:
                break
            await response.aclose()
            await asyncio.sleep(delay)
            response = await self._inner.handle_async_request(request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
