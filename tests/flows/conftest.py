from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebook.common.settings import Settings
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.conftest import S3Server
from tests.flows.flow_lake import flows_use_lake


@pytest.fixture(params=["local", "s3"])
def lake_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The same tests run against a local folder and against real SeaweedFS."""
    if request.param == "local":
        (tmp_path / "lake").mkdir()
        return Settings(data_dir=tmp_path, lake_url=(tmp_path / "lake").as_uri())
    s3: S3Server = request.getfixturevalue("s3_server")
    # A folder of its own per test, so tests do not see each other's datasets.
    return s3.settings_with(lake_url=f"s3://{s3.settings.s3_bucket}/{tmp_path.name}")


@pytest.fixture
def publisher(lake_settings: Settings) -> LakePublisher:
    return LakePublisher(LakeStore.from_settings(lake_settings))


@pytest.fixture
def flow_lake(
    publisher: LakePublisher,
    lake_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefect_api_url: str,
) -> Iterator[LakePublisher]:
    """The lake the flows under test read and write, their runs recorded by a real Prefect."""
    with flows_use_lake(monkeypatch, lake_settings, tmp_path, prefect_api_url):
        yield publisher
