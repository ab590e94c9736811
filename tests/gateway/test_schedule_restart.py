"""A runner restart re-registers its deployments with `serve()`: notebook schedules must survive.

Prefect's runner pauses its deployments when it stops and updates them when it starts again; an
update that carried `schedules` would replace every schedule added through the API. This serves
a stand-in run_notebook deployment of its own (so the shared stack's runner is left alone),
adds a lakebook schedule, restarts the runner and checks the schedule is still there and active.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from prefect.client.orchestration import PrefectClient

from lakebook.gateway.schedules import NotebookSchedule, NotebookSchedules, cron_schedule
from tests.utils.notebook_standin import start_runner, stop_runner

DEPLOYMENT_NAME = "restart-check"


async def _add(prefect_api_url: str) -> NotebookSchedule:
    async with PrefectClient(prefect_api_url) as client:
        schedules = NotebookSchedules(client, deployment=f"run_notebook/{DEPLOYMENT_NAME}")
        await schedules.create(
            "ana", "daily", "daily.ipynb", cron_schedule("0 6 * * *", "Europe/Paris"), {"n": 1}
        )
        await schedules.create(
            "ana", "paused", "daily.ipynb", cron_schedule("0 7 * * *", "UTC"), {}
        )
        await schedules.set_active("ana", "paused", False)
        return await schedules.get("ana", "daily")


async def _read(prefect_api_url: str) -> tuple[list[NotebookSchedule], bool]:
    async with PrefectClient(prefect_api_url) as client:
        deployment = await client.read_deployment_by_name(f"run_notebook/{DEPLOYMENT_NAME}")
        schedules = NotebookSchedules(client, deployment=f"run_notebook/{DEPLOYMENT_NAME}")
        return await schedules.list("ana"), bool(deployment.paused)


def test_schedules_survive_a_runner_restart(prefect_api_url: str, tmp_path: Path) -> None:
    log = tmp_path / "runner.log"
    runner = start_runner(prefect_api_url, DEPLOYMENT_NAME, log)
    try:
        daily = asyncio.run(_add(prefect_api_url))
    finally:
        stop_runner(runner)
    # A runner that stops cleanly pauses what it served; one killed after its grace does not.
    # Either way the schedules must be there once a runner serves the deployment again.
    # start_runner returns once the deployment is registered again and no longer paused.
    runner = start_runner(prefect_api_url, DEPLOYMENT_NAME, log)
    try:
        after, paused = asyncio.run(_read(prefect_api_url))
    finally:
        stop_runner(runner)
    assert not paused
    by_name = {schedule.name: schedule for schedule in after}
    assert set(by_name) == {"daily", "paused"}
    assert by_name["daily"].active
    assert not by_name["paused"].active
    kept = by_name["daily"]
    assert (kept.cron, kept.timezone, kept.parameters, kept.notebook) == (
        daily.cron,
        daily.timezone,
        daily.parameters,
        daily.notebook,
    )
