"""The flow suite's core on Prefect-on-PostgreSQL: launches over HTTP, a transform, a schedule
and a burst of 20 launches, on `lakebook up --prefect-db postgres` (Prefect on the PostgreSQL
server it starts), with the gateway's users in the session's PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import nbformat
import polars as pl
import pytest

from lakebook.common.database_urls import EMBEDDED_PREFECT_DATABASE
from lakebook.common.deployments import DEPLOYMENT_NAME
from lakebook.common.settings import load_settings
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.utils.lakebook_up import LAKEBOOK, lakebook_up
from tests.utils.postgres import PostgresServer, libpq_url
from tests.utils.prefect_http import prefect_request
from tests.utils.services import FlowStack, Gateway
from tests.utils.waiting import wait_until

# Starts `lakebook up` (and runs the `lakebook` command as processes).
pytestmark = pytest.mark.stack

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
BURST = 20


@pytest.fixture(scope="module")
def postgres_flow_stack(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlowStack]:
    """`lakebook up --prefect-db postgres --no-lab`, the command itself: Prefect on the
    PostgreSQL server it starts (initdb, a generated password), and the gateway's users in the
    session's PostgreSQL server (LAKEBOOK_DATABASE_URL). One stack for this module's tests,
    stopped after them: idle, its runner and Prefect would still load the machine."""
    # Not pytest's private folder: as root, the server runs as `postgres`, who must enter it.
    root = Path(tempfile.mkdtemp(prefix="lakebook-up-postgres-"))
    os.chmod(root, 0o711)
    workspace = tmp_path_factory.mktemp("postgres-workspace")
    gateway_database = postgres_server.new_database("gateway")
    up_args = ("--no-lab", "--prefect-db", "postgres", "--notebook-dir", str(workspace))
    try:
        with lakebook_up(
            root, *up_args, services=5, extra_env={"LAKEBOOK_DATABASE_URL": gateway_database}
        ) as up:
            settings = load_settings(**up.variables(), notebook_dir=workspace)
            yield FlowStack(Gateway(settings.gateway.base_url, settings), settings.prefect.url)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def wait_for_end(
    stack: FlowStack, headers: dict[str, str], run_ids: list[str], timeout: float = 120
) -> dict[str, str]:
    """Each run's final state, once every one has ended: one listing of the caller's runs
    through the gateway a poll (a read per run would spend the caller's rate limit)."""

    def states() -> dict[str, str]:
        response = httpx.get(
            stack.gateway.api("/flows/runs"), params={"limit": 200}, headers=headers, timeout=30
        )
        assert response.status_code == 200, response.text
        return {run["run_id"]: run["state"] for run in response.json()}

    def all_ended() -> dict[str, str] | None:
        current = states()
        wanted = {run_id: current.get(run_id, "MISSING") for run_id in run_ids}
        return wanted if set(wanted.values()) <= TERMINAL else None

    ended: dict[str, str] = wait_until(
        all_ended, awaiting=lambda: f"{len(run_ids)} runs to end: {states()}", timeout=timeout,
        interval=0.5,
    )  # fmt: skip
    return ended


def launch(stack: FlowStack, headers: dict[str, str], flow: str, **parameters: Any) -> str:
    response = httpx.post(
        stack.gateway.api(f"/flows/{flow}/execute"),
        json={"parameters": parameters},
        headers=headers,
        timeout=60,
    )
    assert response.status_code == 202, response.text
    run_id: str = response.json()["run_id"]
    return run_id


def prefect_database(stack: FlowStack) -> str:
    """The database of the PostgreSQL server `lakebook up` started for Prefect."""
    return stack.gateway.settings.prefect.postgres_server_url(EMBEDDED_PREFECT_DATABASE)


def test_a_launch_completes_and_both_stores_are_postgres(
    postgres_flow_stack: FlowStack, postgres_server: PostgresServer
) -> None:
    stack = postgres_flow_stack
    owner = stack.login("analyst")
    run_id = launch(stack, owner, "ping", message="on postgres")
    assert wait_for_end(stack, owner, [run_id]) == {run_id: "COMPLETED"}

    # Prefect kept the run in PostgreSQL, and the gateway its owner: neither fell back to SQLite.
    rows = postgres_server.query(
        prefect_database(stack), "SELECT state_type::text FROM flow_run WHERE id = %s", run_id
    )
    assert rows == [("COMPLETED",)]
    gateway_database = libpq_url(stack.gateway.settings.gateway.database)
    rows = postgres_server.query(
        gateway_database,
        "SELECT users.role FROM flow_runs JOIN users ON users.id = flow_runs.owner_id "
        "WHERE flow_runs.run_id = %s",
        run_id,
    )
    assert rows == [("analyst",)]
    assert not list(stack.gateway.settings.data_dir.rglob("*.db"))


def test_a_transform_runs_to_a_published_dataset(postgres_flow_stack: FlowStack) -> None:
    stack = postgres_flow_stack
    publisher = LakePublisher(LakeStore.from_settings(stack.gateway.settings))
    orders = pl.DataFrame({"region": ["north", "south", "north"], "amount": [1.0, 2.0, 4.0]})
    publisher.publish(orders, dataset="pg_orders", run_id="pg_orders-r1", flow_name="test")
    analyst = stack.login("analyst")
    spec = {
        "inputs": [{"dataset": "pg_orders"}],
        "steps": [
            {
                "step": "group_by",
                "by": ["region"],
                "aggs": [{"name": "total", "expr": {"agg": "sum", "col": "amount"}}],
            },
            {"step": "sort", "by": ["region"]},
        ],
        "output": "pg_totals",
    }
    run_id = launch(stack, analyst, "transform_dataset", spec=spec)
    assert wait_for_end(stack, analyst, [run_id]) == {run_id: "COMPLETED"}

    result = httpx.get(
        stack.gateway.api(f"/flows/runs/{run_id}/result"), headers=analyst, timeout=30
    )
    assert result.status_code == 200, result.text
    assert result.json()["dataset"] == "pg_totals"
    assert result.json()["preview"] == [
        {"region": "north", "total": 5.0},
        {"region": "south", "total": 2.0},
    ]


def test_a_schedule_creates_runs_in_postgres(postgres_flow_stack: FlowStack) -> None:
    stack = postgres_flow_stack
    workspace = stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("limit = 3", metadata={"tags": ["parameters"]})]
    nbformat.write(notebook, workspace / "pg_report.ipynb")
    analyst = stack.login("analyst")
    schedules = stack.gateway.api("/notebooks/schedules")
    created = httpx.post(
        schedules,
        json={"notebook": "pg_report.ipynb", "cron": "0 6 * * *", "name": "pg-daily"},
        headers=analyst,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    schedule_id = created.json()["id"]
    try:
        deployment = prefect_request(
            "GET", f"{stack.prefect_api_url}/deployments/name/run_notebook/{DEPLOYMENT_NAME}"
        )
        assert deployment.status_code == 200, deployment.text

        def scheduled_runs() -> list[dict[str, Any]]:
            found = prefect_request(
                "POST",
                f"{stack.prefect_api_url}/flow_runs/filter",
                json={"flow_runs": {"deployment_id": {"any_": [deployment.json()["id"]]}}},
            )
            assert found.status_code == 200, found.text
            return [
                run
                for run in found.json()
                if (run.get("created_by") or {}).get("display_value") == f"lakebook:{schedule_id}"
            ]

        # Prefect's scheduler writes the runs (a bulk INSERT) into PostgreSQL.
        runs = wait_until(scheduled_runs, awaiting="the schedule's runs", timeout=90, interval=1)
        assert runs[0]["state"]["type"] == "SCHEDULED"
        assert runs[0]["parameters"]["notebook"] == "pg_report.ipynb"
    finally:
        deleted = httpx.delete(f"{schedules}/pg-daily", headers=analyst, timeout=60)
    assert deleted.status_code == 204, deleted.text


def test_twenty_concurrent_launches_all_complete(postgres_flow_stack: FlowStack) -> None:
    """Each launch is answered 202 at once (on SQLite a burst of ten stalled Prefect past a
    minute once) and every run completes."""
    stack = postgres_flow_stack
    analyst = stack.login("analyst")
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        run_ids = list(
            pool.map(lambda n: launch(stack, analyst, "ping", message=f"burst {n}"), range(BURST))
        )
    assert len(set(run_ids)) == BURST
    states = wait_for_end(stack, analyst, run_ids, timeout=240)
    assert list(states.values()) == ["COMPLETED"] * BURST, states


def test_status_shows_the_postgres_server_up(postgres_flow_stack: FlowStack) -> None:
    """`lakebook status` checks a service without a health URL (PostgreSQL) by connecting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEBOOK_", "PREFECT_"))}
    data_dir = str(postgres_flow_stack.gateway.settings.data_dir)
    status = subprocess.run(
        [*LAKEBOOK, "status", "--data-dir", data_dir],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert status.returncode == 0, status.stdout + status.stderr
    rows = {line.split()[1]: line.split()[0] for line in status.stdout.splitlines()[1:]}
    assert rows == dict.fromkeys(("s3", "postgres", "prefect", "runner", "gateway"), "up")
