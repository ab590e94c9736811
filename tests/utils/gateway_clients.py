"""Helpers for kernel tests against the real gateway stack."""

from __future__ import annotations

import httpx

from lakebook.kernel.runs import Run
from tests.utils.services import FlowStack
from tests.utils.waiting import wait_until


def token_for(stack: FlowStack, role: str) -> str:
    """The access token of a new user with this role, signed in over HTTP."""
    name, password = stack.gateway.add_user(role)
    response = httpx.post(
        stack.gateway.api("/auth/token"), data={"username": name, "password": password}
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def wait_until_running(run: Run, timeout: float = 60) -> None:
    def running() -> bool:
        state = run.state
        assert state not in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}, state
        return state == "RUNNING"

    wait_until(running, awaiting=f"run {run.id} to start", timeout=timeout, interval=0.3)


def client_from(address: str) -> httpx.Client:
    """A client whose connections come from this loopback address (any of 127.0.0.0/8 is this
    machine): the gateway sees it as another peer, with sign-in throttle counts of its own."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)
