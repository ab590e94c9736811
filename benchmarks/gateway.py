"""Gateway benchmark: `python -m benchmarks.gateway` (needs `wrk`: apt-get install wrk).

Side by side in one run, on loopback:
1. authenticated GET /api/v1/flows/runs/{id} (an ended run, and a run still waiting) vs an
   unauthenticated plain FastAPI JSON endpoint, both under uvicorn with one worker, driven by
   wrk at 32 connections;
2. launch overhead: POST /api/v1/flows/ping/execute vs calling Prefect's run_deployment
   (timeout=0) directly, sequentially.
Writes benchmarks/results/gateway.json.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prefect.client.orchestration import PrefectClient
from prefect.deployments.flow_runs import arun_deployment

from lakebook.common.deployments import deployment_path
from lakebook.common.settings import Settings
from lakebook.gateway.db import session_scope
from lakebook.gateway.stack.console import Console
from lakebook.gateway.stack.services import (
    Service,
    gateway_service,
    prefect_service,
    runner_service,
    settings_env,
)
from lakebook.gateway.stack.supervisor import Supervisor, port_in_use
from lakebook.gateway.users import create_user

HOST = "127.0.0.1"
CONNECTIONS = 32
DURATION_SECONDS = 10
LAUNCHES = 20
RESULTS = Path(__file__).parent / "results" / "gateway.json"


def free_port() -> int:
    for port in range(30000, 40000):
        if not port_in_use(HOST, port):
            return port
    raise RuntimeError("no free port")


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
        "--host", HOST, "--port", str(port), "--no-access-log",
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
    with httpx.Client(base_url=gateway, headers=headers, timeout=30) as client:
        through_gateway = []
        for _ in range(LAUNCHES):
            started = time.perf_counter()
            client.post("/api/v1/flows/ping/execute", json={}).raise_for_status()
            through_gateway.append((time.perf_counter() - started) * 1000)

    async def direct() -> list[float]:
        timings = []
        async with PrefectClient(prefect_api) as prefect:
            for _ in range(LAUNCHES):
                started = time.perf_counter()
                await arun_deployment(
                    deployment_path("ping"), client=prefect, timeout=0, as_subflow=False
                )
                timings.append((time.perf_counter() - started) * 1000)
        return timings

    direct_ms = asyncio.run(direct())
    gateway_median, direct_median = statistics.median(through_gateway), statistics.median(direct_ms)
    return {
        "launches": LAUNCHES,
        "gateway_execute_median_ms": round(gateway_median, 2),
        "direct_run_deployment_median_ms": round(direct_median, 2),
        "overhead_median_ms": round(gateway_median - direct_median, 2),
    }


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-"))
    jwt_secret = secrets.token_urlsafe(32)
    settings = Settings(
        data_dir=root,
        prefect_port=free_port(),
        runner_port=free_port() + 1,
        gateway_port=free_port() + 2,
        jwt_secret=jwt_secret,
        # The benchmark measures throughput, not the per-user limit.
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
    )
    supervisor = Supervisor(Console(io.StringIO()), HOST, root / "stack.json")
    env = settings_env(settings) | {"LAKEBOOK_JWT_SECRET": jwt_secret}
    try:
        for service in (prefect_service(settings), runner_service(settings)):
            supervisor.start(service)
        gateway = gateway_service(settings)
        supervisor.start(replace(gateway, env={**gateway.env, **env}))
        plain = plain_service(root)
        supervisor.start(plain)
        with session_scope(settings.gateway_database_url) as session:
            create_user(session, "bench", "analyst", "bench-password-123")
        token = httpx.post(
            f"{gateway.url}/api/v1/auth/token",
            data={"username": "bench", "password": "bench-password-123"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=gateway.url, headers=headers, timeout=30) as client:
            ended = client.post("/api/v1/flows/ping/execute", json={}).json()["run_id"]
            wait_until_ended(client, f"/api/v1/flows/runs/{ended}")
            waiting = client.post(
                "/api/v1/flows/ping/execute", json={"parameters": {"wait_seconds": 600}}
            ).json()["run_id"]

        plain_result = wrk(f"{plain.url}/plain", {})
        ended_result = wrk(f"{gateway.url}/api/v1/flows/runs/{ended}", headers)
        waiting_result = wrk(f"{gateway.url}/api/v1/flows/runs/{waiting}", headers)
        launches = launch_latencies(gateway.url, headers, settings.prefect_url)
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)

    results = {
        "benchmark": "gateway",
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": {
            "arch": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "connections": CONNECTIONS,
        "duration_seconds": DURATION_SECONDS,
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
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
