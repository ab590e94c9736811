"""Launching flows through the gateway over HTTP: real Prefect, a real runner, real ownership."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import httpx

from tests.utils.services import FlowStack
from tests.utils.waiting import wait_until

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def wait_for_state(
    stack: FlowStack, headers: dict[str, str], run_id: str, timeout: float = 60
) -> str:
    """Polls the run until it ends. A 503 (the gateway's answer when Prefect does not answer
    within its outbound timeout, 5 s; Prefect's SQLite stalled once for 60 s in CI) is waited
    out like any other answer of a running run; the client waits longer than the gateway."""
    deadline = time.monotonic() + timeout
    state = "PENDING"
    while time.monotonic() < deadline and state not in TERMINAL:
        time.sleep(0.3)
        response = httpx.get(
            stack.gateway.api(f"/flows/runs/{run_id}"), headers=headers, timeout=15
        )
        if response.status_code == 503:
            continue
        assert response.status_code == 200, response.text
        state = response.json()["state"]
    return state


def test_deployments_list_the_builtin_flows_with_schemas(flow_stack: FlowStack) -> None:
    headers = flow_stack.login("viewer")
    response = httpx.get(flow_stack.gateway.api("/flows/deployments"), headers=headers)
    assert response.status_code == 200, response.text
    ping = {d["name"]: d for d in response.json()}["ping"]
    assert ping["parameters_schema"]["properties"]["message"]["type"] == "string"
    assert "picked up" in ping["description"]


def test_execute_runs_to_completion_and_only_the_owner_sees_it(flow_stack: FlowStack) -> None:
    owner = flow_stack.login("analyst")
    launched = httpx.post(
        flow_stack.gateway.api("/flows/ping/execute"),
        json={"parameters": {"message": "hello"}},
        headers=owner,
    )
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_for_state(flow_stack, owner, run_id) == "COMPLETED"

    detail = httpx.get(flow_stack.gateway.api(f"/flows/runs/{run_id}"), headers=owner).json()
    assert detail["parameters"] == {"message": "hello"}
    assert detail["flow_name"] == "ping"
    assert detail["end_time"] is not None
    # Every timestamp carries its zone, the one from the gateway's database as Prefect's do.
    for field in ("created_at", "start_time", "end_time"):
        assert datetime.fromisoformat(detail[field]).utcoffset() == timedelta(0), detail
    listed = httpx.get(flow_stack.gateway.api("/flows/runs?flow=ping"), headers=owner).json()
    assert [run["run_id"] for run in listed] == [run_id]

    stranger = flow_stack.login("analyst")
    hidden = httpx.get(flow_stack.gateway.api(f"/flows/runs/{run_id}"), headers=stranger)
    assert hidden.status_code == 404
    assert httpx.get(flow_stack.gateway.api("/flows/runs"), headers=stranger).json() == []
    admin = flow_stack.login("admin")
    seen = httpx.get(flow_stack.gateway.api(f"/flows/runs/{run_id}"), headers=admin)
    assert seen.status_code == 200


def test_idempotency_key_returns_the_same_run(flow_stack: FlowStack) -> None:
    headers = flow_stack.login("analyst") | {"Idempotency-Key": "nightly-2026-11-22"}
    first = httpx.post(
        flow_stack.gateway.api("/flows/ping/execute"), json={}, headers=headers, timeout=60
    )
    second = httpx.post(
        flow_stack.gateway.api("/flows/ping/execute"), json={}, headers=headers, timeout=60
    )
    assert first.status_code == second.status_code == 202
    assert first.json()["run_id"] == second.json()["run_id"]


def test_bad_launches_get_clear_4xx(flow_stack: FlowStack) -> None:
    analyst = flow_stack.login("analyst")
    api = flow_stack.gateway.api
    wrong_type = httpx.post(
        api("/flows/ping/execute"), json={"parameters": {"message": 5}}, headers=analyst
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["detail"][0]["loc"] == ["body", "parameters", "message"]
    unknown = httpx.post(
        api("/flows/ping/execute"), json={"parameters": {"colour": "red"}}, headers=analyst
    )
    assert unknown.status_code == 422
    assert "unknown parameter 'colour'" in unknown.json()["detail"][0]["msg"]
    assert httpx.post(api("/flows/nope/execute"), json={}, headers=analyst).status_code == 404
    assert httpx.post(api("/flows/..%2Fx/execute"), json={}, headers=analyst).status_code == 404
    not_json = httpx.post(api("/flows/ping/execute"), content=b"{", headers=analyst)
    assert not_json.status_code == 422
    viewer = flow_stack.login("viewer")
    forbidden = httpx.post(api("/flows/ping/execute"), json={}, headers=viewer)
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "role 'viewer' cannot launch flows"
    # The role is a dependency, so a viewer is refused before the body is even read.
    unread = httpx.post(api("/flows/ping/execute"), content=b"{", headers=viewer)
    assert unread.status_code == 403
    assert httpx.post(api("/flows/ping/execute"), json={}).status_code == 401
    assert httpx.get(api("/flows/runs/not-a-run"), headers=analyst).status_code == 404


def read_events(stack: FlowStack, headers: dict[str, str], run_id: str) -> list[tuple[str, dict]]:
    """Every SSE event of a run until `end` (bounded by the client timeout)."""
    events: list[tuple[str, dict]] = []
    url = stack.gateway.api(f"/flows/runs/{run_id}/events")
    with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(60.0)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind is not None:
                events.append((kind, json.loads(line.removeprefix("data: "))))
                if kind == "end":
                    break
    return events


def test_events_stream_every_state_and_the_logs(flow_stack: FlowStack) -> None:
    headers = flow_stack.login("analyst")
    launched = httpx.post(
        flow_stack.gateway.api("/flows/ping/execute"),
        json={"parameters": {"message": "sse-hello", "wait_seconds": 1}},
        headers=headers,
    )
    run_id = launched.json()["run_id"]
    events = read_events(flow_stack, headers, run_id)
    states = [data["state"] for kind, data in events if kind == "state"]
    assert states[-1] == "COMPLETED"
    # Prefect has two PENDING states (Pending, then Submitting): compare the state types.
    types = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    assert types == ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED"], states
    logs = [data["message"] for kind, data in events if kind == "log"]
    assert any("ping: sse-hello" in message for message in logs), logs
    assert events[-1] == ("end", {"state": "COMPLETED"})

    page = httpx.get(flow_stack.gateway.api(f"/flows/runs/{run_id}/logs"), headers=headers)
    assert page.status_code == 200
    assert any("ping: sse-hello" in line["message"] for line in page.json())
    stranger = flow_stack.login("analyst")
    for path in ("/events", "/logs"):
        response = httpx.get(
            flow_stack.gateway.api(f"/flows/runs/{run_id}{path}"), headers=stranger
        )
        assert response.status_code == 404


def test_cancel_stops_a_running_run(flow_stack: FlowStack) -> None:
    headers = flow_stack.login("analyst")
    api = flow_stack.gateway.api
    launched = httpx.post(
        api("/flows/ping/execute"), json={"parameters": {"wait_seconds": 120}}, headers=headers
    )
    run_id = launched.json()["run_id"]
    wait_until(
        lambda: (
            httpx.get(api(f"/flows/runs/{run_id}"), headers=headers).json()["state"] == "RUNNING"
        ),
        awaiting="the run to start",
        timeout=60,
        interval=0.3,
    )
    stranger = flow_stack.login("analyst")
    assert httpx.post(api(f"/flows/runs/{run_id}/cancel"), headers=stranger).status_code == 404
    cancelled = httpx.post(api(f"/flows/runs/{run_id}/cancel"), headers=headers)
    assert cancelled.status_code == 202, cancelled.text
    assert wait_for_state(flow_stack, headers, run_id, timeout=60) == "CANCELLED"
    again = httpx.post(api(f"/flows/runs/{run_id}/cancel"), headers=headers)
    assert again.status_code == 409
    assert "already ended" in again.json()["detail"]


def test_out_of_range_parameter_is_422(flow_stack: FlowStack) -> None:
    response = httpx.post(
        flow_stack.gateway.api("/flows/ping/execute"),
        json={"parameters": {"wait_seconds": 1000}},
        headers=flow_stack.login("analyst"),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "parameters", "wait_seconds"]


def test_a_launched_run_is_readable_at_once(flow_stack: FlowStack) -> None:
    """The ownership record is committed before the 202 goes out (no read-after-write gap)."""
    headers = flow_stack.login("analyst")
    api = flow_stack.gateway.api
    # httpx's default 5 s timeout is too short for a launch on a busy 2-core CI machine.
    with httpx.Client(headers=headers, timeout=60) as client:
        # Three, not a burst: ten at once made Prefect's SQLite store stall past a minute on a
        # busy 2-core machine (the gateway now answers 503 after its deadline instead).
        for _ in range(3):
            run_id = client.post(api("/flows/ping/execute"), json={}).json()["run_id"]
            assert client.get(api(f"/flows/runs/{run_id}")).status_code == 200
