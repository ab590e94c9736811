"""Points the flows' `get_settings()` at a test lake and the session's Prefect server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import TaskRun
from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

from lakebook.common.settings import Settings
from tests.utils.lake import use_lake

# Well above the recorder's one-second flush, for a loaded CI machine.
RECORDING_TIMEOUT_SECONDS = 15.0


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


def task_runs_of(flow_run_id: str, count: int) -> list[TaskRun]:
    """The task runs Prefect recorded for one flow run, once `count` of them are there and done.

    Prefect's server records task runs from their events in batches (a flush a second, see
    `services.TASK_RUN_RECORDER_BATCHING`), so they show up a little after the flow run ends.
    After the timeout the runs found so far come back, and the test's own assertion says what
    is missing."""
    deadline = time.monotonic() + RECORDING_TIMEOUT_SECONDS
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            done = all(run.state is not None and run.state.is_final() for run in runs)
            if (len(runs) >= count and done) or time.monotonic() > deadline:
                return runs
            time.sleep(0.2)


def task_tags(flow_run_id: str, count: int = 1) -> dict[str, set[str]]:
    """Each task's tags by task name ("publish-dataset"), as Prefect limits them, once the
    flow run's `count` task runs are recorded."""
    return tags_by_task(task_runs_of(flow_run_id, count))


def tags_by_task(task_runs: list[TaskRun]) -> dict[str, set[str]]:
    return {run.name.rsplit("-", 1)[0]: set(run.tags) for run in task_runs}
