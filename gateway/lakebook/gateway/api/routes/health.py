"""Liveness and readiness: is the gateway up, and can it reach Prefect and the lake."""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from lakebook.common.settings import Settings
from lakebook.flows.lake_store import LakeError, LakeStore
from lakebook.gateway.api.deps import SettingsDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]


class DependencyCheck(BaseModel):
    name: str
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: list[DependencyCheck]


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(settings: SettingsDep) -> JSONResponse:
    checks = list(await asyncio.gather(_check_prefect(settings), _check_lake(settings)))
    ready = all(check.ok for check in checks)
    body = Readiness(status="ready" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


async def _check_prefect(settings: Settings) -> DependencyCheck:
    url = f"{settings.prefect_url}/health"
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
