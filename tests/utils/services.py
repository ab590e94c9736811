"""Handles on the real services tests run against (SeaweedFS, Redis, gateways, the flow stack),
and the functions that start the ones tests start themselves."""

from __future__ import annotations

import io
import secrets
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import redis

from lakebook.cli.console import Console
from lakebook.cli.stack.services import gateway_service, settings_env
from lakebook.cli.stack.supervisor import Supervisor
from lakebook.common.settings import Settings
from lakebook.gateway.db import session_scope
from lakebook.gateway.users import create_user
from tests.utils.ports import HOST, free_port
from tests.utils.waiting import wait_until

TEST_BUCKET = "lakebook-test"
USER_FLOWS_DIR = Path(__file__).parents[1] / "user_flows"
REDIS_SERVER = Path("/usr/bin/redis-server")


def quiet_supervisor(state_file: Path) -> Supervisor:
    """A supervisor on the test host whose console output is dropped."""
    return Supervisor(Console(io.StringIO()), HOST, state_file)


@dataclass(frozen=True)
class S3Server:
    """A running SeaweedFS with a read-write and a read-only identity."""

    settings: Settings
    readonly_key: str
    readonly_secret: str

    def settings_with(self, **changes: object) -> Settings:
        return self.settings.with_values(**changes)


@dataclass(frozen=True)
class RedisServer:
    """A real redis-server on a loopback port, without persistence."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_redis(data_dir: Path, port: int | None = None) -> RedisServer:
    """Starts redis-server and waits (at most 20 s) until it answers PING."""
    if not REDIS_SERVER.exists():
        pytest.fail(f"{REDIS_SERVER} is missing: install Debian's redis-server (CI does)")
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [str(REDIS_SERVER), "--port", str(port), "--bind", HOST, "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(data_dir)]
    with (data_dir / f"redis-{port}.log").open("ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    server = RedisServer(port, process)
    client = redis.Redis(host=HOST, port=port, socket_timeout=1, socket_connect_timeout=1)

    def answers_ping() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}; see {data_dir}")
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers_ping, awaiting=f"redis-server on port {port} to answer PING", timeout=20)
        return server
    except BaseException:
        server.stop()
        raise
    finally:
        client.close()


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
        with session_scope(self.settings.gateway.database) as session:
            create_user(session, name, role, password)
        return name, password


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
