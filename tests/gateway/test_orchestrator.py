"""The gateway's Prefect view against a real Prefect server: a run still going is read once per
short window however many clients ask, and the reads never hide an ended run's final state."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

import pytest
from prefect import flow
from prefect.states import Completed, Running

from lakebook.common.deployments import DEPLOYMENT_NAME
from lakebook.gateway.orchestrator import (
    DeploymentNotFoundError,
    Orchestrator,
    PrefectUnavailableError,
)
from tests.utils.ports import HOST

T = TypeVar("T")


def with_orchestrator(
    prefect_api_url: str, live_state_seconds: float, body: Callable[[Orchestrator], Awaitable[T]]
) -> T:
    async def run() -> T:
        async with Orchestrator(prefect_api_url, 10.0, live_state_seconds) as orchestrator:
            return await body(orchestrator)

    return asyncio.run(run())


@flow(name="orchestrator-cache-test")
def nothing() -> None:
    """Never runs: its runs only carry the states the tests set."""


async def new_run(orchestrator: Orchestrator) -> str:
    """A flow run nobody will pick up: it stays in the state we put it in."""
    created = await orchestrator.client.create_flow_run(nothing, state=Running())
    return str(created.id)


def count_prefect_reads(orchestrator: Orchestrator, method: str = "read_flow_runs") -> list[int]:
    """Counts the client's `method` calls that reach Prefect (each still goes to the real
    server)."""
    calls = [0]
    read = getattr(orchestrator.client, method)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return await read(*args, **kwargs)

    setattr(orchestrator.client, method, counted)
    return calls


def test_concurrent_reads_of_a_live_run_share_one_prefect_call(prefect_api_url: str) -> None:
    async def body(orchestrator: Orchestrator) -> tuple[int, set[str]]:
        run_id = await new_run(orchestrator)
        calls = count_prefect_reads(orchestrator)
        answers = await asyncio.gather(*(orchestrator.runs([run_id]) for _ in range(25)))
        return calls[0], {answer[run_id].state_type for answer in answers}

    calls, states = with_orchestrator(prefect_api_url, 5.0, body)
    assert calls == 1
    assert states == {"RUNNING"}


def test_a_live_state_is_reused_only_within_its_window(prefect_api_url: str) -> None:
    async def body(orchestrator: Orchestrator) -> list[str]:
        run_id = await new_run(orchestrator)
        seen = [(await orchestrator.runs([run_id]))[run_id].state_type]
        await orchestrator.client.set_flow_run_state(run_id, Completed(), force=True)
        seen.append((await orchestrator.runs([run_id]))[run_id].state_type)  # within the window
        await asyncio.sleep(0.6)  # waits out the 0.5 s window under test
        seen.append((await orchestrator.runs([run_id]))[run_id].state_type)
        return seen

    assert with_orchestrator(prefect_api_url, 0.5, body) == ["RUNNING", "RUNNING", "COMPLETED"]


def test_without_a_window_every_read_asks_prefect(prefect_api_url: str) -> None:
    async def body(orchestrator: Orchestrator) -> tuple[int, str]:
        run_id = await new_run(orchestrator)
        calls = count_prefect_reads(orchestrator)
        await orchestrator.runs([run_id])
        await orchestrator.client.set_flow_run_state(run_id, Completed(), force=True)
        state = (await orchestrator.runs([run_id]))[run_id].state_type
        # Ended: remembered for good, Prefect is not asked again.
        await orchestrator.runs([run_id])
        return calls[0], state

    assert with_orchestrator(prefect_api_url, 0.0, body) == (2, "COMPLETED")


def test_cancelling_forgets_the_remembered_state(prefect_api_url: str) -> None:
    async def body(orchestrator: Orchestrator) -> str:
        run_id = await new_run(orchestrator)
        await orchestrator.runs([run_id])
        await orchestrator.cancel(run_id)
        return (await orchestrator.runs([run_id]))[run_id].state_type

    assert with_orchestrator(prefect_api_url, 30.0, body) in {"CANCELLING", "CANCELLED"}


async def new_deployment(orchestrator: Orchestrator) -> UUID:
    """A lakebook-named deployment of `nothing` (no runner serves it: runs stay scheduled)."""
    flow_id = await orchestrator.client.create_flow_from_name("orchestrator-cache-test")
    return await orchestrator.client.create_deployment(flow_id=flow_id, name=DEPLOYMENT_NAME)


def test_a_launch_uses_the_remembered_deployment_until_it_is_gone(prefect_api_url: str) -> None:
    async def body(orchestrator: Orchestrator) -> tuple[str, int, str]:
        deployment_id = await new_deployment(orchestrator)
        await orchestrator.deployment("orchestrator-cache-test")
        reads = count_prefect_reads(orchestrator, "read_deployment_by_name")
        launched = await orchestrator.launch("orchestrator-cache-test", {}, ["owner:x"], None)
        run = await orchestrator.client.read_flow_run(UUID(launched.run_id))
        await orchestrator.client.delete_deployment(deployment_id)
        try:
            await orchestrator.launch("orchestrator-cache-test", {}, [], None)
        except DeploymentNotFoundError as error:
            gone = str(error)
        return str(run.deployment_id), reads[0], gone

    run_deployment, reads, gone = with_orchestrator(prefect_api_url, 0.0, body)
    assert reads == 0  # the launch needed no second look at the deployment
    assert gone == "no flow named 'orchestrator-cache-test' is deployed"
    assert run_deployment != "None"


def test_a_stalled_prefect_is_answered_within_the_deadline() -> None:
    """A server that accepts connections and never answers: Prefect's own retries (2, 4, 8 …
    seconds) would hold the caller for a minute; the orchestrator gives up after 3 timeouts."""
    with socket.socket() as stalled:
        stalled.bind((HOST, 0))
        stalled.listen(16)  # the kernel completes connections; nobody ever reads them
        port = stalled.getsockname()[1]

        async def ask() -> str:
            async with Orchestrator(f"http://{HOST}:{port}/api", 0.5) as orchestrator:
                with pytest.raises(PrefectUnavailableError) as raised:
                    await orchestrator.deployment("ping")
                return str(raised.value)

        message = asyncio.run(ask())
    # Only the deadline says this; without it the call ends "unreachable" after ~60 s.
    assert "did not answer within 2 s" in message
