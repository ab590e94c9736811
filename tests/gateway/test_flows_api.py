"""Launching flows through the gateway over HTTP: real Prefect, a real runner, real ownership."""

from __future__ import annotations

import time

import httpx

from tests.gateway.conftest import FlowStack


def wait_for_state(
    stack: FlowStack, headers: dict[str, str], run_id: str, timeout: float = 60
) -> str:
    deadline = time.monotonic() + timeout
    state = "PENDING"
    while time.monotonic() < deadline and state not in {"COMPLETED", "FAILED", "CRASHED"}:
        time.sleep(0.3)
        state = httpx.get(stack.gateway.api(f"/flows/runs/{run_id}"), headers=headers).json()[
            "state"
        ]
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
    first = httpx.post(flow_stack.gateway.api("/flows/ping/execute"), json={}, headers=headers)
    second = httpx.post(flow_stack.gateway.api("/flows/ping/execute"), json={}, headers=headers)
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
    assert httpx.post(api("/flows/ping/execute"), json={}).status_code == 401
    assert httpx.get(api("/flows/runs/not-a-run"), headers=analyst).status_code == 404
