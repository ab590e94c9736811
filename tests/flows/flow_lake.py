"""Points the flows' `load_settings()` at a test lake and the session's Prefect server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import TaskRun
from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

from lakebook.common.settings import Settings
from tests.conftest import use_lake


@contextmanager
def flows_use_lake(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, data_dir: Path, prefect_api_url: str
) -> Iterator[None]:
    """Flows build their store from `LAKEBOOK_*` variables, exactly as under the runner."""
    use_lake(monkeypatch, settings, data_dir)
    # Run logs stay local: shipping them to the API outlives the session's Prefect server and
    # ends the test session with "Error logging to API" noise.
    overrides = {PREFECT_API_URL: prefect_api_url, PREFECT_LOGGING_TO_API_ENABLED: False}
    with temporary_settings(overrides):
        yield


def task_runs_of(flow_run_id: str) -> list[TaskRun]:
    """The task runs Prefect recorded for one flow run."""
    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )


def task_tags(flow_run_id: str) -> dict[str, set[str]]:
    """Each task's tags by task name ("publish-dataset"), as Prefect limits them."""
    return {run.name.rsplit("-", 1)[0]: set(run.tags) for run in task_runs_of(flow_run_id)}
