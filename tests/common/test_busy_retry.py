"""BusyRetryTransport: Prefect's brief 503s are retried at once, anything else passes through."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lakebook.common.busy_retry import BusyRetryTransport

NO_WAIT = (0.0, 0.0, 0.0)


def busy_app(busy_answers: int, received: list[bytes]) -> Starlette:
    """Answers 503 like Prefect's busy SQLite store `busy_answers` times, then 201."""

    async def create(request: Request) -> JSONResponse:
        received.append(await request.body())
        if len(received) <= busy_answers:
            return JSONResponse({"exception_message": "Service Unavailable"}, status_code=503)
        return JSONResponse({"created": True}, status_code=201)

    return Starlette(routes=[Route("/flow_runs/", create, methods=["POST"])])


def post(app: Starlette, delays: tuple[float, ...] = NO_WAIT) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = BusyRetryTransport(httpx.ASGITransport(app=app), delays=delays)
        async with httpx.AsyncClient(transport=transport, base_url="http://prefect") as client:
            return await client.post("/flow_runs/", json={"name": "run"})

    return asyncio.run(call())


def test_a_brief_busy_spell_is_ridden_out_with_the_same_body() -> None:
    received: list[bytes] = []
    response = post(busy_app(2, received))
    assert response.status_code == 201
    assert received == [b'{"name":"run"}'] * 3


def test_a_lasting_busy_spell_is_handed_on_after_the_quick_retries() -> None:
    received: list[bytes] = []
    response = post(busy_app(100, received))
    assert response.status_code == 503
    assert len(received) == len(NO_WAIT) + 1


def test_other_answers_are_not_retried() -> None:
    received: list[bytes] = []
    response = post(busy_app(0, received))
    assert response.status_code == 201
    assert len(received) == 1
