"""The task runner partitioned flows use: Prefect's thread pool, or Dask (LAKEBOOK_TASK_RUNNER)."""

from __future__ import annotations

import os
from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from lakebook.common.settings import Settings, get_settings
from lakebook.lake.store import LakeStore


def thread_pool_runner() -> TaskRunner[Any]:
    """Prefect's pool is unbounded by default; each partition task already uses every core
    through Polars, so more threads than cores would only hold more slices in memory."""
    return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)


def task_runner_for(settings: Settings) -> TaskRunner[Any]:
    """`threads` runs partition tasks in the flow's process; `dask` sends them to a Dask cluster
    (the scheduler at LAKEBOOK_DASK_ADDRESS, or a local cluster started for the run)."""
    if settings.flows.task_runner == "threads":
        return thread_pool_runner()
    # Imported only when chosen: the threads default needs no Dask.
    from prefect_dask.task_runners import DaskTaskRunner

    if settings.flows.dask_address:
        return DaskTaskRunner(address=settings.flows.dask_address)
    return DaskTaskRunner()


class SettingsTaskRunner(TaskRunner[Any]):
    """The task runner LAKEBOOK_TASK_RUNNER names, chosen as each run starts, in the run's own
    process: a served deployment, `lakebook run` and a direct call all follow the setting, and
    the flow object stays the module's own (the warm runner sends flows by reference)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._inner: TaskRunner[Any] | None = None

    def duplicate(self) -> SettingsTaskRunner:
        return SettingsTaskRunner()

    def __enter__(self) -> SettingsTaskRunner:
        super().__enter__()
        self._inner = task_runner_for(get_settings()).__enter__()
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        try:
            if self._inner is not None:
                self._inner.__exit__(exc_type, exc_value, traceback)
        finally:
            self._inner = None
            super().__exit__(exc_type, exc_value, traceback)

    def submit(
        self,
        task: Any,
        parameters: dict[str, Any],
        wait_for: Any = None,
        dependencies: Any = None,
    ) -> Any:
        return self._running().submit(task, parameters, wait_for, dependencies)

    def map(self, task: Any, parameters: dict[str, Any], wait_for: Any = None) -> Any:
        return self._running().map(task, parameters, wait_for)

    def _running(self) -> TaskRunner[Any]:
        if self._inner is None:
            raise RuntimeError("the task runner is not started (use it in a `with` block)")
        return self._inner


def check_lake_access() -> str:
    """Run on a Dask worker (`client.run(check_lake_access)`): proves it can import lakebook,
    read the LAKEBOOK_* settings and list the lake; returns the lake root it reached."""
    settings = get_settings()
    store = LakeStore.from_settings(settings)
    store.check_bucket()
    return settings.s3.lake_root
