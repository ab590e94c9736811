"""The gateway's FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from lakebook.gateway.api.deps import API_PREFIX
from lakebook.gateway.api.routes import auth, health


def create_app() -> FastAPI:
    """The gateway app; uvicorn runs it with `--factory lakebook.gateway.main:create_app`."""
    app = FastAPI(title="lakebook gateway", version="0.1.0", docs_url="/docs")
    app.include_router(health.router)
    app.include_router(auth.router, prefix=API_PREFIX)
    return app
