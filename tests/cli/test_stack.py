"""`lakebook up` as a user runs it: a real process tree, stopped with Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from lakebook.common.settings import Settings
from lakebook.gateway.db import session_scope
from lakebook.gateway.users import authenticate
from tests.utils.ports import HOST, stack_port_env
from tests.utils.prefect_http import prefect_request
from tests.utils.waiting import wait_until

pytestmark = pytest.mark.stack

LAKEBOOK = [sys.executable, "-m", "lakebook.cli.main"]
EXAMPLE_DASHBOARD = Path(__file__).resolve().parents[2] / "notebooks" / "02_dashboard.ipynb"


def lakebook_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEBOOK_", "PREFECT_"))}
    return env | stack_port_env() | {"LAKEBOOK_DATA_DIR": str(data_dir)} | extra


def run_lakebook(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LAKEBOOK, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_for_state(
    data_dir: Path, process: subprocess.Popen[str], services: int, timeout: float
) -> dict[str, Any]:
    """The stack's state once every service is up (the summary line is printed last)."""
    state_file = data_dir / "run" / "stack.json"

    def all_up() -> dict[str, Any] | None:
        assert process.poll() is None, f"lakebook up exited early with {process.returncode}"
        if state_file.exists() and len(json.loads(state_file.read_text())["services"]) == services:
            health = json.loads(state_file.read_text())["services"][-1]["health_url"]
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    state: dict[str, Any] = json.loads(state_file.read_text())
                    return state
            except httpx.HTTPError:
                pass
        return None

    return wait_until(
        all_up, awaiting="lakebook up to bring every service up", timeout=timeout, interval=0.5
    )


def run_ping(prefect_api: str, timeout: float = 60) -> str:
    """Launches the built-in `ping` flow through Prefect's API; the runner must pick it up."""
    deployment = prefect_request("GET", f"{prefect_api}/deployments/name/ping/lakebook")
    assert deployment.status_code == 200, deployment.text
    created = prefect_request(
        "POST", f"{prefect_api}/deployments/{deployment.json()['id']}/create_flow_run", json={}
    )
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + timeout
    state = "PENDING"
    while time.monotonic() < deadline and state not in {"COMPLETED", "FAILED", "CRASHED"}:
        time.sleep(0.5)
        run = prefect_request("GET", f"{prefect_api}/flow_runs/{created.json()['id']}").json()
        state = run["state"]["type"]
    return state


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    state: dict[str, Any]
    env: dict[str, str]
    data_dir: Path


@contextlib.contextmanager
def running_stack(
    tmp_path: Path,
    *up_args: str,
    services: int,
    sigint_ignored: bool = False,
    extra_env: dict[str, str] | None = None,
) -> Iterator[RunningStack]:
    """`lakebook up` in a subprocess, stopped with Ctrl-C at the end if the test did not;
    `sigint_ignored` starts it as nohup or `&` in a script do, with SIGINT inherited ignored."""
    data_dir = tmp_path / "data"
    env = lakebook_env(data_dir, **(extra_env or {}))
    process = subprocess.Popen(
        [*LAKEBOOK, "up", *up_args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )
    try:
        state = wait_for_state(data_dir, process, services, timeout=240)
        yield RunningStack(process, state, env, data_dir)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()
        assert process.stdout is not None
        process.stdout.close()


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_and_check_nothing_is_left(stack: RunningStack, signum: signal.Signals) -> str:
    """Sends the signal, waits for a clean exit and checks every child process is gone."""
    children = psutil.Process(stack.process.pid).children(recursive=True)
    assert len(children) >= len(stack.state["services"])
    stack.process.send_signal(signum)
    output, _ = stack.process.communicate(timeout=90)
    assert stack.process.returncode == 0, output
    alive = psutil.wait_procs(children, timeout=5)[1]
    assert alive == [], f"left behind: {[p.pid for p in alive]}"
    for name, value in stack.env.items():
        if name.startswith("LAKEBOOK_") and name.endswith("_PORT"):
            with socket.socket() as probe:
                assert probe.connect_ex((HOST, int(value))) != 0, f"{name} still served"
    assert not (stack.data_dir / "run" / "stack.json").exists()
    return output


def test_up_serves_everything_and_ctrl_c_leaves_nothing_behind(tmp_path: Path) -> None:
    # Started with SIGINT ignored (as under nohup): Ctrl-C must stop it all the same.
    with running_stack(tmp_path, "--no-lab", services=4, sigint_ignored=True) as stack:
        env, data_dir = stack.env, stack.data_dir
        names = [service["name"] for service in stack.state["services"]]
        assert names == ["s3", "prefect", "runner", "gateway"]

        gateway = f"http://{HOST}:{env['LAKEBOOK_GATEWAY_PORT']}"
        ready = httpx.get(f"{gateway}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        checks = {check["name"]: check["ok"] for check in ready.json()["checks"]}
        assert checks == {"prefect": True, "lake": True}
        runner = httpx.get(f"http://{HOST}:{env['LAKEBOOK_RUNNER_PORT']}/health", timeout=5)
        assert runner.status_code == 200
        # run_notebook reads notebooks from JupyterLab's root: --notebook-dir, here the cwd.
        (runner_process,) = [
            child
            for child in psutil.Process(stack.process.pid).children(recursive=True)
            if "lakebook.flows.serve" in child.cmdline()
        ]
        assert runner_process.environ()["LAKEBOOK_NOTEBOOK_DIR"] == str(tmp_path.resolve())
        prefect_api = f"http://{HOST}:{env['LAKEBOOK_PREFECT_PORT']}/api"
        assert run_ping(prefect_api) == "COMPLETED"
        heavy = prefect_request("GET", f"{prefect_api}/concurrency_limits/tag/heavy")
        assert heavy.status_code == 200, heavy.text
        assert heavy.json()["concurrency_limit"] == 2

        status = run_lakebook("status", env=env)
        assert status.returncode == 0, status.stdout
        assert status.stdout.count("  up   ") == 4

        credentials = data_dir / "credentials.json"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        kernel_token = json.loads(credentials.read_text())["access_token"]
        me = httpx.get(
            f"{gateway}/api/v1/auth/me", headers={"Authorization": f"Bearer {kernel_token}"}
        )
        assert me.status_code == 200, me.text
        assert (me.json()["name"], me.json()["role"]) == ("admin", "admin")
        assert stat.S_IMODE((data_dir / "secrets.json").stat().st_mode) == 0o600

        output = stop_and_check_nothing_is_left(stack, signal.SIGINT)
        # Every service stops within its grace period: none needs killing.
        assert "ignored SIGTERM" not in output, output
        password = re.search(r"admin login \(shown once\): user 'admin', password (\S+)", output)
        assert password is not None, output
        settings = Settings(data_dir=data_dir)
        with session_scope(settings.gateway.database) as session:
            admin = authenticate(session, "admin", password.group(1))
            assert admin is not None
            assert admin.role == "admin"
        assert run_lakebook("status", env=env).returncode == 1


def test_up_with_lab_serves_the_extension_and_stops_on_sigterm(tmp_path: Path) -> None:
    # JupyterLab's root (the cwd) holds the example workspace, as the repository does.
    (tmp_path / "notebooks").mkdir()
    shutil.copy(EXAMPLE_DASHBOARD, tmp_path / "notebooks")
    with running_stack(tmp_path, services=5) as stack:
        lab = stack.state["services"][-1]
        assert lab["name"] == "lab"
        token = lab["url"].split("token=")[1]
        base = lab["url"].split("/lab?")[0]
        status = httpx.get(f"{base}/lakebook/status", headers={"Authorization": f"token {token}"})
        assert status.status_code == 200, status.text
        assert status.json() == {
            "gateway_url": f"http://{HOST}:{stack.env['LAKEBOOK_GATEWAY_PORT']}",
            "gateway_ok": True,
        }
        page = httpx.get(f"{base}/lab", headers={"Authorization": f"token {token}"})
        assert page.status_code == 200
        # Voila inside Lab, on Lab's port: the page comes once the notebook ran; its kernel
        # signed in with `lakebook up`'s credential file and showed its three widgets (the
        # browser draws them from the kernel; the page holds their outputs).
        dashboard = f"{base}/voila/render/notebooks/02_dashboard.ipynb?token={token}"
        rendered = httpx.get(dashboard, timeout=180)
        assert rendered.status_code == 200, rendered.text
        assert "lakebook dashboard" in rendered.text
        assert "Cannot sign in" not in rendered.text
        assert '"output_type": "error"' not in rendered.text
        assert rendered.text.count("application/vnd.jupyter.widget-view+json") == 3
        output = stop_and_check_nothing_is_left(stack, signal.SIGTERM)
        assert f"  dashboard (Voila, in JupyterLab): {dashboard}\n" in output, output


def test_second_up_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    with running_stack(tmp_path, "--no-lab", services=4) as stack:
        again = run_lakebook("up", "--no-lab", env=stack.env)
        assert again.returncode == 1
        assert "lakebook is already running" in again.stderr
        assert run_lakebook("status", env=stack.env).returncode == 0


def test_taken_port_exits_nonzero_naming_the_port(tmp_path: Path) -> None:
    env = lakebook_env(tmp_path / "data")
    with socket.socket() as squatter:
        squatter.bind((HOST, int(env["LAKEBOOK_GATEWAY_PORT"])))
        squatter.listen()
        result = run_lakebook("up", "--no-lab", env=env)
    assert result.returncode == 1
    port = env["LAKEBOOK_GATEWAY_PORT"]
    # The message names the variable to change, not only the service.
    assert (
        f"gateway: port {port} (LAKEBOOK_GATEWAY_PORT) on {HOST} is already in use" in result.stderr
    )
    assert "set LAKEBOOK_GATEWAY_PORT to another port" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "logs" / "s3.log").exists(), "nothing should have started"


def test_taken_grpc_port_names_the_setting_it_follows(tmp_path: Path) -> None:
    env = lakebook_env(tmp_path / "data")
    grpc_port = int(env["LAKEBOOK_S3_PORT"]) + 10000
    with socket.socket() as squatter:
        squatter.bind((HOST, grpc_port))
        squatter.listen()
        result = run_lakebook("up", "--no-lab", env=env)
    assert result.returncode == 1
    assert (
        f"s3: port {grpc_port} (LAKEBOOK_S3_PORT + 10000, its gRPC port) on {HOST} is already "
        "in use" in result.stderr
    ), result.stderr
    assert "set LAKEBOOK_S3_PORT to another port" in result.stderr


def test_missing_binary_names_the_service(tmp_path: Path) -> None:
    env = lakebook_env(tmp_path / "data", LAKEBOOK_SEAWEED_BINARY="/nonexistent/weed")
    result = run_lakebook("up", "--no-lab", env=env)
    assert result.returncode == 1
    assert "s3: the SeaweedFS binary '/nonexistent/weed' was not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_child_that_dies_is_named_with_its_log_and_the_rest_is_stopped(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # Prefect cannot open a database file that is a folder, so its server exits at start-up.
    (data_dir / "prefect" / "prefect.db").mkdir(parents=True)
    env = lakebook_env(data_dir)
    result = run_lakebook("up", "--no-lab", env=env, timeout=180)
    assert result.returncode == 1
    log_file = data_dir / "logs" / "prefect.log"
    assert "prefect exited with code" in result.stderr
    assert str(log_file) in result.stderr
    assert "Traceback" not in result.stderr
    assert "s3       stopped" in result.stdout


def test_invalid_settings_exit_with_usage_code(tmp_path: Path) -> None:
    env = lakebook_env(tmp_path / "data", LAKEBOOK_GATEWAY_PORT="99999")
    result = run_lakebook("up", "--no-lab", env=env)
    assert result.returncode == 2
    assert "LAKEBOOK_GATEWAY_PORT" in result.stderr
    assert "Traceback" not in result.stderr
