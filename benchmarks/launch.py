"""Launch benchmark: `python -m benchmarks.launch`.

Latency from asking for a no-op run to seeing it Completed, side by side in one run against one
Prefect server, runs alternating between the two ways:
1. through lakebook: `POST /api/v1/flows/ping/execute` on the gateway, then `GET
   /api/v1/flows/runs/{id}` every POLL_SECONDS until COMPLETED (the embedded runner of
   `lakebook up`, `python -m lakebook.flows.serve`, runs it);
2. plain Prefect: a one-flow `serve` with PREFECT_RUNNER_POLL_FREQUENCY=1, `run_deployment(
   timeout=0)` and then reading the flow run from the Prefect API every POLL_SECONDS.
Writes benchmarks/results/launch.json with p50 / p95 of each.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import PrefectClient
from prefect.deployments.flow_runs import arun_deployment

from benchmarks.common import (
    STARTUP_SECONDS,
    analyst_token,
    free_port,
    gateway_settings,
    load_average,
    percentiles,
    quiet_supervisor,
    start_gateway_stack,
    write_results,
)
from lakebook.cli.stack.services import Service, runner_service
from lakebook.common.settings import Settings

LAUNCHES = int(os.environ.get("BENCH_LAUNCHES", 20))
POLL_SECONDS = 0.05
RUN_TIMEOUT_SECONDS = 120
ENDED = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def plain_serve_service(settings: Settings, root: Path) -> Service:
    """Prefect's own `serve` of a no-op flow, set up exactly like lakebook's runner (the same
    Prefect variables, PREFECT_RUNNER_POLL_FREQUENCY=1, runner webserver as health check) on a
    port of its own: only the served code differs between the two ways measured."""
    runner = runner_service(settings.with_values(runner_port=free_port()))
    return replace(
        runner,
        name="plain-serve",
        argv=(sys.executable, "-m", "benchmarks.plain_serve"),
        log_file=root / "logs" / "plain-serve.log",
        startup_timeout=STARTUP_SECONDS,
    )


def through_gateway(client: httpx.Client, accepted: list[float] | None = None) -> float:
    """Seconds from POST execute to the gateway reporting COMPLETED (`accepted` gets the
    seconds the POST itself took)."""
    started = time.perf_counter()
    response = client.post("/api/v1/flows/ping/execute", json={})
    response.raise_for_status()
    if accepted is not None:
        accepted.append(time.perf_counter() - started)
    run_id = response.json()["run_id"]
    deadline = started + RUN_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        state = client.get(f"/api/v1/flows/runs/{run_id}").json()["state"]
        if state in ENDED:
            if state != "COMPLETED":
                raise RuntimeError(f"ping run {run_id} ended {state}")
            return time.perf_counter() - started
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"ping run {run_id} did not complete in {RUN_TIMEOUT_SECONDS} s")


async def through_prefect(prefect: PrefectClient) -> float:
    """Seconds from run_deployment(timeout=0) to Prefect's API reporting COMPLETED."""
    started = time.perf_counter()
    run = await arun_deployment("noop/plain", client=prefect, timeout=0, as_subflow=False)
    deadline = started + RUN_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        state = (await prefect.read_flow_run(UUID(str(run.id)))).state
        if state is not None and state.type.value in ENDED:
            if state.type.value != "COMPLETED":
                raise RuntimeError(f"noop run {run.id} ended {state.type.value}")
            return time.perf_counter() - started
        await asyncio.sleep(POLL_SECONDS)
    raise RuntimeError(f"noop run {run.id} did not complete in {RUN_TIMEOUT_SECONDS} s")


def measure(gateway_url: str, token: str, prefect_url: str) -> dict[str, list[float]]:
    """Alternates the two ways; one warm-up run each first (not counted)."""
    timings: dict[str, list[float]] = {"gateway": [], "plain_serve": [], "gateway_post": []}

    async def run_all() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=gateway_url, headers=headers, timeout=30) as client:
            async with PrefectClient(prefect_url) as prefect:
                through_gateway(client)
                await through_prefect(prefect)
                for number in range(LAUNCHES):
                    timings["gateway"].append(through_gateway(client, timings["gateway_post"]))
                    timings["plain_serve"].append(await through_prefect(prefect))
                    print(
                        f"launch {number + 1}: gateway {timings['gateway'][-1]:.2f} s, "
                        f"plain serve {timings['plain_serve'][-1]:.2f} s",
                        flush=True,
                    )

    asyncio.run(run_all())
    return timings


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-launch-"))
    settings = gateway_settings(root)
    supervisor = quiet_supervisor(root)
    try:
        gateway = start_gateway_stack(supervisor, settings)
        supervisor.start(plain_serve_service(settings, root))
        token = analyst_token(settings, gateway.url)
        timings = measure(gateway.url, token, settings.prefect.url)
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)

    results: dict[str, Any] = {
        "launches": LAUNCHES,
        "poll_seconds": POLL_SECONDS,
        "load_average_during": load_average(),
        "gateway_ping": percentiles(timings["gateway"]),
        "gateway_post_execute_part": percentiles(timings["gateway_post"]),
        "plain_prefect_serve": percentiles(timings["plain_serve"]),
        "targets": {"gateway_p50_max_s": 1.0, "gateway_p95_max_s": 2.0},
    }
    write_results("launch", results)


if __name__ == "__main__":
    main()
