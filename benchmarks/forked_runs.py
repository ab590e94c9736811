"""Forked-run benchmark: `python -m benchmarks.forked_runs`.

The time inside a small `transform_dataset` run (1,000 rows, one filter; Running → Completed as
Prefect records it), side by side against one Prefect server and one SeaweedFS, runs alternating:
1. launched through the gateway and run by `lakebook up`'s runner: each run is a process forked
   from the runner's warm forkserver, with its own S3 client (warm_start, forkserver_warmup);
2. called in this process, whose lake store is already warm: no process, no client start-up.
Their difference is what a run pays for being a process of its own. The transform benchmark
calls its flow in-process, so it never shows that cost.
Writes benchmarks/results/forked_runs.json.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from uuid import UUID

import httpx
import polars as pl
from prefect import get_client
from prefect.context import refresh_global_settings_context

from benchmarks.common import (
    analyst_token,
    gateway_settings,
    lake_env,
    lake_settings,
    load_average,
    quiet_supervisor,
    start_gateway_stack,
    start_seaweed,
    summary,
    write_results,
)
from lakebook.cli.stack.services import prefect_env
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from lakebook.lake.transform_spec import TransformSpec

RUNS = int(os.environ.get("BENCH_FORKED_RUNS", 10))
RUN_TIMEOUT_SECONDS = 120.0
SPEC = {
    "inputs": [{"dataset": "small_orders"}],
    "steps": [{"step": "filter", "condition": {"op": ">", "args": [{"col": "id"}, {"lit": 10}]}}],
    "output": "small_orders_filtered",
}
ENDED = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def seconds_inside(run_id: str) -> float:
    """Running → Completed of a run, as Prefect records it; a run that did not complete fails."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(UUID(run_id))
            state = run.state
            if state is None or state.type.value not in ENDED:
                time.sleep(0.05)
                continue
            if state.type.value != "COMPLETED" or run.start_time is None or run.end_time is None:
                raise RuntimeError(f"run {run_id} ended {state.type.value}: {state.message}")
            return (run.end_time - run.start_time).total_seconds()
    raise RuntimeError(f"run {run_id} did not end in {RUN_TIMEOUT_SECONDS} s")


def through_runner(gateway: httpx.Client) -> float:
    response = gateway.post(
        "/api/v1/flows/transform_dataset/execute", json={"parameters": {"spec": SPEC}}
    )
    response.raise_for_status()
    return seconds_inside(response.json()["run_id"])


def in_process() -> float:
    from lakebook.flows.transform import transform_dataset

    metadata = transform_dataset(TransformSpec.model_validate(SPEC))
    return seconds_inside(str(metadata["run_id"]))


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-forked-"))
    stack = gateway_settings(root)
    shared = ("prefect_port", "runner_port", "gateway_port", "jwt_secret")
    shared += ("rate_limit_per_second", "rate_limit_burst")
    settings = lake_settings(root, **{name: stack.variables()[name] for name in shared})
    supervisor = quiet_supervisor(root)
    timings: dict[str, list[float]] = {"runner": [], "in_process": []}
    try:
        start_seaweed(supervisor, settings)
        # The runner's runs and this process's calls reach the same lake and Prefect.
        os.environ.update({**lake_env(settings), **prefect_env(settings)})
        refresh_global_settings_context()
        gateway = start_gateway_stack(supervisor, settings)
        LakePublisher(LakeStore.from_settings(settings)).publish(
            pl.DataFrame({"id": range(1000), "name": [f"n{i}" for i in range(1000)]}),
            dataset="small_orders",
            run_id="input",
            flow_name="benchmark",
        )
        token = analyst_token(settings, gateway.url)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=gateway.url, headers=headers, timeout=30) as client:
            # One of each first: registers the flow, warms the server and this process.
            through_runner(client)
            in_process()
            for number in range(RUNS):
                timings["runner"].append(through_runner(client))
                timings["in_process"].append(in_process())
                print(
                    f"run {number + 1}: forked {timings['runner'][-1]:.3f} s, "
                    f"in-process {timings['in_process'][-1]:.3f} s",
                    flush=True,
                )
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)

    runner, local = summary(timings["runner"]), summary(timings["in_process"])
    write_results(
        "forked_runs",
        {
            "runs": RUNS,
            "rows": 1000,
            "load_average_during": load_average(),
            "forked_run_inside": runner,
            "in_process_run_inside": local,
            "forked_minus_in_process_s": round(runner["median_s"] - local["median_s"], 3),
        },
    )


if __name__ == "__main__":
    main()
