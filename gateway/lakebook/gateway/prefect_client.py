"""The Prefect client the gateway and its commands use."""

from __future__ import annotations

import httpx
from prefect.client.orchestration import PrefectClient

from lakebook.common.busy_retry import BusyRetryTransport


class PrefectRefusedConnection(httpx.TransportError):
    """Nothing listens at Prefect's address: it is down or restarting."""


class RefusedConnectionsFailFast(httpx.AsyncBaseTransport):
    """Turns a refused connection into an error Prefect's client does not retry.

    Once it has connected, Prefect's client retries a refused connection after 2, 4, 8 … s,
    so every answer of the gateway took its whole 15 s deadline while Prefect was down (seen
    in tests/faults/test_prefect_restart.py). A Prefect that refuses connections is not
    coming back within a request: the gateway says so at once (503), and its clients retry.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx.ConnectError as error:
            raise PrefectRefusedConnection(str(error), request=request) from error

    async def aclose(self) -> None:
        await self._inner.aclose()


def prefect_client(api_url: str, timeout_seconds: float) -> PrefectClient:
    """A client whose every call has a timeout, rides out Prefect's brief "database busy"
    answers within a second (busy_retry.py) instead of Prefect's first 2 s back-off, and
    gives up at once when Prefect refuses the connection.

    Loopback Prefect is plain HTTP; an https Prefect URL is verified with the system's default
    certificates (PREFECT_API_SSL_CERT_FILE is not read here)."""
    transport = RefusedConnectionsFailFast(BusyRetryTransport())
    return PrefectClient(
        api_url, httpx_settings={"timeout": timeout_seconds, "transport": transport}
    )
