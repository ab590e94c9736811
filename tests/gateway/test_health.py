"""The gateway's health endpoints over HTTP, against the real Prefect and SeaweedFS."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lakebook.cli.stack.supervisor import Supervisor
from lakebook.common.settings import Settings
from tests.utils.ports import HOST, free_port
from tests.utils.services import S3Server, quiet_supervisor, start_gateway


def start_with_keys(supervisor: Supervisor, settings: Settings, s3_secret: str) -> str:
    return start_gateway(
        supervisor,
        settings,
        s3_access_key_id=settings.require_secret("s3_access_key_id"),
        s3_secret_access_key=s3_secret,
        jwt_secret=secrets.token_urlsafe(24),
    )


@pytest.fixture(scope="module")
def gateways(
    s3_server: S3Server, prefect_api_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """One gateway with the right S3 key and one with a wrong secret key."""
    root = tmp_path_factory.mktemp("gateways")
    supervisor = quiet_supervisor(root / "stack.json")
    good = s3_server.settings_with(
        data_dir=root / "good", gateway_port=free_port(), prefect_api_url=prefect_api_url
    )
    bad = s3_server.settings_with(
        data_dir=root / "bad", gateway_port=free_port(), prefect_api_url=prefect_api_url
    )
    try:
        good_url = start_with_keys(supervisor, good, good.require_secret("s3_secret_access_key"))
        bad_url = start_with_keys(supervisor, bad, "wrong-secret-key-0123456789")
        yield good_url, bad_url
    finally:
        supervisor.stop_all()


def test_ready_when_prefect_and_lake_answer(gateways: tuple[str, str]) -> None:
    good, _ = gateways
    assert httpx.get(f"{good}/healthz").json() == {"status": "ok"}
    response = httpx.get(f"{good}/readyz", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


def test_wrong_s3_key_makes_readyz_503_naming_the_setting(gateways: tuple[str, str]) -> None:
    _, bad = gateways
    response = httpx.get(f"{bad}/readyz", timeout=30)
    assert response.status_code == 503
    checks = {check["name"]: check for check in response.json()["checks"]}
    assert checks["prefect"]["ok"] is True
    assert checks["lake"]["ok"] is False
    assert "LAKEBOOK_S3_SECRET_ACCESS_KEY" in checks["lake"]["detail"]
    assert "wrong-secret-key" not in response.text


def test_prefect_down_makes_readyz_503(s3_server: S3Server, tmp_path: Path) -> None:
    settings = s3_server.settings_with(
        data_dir=tmp_path,
        gateway_port=free_port(),
        prefect_api_url=f"http://{HOST}:{free_port()}/api",
    )
    supervisor = quiet_supervisor(tmp_path / "stack.json")
    try:
        url = start_with_keys(supervisor, settings, settings.require_secret("s3_secret_access_key"))
        response = httpx.get(f"{url}/readyz", timeout=30)
    finally:
        supervisor.stop_all()
    assert response.status_code == 503
    checks = {check["name"]: check["ok"] for check in response.json()["checks"]}
    assert checks == {"prefect": False, "lake": True}
