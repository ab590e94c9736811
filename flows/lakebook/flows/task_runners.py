"""The task runner partitioned flows use: Prefect's thread pool, or Dask (LAKEBOOK_TASK_RUNNER)."""

from __future__ import annotations

import os
from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from lakebook.common.settings import Settings, load_settings
from lakebook.flows.lake_store import LakeStore


def thread_pool_runner() -> TaskRunner[Any]:
    """Prefect's pool is unbounded by default; each partition task already uses every core
    through Polars, so more threads than cores would only hold more slices in memory."""
    return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)


def task_runner_for(settings: Settings) -> TaskRunner[Any]:
    """`threads` runs partition tasks in the flow's process; `dask` sends them to a Dask cluster
    (the scheduler at LAKEBOOK_DASK_ADDRESS, or a local cluster started for the run)."""
    if settings.task_runner == "threads":
        return thread_pool_runner()
    # Imported only when chosen: the threads default needs no Dask.
    from prefect_dask.task_runners import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner()


def check_lake_access() -> str:
    """Run on a Dask worker (`client.run(check_lake_access)`): proves it can import lakebook,
    read the LAKEBOOK_* settings and list the lake; returns the lake root it reached."""
    settings = load_settings()
    store = LakeStore.from_settings(settings)
    store.check_bucket()
    return settings.lake_root
