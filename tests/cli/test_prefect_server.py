"""The embedded Prefect server replays its own brief "database busy" answers (sqlite_busy.py)
and gives up waiting for SQLite's lock sooner than Prefect's 60 s.

The app under test is shaped like Prefect's: the API mounted under /api, and a generic exception
handler that answers 503 for a busy database, which Starlette then raises again."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prefect.server.database.configurations import AioSqliteConfiguration
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from lakebook.cli.stack.services import prefect_service
from lakebook.common.settings import Settings
from lakebook.flows.sqlite_busy import (
    SQLITE_BUSY_TIMEOUT_MS,
    ReplayBusyRequests,
    replaying,
    with_busy_timeout,
)
from tests.utils.ports import free_port
from tests.utils.services import quiet_supervisor

NO_WAIT = (0.0, 0.0, 0.0)


class DatabaseBusy(Exception):
    """Stands in for SQLAlchemy's OperationalError on SQLITE_BUSY_SNAPSHOT."""


async def answer_busy(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"exception_message": "Service Unavailable"}, status_code=503)


def prefect_like_app(busy_answers: int, received: list[bytes], started: list[bool]) -> Starlette:
    """Raises DatabaseBusy for the first `busy_answers` requests, then creates (201)."""

    async def create(request: Request) -> JSONResponse:
        received.append(await request.body())
        if len(received) <= busy_answers:
            raise DatabaseBusy
        return JSONResponse({"created": True}, status_code=201)

    async def missing(request: Request) -> JSONResponse:
        received.append(await request.body())
        return JSONResponse({"detail": "Not Found"}, status_code=404)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started.append(True)
        yield

    api = Starlette(
        routes=[
            Route("/flow_runs/", create, methods=["POST"]),
            Route("/flow_runs/{id}", missing, methods=["GET", "POST"]),
        ],
        exception_handlers={Exception: answer_busy},
    )
    return Starlette(routes=[Mount("/api", app=api)], lifespan=lifespan)


def replaying_app(
    busy_answers: int, received: list[bytes], delays: tuple[float, ...] = NO_WAIT
) -> ReplayBusyRequests:
    return ReplayBusyRequests(prefect_like_app(busy_answers, received, []), delays=delays)


def request(app: ReplayBusyRequests, method: str, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        # Starlette raises the handled error again after answering; a real server logs it.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://prefect") as client:
            return await client.request(method, path, json={"name": "run"})

    return asyncio.run(call())


def test_a_brief_busy_spell_is_replayed_with_the_same_body_and_never_seen() -> None:
    received: list[bytes] = []
    response = request(replaying_app(2, received), "POST", "/api/flow_runs/")
    assert response.status_code == 201
    assert response.json() == {"created": True}
    # Routing under the mount worked on every attempt (it rewrites the scope it is given).
    assert received == [b'{"name":"run"}'] * 3


def test_a_lasting_busy_spell_reaches_the_client_after_the_replays() -> None:
    received: list[bytes] = []
    response = request(replaying_app(100, received), "POST", "/api/flow_runs/")
    assert response.status_code == 503
    assert response.json() == {"exception_message": "Service Unavailable"}
    assert len(received) == len(NO_WAIT) + 1


def test_other_answers_are_sent_once() -> None:
    received: list[bytes] = []
    app = replaying_app(0, received)
    assert request(app, "POST", "/api/flow_runs/").status_code == 201
    assert request(app, "GET", "/api/flow_runs/abc").status_code == 404
    assert len(received) == 2


def test_the_factory_wrapper_keeps_the_apps_lifespan() -> None:
    """`prefect server start` builds its app through the wrapped factory; start-up (Prefect's
    services) still runs through the middleware."""
    received: list[bytes] = []
    started: list[bool] = []
    app = replaying(prefect_like_app)(1, received, started)
    assert isinstance(app, ReplayBusyRequests)

    async def start_and_post() -> int:
        async with LifespanManager(app):  # type: ignore[arg-type]
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://p") as client:
                return (await client.post("/api/flow_runs/", json={})).status_code

    assert asyncio.run(start_and_post()) == 201
    assert started == [True]
    assert len(received) == 2


def test_prefects_sqlite_connections_get_the_shorter_busy_timeout_and_keep_its_pragmas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through Prefect's own engine set-up, as `server start` makes it."""
    monkeypatch.setattr(
        AioSqliteConfiguration,
        "setup_sqlite",
        with_busy_timeout(AioSqliteConfiguration.setup_sqlite, SQLITE_BUSY_TIMEOUT_MS),
    )

    async def pragmas() -> tuple[int, str]:
        config = AioSqliteConfiguration(f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}")
        engine = await config.engine()
        try:
            async with engine.connect() as connection:
                busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
                journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
        finally:
            await engine.dispose()
        return busy, journal

    assert asyncio.run(pragmas()) == (SQLITE_BUSY_TIMEOUT_MS, "wal")


# Longer than the embedded server's replays of a request (8 attempts that each wait 2 s for the
# lock); with Prefect's own 60 s a write would wait for the lock as long as it is held.
LOCK_HELD_AT_MOST_SECONDS = 90.0


@pytest.mark.services  # starts a Prefect server of its own
def test_a_write_held_up_by_the_lock_is_answered_503_while_it_is_held(tmp_path: Path) -> None:
    """The real embedded server: while another connection holds SQLite's write lock, a write
    request gives up (503) instead of waiting the lock out; once it is released, it succeeds."""
    settings = Settings(data_dir=tmp_path, prefect_port=free_port())
    supervisor = quiet_supervisor(tmp_path / "stack.json")
    try:
        supervisor.start(prefect_service(settings))
        url = f"{settings.prefect.url}/flows/"
        holder = sqlite3.connect(tmp_path / "prefect" / "prefect.db", isolation_level=None)
        answered = threading.Event()
        statuses: list[int] = []

        def create_flow() -> None:
            try:
                statuses.append(httpx.post(url, json={"name": "held-up"}, timeout=120).status_code)
            finally:
                answered.set()

        holder.execute("BEGIN IMMEDIATE")
        try:
            threading.Thread(target=create_flow, daemon=True).start()
            answered.wait(LOCK_HELD_AT_MOST_SECONDS)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        answered.wait(LOCK_HELD_AT_MOST_SECONDS)
        assert statuses == [503]
        assert httpx.post(url, json={"name": "held-up"}, timeout=60).status_code == 201
    finally:
        supervisor.stop_all()
