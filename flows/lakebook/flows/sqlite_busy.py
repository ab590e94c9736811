"""The embedded Prefect server's answers to a busy SQLite database: replayed at once, and a
shorter wait for SQLite's lock (installed by `prefect_compat.install_server()`).

Prefect's SQLite store answers 503 when a write meets another writer's commit
(SQLITE_BUSY_SNAPSHOT, which WAL mode returns at once instead of waiting). Prefect's client
retries a 503 only after 2 s, then 4, 8, ... Inside a flow run such writes come every task: a
task with tags acquires concurrency slots first, while the previous task's events are being
recorded, and a transform's three tasks took 2 s longer each, one run in two. The contention
lasts milliseconds, so the server itself replays such a request a few times within about 0.6 s
(as the gateway's BusyRetryTransport does for its own calls) and only then lets the 503 out to
the client's slower retries. A request answered 503 committed nothing, so replaying it is
what the client would have done, only sooner; every client of the embedded server gains.

Prefect also sets SQLite's busy timeout to 60 s on each connection. The lock it waits for is
held for milliseconds, except when its holder is itself waiting on the waiter: then the server
stalled for the full 60 s (seen in CI: the task-run recorder and the automations' triggers
waiting, everything resuming the moment they gave up) and every caller with a shorter timeout
failed meanwhile. Here a wait gives up after SQLITE_BUSY_TIMEOUT_MS: such a stall lasts that
long, and a write refused is answered 503 (replayed above) or retried by Prefect's services.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakebook.common.busy_retry import BUSY_RETRY_DELAYS

SERVICE_UNAVAILABLE = 503
# Far above a healthy wait for Prefect's SQLite lock (its transactions last milliseconds), far
# below the 5 s the gateway and Prefect's clients give a call.
SQLITE_BUSY_TIMEOUT_MS = 2000


class ReplayBusyRequests:
    """ASGI middleware: an HTTP request answered 503 is sent to the app again, after a short
    pause, while the answer stays 503 and the delays last; other answers pass straight on."""

    def __init__(self, app: ASGIApp, delays: Sequence[float] = BUSY_RETRY_DELAYS) -> None:
        self.app = app
        self.delays = tuple(delays)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        for delay in self.delays:
            if await self._answer_unless_busy(scope, body, receive, send):
                return
            await asyncio.sleep(delay)
        await self.app(dict(scope), _replay(body, receive), send)

    async def _answer_unless_busy(
        self, scope: Scope, body: bytes, receive: Receive, send: Send
    ) -> bool:
        """Sends the app's answer on unless it is a 503, which is dropped; True when sent."""
        busy = False

        async def send_unless_busy(message: Message) -> None:
            nonlocal busy
            if message["type"] == "http.response.start":
                busy = message["status"] == SERVICE_UNAVAILABLE
            if not busy:
                await send(message)

        try:
            # A copy each time: Starlette's routing rewrites the scope it is given in place.
            await self.app(dict(scope), _replay(body, receive), send_unless_busy)
        except Exception:
            # Starlette raises the error again once its handler has answered (so the server
            # logs it); for a dropped 503 that error is the busy database, and it is retried.
            if not busy:
                raise
        return not busy


async def _read_body(receive: Receive) -> bytes:
    """The whole request body (Prefect's API takes small JSON documents)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the buffered body first, then the connection's own
    messages (after the body, only the client going away)."""
    sent = False

    async def replaying_receive() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replaying_receive


def replaying(create_app: Callable[..., Any]) -> Callable[..., Any]:
    """Prefect's app factory, with its app wrapped in ReplayBusyRequests."""

    def create_replaying_app(*args: Any, **kwargs: Any) -> ReplayBusyRequests:
        return ReplayBusyRequests(create_app(*args, **kwargs))

    return create_replaying_app


SetupSqlite = Callable[[Any, DBAPIConnection, ConnectionPoolEntry], None]


def with_busy_timeout(setup_sqlite: SetupSqlite, timeout_ms: int) -> SetupSqlite:
    """Prefect's set-up of each new SQLite connection (its pragmas), then a busy timeout of
    `timeout_ms` in place of Prefect's 60 s."""

    def setup_with_busy_timeout(
        config: Any, connection: DBAPIConnection, record: ConnectionPoolEntry
    ) -> None:
        setup_sqlite(config, connection, record)
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout_ms)};")
        cursor.close()

    return setup_with_busy_timeout
