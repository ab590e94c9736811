from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebook.common.settings import Settings
from lakebook.lake.publisher import LakePublisher
from tests.utils.flow_lake import flows_use_lake


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
