"""The shipped quickstart notebook runs in a real kernel against the real lake."""

from __future__ import annotations

from pathlib import Path

import papermill
import polars as pl
import pytest

from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.utils.lake import use_lake
from tests.utils.services import S3Server

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "quickstart.ipynb"


def test_quickstart_publishes_and_reads_back(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = s3_server.settings_with(
        lake_url=f"s3://{s3_server.settings.s3.bucket}/{tmp_path.name}"
    )
    # The kernel inherits this environment, exactly like a kernel started by `lakebook up`'s Lab.
    use_lake(monkeypatch, settings, tmp_path)
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "out.ipynb"),
        parameters={"dataset": "nb_sales", "run_id": "nb-run-1"},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    publisher = LakePublisher(LakeStore.from_settings(settings))
    assert publisher.latest_run("nb_sales").run_id == "nb-run-1"
    expected = pl.DataFrame({"region": ["north", "south"], "amount": [162.0, 80.5]})
    assert publisher.scan("nb_sales").collect().equals(expected)
