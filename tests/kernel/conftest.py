"""An in-process IPython shell with lakebook's magics on a local-folder lake, and kernel clients
signed in to the real gateway stack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from lakebook.common.settings import Settings
from lakebook.kernel.client import LakebookClient
from lakebook.kernel.magics import DuckDBMagic
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.utils.gateway_clients import token_for
from tests.utils.lake import SALES
from tests.utils.services import FlowStack


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, lake_url=f"file://{tmp_path}/lake", dev_mode=True)


@pytest.fixture
def publisher(local_settings: Settings) -> LakePublisher:
    lake = LakePublisher(LakeStore.from_settings(local_settings))
    lake.publish(SALES, dataset="sales", run_id="r1", flow_name="test")
    return lake


@pytest.fixture
def shell(local_settings: Settings, publisher: LakePublisher) -> Iterator[InteractiveShell]:
    ipython = InteractiveShell.instance()
    magic = DuckDBMagic(shell=ipython, settings=local_settings)
    ipython.register_magics(magic)
    ipython.configurables.append(magic)
    yield ipython
    magic.close()
    ipython.configurables.remove(magic)
    ipython.config.pop("DuckDBMagic", None)  # %config in one test must not reach the next
    for name in ("df", "out", "sales_frame", "plan", "floor"):
        ipython.user_ns.pop(name, None)


@pytest.fixture
def client_for(flow_stack: FlowStack) -> Iterator[Callable[[str], LakebookClient]]:
    """Makes clients signed in as new users of a role; all are closed after the test."""
    clients: list[LakebookClient] = []

    def make(role: str) -> LakebookClient:
        client = LakebookClient(
            flow_stack.gateway.url,
            token_for(flow_stack, role),
            settings=flow_stack.gateway.settings,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def analyst(client_for: Callable[[str], LakebookClient]) -> LakebookClient:
    return client_for("analyst")


@pytest.fixture
def keyless_client(flow_stack: FlowStack, tmp_path: Path) -> Iterator[LakebookClient]:
    """An analyst whose kernel settings hold no lake keys: data can only come via the gateway."""
    settings = Settings(data_dir=tmp_path, lake_url="s3://nowhere/lake")
    with LakebookClient(
        flow_stack.gateway.url, token_for(flow_stack, "analyst"), settings=settings
    ) as client:
        yield client


@pytest.fixture(scope="session")
def stack_lake(flow_stack: FlowStack) -> LakePublisher:
    """The flow stack's own lake (on SeaweedFS), written as a flow would."""
    return LakePublisher(LakeStore.from_settings(flow_stack.gateway.settings))
