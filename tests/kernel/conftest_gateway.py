"""Kernel clients against the real gateway stack; test modules import these fixtures by name."""

# Fixtures from tests/gateway/conftest.py are imported by name (pytest finds fixtures in module
# globals), so test arguments shadow those imports on purpose.
# ruff: noqa: F811

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from lakebook.kernel.client import LakebookClient
from lakebook.kernel.runs import Run
from tests.gateway.conftest import FlowStack, flow_stack  # noqa: F401  (re-exported fixture)


def token_for(stack: FlowStack, role: str) -> str:
    """The access token of a new user with this role, signed in over HTTP."""
    name, password = stack.gateway.add_user(role)
    response = httpx.post(
        stack.gateway.api("/auth/token"), data={"username": name, "password": password}
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def client_for(flow_stack: FlowStack) -> Iterator[Callable[[str], LakebookClient]]:
    """Makes clients signed in as new users of a role; all are closed after the test."""
    clients: list[LakebookClient] = []

    def make(role: str) -> LakebookClient:
        client = LakebookClient(
            flow_stack.gateway.url,
            token_for(flow_stack, role),
            settings=flow_stack.gateway.settings,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def analyst(client_for: Callable[[str], LakebookClient]) -> LakebookClient:
    return client_for("analyst")


def wait_until_running(run: Run, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (state := run.state) != "RUNNING":
        assert state not in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}, state
        assert time.monotonic() < deadline, f"run never started (still {state})"
        time.sleep(0.3)
