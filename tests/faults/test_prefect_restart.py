"""Prefect killed and started again under 20 launches (issue 24, 3.3): while it is down the
gateway answers 503, never 500; every launch that got a 202 ends; none runs twice, however
often its Idempotency-Key is sent."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lakebook.cli.stack.services import prefect_service
from lakebook.cli.stack.supervisor import Supervisor, port_in_use
from lakebook.common.settings import Settings
from tests.gateway.test_flows_api import TERMINAL
from tests.utils.flow_stacks import start_flow_stack
from tests.utils.ports import HOST, free_port
from tests.utils.prefect_http import prefect_request
from tests.utils.services import FlowStack, S3Server, quiet_supervisor
from tests.utils.waiting import wait_until

LAUNCHES = 20
# Each run lives long enough that Prefect dies under some of them.
RUN_SECONDS = 3.0
# A run whose process lost Prefect and died is Crashed after 3 missed 30 s heartbeats.
ENDED_WITHIN_SECONDS = 240
# A Prefect that refuses connections is said at once (prefect_client.RefusedConnectionsFailFast).
ANSWER_WITHIN_SECONDS = 2
# What happened, for docs/reliability.md: how long Prefect was down, how the runs ended.
FIGURES = Path(__file__).parents[2] / "test-artifacts" / "faults-prefect-restart.json"


@dataclass
class KillablePrefect:
    """A Prefect server of a test's own, which the test kills and starts again."""

    settings: Settings
    supervisor: Supervisor

    @property
    def url(self) -> str:
        return self.settings.prefect.url

    def kill(self) -> None:
        """SIGKILL to its whole process group, as a crash would; waits until its port is free."""
        (running,) = self.supervisor.running
        os.killpg(running.process.pid, signal.SIGKILL)
        running.process.wait(timeout=30)
        running.log.close()
        self.supervisor.running.clear()
        wait_until(
            lambda: not port_in_use(HOST, self.settings.prefect.port),
            awaiting="the killed Prefect's port to be free",
            timeout=30,
        )

    def start(self) -> None:
        self.supervisor.start(prefect_service(self.settings))


@pytest.fixture
def prefect(tmp_path: Path) -> Iterator[KillablePrefect]:
    settings = Settings(data_dir=tmp_path / "prefect", prefect_port=free_port())
    server = KillablePrefect(settings, quiet_supervisor(tmp_path / "prefect-stack.json"))
    server.start()
    try:
        yield server
    finally:
        server.supervisor.stop_all()


@pytest.fixture
def stack(s3_server: S3Server, prefect: KillablePrefect, tmp_path: Path) -> Iterator[FlowStack]:
    supervisor = quiet_supervisor(tmp_path / "stack.json")
    data_dir = tmp_path / "prefect-restart"
    data_dir.mkdir()
    (tmp_path / "workspace").mkdir()
    try:
        yield start_flow_stack(supervisor, s3_server, prefect.url, data_dir, tmp_path / "workspace")
    finally:
        supervisor.stop_all()


def launch(stack: FlowStack, headers: dict[str, str], key: str) -> httpx.Response:
    return httpx.post(
        stack.gateway.api("/flows/ping/execute"),
        json={"parameters": {"message": key, "wait_seconds": RUN_SECONDS}},
        headers=headers | {"Idempotency-Key": key},
        timeout=60,
    )


def launch_all(stack: FlowStack, headers: dict[str, str], keys: list[str]) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        return list(pool.map(lambda key: launch(stack, headers, key), keys))


def test_prefect_killed_under_launches_loses_and_doubles_no_run(
    stack: FlowStack, prefect: KillablePrefect
) -> None:
    analyst = stack.login("analyst")
    keys = [f"restart-{i}-{uuid.uuid4().hex[:8]}" for i in range(LAUNCHES)]
    before, during = keys[: LAUNCHES // 2], keys[LAUNCHES // 2 :]

    first = launch_all(stack, analyst, before)
    assert [r.status_code for r in first] == [202] * len(before), [r.text for r in first]
    run_of = {key: r.json()["run_id"] for key, r in zip(before, first, strict=True)}

    prefect.kill()
    killed = time.monotonic()
    refused = launch_all(stack, analyst, during)
    refused_in = time.monotonic() - killed
    statuses = {r.status_code for r in refused}
    assert statuses == {503}, [r.text for r in refused]
    assert all("down or restarting" in r.text for r in refused), refused[0].text
    asked = time.monotonic()
    status = httpx.get(
        stack.gateway.api(f"/flows/runs/{run_of[before[0]]}"), headers=analyst, timeout=60
    )
    answered_in = time.monotonic() - asked
    assert status.status_code == 503, status.text
    assert answered_in < ANSWER_WITHIN_SECONDS, answered_in

    prefect.start()
    down_for = time.monotonic() - killed
    # Refused launches are sent again; the accepted ones too, which must not make new runs.
    again = launch_all(stack, analyst, keys)
    assert [r.status_code for r in again] == [202] * LAUNCHES, [r.text for r in again]
    for key, response in zip(keys, again, strict=True):
        run_of.setdefault(key, response.json()["run_id"])
        assert response.json()["run_id"] == run_of[key], f"{key} made a second run"

    ended: dict[str, str] = {}
    deadline = time.monotonic() + ENDED_WITHIN_SECONDS
    while len(ended) < LAUNCHES and time.monotonic() < deadline:
        for key, run_id in run_of.items():
            if key in ended:
                continue
            answer = httpx.get(stack.gateway.api(f"/flows/runs/{run_id}"), headers=analyst)
            if answer.status_code == 200 and answer.json()["state"] in TERMINAL:
                ended[key] = answer.json()["state"]
        time.sleep(0.5)
    assert len(ended) == LAUNCHES, f"not ended: {sorted(set(keys) - set(ended))}"
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(
        json.dumps(
            {
                "prefect_down_seconds": round(down_for, 1),
                "run_status_answered_in_seconds": round(answered_in, 1),
                "launch_refused_in_seconds": round(refused_in, 1),
                "ended_after_restart_seconds": round(time.monotonic() - killed - down_for, 1),
                "states_of_runs_launched_before": sorted(ended[key] for key in before),
            },
            indent=2,
        )
    )

    # Prefect holds exactly one run per key: nothing doubled behind the gateway's back.
    found = prefect_request(
        "POST",
        f"{prefect.url}/flow_runs/filter",
        json={"flows": {"name": {"any_": ["ping"]}}, "limit": 200},
    )
    found.raise_for_status()
    runs_by_message = {}
    for run in found.json():
        message = run["parameters"].get("message")
        assert message not in runs_by_message, f"two Prefect runs for {message}"
        runs_by_message[message] = run["id"]
    assert runs_by_message == {key: run_of[key] for key in keys}
    # Launched once Prefect was back, nothing stands in their way.
    assert {ended[key] for key in during} == {"COMPLETED"}, ended
