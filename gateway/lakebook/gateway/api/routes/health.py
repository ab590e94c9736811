"""Liveness and readiness: is the gateway up, and can it reach Prefect and the lake."""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError

from lakebook.common.settings import Settings
from lakebook.gateway.api.deps import SettingsDep
from lakebook.gateway.core.shared_rate_limit import RedisTokenBuckets
from lakebook.lake.store import LakeError, LakeStore

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]


class DependencyCheck(BaseModel):
    name: str
    ok: bool
    detail: str
    # An optional dependency is reported but does not make the gateway unready.
    required: bool = True


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: list[DependencyCheck]


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request, settings: SettingsDep) -> JSONResponse:
    checks = list(await asyncio.gather(_check_prefect(settings), _check_lake(settings)))
    limiter = request.app.state.rate_limiter
    if isinstance(limiter, RedisTokenBuckets):
        checks.append(await _check_rate_limit_store(limiter))
    ready = all(check.ok for check in checks if check.required)
    body = Readiness(status="ready" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


async def _check_prefect(settings: Settings) -> DependencyCheck:
    url = f"{settings.prefect.url}/health"
    try:
        async with httpx.AsyncClient(timeout=settings.outbound_timeout_seconds) as client:
            response = await client.get(url)
        response.raise_for_status()
    except httpx.HTTPError as error:
        return DependencyCheck(name="prefect", ok=False, detail=f"{url}: {error!r}")
    return DependencyCheck(name="prefect", ok=True, detail=url)


async def _check_lake(settings: Settings) -> DependencyCheck:
    try:
        store = LakeStore.from_settings(settings)
        await asyncio.wait_for(
            asyncio.to_thread(store.check_bucket), timeout=settings.outbound_timeout_seconds * 2
        )
    except (LakeError, ValueError, TimeoutError) as error:
        return DependencyCheck(name="lake", ok=False, detail=str(error) or repr(error))
    return DependencyCheck(name="lake", ok=True, detail=store.paths.root)


async def _check_rate_limit_store(limiter: RedisTokenBuckets) -> DependencyCheck:
    # Not required: without Redis each replica limits on its own, which is no reason to take
    # every replica out of the load balancer.
    try:
        await limiter.ping()
    except (RedisError, OSError) as error:
        detail = f"{limiter.redis_url}: {error!r}; limiting per gateway process meanwhile"
        return DependencyCheck(name="rate_limit_store", ok=False, detail=detail, required=False)
    return DependencyCheck(
        name="rate_limit_store", ok=True, detail=limiter.redis_url, required=False
    )
