"""State-to-browser latency benchmark: `python -m benchmarks.sse_latency`.

How long after Prefect records a run state a client of the Jupyter server extension learns of it,
side by side in one run, every client following the same `ping` runs at once:
1. the panel's way: the server-sent events relayed by the lab server,
   `GET /lakebook/runs/{id}/events` (src/api/events.ts, src/model/runFollower.ts), as a stream;
2. the gateway's own stream, `GET /api/v1/flows/runs/{id}/events`, read directly: the difference
   to 1. is the relay's share;
3. polling the runs list, `GET /lakebook/runs`, every 1 s (the old sidebar), every 0.25 s, and
   every 5 s (the cadence of Prefect's own flow-run page: `useFlowRun(id, {interval: 5e3})` in the
   UI bundled with Prefect 3.9, prefect/server/ui/assets/FlowRun-*.js).
t_prefect is each state's timestamp as Prefect recorded it (the gateway's `GET .../states`, read
once the run ended); t_seen the wall-clock time a client received it, or, for a poller, received
a later state (a poll may skip a short state; the panel then shows the later one). Everything
runs on this machine: one wall clock. Writes benchmarks/results/sse_latency.json.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import (
    HOST,
    STARTUP_SECONDS,
    analyst_token,
    free_port,
    gateway_settings,
    lake_settings,
    load_average,
    quiet_supervisor,
    start_gateway_stack,
    start_seaweed,
    write_results,
)
from lakebook.cli.stack.services import (
    Service,
    gateway_service,
    jupyter_argv,
    prefect_service,
    runner_service,
    settings_env,
)
from lakebook.cli.stack.supervisor import Supervisor
from lakebook.common.settings import Settings

RUNS = int(os.environ.get("BENCH_RUNS", 24))
# The whole measurement stops launching runs after this, whatever RUNS says.
BUDGET_SECONDS = float(os.environ.get("BENCH_BUDGET_SECONDS", 480))
RUN_TIMEOUT_SECONDS = 60.0
# Long enough that RUNNING is a state of its own, short enough for many runs.
PING_WAIT_SECONDS = 1.0
POLLERS = {"poll_list_1s": 1.0, "poll_list_250ms": 0.25, "poll_list_5s": 5.0}
STREAMS = ("sse_lab_relay", "sse_gateway_direct")
ORDER = ("SCHEDULED", "PENDING", "RUNNING", "COMPLETED")
# SCHEDULED exists before any client connects (the stream replays it on subscribe): the
# transitions a client already following the run waits for are the later ones.
FOLLOWED = ("PENDING", "RUNNING", "COMPLETED")
# The gateway's RunWatcher polls Prefect this often by default (gateway/run_events.py); another
# value (BENCH_WATCH_INTERVAL) runs the gateway through benchmarks.watch_interval_app.
DEFAULT_WATCH_INTERVAL_SECONDS = 0.5
WATCH_INTERVAL = os.environ.get("BENCH_WATCH_INTERVAL")
GATEWAY_WATCH_INTERVAL_SECONDS = float(WATCH_INTERVAL or DEFAULT_WATCH_INTERVAL_SECONDS)
GATEWAY_APP = "lakebook.gateway.main:create_app"

Seen = dict[str, float]  # state type -> wall-clock time a client learnt of it


def lab_service(root: Path, gateway_url: str, token: str) -> tuple[Service, str]:
    """`jupyter server` with lakebook's server extension calling the gateway as `token`'s user
    (as tests/utils/lab_server.py starts it), with its own data dir; returns it and its token."""
    jupyter_token = secrets.token_urlsafe(16)
    port = free_port()
    service = Service(
        name="jupyter",
        argv=jupyter_argv("server", HOST, port, jupyter_token, root),
        ports=(port,),
        health_url=f"http://{HOST}:{port}/api",
        url=f"http://{HOST}:{port}",
        log_file=root / "logs" / "jupyter.log",
        env={
            "LAKEBOOK_DATA_DIR": str(root / "lab-data"),
            "LAKEBOOK_GATEWAY_URL": gateway_url,
            "LAKEBOOK_TOKEN": token,
        },
        startup_timeout=STARTUP_SECONDS,
    )
    return service, jupyter_token


def start_stack(supervisor: Supervisor, settings: Settings) -> Service:
    """The Prefect + runner + gateway stack of `lakebook up`, its gateway's watcher polling
    every BENCH_WATCH_INTERVAL s when that is set."""
    if WATCH_INTERVAL is None:
        return start_gateway_stack(supervisor, settings)
    env = settings_env(settings) | {
        "LAKEBOOK_JWT_SECRET": settings.require_secret("jwt_secret"),
        "BENCH_WATCH_INTERVAL": WATCH_INTERVAL,
    }
    gateway = gateway_service(settings)
    argv = tuple(
        "benchmarks.watch_interval_app:create_app" if a == GATEWAY_APP else a for a in gateway.argv
    )
    gateway = replace(gateway, argv=argv)
    for service in (prefect_service(settings), runner_service(settings), gateway):
        supervisor.start(
            replace(service, env={**env, **service.env}, startup_timeout=STARTUP_SECONDS)
        )
    return gateway


def stream_states(lines: Iterator[str], deadline: float) -> Seen:
    """Reads `state` events until `end`, noting when each state type first arrived."""
    seen: Seen = {}
    kind = ""
    for line in lines:
        if time.monotonic() > deadline:
            raise RuntimeError("the event stream did not end in time")
        if line.startswith("event:"):
            kind = line.partition(":")[2].strip()
        elif line.startswith("data:") and kind == "state":
            state = json.loads(line.partition(":")[2])["state"]
            seen.setdefault(state, time.time())
        elif line.startswith("data:") and kind == "end":
            return seen
        elif not line:
            kind = ""
    raise RuntimeError("the event stream closed before its end event")


def follow_stream(client: httpx.Client, path: str) -> Seen:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    timeout = httpx.Timeout(30, read=RUN_TIMEOUT_SECONDS)
    with client.stream("GET", path, timeout=timeout) as response:
        response.raise_for_status()
        return stream_states(response.iter_lines(), deadline)


def follow_polling(client: httpx.Client, run_id: str, interval: float) -> Seen:
    """Polls the runs list every `interval` s from a random phase (a sidebar's polling was
    already going when the run began) until the run shows COMPLETED."""
    seen: Seen = {}
    time.sleep(random.uniform(0, interval))
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    for _ in range(int(RUN_TIMEOUT_SECONDS / interval) + 1):
        if time.monotonic() > deadline:
            break
        tick = time.monotonic()
        runs = client.get("runs", params={"limit": 10}).json()
        received = time.time()
        state = next((run["state"] for run in runs if run["run_id"] == run_id), None)
        if state in ORDER:
            for earlier in ORDER[: ORDER.index(state) + 1]:
                seen.setdefault(earlier, received)
        if "COMPLETED" in seen:
            return seen
        time.sleep(max(0.0, interval - (time.monotonic() - tick)))
    raise RuntimeError(f"poller every {interval} s did not see run {run_id} complete")


def recorded_states(gateway: httpx.Client, run_id: str) -> dict[str, float]:
    """When Prefect recorded each state type (its first occurrence), as epoch seconds."""
    changes = gateway.get(f"/api/v1/flows/runs/{run_id}/states").json()
    recorded: dict[str, float] = {}
    for change in changes:
        stamp = datetime.fromisoformat(change["timestamp"]).timestamp()
        recorded.setdefault(change["state"], stamp)
    return recorded


def measure_run(lab: httpx.Client, gateway: httpx.Client) -> dict[str, dict[str, float]]:
    """One ping run followed by every client at once; latency per client per state."""
    parameters = {"message": "latency", "wait_seconds": PING_WAIT_SECONDS}
    response = lab.post("flows/ping/execute", json={"parameters": parameters})
    response.raise_for_status()
    run_id = response.json()["run_id"]
    followers: dict[str, Callable[[], Seen]] = {
        "sse_lab_relay": lambda: follow_stream(lab, f"runs/{run_id}/events"),
        "sse_gateway_direct": lambda: follow_stream(gateway, f"/api/v1/flows/runs/{run_id}/events"),
    }
    for name, interval in POLLERS.items():
        followers[name] = partial(follow_polling, lab, run_id, interval)
    with ThreadPoolExecutor(len(followers)) as pool:
        futures = {name: pool.submit(follow) for name, follow in followers.items()}
        seen = {
            name: future.result(timeout=RUN_TIMEOUT_SECONDS * 2) for name, future in futures.items()
        }
    recorded = recorded_states(gateway, run_id)
    if "COMPLETED" not in recorded:
        raise RuntimeError(f"ping run {run_id} did not complete: {sorted(recorded)}")
    return {
        name: {state: at - recorded[state] for state, at in times.items() if state in recorded}
        for name, times in seen.items()
    }


def spread(seconds: list[float]) -> dict[str, Any]:
    """n, p50 / p90 (nearest rank) / max, in seconds rounded to the millisecond."""
    ordered = sorted(seconds)
    rank90 = max(0, -(-90 * len(ordered) // 100) - 1)
    return {
        "n": len(ordered),
        "p50_s": round(statistics.median(ordered), 3),
        "p90_s": round(ordered[rank90], 3),
        "max_s": round(ordered[-1], 3),
    }


def summarise(runs: list[dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Per client: the followed transitions together, each state alone, and the fixed part
    (p50 minus half the client's own wait interval, the part that does not depend on it)."""
    clients: dict[str, Any] = {}
    for name in (*STREAMS, *POLLERS):
        followed = [run[name][s] for run in runs for s in FOLLOWED if s in run[name]]
        interval = POLLERS.get(name, GATEWAY_WATCH_INTERVAL_SECONDS)
        clients[name] = {
            "wait_interval_s": interval,
            "followed_states": spread(followed),
            "fixed_part_estimate_s": round(statistics.median(followed) - interval / 2, 3),
            "per_state": {
                state: spread([run[name][state] for run in runs if state in run[name]])
                for state in ORDER
            },
        }
    relay = [
        run["sse_lab_relay"][s] - run["sse_gateway_direct"][s]
        for run in runs
        for s in FOLLOWED
        if s in run["sse_lab_relay"] and s in run["sse_gateway_direct"]
    ]
    clients["relay_share"] = spread(relay)
    return clients


def measure(lab_url: str, jupyter_token: str, gateway_url: str, token: str) -> list[Any]:
    """RUNS runs one after the other (one warm-up first, not counted), within BUDGET_SECONDS."""
    lab_headers = {"Authorization": f"token {jupyter_token}"}
    gateway_headers = {"Authorization": f"Bearer {token}"}
    runs: list[dict[str, dict[str, float]]] = []
    with (
        httpx.Client(base_url=f"{lab_url}/lakebook/", headers=lab_headers, timeout=30) as lab,
        httpx.Client(base_url=gateway_url, headers=gateway_headers, timeout=30) as gateway,
    ):
        measure_run(lab, gateway)
        stop_at = time.monotonic() + BUDGET_SECONDS
        for number in range(RUNS):
            if time.monotonic() > stop_at:
                print(f"time budget of {BUDGET_SECONDS:.0f} s spent after {number} runs")
                break
            runs.append(measure_run(lab, gateway))
            shown = ", ".join(
                f"{name} {statistics.median(list(run.values())):.3f}"
                for name, run in runs[-1].items()
            )
            print(f"run {number + 1}: median latency (s): {shown}", flush=True)
    return runs


def results_name(settings: Settings) -> str:
    """sse_latency, or a name saying which lever differs from the defaults."""
    name = "sse_latency"
    if WATCH_INTERVAL is not None:
        name += f"-watch-{WATCH_INTERVAL}s"
    if "LAKEBOOK_RUN_STATE_CACHE_SECONDS" in os.environ:
        name += f"-state-cache-{settings.gateway.run_state_cache_seconds}s"
    return name


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-sse-"))
    stack = gateway_settings(root)
    shared: tuple[str, ...] = ("prefect_port", "runner_port", "gateway_port", "jwt_secret")
    shared += ("rate_limit_per_second", "rate_limit_burst")
    settings = lake_settings(root, **{name: stack.variables()[name] for name in shared})
    supervisor = quiet_supervisor(root)
    load_before = load_average()
    try:
        start_seaweed(supervisor, settings)
        gateway = start_stack(supervisor, settings)
        token = analyst_token(settings, gateway.url)
        lab, jupyter_token = lab_service(root, gateway.url, token)
        supervisor.start(lab)
        runs = measure(lab.url, jupyter_token, gateway.url, token)
        load_during = load_average()
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)

    results: dict[str, Any] = {
        "runs": len(runs),
        "ping_wait_seconds": PING_WAIT_SECONDS,
        "followed_states": list(FOLLOWED),
        "clock": "one machine, one wall clock (time.time() vs Prefect's state timestamps)",
        "gateway_watch_interval_s": GATEWAY_WATCH_INTERVAL_SECONDS,
        "run_state_cache_s": settings.gateway.run_state_cache_seconds,
        "gateway_workers": settings.gateway.workers,
        "load_average_before": load_before,
        "load_average_during": load_during,
        "clients": summarise(runs),
        "targets": {"sse_lab_relay_p50_max_s": 0.3},
        "samples_s": [
            {name: {s: round(v, 3) for s, v in run.items()} for name, run in sampled.items()}
            for sampled in runs
        ],
    }
    write_results(results_name(settings), results)


if __name__ == "__main__":
    main()
