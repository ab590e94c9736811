"""Prefect killed and started again under 20 launches (issue 24, 3.3): while it is down the
gateway answers 503, never 500; every launch that got a 202 ends; none runs twice, however
often its Idempotency-Key is sent."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.gateway.test_flows_api import TERMINAL
from tests.utils.killable import KillablePrefect, KillableStack
from tests.utils.prefect_http import prefect_request
from tests.utils.services import FlowStack

LAUNCHES = 20
# Each run lives long enough that Prefect dies under some of them.
RUN_SECONDS = 3.0
# A run whose process lost Prefect and died is Crashed after 3 missed 30 s heartbeats.
ENDED_WITHIN_SECONDS = 240
# A Prefect that refuses connections is said at once (prefect_client.RefusedConnectionsFailFast).
ANSWER_WITHIN_SECONDS = 2
# What happened, for docs/reliability.md: how long Prefect was down, how the runs ended.
FIGURES = Path(__file__).parents[2] / "test-artifacts" / "faults-prefect-restart.json"


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
    killable: KillableStack, prefect: KillablePrefect
) -> None:
    stack = killable.flows
    analyst = stack.login("analyst")
    keys = [f"restart-{i}-{uuid.uuid4().hex[:8]}" for i in range(LAUNCHES)]
    before, during = keys[: LAUNCHES // 2], keys[LAUNCHES // 2 :]

    first = launch_all(stack, analyst, before)
    assert [r.status_code for r in first] == [202] * len(before), [r.text for r in first]
    run_of = {key: r.json()["run_id"] for key, r in zip(before, first, strict=True)}

    service = prefect.kill("prefect")
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

    prefect.start(service)
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
    runs_by_message: dict[str, str] = {}
    for run in found.json():
        message = run["parameters"].get("message")
        if message not in keys:
            continue  # another fault test's run on the same Prefect
        assert message not in runs_by_message, f"two Prefect runs for {message}"
        runs_by_message[message] = run["id"]
    assert runs_by_message == {key: run_of[key] for key in keys}
    # Launched once Prefect was back, nothing stands in their way.
    assert {ended[key] for key in during} == {"COMPLETED"}, ended
