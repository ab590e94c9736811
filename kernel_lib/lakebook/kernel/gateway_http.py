"""The one HTTP client of the gateway, for the kernel, `lakebook login` and the lab server:
the base URL and API prefix, the paths of its routes, timeouts, the bearer token, and the
LakebookError each error answer (or silence) becomes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from lakebook.kernel.errors import (
    FieldError,
    LakebookAuthError,
    LakebookConflict,
    LakebookConnectionError,
    LakebookError,
    LakebookNotFound,
    LakebookPermissionError,
    LakebookRateLimited,
    LakebookUnavailable,
    LakebookValidationError,
)

API_PREFIX = "/api/v1"
# Outside the API prefix: the liveness probe the lab's status light asks.
HEALTH_PATH = "/healthz"

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Uploads stream a whole file: allow minutes between bytes, not seconds.
UPLOAD_TIMEOUT = httpx.Timeout(300.0, connect=5.0)
# The gateway sends an SSE keep-alive every 15 s: silence much longer than that is a dead link.
EVENTS_TIMEOUT = httpx.Timeout(10.0, read=45.0)
HEALTH_TIMEOUT = httpx.Timeout(2.0)

TOKEN_PATH = "/auth/token"
REFRESH_PATH = "/auth/refresh"
ME_PATH = "/auth/me"
LOGOUT_PATH = "/auth/logout"
DEPLOYMENTS_PATH = "/flows/deployments"
RUNS_PATH = "/flows/runs"
DATASETS_PATH = "/lake/datasets"
UPLOADS_PATH = "/lake/uploads"
SCHEDULES_PATH = "/notebooks/schedules"


def _segment(name: str) -> str:
    # Quoted so that a name like "../x" stays one path segment the gateway can refuse.
    return quote(name, safe="")


def execute_path(flow: str) -> str:
    return f"/flows/{_segment(flow)}/execute"


def run_path(run_id: str) -> str:
    return f"{RUNS_PATH}/{_segment(run_id)}"


def run_logs_path(run_id: str) -> str:
    return f"{run_path(run_id)}/logs"


def run_cancel_path(run_id: str) -> str:
    return f"{run_path(run_id)}/cancel"


def run_events_path(run_id: str) -> str:
    return f"{run_path(run_id)}/events"


def run_result_path(run_id: str) -> str:
    return f"{run_path(run_id)}/result"


REPORTS_PATH = "/reports"


def run_report_path(run_id: str) -> str:
    return f"{run_path(run_id)}/report"


def run_states_path(run_id: str) -> str:
    return f"{run_path(run_id)}/states"


def schedule_path(schedule_id: str) -> str:
    return f"{SCHEDULES_PATH}/{_segment(schedule_id)}"


def dataset_grant_path(name: str, grantee: str | None = None) -> str:
    grants = f"{dataset_path(name)}/grants"
    return grants if grantee is None else f"{grants}/{_segment(grantee)}"


def dataset_path(name: str) -> str:
    return f"{DATASETS_PATH}/{_segment(name)}"


STATUS_ERRORS: dict[int, type[LakebookError]] = {
    401: LakebookAuthError,
    403: LakebookPermissionError,
    404: LakebookNotFound,
    409: LakebookConflict,
    502: LakebookUnavailable,
    503: LakebookUnavailable,
    504: LakebookUnavailable,
}


class GatewayHTTP:
    """Requests to one gateway; every one has a timeout, and every failure is a LakebookError.

    The sync client is made on first use and kept until close(); async calls open their own
    client, because an httpx.AsyncClient belongs to the event loop it was first used on.
    """

    def __init__(
        self, url: str, token: str | None = None, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT
    ) -> None:
        self.url = url.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"GatewayHTTP(url={self.url!r})"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    @property
    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.url + API_PREFIX, headers=self._headers, timeout=self._timeout
            )
        return self._client

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request to `{url}/api/v1{path}`; the answer if it is a success."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise self.unreachable(error) from error
        if response.is_error:
            raise error_from_response(response)
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """send(), answering the decoded JSON body (None when the answer has none)."""
        return json_body(self.send(method, path, **kwargs))

    @contextmanager
    def stream(self, path: str) -> Iterator[httpx.Response]:
        """A streamed GET (server-sent events), closed when the block ends."""
        try:
            with self._http.stream("GET", path, timeout=EVENTS_TIMEOUT) as response:
                if response.is_error:
                    response.read()
                    raise error_from_response(response)
                yield response
        except httpx.TransportError as error:
            raise self.unreachable(error) from error

    @asynccontextmanager
    async def _async_http(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(
            base_url=self.url + API_PREFIX, headers=self._headers, timeout=self._timeout
        ) as http:
            yield http

    async def asend(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """send() without blocking the event loop."""
        try:
            async with self._async_http() as http:
                response = await http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise self.unreachable(error) from error
        if response.is_error:
            raise error_from_response(response)
        return response

    async def arequest(self, method: str, path: str, **kwargs: Any) -> Any:
        """request() without blocking the event loop."""
        return json_body(await self.asend(method, path, **kwargs))

    @asynccontextmanager
    async def astream(self, path: str) -> AsyncIterator[httpx.Response]:
        """stream() for asyncio."""
        try:
            async with (
                self._async_http() as http,
                http.stream("GET", path, timeout=EVENTS_TIMEOUT) as response,
            ):
                if response.is_error:
                    await response.aread()
                    raise error_from_response(response)
                yield response
        except httpx.TransportError as error:
            raise self.unreachable(error) from error

    async def ahealthy(self, timeout: httpx.Timeout = HEALTH_TIMEOUT) -> bool:
        """Whether GET {url}/healthz answers 2xx within the timeout."""
        try:
            async with httpx.AsyncClient(timeout=timeout) as http:
                response = await http.get(self.url + HEALTH_PATH)
        except httpx.HTTPError:
            return False
        return response.is_success

    def unreachable(self, error: httpx.TransportError) -> LakebookConnectionError:
        """The error for a gateway that did not answer: down, wrong URL, or too slow."""
        if isinstance(error, httpx.TimeoutException):
            return LakebookConnectionError(
                f"the lakebook gateway at {self.url} did not answer in time ({error!r})"
            )
        return LakebookConnectionError(
            f"cannot reach the lakebook gateway at {self.url} ({error!r}); is `lakebook up` "
            "running, and is LAKEBOOK_GATEWAY_URL right?"
        )


def json_body(response: httpx.Response) -> Any:
    """A successful answer's decoded JSON (None when it has no body, as a 204)."""
    return response.json() if response.content else None


def error_from_response(response: httpx.Response) -> LakebookError:
    """The exception for a gateway error answer, carrying the gateway's own message."""
    detail = _detail(response)
    where = f"{response.request.method} {response.request.url.path}"
    status = response.status_code
    if status == 422 and isinstance(detail, list):
        errors = [_field_error(item) for item in detail if isinstance(item, dict)]
        listed = "; ".join(f"{error.field}: {error.message}" for error in errors)
        return LakebookValidationError(f"invalid parameters ({listed})", errors)
    message = detail if isinstance(detail, str) else str(detail)
    if status == 429:
        retry_after = _seconds(response.headers.get("Retry-After"))
        return LakebookRateLimited(f"{message} ({where})", retry_after, detail=message)
    explained = message
    if status == 401:
        explained += (
            " — get a fresh token: `lakebook login`, restart `lakebook up` or set LAKEBOOK_TOKEN"
        )
    error_class = STATUS_ERRORS.get(status, LakebookError)
    return error_class(f"{explained} ({where} answered {status})", status=status, detail=message)


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    return body.get("detail", body) if isinstance(body, dict) else body


def _field_error(item: dict[str, Any]) -> FieldError:
    # FastAPI's loc is e.g. ["body", "parameters", "message"]: the parameter name is what follows
    # "parameters"; other locations (a malformed body) keep their whole path.
    loc = [str(part) for part in item.get("loc", [])]
    field = ".".join(loc[loc.index("parameters") + 1 :]) if "parameters" in loc else ".".join(loc)
    return FieldError(field=field or "body", message=str(item.get("msg", "invalid")))


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
