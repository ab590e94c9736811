"""The gateway's FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from lakebook.common.exit_codes import EXIT_USAGE
from lakebook.common.settings import Settings, SettingsError, get_settings
from lakebook.common.token_keys import token_keys
from lakebook.gateway.api.deps import ActiveUsers
from lakebook.gateway.api.routes import (
    auth,
    dataset_grants,
    flows,
    health,
    jwks,
    lake,
    notebooks,
    run_reports,
    runs,
)
from lakebook.gateway.core.body_limit import BodySizeLimit
from lakebook.gateway.core.forwarded import TrustedProxies
from lakebook.gateway.core.rate_limit import RateLimiter, TokenBuckets
from lakebook.gateway.core.security import VerifiedTokens
from lakebook.gateway.core.shared_rate_limit import RedisTokenBuckets
from lakebook.gateway.core.throttle import LoginThrottle
from lakebook.gateway.crud import RunRecords
from lakebook.gateway.db import database_error, engine_for
from lakebook.gateway.middleware import Metrics, ObserveRequests
from lakebook.gateway.orchestrator import Orchestrator, PrefectUnavailableError
from lakebook.gateway.run_events import RunWatcher
from lakebook.lake.metadata import LakeMetadataError
from lakebook.lake.store import LakeError


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    # Migrated before the first request, not by it: a gateway that cannot open its database
    # fails its start (the supervisor restarts it) instead of answering 500s.
    await asyncio.to_thread(engine_for, settings.gateway.database)
    async with Orchestrator(
        settings.prefect.url,
        settings.outbound_timeout_seconds,
        live_state_seconds=settings.gateway.run_state_cache_seconds,
    ) as prefect:
        app.state.orchestrator = prefect
        app.state.run_watcher = watcher = RunWatcher(prefect)
        await watcher.start()
        # Everything imported and built so far (Prefect's client alone is hundreds of thousands
        # of objects) lives as long as the process: keep it out of the collector's full passes,
        # which otherwise scan it all and stall every request waiting on the event loop.
        gc.freeze()
        try:
            yield
        finally:
            await watcher.stop()
            if isinstance(app.state.rate_limiter, RedisTokenBuckets):
                await app.state.rate_limiter.close()


async def prefect_unavailable(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def lake_unavailable(request: Request, error: Exception) -> JSONResponse:
    # Missing things are answered by the routes; what reaches here is S3 down or misconfigured.
    detail = f"the lake is unavailable: {error}"
    return JSONResponse({"detail": detail}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def lake_metadata_broken(request: Request, error: Exception) -> JSONResponse:
    # The lake answered, with a metadata.json lakebook did not write: retrying will not help.
    detail = str(error)
    return JSONResponse({"detail": detail}, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR)


def configure_logging() -> None:
    """lakebook's loggers write one line per record to stderr (JSON for the access log)."""
    root = logging.getLogger("lakebook")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


def checked_settings() -> Settings:
    """The settings with any signing key loaded, or exit 2 with one line naming the variable:
    a bad key file must stop the gateway at start, not fail every sign-in later. (A missing
    HS256 secret still answers 503 per request, as before.)"""
    try:
        settings = get_settings()
        if settings.jwt.algorithm != "HS256":
            token_keys(settings)
    except SettingsError as error:
        logging.getLogger("lakebook.gateway").error("invalid settings: %s", error)
        raise SystemExit(EXIT_USAGE) from None
    return settings


def checked_database(settings: Settings) -> None:
    """The database opened and migrated, or exit 2 with one line naming LAKEBOOK_DATABASE_URL:
    a malformed or unreachable one stops the gateway at start (the lifespan's own call is then
    answered from the cache), not with a traceback from the lifespan."""
    try:
        engine_for(settings.gateway.database)
    except SQLAlchemyError as error:
        message = database_error(settings.gateway.database, error)
        logging.getLogger("lakebook.gateway").error("%s", message)
        raise SystemExit(EXIT_USAGE) from None


def rate_limiter(settings: Settings) -> RateLimiter:
    if settings.gateway.rate_limit_redis_url:
        return RedisTokenBuckets(
            settings.gateway.rate_limit_redis_url,
            settings.gateway.rate_limit_per_second,
            settings.gateway.rate_limit_burst,
        )
    if settings.gateway.workers > 1:
        logging.getLogger("lakebook.gateway").warning(
            "%d gateway workers each keep their own rate-limit buckets (a user gets up to %d "
            "times the limit); set LAKEBOOK_RATE_LIMIT_REDIS_URL to share them",
            settings.gateway.workers,
            settings.gateway.workers,
        )
    return TokenBuckets(settings.gateway.rate_limit_per_second, settings.gateway.rate_limit_burst)


def create_app() -> FastAPI:
    """The gateway app; uvicorn runs it with `--factory lakebook.gateway.main:create_app`."""
    configure_logging()
    settings = checked_settings()
    checked_database(settings)
    app = FastAPI(title="lakebook gateway", version="0.1.0", docs_url="/docs", lifespan=lifespan)
    app.state.active_users = ActiveUsers(settings.gateway.user_cache_seconds)
    app.state.verified_tokens = VerifiedTokens()
    app.state.rate_limiter = rate_limiter(settings)
    app.state.login_throttle = LoginThrottle(
        settings.jwt.login_max_failures, settings.jwt.login_window_seconds
    )
    app.state.run_records = RunRecords()
    metrics = Metrics()
    # Added innermost first. The cap sits inside the access log (a 413 is logged like any
    # answer) and before routing, so before authentication and any parsing; the upload route
    # streams its body under its own cap (LAKEBOOK_UPLOAD_MAX_BYTES).
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.gateway.request_body_max_bytes,
        streamed_paths=frozenset({lake.router.url_path_for("upload")}),
    )
    app.add_middleware(ObserveRequests, metrics=metrics)
    # Outside the access log and everything else: they all see the client it decides.
    app.add_middleware(TrustedProxies, proxies=settings.gateway.trusted_proxies)
    if settings.gateway.cors_origins:
        # Closed unless origins are configured: the Lab extension calls through Jupyter instead.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.gateway.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(health.router)
    app.include_router(jwks.router)
    # runs before flows: /flows/runs must not be read as a flow called "runs".
    for router in (
        auth.router,
        runs.router,
        run_reports.router,
        run_reports.reports_router,
        flows.router,
        lake.router,
        dataset_grants.router,
        notebooks.router,
    ):
        # Routers carry the full /api/v1 prefix so route templates (logs, metrics) are whole.
        app.include_router(router)
    app.add_exception_handler(PrefectUnavailableError, prefect_unavailable)
    app.add_exception_handler(LakeError, lake_unavailable)
    app.add_exception_handler(LakeMetadataError, lake_metadata_broken)
    return app
