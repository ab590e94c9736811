"""The fault tests' own Prefect and flow stack (tests/utils/killable.py), shared by the package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lakebook.cli.stack.services import prefect_service
from lakebook.common.settings import Settings
from tests.utils.flow_stacks import start_flow_stack
from tests.utils.killable import KillablePrefect, KillableStack
from tests.utils.ports import free_port
from tests.utils.services import S3Server, quiet_supervisor


# One Prefect and one stack for the fault tests: each test leaves them running again (that is
# what it checks), so the next one starts from a healthy stack.
@pytest.fixture(scope="package")
def prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KillablePrefect]:
    tmp_path = tmp_path_factory.mktemp("prefect")
    settings = Settings(data_dir=tmp_path / "prefect", prefect_port=free_port())
    server = KillablePrefect(quiet_supervisor(tmp_path / "prefect-stack.json"), settings)
    server.start(prefect_service(settings))
    try:
        yield server
    finally:
        server.supervisor.stop_all()


@pytest.fixture(scope="package")
def killable(
    s3_server: S3Server, prefect: KillablePrefect, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KillableStack]:
    tmp_path = tmp_path_factory.mktemp("stack")
    supervisor = quiet_supervisor(tmp_path / "stack.json")
    data_dir = tmp_path / "stack"
    data_dir.mkdir()
    (tmp_path / "workspace").mkdir()
    try:
        workspace = tmp_path / "workspace"
        flows = start_flow_stack(supervisor, s3_server, prefect.url, data_dir, workspace)
        yield KillableStack(supervisor, flows)
    finally:
        supervisor.stop_all()
