"""Session-scoped real services on free loopback ports: SeaweedFS S3, a Prefect server, Redis,
PostgreSQL, and gateways (alone, or in front of Prefect with a runner serving lakebook's flows);
the lake fixtures several test packages share; and the `services` marker on every test that
needs one."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebook.cli.stack.postgres import find_binaries
from lakebook.cli.stack.services import (
    prefect_service,
)
from lakebook.common.settings import Settings
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.utils.flow_stacks import start_flow_stack, start_s3_server
from tests.utils.ports import free_port
from tests.utils.postgres import PostgresServer, running_postgres
from tests.utils.services import (
    FlowStack,
    Gateway,
    RedisServer,
    S3Server,
    quiet_supervisor,
    start_gateway,
    start_redis,
)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    data_dir = tmp_path_factory.mktemp("seaweed")
    supervisor = quiet_supervisor(data_dir / "run" / "stack.json")
    try:
        yield start_s3_server(supervisor, data_dir)
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="session")
def prefect_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("prefect")
    settings = Settings(data_dir=data_dir, prefect_port=free_port())
    supervisor = quiet_supervisor(data_dir / "run" / "stack.json")
    try:
        supervisor.start(prefect_service(settings))
        yield settings.prefect.url
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture(scope="session")
def flow_stack(
    s3_server: S3Server, prefect_api_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlowStack]:
    data_dir = tmp_path_factory.mktemp("flow-stack")
    supervisor = quiet_supervisor(data_dir / "stack.json")
    try:
        yield start_flow_stack(
            supervisor,
            s3_server,
            prefect_api_url,
            data_dir,
            workspace=tmp_path_factory.mktemp("workspace"),
        )
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server, started as `lakebook up --prefect-db postgres` starts its own."""
    if find_binaries() is None:
        reason = (
            "PostgreSQL's server binaries (initdb, postgres) are not installed, so the tests "
            "on PostgreSQL cannot run: apt-get install postgresql (CI does)"
        )
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def lake_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The same tests run against a local folder and against real SeaweedFS."""
    if request.param == "local":
        (tmp_path / "lake").mkdir()
        return Settings(data_dir=tmp_path, lake_url=(tmp_path / "lake").as_uri())
    s3: S3Server = request.getfixturevalue("s3_server")
    # A folder of its own per test, so tests do not see each other's datasets.
    return s3.settings_with(lake_url=f"s3://{s3.settings.s3.bucket}/{tmp_path.name}")


@pytest.fixture
def publisher(lake_settings: Settings) -> LakePublisher:
    return LakePublisher(LakeStore.from_settings(lake_settings))


# Fixtures that start real processes (directly, or through a fixture of their own); a test
# whose fixture closure holds one of them is marked `services`.
SERVICE_FIXTURES = frozenset(
    {
        "s3_server",
        "prefect_api_url",
        "redis_server",
        "gateway",
        "flow_stack",
        "postgres_server",
    }
)


def needs_services(item: pytest.Item) -> bool:
    """Whether the test starts or uses real services: by its fixtures, its own marks (tests
    that start processes themselves), or an S3 variant of a lake fixture, which asks for
    `s3_server` only at run time and so is not in the fixture closure."""
    if item.get_closest_marker("services") or item.get_closest_marker("stack"):
        return True
    if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("lake_settings") == "s3"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`pytest -m "not services"` runs the pure tests alone, in seconds."""
    for item in items:
        if needs_services(item):
            item.add_marker(pytest.mark.services)
