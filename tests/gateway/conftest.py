from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx
import pytest

from lakebook.common.settings import Settings
from lakebook.gateway.db import session_scope
from lakebook.gateway.stack.console import Console
from lakebook.gateway.stack.services import gateway_service, runner_service, settings_env
from lakebook.gateway.stack.supervisor import Supervisor
from lakebook.gateway.users import create_user
from tests.conftest import HOST, S3Server, free_port


def start_gateway(supervisor: Supervisor, settings: Settings, **secrets: str) -> str:
    """Runs the real gateway with these settings; secrets go in its environment, as in
    production (`s3_secret_access_key="…"` becomes LAKEBOOK_S3_SECRET_ACCESS_KEY)."""
    service = gateway_service(settings)
    env = settings_env(settings) | {f"LAKEBOOK_{k.upper()}": v for k, v in secrets.items()}
    supervisor.start(replace(service, env={**service.env, **env}))
    return service.url


@dataclass(frozen=True)
class Gateway:
    """A running gateway and the settings it runs with (its database is ours to seed)."""

    url: str
    settings: Settings

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"

    def add_user(self, role: str = "analyst", password: str | None = None) -> tuple[str, str]:
        """A new user with a unique name; returns (name, password)."""
        name = f"user{secrets.token_hex(4)}"
        password = password or secrets.token_urlsafe(16)
        with session_scope(self.settings.gateway_database_url) as session:
            create_user(session, name, role, password)
        return name, password


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway for the auth tests: no Prefect or S3 needed to sign in."""
    data_dir = tmp_path_factory.mktemp("gateway")
    jwt_secret = secrets.token_urlsafe(32)
    # user_cache_seconds=0: disabling a user must show on the very next request here.
    settings = Settings(
        data_dir=data_dir, gateway_port=free_port(), jwt_secret=jwt_secret, user_cache_seconds=0
    )
    supervisor = Supervisor(Console(io.StringIO()), HOST, data_dir / "stack.json")
    try:
        yield Gateway(start_gateway(supervisor, settings, jwt_secret=jwt_secret), settings)
    finally:
        supervisor.stop_all()


@dataclass(frozen=True)
class FlowStack:
    """A gateway in front of a real Prefect server whose runner serves lakebook's flows."""

    gateway: Gateway
    prefect_api_url: str

    def login(self, role: str) -> dict[str, str]:
        """Authorization headers of a new user with this role."""
        name, password = self.gateway.add_user(role)
        response = httpx.post(
            self.gateway.api("/auth/token"), data={"username": name, "password": password}
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def flow_stack(
    s3_server: S3Server, prefect_api_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlowStack]:
    data_dir = tmp_path_factory.mktemp("flow-stack")
    jwt_secret = secrets.token_urlsafe(32)
    settings = s3_server.settings_with(
        data_dir=data_dir,
        gateway_port=free_port(),
        runner_port=free_port(),
        prefect_api_url=prefect_api_url,
        lake_url=f"s3://{s3_server.settings.s3_bucket}/flow-stack",
        # Small enough that the oversize-upload test stays quick.
        upload_max_bytes=1_000_000,
    )
    lake_secrets = {
        "s3_access_key_id": settings.require_secret("s3_access_key_id"),
        "s3_secret_access_key": settings.require_secret("s3_secret_access_key"),
    }
    supervisor = Supervisor(Console(io.StringIO()), HOST, data_dir / "stack.json")
    try:
        runner = runner_service(settings)
        secrets_env = {f"LAKEBOOK_{k.upper()}": v for k, v in lake_secrets.items()}
        supervisor.start(
            replace(runner, env={**runner.env, **settings_env(settings), **secrets_env})
        )
        url = start_gateway(supervisor, settings, jwt_secret=jwt_secret, **lake_secrets)
        yield FlowStack(Gateway(url, settings), prefect_api_url)
    finally:
        supervisor.stop_all()
