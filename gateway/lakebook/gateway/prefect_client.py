"""The Prefect client the gateway and its commands use."""

from __future__ import annotations

from prefect.client.orchestration import PrefectClient

from lakebook.common.busy_retry import BusyRetryTransport


def prefect_client(api_url: str, timeout_seconds: float) -> PrefectClient:
    """A client whose every call has a timeout and rides out Prefect's brief "database busy"
    answers within a second (busy_retry.py) instead of Prefect's first 2 s back-off.

    Loopback Prefect is plain HTTP; an https Prefect URL is verified with the system's default
    certificates (PREFECT_API_SSL_CERT_FILE is not read here)."""
    return PrefectClient(
        api_url, httpx_settings={"timeout": timeout_seconds, "transport": BusyRetryTransport()}
    )
