"""The embedded Prefect and other web pages (services.py): cross-origin requests only from its
own UI, and no CSRF tokens, which its clients then need not fetch."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.settings import PREFECT_CLIENT_CSRF_SUPPORT_ENABLED, temporary_settings

from lakebook.cli.stack.services import prefect_env
from lakebook.common.settings import Settings

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


def test_the_embedded_prefect_and_its_clients_agree_on_no_csrf_tokens(
    prefect_api_url: str, tmp_path: Path
) -> None:
    embedded = prefect_env(Settings(data_dir=tmp_path))
    assert embedded["PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED"] == "false"
    assert embedded["PREFECT_CLIENT_CSRF_SUPPORT_ENABLED"] == "false"
    # A client that asks for no token can write (read_flow_runs is a POST).
    with temporary_settings({PREFECT_CLIENT_CSRF_SUPPORT_ENABLED: False}):
        with SyncPrefectClient(prefect_api_url) as client:
            assert isinstance(client.read_flow_runs(limit=1), list)
    # A Prefect of your own keeps Prefect's defaults, whatever it enforces.
    external = prefect_env(Settings(data_dir=tmp_path, prefect_api_url="http://prefect:4200/api"))
    assert not [name for name in external if "CSRF" in name]


def test_only_the_embedded_prefects_clients_skip_the_version_check(tmp_path: Path) -> None:
    """The embedded server is this installation's own Prefect; another may be any version."""
    embedded = prefect_env(Settings(data_dir=tmp_path))
    assert embedded["PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED"] == "false"
    external = prefect_env(Settings(data_dir=tmp_path, prefect_api_url="http://prefect:4200/api"))
    assert "PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED" not in external
