"""The gateway's FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from lakebook.common.settings import get_settings
from lakebook.gateway.api.deps import API_PREFIX
from lakebook.gateway.api.routes import auth, flows, health, runs
from lakebook.gateway.orchestrator import Orchestrator, PrefectUnavailableError
from lakebook.gateway.run_events import RunWatcher


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    async with Orchestrator(settings.prefect_url, settings.outbound_timeout_seconds) as prefect:
        app.state.orchestrator = prefect
        app.state.run_watcher = watcher = RunWatcher(prefect)
        await watcher.start()
        try:
            yield
        finally:
            await watcher.stop()


async def prefect_unavailable(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


def create_app() -> FastAPI:
    """The gateway app; uvicorn runs it with `--factory lakebook.gateway.main:create_app`."""
    app = FastAPI(title="lakebook gateway", version="0.1.0", docs_url="/docs", lifespan=lifespan)
    app.include_router(health.router)
    # runs before flows: /flows/runs must not be read as a flow called "runs".
    for router in (auth.router, runs.router, flows.router):
        app.include_router(router, prefix=API_PREFIX)
    app.add_exception_handler(PrefectUnavailableError, prefect_unavailable)
    return app
