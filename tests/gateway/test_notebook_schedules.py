"""Notebook schedules over HTTP and from the `lakebook schedule` command, checked in Prefect."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nbformat
import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
from prefect.client.schemas.objects import FlowRun
from sqlalchemy import select

from lakebook.common.deployments import DEPLOYMENT_NAME, OWNER_TAG_PREFIX
from lakebook.common.lake import LakePaths
from lakebook.gateway import schedules
from lakebook.gateway.crud import find_run_record
from lakebook.gateway.db import session_scope
from lakebook.gateway.models import AuditEvent
from lakebook.gateway.schedules import (
    ScheduleInputError,
    locate_schedule_notebook,
    notebook_parameters,
)
from lakebook.gateway.users import create_user
from lakebook.lake.store import LakeStore
from tests.utils.notebook_standin import deployment_exists, start_runner, stop_runner
from tests.utils.ports import HOST, free_port
from tests.utils.prefect_http import prefect_request
from tests.utils.services import FlowStack, S3Server, quiet_supervisor, start_gateway
from tests.utils.waiting import wait_until

DEPLOYMENT = f"run_notebook/{DEPLOYMENT_NAME}"
LAKEBOOK = [sys.executable, "-m", "lakebook.cli.main"]
PARAMETERS_CELL = """\
region = "north"  # which region
limit: int = 10
threshold = 0.5
verbose = False
"""


@pytest.fixture(scope="module")
def notebook_flow(
    flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """A served run_notebook deployment: lakebook's own if its runner has it, else the stand-in."""
    if asyncio.run(deployment_exists(flow_stack.prefect_api_url, DEPLOYMENT)):
        yield
        return
    log = tmp_path_factory.mktemp("standin") / "runner.log"
    process = start_runner(flow_stack.prefect_api_url, DEPLOYMENT_NAME, log)
    try:
        yield
    finally:
        stop_runner(process)


def parameterised_notebook(parameters_cell: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(parameters_cell, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(sorted(globals()))"),
    ]
    # Scheduled runs execute it (with the kernel it names) when the runner serves run_notebook.
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return notebook


@pytest.fixture(scope="module")
def workspace(flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = flow_stack.gateway.settings.flows.notebook_dir
    assert folder is not None
    (folder / "reports").mkdir(exist_ok=True)
    nbformat.write(parameterised_notebook(PARAMETERS_CELL), folder / "reports" / "sales.ipynb")
    # A link inside the workspace to a notebook outside it: a way out that must stay shut.
    outside = tmp_path_factory.mktemp("outside") / "secret.ipynb"
    nbformat.write(parameterised_notebook(PARAMETERS_CELL), outside)
    (folder / "reports" / "escape.ipynb").unlink(missing_ok=True)
    (folder / "reports" / "escape.ipynb").symlink_to(outside)
    return folder


# The lake notebook declares other parameters than the workspace one: checks must read this cell.
LAKE_NOTEBOOK_KEY = "raw/notebooks/lake_sales.ipynb"
LAKE_PARAMETERS_CELL = """country = "fr"
days: int = 7
"""


@pytest.fixture(scope="module")
def lake_notebook(flow_stack: FlowStack) -> str:
    """A notebook stored in the stack's lake (not in the workspace folder); returns its key."""
    store = LakeStore.from_settings(flow_stack.gateway.settings)
    notebook = parameterised_notebook(LAKE_PARAMETERS_CELL)
    store.write_bytes(LAKE_NOTEBOOK_KEY, nbformat.writes(notebook).encode())
    return LAKE_NOTEBOOK_KEY


@pytest.fixture
def analyst(flow_stack: FlowStack, notebook_flow: None, workspace: Path) -> dict[str, str]:
    return flow_stack.login("analyst")


def create(stack: FlowStack, headers: dict[str, str], **body: Any) -> httpx.Response:
    payload = {"notebook": "reports/sales.ipynb", "cron": "0 6 * * *", **body}
    url = stack.gateway.api("/notebooks/schedules")
    return httpx.post(url, json=payload, headers=headers, timeout=60)


def schedule_runs(stack: FlowStack, schedule_id: str) -> list[FlowRun]:
    """Runs Prefect created from the lakebook schedule `owner:name`, earliest first."""

    async def read() -> list[FlowRun]:
        async with PrefectClient(stack.prefect_api_url) as client:
            deployment = await client.read_deployment_by_name(DEPLOYMENT)
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])
                ),
                limit=200,
            )
        slug = f"lakebook:{schedule_id}"
        return sorted(
            (r for r in runs if r.created_by and r.created_by.display_value == slug),
            key=lambda r: r.expected_start_time or datetime.min.replace(tzinfo=UTC),
        )

    return asyncio.run(read())


def future_runs(stack: FlowStack, schedule_id: str) -> list[datetime]:
    now = datetime.now(UTC)
    return [
        r.expected_start_time
        for r in schedule_runs(stack, schedule_id)
        if r.state_type and r.state_type.value == "SCHEDULED"
        if r.expected_start_time and r.expected_start_time > now
    ]


def wait_for_future_runs(stack: FlowStack, schedule_id: str, at_least: int = 3) -> list[datetime]:
    """Scheduled runs are created right after a change, or else by Prefect's scheduler loop
    (every 60 s): wait, bounded, for them to be there."""

    def enough() -> list[datetime]:
        starts = future_runs(stack, schedule_id)
        return starts if len(starts) >= at_least else []

    return wait_until(enough, awaiting=f"{at_least} future runs", timeout=150, interval=2)


def test_every_minute_runs_on_whole_minutes_and_pause_resume_delete(
    flow_stack: FlowStack, analyst: dict[str, str]
) -> None:
    # Deleted by name whatever happens, even when the answer to its creation was lost: left
    # behind, it would start a run every minute for the rest of the session.
    try:
        response = create(
            flow_stack,
            analyst,
            cron="* * * * *",
            timezone="Asia/Kathmandu",
            name="every-minute",
            parameters={"limit": 3, "region": "south"},
        )
        assert response.status_code == 201, response.text
        created = response.json()
        schedule_id = created["id"]
        assert created["active"] is True
        assert created["parameters"] == {"limit": 3, "region": "south"}
        before = datetime.now(UTC) - timedelta(seconds=1)
        starts = wait_for_future_runs(flow_stack, schedule_id)
        assert all(start.second == 0 and start.microsecond == 0 for start in starts)
        assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == [
            timedelta(minutes=1)
        ] * (len(starts) - 1)
        # The runner may already have taken the run due first: the next is at most 2 min away.
        assert before < starts[0] <= datetime.now(UTC) + timedelta(minutes=2)
        run = schedule_runs(flow_stack, schedule_id)[0]
        assert run.parameters["notebook"] == "reports/sales.ipynb"
        assert run.parameters["parameters"] == {"limit": 3, "region": "south"}
        assert created["next_run_at"] is not None

        url = flow_stack.gateway.api(f"/notebooks/schedules/{schedule_id}")
        paused = httpx.patch(url, json={"active": False}, headers=analyst, timeout=60)
        assert paused.status_code == 200, paused.text
        assert paused.json()["active"] is False
        assert future_runs(flow_stack, schedule_id) == []

        assert paused.json()["notebook"] == "reports/sales.ipynb"

        resumed = httpx.patch(url, json={"active": True}, headers=analyst, timeout=60)
        assert resumed.json()["active"] is True
        # Pausing and resuming keeps what the schedule runs.
        assert resumed.json()["notebook"] == "reports/sales.ipynb"
        assert resumed.json()["parameters"] == {"limit": 3, "region": "south"}
        wait_for_future_runs(flow_stack, schedule_id)
        # The latest run is one Prefect made after the resume.
        run = schedule_runs(flow_stack, schedule_id)[-1]
        assert run.parameters["notebook"] == "reports/sales.ipynb"
        assert run.parameters["parameters"] == {"limit": 3, "region": "south"}
    finally:
        deleted = httpx.delete(
            flow_stack.gateway.api("/notebooks/schedules/every-minute"), headers=analyst, timeout=60
        )
    assert deleted.status_code == 204, deleted.text
    assert future_runs(flow_stack, schedule_id) == []
    listing = httpx.get(flow_stack.gateway.api("/notebooks/schedules"), headers=analyst, timeout=60)
    assert listing.json() == []


def test_timezone_decides_the_hour(flow_stack: FlowStack, analyst: dict[str, str]) -> None:
    paris = create(flow_stack, analyst, cron="0 6 * * *", timezone="Europe/Paris", name="paris")
    kathmandu = create(flow_stack, analyst, cron="30 * * * *", timezone="Asia/Kathmandu")
    assert paris.status_code == kathmandu.status_code == 201, (paris.text, kathmandu.text)
    try:
        for start in wait_for_future_runs(flow_stack, paris.json()["id"], at_least=1):
            local = start.astimezone(ZoneInfo("Europe/Paris"))
            assert (local.hour, local.minute) == (6, 0)
        # Kathmandu is UTC+5:45, so its half past is a quarter past in UTC.
        starts = wait_for_future_runs(flow_stack, kathmandu.json()["id"], at_least=1)
        assert {start.astimezone(UTC).minute for start in starts} == {45}
    finally:
        for name in ("paris", "sales"):
            url = flow_stack.gateway.api(f"/notebooks/schedules/{name}")
            httpx.delete(url, headers=analyst, timeout=60)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"cron": "61 * * * *"}, "cron", "Invalid cron string"),
        ({"cron": "every day"}, "cron", "has 2 fields, not five"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Invalid timezone"),
        ({"parameters": {"region": "x", "colour": "red"}}, "parameters", "unknown parameter"),
        ({"parameters": {"limit": "ten"}}, "parameters", "must be int"),
        ({"notebook": "reports/missing.ipynb"}, "notebook", "no notebook"),
        ({"notebook": "../outside.ipynb"}, "notebook", "relative to the workspace"),
        ({"notebook": "reports/escape.ipynb"}, "notebook", "outside the workspace folder"),
        (
            {"notebook": "raw/uploads/{me}/missing/notebook.ipynb"},
            "notebook",
            "cannot read the lake notebook",
        ),
        ({"notebook": "raw/../reports/sales.ipynb"}, "notebook", "'..' segments"),
        ({"notebook": "s3://elsewhere/raw/x.ipynb"}, "notebook", "is not in the lake"),
        ({"name": "Has Spaces"}, "name", "not allowed"),
    ],
)
def test_bad_schedules_are_422_naming_the_field(
    flow_stack: FlowStack, analyst: dict[str, str], body: dict[str, Any], field: str, words: str
) -> None:
    # A lake notebook of the caller's own upload folder: theirs to run, and missing.
    me = httpx.get(flow_stack.gateway.api("/auth/me"), headers=analyst).json()["name"]
    body = {key: value.format(me=me) if key == "notebook" else value for key, value in body.items()}
    response = create(flow_stack, analyst, **body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert words in error["msg"]
    assert httpx.get(flow_stack.gateway.api("/notebooks/schedules"), headers=analyst).json() == []


def test_lake_notebooks_are_scheduled_and_checked_against_their_own_parameters(
    flow_stack: FlowStack, notebook_flow: None, workspace: Path, lake_notebook: str
) -> None:
    # raw/notebooks/ is no user's folder: only admins run what is there (analysts run their
    # own uploads and reports: tests/gateway/test_notebook_access.py).
    admin = flow_stack.login("admin")
    lake_uri = LakeStore.from_settings(flow_stack.gateway.settings).paths.uri(lake_notebook)
    by_key = create(flow_stack, admin, notebook=lake_notebook, parameters={"days": 3})
    by_uri = create(flow_stack, admin, notebook=lake_uri, name="by-uri")
    # The workspace notebook's `region` is not a parameter of the lake notebook.
    wrong = create(flow_stack, admin, notebook=lake_notebook, name="w", parameters={"region": "x"})
    mistyped = create(flow_stack, admin, notebook=lake_notebook, name="t", parameters={"days": "a"})
    base = flow_stack.gateway.api("/notebooks/schedules")
    try:
        assert by_key.status_code == 201, by_key.text
        assert by_key.json()["name"] == "lake_sales"
        assert by_key.json()["notebook"] == lake_notebook
        assert by_key.json()["parameters"] == {"days": 3}
        assert by_uri.status_code == 201, by_uri.text
        assert by_uri.json()["notebook"] == lake_uri
        for response, words in ((wrong, "unknown parameter 'region'"), (mistyped, "must be int")):
            assert response.status_code == 422, response.text
            (error,) = response.json()["detail"]
            assert error["loc"] == ["body", "parameters"]
            assert words in error["msg"]
        listed = httpx.get(base, headers=admin, timeout=60).json()
        assert sorted(s["name"] for s in listed) == ["by-uri", "lake_sales"]
    finally:
        for name in ("lake_sales", "by-uri"):
            httpx.delete(f"{base}/{name}", headers=admin, timeout=60)


def test_owners_roles_audit_and_conflicts(flow_stack: FlowStack, analyst: dict[str, str]) -> None:
    viewer, other, admin = (flow_stack.login(role) for role in ("viewer", "analyst", "admin"))
    assert create(flow_stack, viewer).status_code == 403
    created = create(flow_stack, analyst, name="mine")
    assert created.status_code == 201, created.text
    schedule_id = created.json()["id"]
    owner = created.json()["owner"]
    try:
        assert create(flow_stack, analyst, name="mine").status_code == 409
        base = flow_stack.gateway.api("/notebooks/schedules")
        assert httpx.get(base, headers=other).json() == []
        for target in ("mine", schedule_id):
            url = f"{base}/{target}"
            assert httpx.patch(url, json={"active": False}, headers=other).status_code == 404
            assert httpx.delete(url, headers=other).status_code == 404
        by_viewer = httpx.patch(f"{base}/mine", json={"active": False}, headers=viewer)
        assert by_viewer.status_code == 403

        everyone = httpx.get(base, headers=admin).json()
        assert schedule_id in [s["id"] for s in everyone]
        by_admin = httpx.patch(f"{base}/{schedule_id}", json={"active": False}, headers=admin)
        assert by_admin.status_code == 200
        assert httpx.get(base, headers=analyst).json()[0]["active"] is False
    finally:
        assert httpx.delete(f"{base}/mine", headers=analyst).status_code == 204
    with session_scope(flow_stack.gateway.settings.gateway.database) as session:
        events = session.execute(
            select(AuditEvent.user_name, AuditEvent.action).where(AuditEvent.target == schedule_id)
        ).all()
    assert (owner, "schedule.create") in events
    assert (owner, "schedule.delete") in events
    assert "schedule.pause" in [action for _, action in events]


def test_scheduled_runs_belong_to_the_schedule_owner(
    flow_stack: FlowStack, analyst: dict[str, str]
) -> None:
    other = flow_stack.login("analyst")
    created = create(flow_stack, analyst, cron="* * * * *", name="backfilled")
    assert created.status_code == 201, created.text
    schedule_id = created.json()["id"]
    try:
        # Runs due a few minutes ago (a backfill): the runner picks them up at once.
        asyncio.run(_backfill(flow_stack.prefect_api_url, minutes=2))
        run_ids = _wait_for_started_runs(flow_stack, schedule_id)
        mine = httpx.get(flow_stack.gateway.api("/flows/runs"), headers=analyst, timeout=60)
        assert mine.status_code == 200, mine.text
        listed = {run["run_id"]: run for run in mine.json()}
        assert run_ids <= set(listed)
        assert {listed[run_id]["flow_name"] for run_id in run_ids} == {"run_notebook"}
        one = next(iter(run_ids))
        assert httpx.get(flow_stack.gateway.api(f"/flows/runs/{one}"), headers=analyst).is_success
        theirs = httpx.get(flow_stack.gateway.api("/flows/runs"), headers=other, timeout=60)
        assert not run_ids & {run["run_id"] for run in theirs.json()}
        one_url = flow_stack.gateway.api(f"/flows/runs/{one}")
        assert httpx.get(one_url, headers=other).status_code == 404
        owner_tag = f"{OWNER_TAG_PREFIX}{created.json()['owner']}"
        claimed = [r for r in schedule_runs(flow_stack, schedule_id) if str(r.id) in run_ids]
        assert all(owner_tag in r.tags for r in claimed)

        # Their reports name the schedule's owner (the run started before the gateway tagged
        # it) and the schedule, and are listed by schedule: the owner's only.
        reports = flow_stack.gateway.api("/reports")
        scheduled = wait_until(
            lambda: _reports(reports, analyst, schedule="backfilled"),
            awaiting="the scheduled runs' reports",
            timeout=120,
            interval=1,
        )
        # The schedule goes on making runs meanwhile (every minute): each report is of one of
        # its runs, though not necessarily of one seen above.
        schedules_runs = {str(r.id) for r in schedule_runs(flow_stack, schedule_id)}
        assert {r["run_id"] for r in scheduled} <= schedules_runs
        assert {(r["user"], r["schedule"]) for r in scheduled} == {
            (created.json()["owner"], "backfilled")
        }
        assert _reports(reports, analyst, schedule="another") == []
        assert _reports(reports, other, schedule="backfilled") == []
        long_name = httpx.get(reports, params={"schedule": "x" * 65}, headers=analyst, timeout=60)
        assert long_name.status_code == 422, long_name.text
        assert "schedule" in long_name.text
    finally:
        url = flow_stack.gateway.api("/notebooks/schedules/backfilled")
        httpx.delete(url, headers=analyst, timeout=60)


def test_scheduled_run_opens_by_id_for_its_owner_without_a_listing(
    flow_stack: FlowStack, analyst: dict[str, str]
) -> None:
    other, admin = flow_stack.login("analyst"), flow_stack.login("admin")
    created = create(flow_stack, analyst, cron="* * * * *", name="direct")
    assert created.status_code == 201, created.text
    schedule_id, owner = created.json()["id"], created.json()["owner"]
    try:
        asyncio.run(_backfill(flow_stack.prefect_api_url, minutes=2))
        run_id = sorted(_wait_for_started_runs(flow_stack, schedule_id))[0]
        # Nobody has listed runs since these started: the gateway has no record of them yet.
        assert _recorded_owner(flow_stack, run_id) is None
        run_url = flow_stack.gateway.api(f"/flows/runs/{run_id}")
        # Someone else asking first does not make it theirs (nor anyone's they could see).
        assert httpx.get(run_url, headers=other, timeout=60).status_code == 404
        assert httpx.get(f"{run_url}/logs", headers=other, timeout=60).status_code == 404
        mine = httpx.get(run_url, headers=analyst, timeout=60)
        assert mine.status_code == 200, mine.text
        assert (mine.json()["owner"], mine.json()["flow_name"]) == (owner, "run_notebook")
        assert _recorded_owner(flow_stack, run_id) == owner
        assert httpx.get(f"{run_url}/logs", headers=analyst, timeout=60).status_code == 200
        assert httpx.get(run_url, headers=admin, timeout=60).json()["owner"] == owner
        assert httpx.get(run_url, headers=other, timeout=60).status_code == 404
        (run,) = [r for r in schedule_runs(flow_stack, schedule_id) if str(r.id) == run_id]
        assert f"{OWNER_TAG_PREFIX}{owner}" in run.tags
        # Ids that are not scheduled runs still answer 404, to the owner too.
        unknown = flow_stack.gateway.api(f"/flows/runs/{uuid.uuid4()}")
        assert httpx.get(unknown, headers=analyst, timeout=60).status_code == 404
        # A future run is not started, so not anyone's run yet, as in listings.
        wait_for_future_runs(flow_stack, schedule_id, at_least=1)
        future = [
            r
            for r in schedule_runs(flow_stack, schedule_id)
            if r.state_type and r.state_type.value == "SCHEDULED"
        ]
        latest = flow_stack.gateway.api(f"/flows/runs/{future[-1].id}")
        assert httpx.get(latest, headers=analyst, timeout=60).status_code == 404
    finally:
        url = flow_stack.gateway.api("/notebooks/schedules/direct")
        httpx.delete(url, headers=analyst, timeout=60)


def _reports(url: str, headers: dict[str, str], **params: str) -> list[dict[str, object]]:
    response = httpx.get(url, params=params, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    answer: list[dict[str, object]] = response.json()
    return answer


def _recorded_owner(stack: FlowStack, run_id: str) -> str | None:
    with session_scope(stack.gateway.settings.gateway.database) as session:
        record = find_run_record(session, run_id)
        return None if record is None else record.owner


async def _backfill(prefect_api_url: str, minutes: int) -> None:
    async with PrefectClient(prefect_api_url) as client:
        deployment = await client.read_deployment_by_name(DEPLOYMENT)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    body = {
        "start_time": (now - timedelta(minutes=minutes)).isoformat(),
        "end_time": (now - timedelta(seconds=30)).isoformat(),
        "max_runs": minutes,
    }
    url = f"{prefect_api_url}/deployments/{deployment.id}/schedule"
    prefect_request("POST", url, json=body, timeout=60).raise_for_status()


def _wait_for_started_runs(stack: FlowStack, schedule_id: str) -> set[str]:
    return wait_until(
        lambda: {
            str(r.id)
            for r in schedule_runs(stack, schedule_id)
            if r.state_type and r.state_type.value != "SCHEDULED"
        },
        awaiting="a scheduled run to be picked up",
        timeout=120,
        interval=1,
    )


def test_prefect_down_is_503(s3_server: S3Server, tmp_path: Path) -> None:
    jwt_secret = secrets.token_urlsafe(32)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    settings = s3_server.settings_with(
        data_dir=tmp_path,
        gateway_port=free_port(),
        prefect_api_url=f"http://{HOST}:{free_port()}/api",
        notebook_dir=workspace,
        outbound_timeout_seconds=2,
    )
    with session_scope(settings.gateway.database) as session:
        create_user(session, "ana", "analyst", "a-long-password")
    supervisor = quiet_supervisor(tmp_path / "stack.json")
    try:
        url = start_gateway(supervisor, settings, jwt_secret=jwt_secret)
        token = httpx.post(
            f"{url}/api/v1/auth/token", data={"username": "ana", "password": "a-long-password"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        listing = httpx.get(f"{url}/api/v1/notebooks/schedules", headers=headers, timeout=120)
    finally:
        supervisor.stop_all()
    assert listing.status_code == 503
    assert "unreachable" in listing.json()["detail"]


def lakebook(
    stack: FlowStack, workspace: Path, *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
    env |= {
        "LAKEBOOK_DATA_DIR": str(stack.gateway.settings.data_dir),
        "LAKEBOOK_PREFECT_API_URL": stack.prefect_api_url,
        "LAKEBOOK_NOTEBOOK_DIR": str(workspace),
        **(env_extra or {}),
    }
    return subprocess.run(
        [*LAKEBOOK, "schedule", *args],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_cli_schedules_with_typed_parameters(
    flow_stack: FlowStack, notebook_flow: None, workspace: Path
) -> None:
    owner, _ = flow_stack.gateway.add_user("analyst")
    made = lakebook(
        flow_stack, workspace, "reports/sales.ipynb", "--cron", "15 7 * * 1-5",
        "--timezone", "Europe/Paris", "--owner", owner, "--name", "weekday",
        "-p", "limit=5", "-p", "threshold=0.75", "-p", "verbose=true", "-p", "region=42",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"{owner}:weekday" in made.stdout
    try:
        listed = lakebook(flow_stack, workspace, "list", "--owner", owner)
        assert listed.returncode == 0, listed.stderr
        (line,) = listed.stdout.splitlines()
        assert "'15 7 * * 1-5'" in line
        assert "Europe/Paris" in line
        # Declared types decide: 5 an int, 0.75 a float, true a bool; region is a str, so "42".
        assert '{"limit": 5, "region": "42", "threshold": 0.75, "verbose": true}' in line
        paused = lakebook(flow_stack, workspace, "pause", "weekday", "--owner", owner)
        assert paused.returncode == 0, paused.stderr
        assert " paused " in paused.stdout
        resumed = lakebook(flow_stack, workspace, "resume", "weekday", "--owner", owner)
        assert " active " in resumed.stdout
    finally:
        deleted = lakebook(flow_stack, workspace, "delete", "weekday", "--owner", owner)
    assert deleted.returncode == 0, deleted.stderr
    emptied = lakebook(flow_stack, workspace, "list", "--owner", owner)
    assert emptied.stdout == ""
    assert f"no schedules of {owner!r}" in emptied.stderr


def test_cli_schedules_lake_notebooks_and_workspace_paths_that_look_like_lake_keys(
    flow_stack: FlowStack, notebook_flow: None, workspace: Path, lake_notebook: str
) -> None:
    owner, _ = flow_stack.gateway.add_user("analyst")
    settings = flow_stack.gateway.settings
    lake_env = {
        "LAKEBOOK_LAKE_URL": settings.s3.lake_root,
        "LAKEBOOK_S3_ENDPOINT_URL": settings.s3.url,
        "LAKEBOOK_S3_BUCKET": settings.s3.bucket,
        "LAKEBOOK_S3_ACCESS_KEY_ID": settings.require_secret("s3_access_key_id"),
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": settings.require_secret("s3_secret_access_key"),
    }
    (workspace / "raw").mkdir(exist_ok=True)
    nbformat.write(parameterised_notebook(PARAMETERS_CELL), workspace / "raw" / "weekly.ipynb")
    cron = ("--cron", "0 6 * * *", "--owner", owner)
    try:
        from_lake = lakebook(
            flow_stack, workspace, lake_notebook, *cron, "-p", "days=4", env_extra=lake_env
        )
        assert from_lake.returncode == 0, from_lake.stderr
        assert f"{owner}:lake_sales" in from_lake.stdout
        assert f'{lake_notebook} {{"days": 4}}' in from_lake.stdout
        # A workspace file under raw/ is scheduled as ./raw/…, which run_notebook reads as a file.
        local = lakebook(flow_stack, workspace, "./raw/weekly.ipynb", *cron, "-p", "limit=2")
        assert local.returncode == 0, local.stderr
        assert './raw/weekly.ipynb {"limit": 2}' in local.stdout
        for args, words in (
            ((lake_notebook, *cron, "-p", "region=x"), "unknown parameter 'region'"),
            (("raw/notebooks/missing.ipynb", *cron), "cannot read the lake notebook"),
        ):
            refused = lakebook(flow_stack, workspace, *args, env_extra=lake_env)
            assert refused.returncode == 2, (refused.stdout, refused.stderr)
            assert words in refused.stderr
            assert "Traceback" not in refused.stderr
    finally:
        for name in ("lake_sales", "weekly"):
            lakebook(flow_stack, workspace, "delete", name, "--owner", owner)


def test_oversized_notebooks_are_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat.write(parameterised_notebook(PARAMETERS_CELL), tmp_path / "big.ipynb")
    source = locate_schedule_notebook("big.ipynb", tmp_path, LakePaths("s3://bucket/root"))
    assert notebook_parameters(source, None) is not None
    monkeypatch.setattr(schedules, "MAX_NOTEBOOK_BYTES", 100)
    with pytest.raises(ScheduleInputError, match="larger than") as refused:
        notebook_parameters(source, None)
    assert refused.value.field == "notebook"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("reports/missing.ipynb", "--cron", "0 6 * * *"), "no notebook"),
        (("reports/sales.ipynb", "--cron", "0 25 * * *"), "Invalid cron string"),
        (
            ("reports/sales.ipynb", "--cron", "0 6 * * *", "--timezone", "Nowhere/City"),
            "Invalid timezone",
        ),  # noqa: E501
        (
            ("reports/sales.ipynb", "--cron", "0 6 * * *", "-p", "colour=red"),
            "unknown parameter 'colour'",
        ),  # noqa: E501
        (
            ("reports/sales.ipynb", "--cron", "0 6 * * *", "-p", "limit=many"),
            "parameter 'limit' must be int",
        ),  # noqa: E501
        (("reports/sales.ipynb",), "--cron"),
        (("pause", "no-such-schedule"), "no schedule named 'no-such-schedule'"),
    ],
)
def test_cli_refuses_bad_input_with_exit_2(
    flow_stack: FlowStack,
    notebook_flow: None,
    workspace: Path,
    args: tuple[str, ...],
    words: str,
) -> None:
    owner, _ = flow_stack.gateway.add_user("analyst")
    done = lakebook(flow_stack, workspace, *args, "--owner", owner)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
