"""Raw calls to Prefect's REST API that retry its 503 answers, as Prefect's own client does.

Prefect's SQLite store answers 503 "Service Unavailable" when a write meets a busy database
(SQLITE_BUSY, or SQLITE_BUSY_SNAPSHOT, which WAL mode returns at once without waiting). Its
client retries those; a test talking to the REST API directly must do the same, or it fails
whenever the runner or Prefect's own services happen to be writing at that moment.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

ATTEMPTS = 8


def prefect_request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Prefect's answer to `method url`, retried with backoff while it is 503 (bounded)."""
    kwargs.setdefault("timeout", 30)
    for attempt in range(ATTEMPTS):
        response = httpx.request(method, url, **kwargs)
        if response.status_code != httpx.codes.SERVICE_UNAVAILABLE:
            break
        time.sleep(min(0.25 * 2**attempt, 4.0))  # a retry's backoff, as Prefect's client does
    return response
