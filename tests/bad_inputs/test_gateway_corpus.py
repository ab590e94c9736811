"""Every malformed request of `gateway_cases` against the real gateway over HTTP: the status a
person can act on, a message naming what is wrong, never a 5xx or a traceback, and nothing run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.bad_inputs.gateway_cases import ALL_CASES, SCHEDULED_NOTEBOOK, Case
from tests.gateway.test_flows_api import wait_for_state
from tests.utils.services import FlowStack

pytestmark = pytest.mark.services

# The per-user rate limit's burst is 100: a fresh analyst well before it.
REQUESTS_PER_ANALYST = 60


class Callers:
    """Authorization headers by role, and a completed run of the first analyst's."""

    def __init__(self, stack: FlowStack) -> None:
        self.stack = stack
        self.owner = stack.login("analyst")
        self.other = stack.login("analyst")
        self.viewer = stack.login("viewer")
        self.admin = stack.login("admin")
        self.analyst = stack.login("analyst")
        self.used = 0
        workspace = stack.gateway.settings.flows.notebook_dir
        assert workspace is not None
        scheduled = workspace / SCHEDULED_NOTEBOOK
        scheduled.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), scheduled)
        launched = httpx.post(
            stack.gateway.api("/flows/ping/execute"), json={"parameters": {}}, headers=self.owner
        )
        self.run_id: str = launched.raise_for_status().json()["run_id"]
        assert wait_for_state(stack, self.owner, self.run_id, timeout=120) == "COMPLETED"

    def headers(self, case: Case) -> dict[str, str]:
        if case.caller == "none":
            return {}
        if case.caller.startswith(("Bearer", "Basic")):
            return {"Authorization": case.caller}
        if "{run}" in case.path:
            return self.other if case.caller == "other-analyst" else self.owner
        by_role = {"viewer": self.viewer, "admin": self.admin, "other-analyst": self.other}
        if case.caller in by_role:
            return by_role[case.caller]
        self.used += 1
        if self.used % REQUESTS_PER_ANALYST == 0:
            self.analyst = self.stack.login("analyst")
        return self.analyst


@pytest.fixture(scope="module")
def callers(flow_stack: FlowStack) -> Callers:
    return Callers(flow_stack)


@pytest.fixture(scope="module")
def launches_before(flow_stack: FlowStack, callers: Callers) -> Iterator[int]:
    """How many runs the gateway knew of before the corpus; afterwards none may have been added."""
    before = run_count(flow_stack, callers)
    yield before
    assert run_count(flow_stack, callers) == before, "a malformed request launched a run"


def run_count(stack: FlowStack, callers: Callers) -> int:
    runs = httpx.get(stack.gateway.api("/flows/runs"), params={"limit": 200}, headers=callers.admin)
    return len(runs.raise_for_status().json())


def answer_text(response: httpx.Response) -> str:
    """The message of an error answer, with each field error's location spelled `a.b.c`."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):
        return "; ".join(
            ".".join(str(part) for part in error.get("loc", [])) + ": " + str(error.get("msg", ""))
            for error in detail
            if isinstance(error, dict)
        )
    return str(detail)


def test_the_corpus_is_large_and_its_names_unique() -> None:
    assert len(ALL_CASES) >= 150
    assert len({case.name for case in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.name for case in ALL_CASES])
def test_a_bad_request_gets_an_answer_a_person_can_act_on(
    flow_stack: FlowStack, callers: Callers, launches_before: int, case: Case
) -> None:
    path = case.path.replace("{run}", callers.run_id).replace("{uuid}", str(uuid.uuid4()))
    request = dict(case.request)
    headers = {**callers.headers(case), **request.pop("headers", {})}
    response = httpx.request(
        case.method, flow_stack.gateway.url + path, headers=headers, timeout=30, **request
    )
    text = answer_text(response)
    assert response.status_code == case.status, f"{response.status_code}: {text}"
    assert text.strip(), "an empty message"
    assert "Traceback" not in text, text
    assert "Internal Server Error" not in text, text
    for word in case.names:
        assert word.lower() in text.lower(), f"{word!r} not in {text!r}"
