"""LAKEBOOK_GATEWAY_WORKERS: several gateway processes share the port and stop together."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import psutil
import pytest

from lakebook.common.settings import Settings
from lakebook.gateway.db import session_scope
from lakebook.gateway.users import create_user
from tests.utils.ports import free_port
from tests.utils.services import quiet_supervisor, start_gateway

# Starts a gateway of its own.
pytestmark = pytest.mark.services


def test_two_workers_answer_on_one_port_and_stop_with_the_gateway(tmp_path: Path) -> None:
    jwt_secret = secrets.token_urlsafe(32)
    settings = Settings(
        data_dir=tmp_path, gateway_port=free_port(), jwt_secret=jwt_secret, gateway_workers=2
    )
    supervisor = quiet_supervisor(tmp_path / "stack.json")
    workers: list[psutil.Process] = []
    try:
        url = start_gateway(supervisor, settings, jwt_secret=jwt_secret)
        master = psutil.Process(supervisor.running[0].process.pid)
        workers += master.children(recursive=True)
        # uvicorn's two workers (and multiprocessing's resource tracker, if it started one).
        assert len([w for w in workers if "resource_tracker" not in " ".join(w.cmdline())]) >= 2
        with session_scope(settings.gateway.database) as session:
            create_user(session, "ana", "analyst", "ana-password-123")
        with httpx.Client(base_url=f"{url}/api/v1", timeout=30) as client:
            token = client.post(
                "/auth/token", data={"username": "ana", "password": "ana-password-123"}
            ).json()["access_token"]
            # Every worker verifies the same token (keys come from the same settings).
            for _ in range(20):
                me = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
                assert me.status_code == 200, me.text
    finally:
        supervisor.stop_all()
    log = (tmp_path / "logs" / "gateway.log").read_text()
    assert "set LAKEBOOK_RATE_LIMIT_REDIS_URL to share them" in log
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
