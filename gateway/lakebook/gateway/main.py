"""The gateway's FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from lakebook.gateway.api.routes import health


def create_app() -> FastAPI:
    """The gateway app; uvicorn runs it with `--factory lakebook.gateway.main:create_app`."""
    app = FastAPI(title="lakebook gateway", version="0.1.0", docs_url="/docs")
    app.include_router(health.router)
    return app
