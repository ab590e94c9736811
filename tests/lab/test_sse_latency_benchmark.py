"""The state-to-panel latency benchmark's measurement still works end to end: one ping run
followed through the lab relay, the gateway's stream and a poller (benchmarks/sse_latency.py;
the benchmark itself is not a test and asserts no times)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from benchmarks import sse_latency
from tests.utils.lab_server import LabServer, running_lab_server
from tests.utils.services import FlowStack


@pytest.fixture(scope="module")
def analyst(flow_stack: FlowStack) -> dict[str, str]:
    """The one user the lab server calls the gateway as: its runs are the gateway stream's."""
    return flow_stack.login("analyst")


@pytest.fixture(scope="module")
def lab(
    flow_stack: FlowStack, analyst: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-latency")
    token = analyst["Authorization"].removeprefix("Bearer ")
    env = {"LAKEBOOK_GATEWAY_URL": flow_stack.gateway.url, "LAKEBOOK_TOKEN": token}
    with running_lab_server(root, root, env) as lab:
        yield lab


def test_every_client_sees_every_state_after_prefect_recorded_it(
    lab: LabServer,
    flow_stack: FlowStack,
    analyst: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sse_latency, "POLLERS", {"poll_list_250ms": 0.25})
    headers = analyst
    with (
        lab.client() as lab_client,
        httpx.Client(base_url=flow_stack.gateway.url, headers=headers, timeout=30) as gateway,
    ):
        latencies = sse_latency.measure_run(lab_client, gateway)

    assert set(latencies) == {"sse_lab_relay", "sse_gateway_direct", "poll_list_250ms"}
    for client, by_state in latencies.items():
        assert set(by_state) == set(sse_latency.ORDER), client
        # Seen after it was recorded, and within the run's time (not hours off: one clock).
        assert all(0 < seconds < sse_latency.RUN_TIMEOUT_SECONDS for seconds in by_state.values())
