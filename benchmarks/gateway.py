"""Gateway benchmark: `python -m benchmarks.gateway` (needs `wrk`: apt-get install wrk).

Side by side in one run, on loopback:
1. authenticated GET /api/v1/flows/runs/{id} (an ended run, and a run still waiting) vs an
   unauthenticated plain FastAPI JSON endpoint, both under uvicorn with BENCH_WORKERS workers
   (default 2, the cores here), driven by wrk at 32 connections, in ROUNDS interleaved rounds
   (medians reported);
2. launch overhead: POST /api/v1/flows/ping/execute vs calling Prefect's run_deployment
   (timeout=0) directly, alternating one of each.
Writes benchmarks/results/gateway.json (gateway-1-worker.json with BENCH_WORKERS=1).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from prefect.client.orchestration import PrefectClient
from prefect.deployments.flow_runs import arun_deployment

from benchmarks.common import (
    HOST,
    analyst_token,
    free_port,
    gateway_settings,
    load_average,
    quiet_supervisor,
    start_gateway_stack,
    write_results,
)
from lakebook.cli.stack.services import Service
from lakebook.common.deployments import deployment_path

CONNECTIONS = 32
# BENCH_DURATION_SECONDS=1 BENCH_LAUNCHES=2: a quick check that everything starts and answers.
DURATION_SECONDS = int(os.environ.get("BENCH_DURATION_SECONDS", 5))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
# uvicorn worker processes, the same for the gateway (LAKEBOOK_GATEWAY_WORKERS) and the plain app.
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
LAUNCHES = int(os.environ.get("BENCH_LAUNCHES", 20))


def wrk(url: str, headers: dict[str, str]) -> dict[str, float]:
    """Requests/s and latency percentiles (ms) from wrk at CONNECTIONS connections."""
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_SECONDS}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} failed responses\n{output}")
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
    }


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def plain_service(root: Path) -> Service:
    port = free_port()
    argv = (
        sys.executable, "-m", "uvicorn", "benchmarks.plain_app:app",
        "--host", HOST, "--port", str(port), "--no-access-log", "--workers", str(WORKERS),
    )  # fmt: skip
    return Service(
        name="plain",
        argv=argv,
        ports=(port,),
        health_url=f"http://{HOST}:{port}/plain",
        url=f"http://{HOST}:{port}",
        log_file=root / "logs" / "plain.log",
    )


def wait_until_ended(client: httpx.Client, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while client.get(url).json()["state"] not in {"COMPLETED", "FAILED", "CRASHED"}:
        if time.monotonic() > deadline:
            raise RuntimeError("the ping run did not end")
        time.sleep(0.2)


def launch_latencies(gateway: str, headers: dict[str, str], prefect_api: str) -> dict[str, Any]:
    """Alternates one launch through the gateway with one direct run_deployment, so both meet
    the same load (the runner is busy with the pings launched just before)."""
    through_gateway: list[float] = []
    direct: list[float] = []

    async def alternate() -> None:
        async with PrefectClient(prefect_api) as prefect:
            with httpx.Client(base_url=gateway, headers=headers, timeout=30) as client:
                for _ in range(LAUNCHES):
                    started = time.perf_counter()
                    client.post("/api/v1/flows/ping/execute", json={}).raise_for_status()
                    through_gateway.append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    await arun_deployment(
                        deployment_path("ping"), client=prefect, timeout=0, as_subflow=False
                    )
                    direct.append((time.perf_counter() - started) * 1000)

    asyncio.run(alternate())
    gateway_median, direct_median = statistics.median(through_gateway), statistics.median(direct)
    return {
        "launches": LAUNCHES,
        "gateway_execute_median_ms": round(gateway_median, 2),
        "direct_run_deployment_median_ms": round(direct_median, 2),
        "overhead_median_ms": round(gateway_median - direct_median, 2),
    }


def median_of_rounds(rounds: list[dict[str, float]]) -> dict[str, Any]:
    """Each figure's median over the rounds, and the rounds themselves."""
    keys = ("requests_per_second", "p50_ms", "p99_ms")
    return {k: round(statistics.median(r[k] for r in rounds), 2) for k in keys} | {"rounds": rounds}


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-"))
    settings = gateway_settings(root).with_values(gateway_workers=WORKERS)
    supervisor = quiet_supervisor(root)
    try:
        gateway = start_gateway_stack(supervisor, settings)
        plain = plain_service(root)
        supervisor.start(plain)
        token = analyst_token(settings, gateway.url)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=gateway.url, headers=headers, timeout=30) as client:
            ended = client.post("/api/v1/flows/ping/execute", json={}).json()["run_id"]
            wait_until_ended(client, f"/api/v1/flows/runs/{ended}")
            waiting = client.post(
                "/api/v1/flows/ping/execute", json={"parameters": {"wait_seconds": 600}}
            ).json()["run_id"]

        targets = {
            "plain": (f"{plain.url}/plain", {}),
            "ended": (f"{gateway.url}/api/v1/flows/runs/{ended}", headers),
            "waiting": (f"{gateway.url}/api/v1/flows/runs/{waiting}", headers),
        }
        # Interleaved rounds: a noisy moment on the machine hits every endpoint alike.
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for _ in range(ROUNDS):
            for name, (url, target_headers) in targets.items():
                rounds[name].append(wrk(url, target_headers))
        plain_result, ended_result, waiting_result = (
            median_of_rounds(rounds[name]) for name in ("plain", "ended", "waiting")
        )
        launches = launch_latencies(gateway.url, headers, settings.prefect.url)
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)

    results = {
        "load_average_during": load_average(),
        "connections": CONNECTIONS,
        "duration_seconds": DURATION_SECONDS,
        "rounds": ROUNDS,
        "uvicorn_workers": WORKERS,
        "plain_fastapi_json": plain_result,
        "get_run_ended": ended_result
        | {
            "throughput_ratio_vs_plain": round(
                ended_result["requests_per_second"] / plain_result["requests_per_second"], 3
            )
        },
        "get_run_still_waiting": waiting_result
        | {
            "throughput_ratio_vs_plain": round(
                waiting_result["requests_per_second"] / plain_result["requests_per_second"], 3
            )
        },
        "launch": launches,
    }
    write_results("gateway" if WORKERS == 2 else f"gateway-{WORKERS}-worker", results)


if __name__ == "__main__":
    main()
