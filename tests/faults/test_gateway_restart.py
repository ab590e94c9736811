"""The gateway killed and started again while a run goes on (issue 24, 3.4): tokens issued
before still work, refreshing still works, a client following the run over server-sent events
sees it end without a repeated event, and no run is lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from lakebook.kernel.client import connect
from lakebook.kernel.runs import Run, RunEvent
from tests.utils.killable import KillableStack
from tests.utils.waiting import wait_until

RUN_SECONDS = 8.0
BACK_WITHIN_SECONDS = 60


def in_background(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Runs `work` in a thread; the list gets its answer or the exception it raised."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # the test thread reports it
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def restart_gateway(killable: KillableStack) -> float:
    """SIGKILL, then the same gateway on the same port; answers how long it was away."""
    service = killable.kill("gateway")
    killed = time.monotonic()
    time.sleep(1)  # clients meet a closed port, not only a slow answer
    killable.start(service)
    return time.monotonic() - killed


def test_a_gateway_killed_mid_run_loses_no_run_token_or_event(killable: KillableStack) -> None:
    gateway = killable.flows.gateway
    name, password = gateway.add_user("analyst")
    tokens = httpx.post(
        gateway.api("/auth/token"), data={"username": name, "password": password}
    ).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    with connect(gateway.url, tokens["access_token"], settings=gateway.settings) as client:
        run = client.run("ping", message="through a restart", wait_seconds=RUN_SECONDS)
        events: list[RunEvent] = []
        follower, failed = in_background(lambda: events.extend(run.events()))
        wait_until(
            lambda: any(e.kind == "state" and e.data["state"] == "RUNNING" for e in events),
            awaiting="the run to be seen running over SSE",
            timeout=60,
        )
        away = restart_gateway(killable)
        follower.join(timeout=120)
        assert not follower.is_alive(), "the event stream did not end after the restart"
        assert failed == [None], failed
        assert run.wait(timeout=30) == "COMPLETED"
    assert away < BACK_WITHIN_SECONDS

    assert events[-1].kind == "end", events
    assert events[-1].data["state"] == "COMPLETED", events
    states = [(e.data["state"], e.data["timestamp"]) for e in events if e.kind == "state"]
    assert len(states) == len(set(states)), f"a state came twice: {states}"
    assert states[-1][0] == "COMPLETED"
    logs = [e.data["message"] for e in events if e.kind == "log"]
    assert logs.count("ping: through a restart") == 1, logs

    # The signing secret and the refresh tokens outlived the process that issued them.
    assert httpx.get(gateway.api("/auth/me"), headers=bearer).json()["name"] == name
    refreshed = httpx.post(
        gateway.api("/auth/refresh"), json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    listed = httpx.get(gateway.api("/flows/runs"), headers=bearer).json()
    assert [r["run_id"] for r in listed] == [run.id]


def test_waiting_for_a_run_rides_out_a_gateway_restart(killable: KillableStack) -> None:
    """Run.wait() asks the gateway every half second; while it is gone it tries again."""
    gateway = killable.flows.gateway
    token = killable.flows.login("analyst")["Authorization"].split()[1]
    with connect(gateway.url, token, settings=gateway.settings) as client:
        run: Run = client.run("ping", wait_seconds=RUN_SECONDS)
        waiter, outcome = in_background(lambda: run.wait(timeout=180))
        restart_gateway(killable)
        waiter.join(timeout=180)
    assert outcome == ["COMPLETED"]
