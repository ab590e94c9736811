"""Cross-cutting HTTP behaviour: request ids, JSON access logs, metrics, security headers."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("lakebook.gateway.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Swagger UI needs scripts and styles; every other answer is JSON and needs nothing.
_DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class Metrics:
    """Prometheus counters of one app (a registry of its own, so tests can build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lakebook_http_requests_total",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "lakebook_http_request_duration_seconds",
            "Time to answer, by route.",
            ["method", "route"],
            registry=self.registry,
        )


class ObserveRequests:
    """Pure ASGI (no BaseHTTPMiddleware): it only touches the response start and the end."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        api_answer = not scope["path"].startswith(_DOCS_PATHS)
        status_code = 500
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if api_answer:
                    headers.setdefault("Content-Security-Policy", API_CSP)
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._record(scope, request_id, status_code, time.perf_counter() - started)

    def _record(self, scope: Scope, request_id: str, status_code: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        self.metrics.requests.labels(method, route, str(status_code)).inc()
        self.metrics.duration.labels(method, route).observe(elapsed)
        client = scope.get("client")
        # The route template, never the raw query string: no token or secret ends up in logs.
        access_log.info(
            json.dumps(
                {
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                    "user": scope.get("state", {}).get("user_name"),
                    "client": client[0] if client else None,
                }
            )
        )
