"""State latency benchmark: `python -m benchmarks.sse_latency`.

How long after Prefect records a run's state the browser has it, the two ways the panel could
learn it, side by side on the same runs:
1. pushed: the server extension's relay of the gateway's event stream, `GET
   /lakebook/runs/{id}/events` on a real Jupyter server (what the panel follows, E5);
2. polled: `GET /lakebook/runs/{id}` through the same server every POLL_SECONDS (1 s, what the
   old sidebar did), started at the same moment.
Each run is a `ping` launched through the server extension, as the panel's Launch does. The
latency of a state is the moment the client read it minus the state's timestamp in Prefect
(`GET /lakebook/runs/{id}/states`); both clocks are this machine's. A state the poll never saw
(it lasted less than a poll) is counted as missed, not as a latency.
Writes benchmarks/results/sse_latency.json.
"""

from __future__ import annotations

import inspect
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import (
    HOST,
    analyst_token,
    free_port,
    gateway_settings,
    load_average,
    percentiles,
    quiet_supervisor,
    start_gateway_stack,
    write_results,
)
from lakebook.cli.stack.services import Service, jupyter_argv
from lakebook.gateway.run_events import RunWatcher

RUNS = int(os.environ.get("BENCH_RUNS", 20))
# Every run together may take this long; the benchmark stops launching after it.
BUDGET_SECONDS = 600.0
RUN_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 1.0
# The states a ping goes through after it was launched (SCHEDULED is written by the launch
# itself, before any client can know the run's id).
MEASURED = ("PENDING", "RUNNING", "COMPLETED")
ENDED = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def jupyter_service(root: Path, gateway_url: str, gateway_token: str, token: str) -> Service:
    port = free_port()
    return Service(
        name="jupyter",
        argv=jupyter_argv("server", HOST, port, token, root),
        ports=(port,),
        health_url=f"http://{HOST}:{port}/api",
        url=f"http://{HOST}:{port}",
        log_file=root / "logs" / "jupyter.log",
        env={
            "LAKEBOOK_DATA_DIR": str(root / "lab-data"),
            "LAKEBOOK_GATEWAY_URL": gateway_url,
            "LAKEBOOK_TOKEN": gateway_token,
        },
        startup_timeout=300.0,
    )


def server_sent_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any], float]]:
    """(event, data, moment read) for each event of a `text/event-stream` answer."""
    event, data = "message", ""
    for line in response.iter_lines():
        if line == "":
            if data:
                yield event, json.loads(data), time.time()
            event, data = "message", ""
        elif line.startswith("event:"):
            event = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data += line[len("data:") :].strip()


def follow_events(lab: httpx.Client, run_id: str, seen: dict[str, float]) -> None:
    """Reads the run's pushed states until its `end` event: state type -> when it arrived."""
    with lab.stream("GET", f"runs/{run_id}/events", timeout=RUN_TIMEOUT_SECONDS) as response:
        response.raise_for_status()
        for event, data, moment in server_sent_events(response):
            if event == "state":
                seen.setdefault(data["state"], moment)
            elif event == "end":
                return


def poll_states(lab: httpx.Client, run_id: str, seen: dict[str, float]) -> None:
    """Reads the run every POLL_SECONDS until it ended: state type -> when first read."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        state = lab.get(f"runs/{run_id}").json()["state"]
        seen.setdefault(state, time.time())
        if state in ENDED:
            return
        time.sleep(POLL_SECONDS)


def measure_run(lab: httpx.Client) -> dict[str, dict[str, float | None]]:
    """Launches one ping and follows it both ways at once; per way, state -> latency (s)."""
    launched = lab.post("flows/ping/execute", json={"parameters": {}})
    launched.raise_for_status()
    run_id = launched.json()["run_id"]
    pushed: dict[str, float] = {}
    polled: dict[str, float] = {}
    threads = [
        threading.Thread(target=follow_events, args=(lab, run_id, pushed)),
        threading.Thread(target=poll_states, args=(lab, run_id, polled)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RUN_TIMEOUT_SECONDS + 5)
    recorded = {
        state["state"]: datetime.fromisoformat(state["timestamp"]).timestamp()
        for state in lab.get(f"runs/{run_id}/states").json()
    }
    return {
        way: {
            state: (seen[state] - recorded[state]) if state in seen else None
            for state in MEASURED
            if state in recorded
        }
        for way, seen in (("sse", pushed), ("poll_1s", polled))
    }


def summarise(runs: list[dict[str, dict[str, float | None]]], way: str) -> dict[str, Any]:
    per_state: dict[str, Any] = {}
    for state in MEASURED:
        values = [run[way].get(state) for run in runs if state in run[way]]
        latencies = [value for value in values if value is not None]
        per_state[state] = {
            **(percentiles(latencies) if latencies else {}),
            "seen": len(latencies),
            "missed": len(values) - len(latencies),
        }
    every = [value for run in runs for value in run[way].values() if value is not None]
    return {"all_states": percentiles(every), "by_state": per_state}


def watch_interval() -> float:
    """How often the gateway asks Prefect about the runs someone follows: the floor of the
    pushed latency (a state waits for the next look, half an interval on average)."""
    default = inspect.signature(RunWatcher).parameters["interval_seconds"].default
    return float(default)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-sse-"))
    supervisor = quiet_supervisor(root)
    try:
        settings = gateway_settings(root)
        gateway = start_gateway_stack(supervisor, settings)
        token = secrets.token_urlsafe(16)
        jupyter = jupyter_service(root, gateway.url, analyst_token(settings, gateway.url), token)
        supervisor.start(jupyter)
        headers = {"Authorization": f"token {token}"}
        runs: list[dict[str, dict[str, float | None]]] = []
        with httpx.Client(base_url=f"{jupyter.url}/lakebook/", headers=headers, timeout=30) as lab:
            measure_run(lab)  # warm-up: the runner's first flow run imports and forks
            load_at_start = load_average()
            started = time.monotonic()
            while len(runs) < RUNS and time.monotonic() - started < BUDGET_SECONDS:
                runs.append(measure_run(lab))
        write_results(
            "sse_latency",
            {
                "runs": len(runs),
                "poll_seconds": POLL_SECONDS,
                "gateway_watch_interval_s": watch_interval(),
                "load_average_at_start": load_at_start,
                "sse": summarise(runs, "sse"),
                "poll_1s": summarise(runs, "poll_1s"),
                "samples": runs,
            },
        )
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
