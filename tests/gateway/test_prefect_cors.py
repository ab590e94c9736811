"""The embedded Prefect answers cross-origin requests from its own UI only (services.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

EVIL = "http://evil.example"


def _preflight(api_url: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{api_url}/flow_runs/filter",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )


def _own_origins(api_url: str) -> list[str]:
    port = urlsplit(api_url).port
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


@pytest.mark.parametrize("which", [0, 1])
def test_prefect_ui_origins_may_call_the_api(prefect_api_url: str, which: int) -> None:
    origin = _own_origins(prefect_api_url)[which]
    response = _preflight(prefect_api_url, origin)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin


def test_other_web_pages_may_not_read_or_call_the_api(prefect_api_url: str) -> None:
    preflight = _preflight(prefect_api_url, EVIL)
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    # A simple GET still reaches the server, but the browser does not hand the page the answer.
    read = httpx.get(f"{prefect_api_url}/health", headers={"Origin": EVIL}, timeout=10)
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers
