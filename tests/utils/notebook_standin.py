"""TEST ONLY: a stand-in `run_notebook` flow (same parameter names as lakebook's) and its runner.

Schedule tests need a `run_notebook` deployment on Prefect; where lakebook's runner already serves
the real one, the tests use that and never start this. `python -m tests.utils.notebook_standin
DEPLOYMENT` serves it under that deployment name until stopped.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from prefect import flow, serve
from prefect.client.orchestration import PrefectClient
from prefect.exceptions import ObjectNotFound

from tests.utils.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]


@flow(name="run_notebook")
def run_notebook(
    notebook: str,
    parameters: dict[str, Any] | None = None,
    report_name: str | None = None,
    timeout_seconds: int = 3600,
) -> str:
    """Does not run anything: schedule tests only need runs to be picked up."""
    return notebook


def start_runner(prefect_api_url: str, deployment: str, log: Path) -> subprocess.Popen[bytes]:
    """Serves the stand-in as `run_notebook/{deployment}` and returns once Prefect has it."""
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api_url,
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.utils.notebook_standin", deployment],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def registered() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the stand-in runner exited with {process.returncode}; see {log}")
        return asyncio.run(deployment_exists(prefect_api_url, f"run_notebook/{deployment}"))

    try:
        wait_until(registered, awaiting=f"the stand-in runner to register; see {log}", timeout=120)
    except BaseException:
        process.kill()
        raise
    return process


async def deployment_exists(prefect_api_url: str, name: str) -> bool:
    async with PrefectClient(prefect_api_url) as client:
        try:
            deployment = await client.read_deployment_by_name(name)
        except ObjectNotFound:
            return False
        # Registered and not paused: a runner serves it now.
        return not deployment.paused


def stop_runner(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


if __name__ == "__main__":
    serve(run_notebook.to_deployment(name=sys.argv[1]), print_starting_message=False)
