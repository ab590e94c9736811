"""GET /lakebook/runs/{id}/events: the gateway's run events relayed to the browser as they come,
and the gateway's stream closed when the browser goes away."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lakebook.lab.run_events import ServerSentEvent, encode_event, server_sent_events
from tests.lab.test_proxy_handlers import launch_ping
from tests.utils.lab_server import LabServer, running_lab_server
from tests.utils.services import FlowStack

EVENTS_ROUTE = "/api/v1/flows/runs/{run_id}/events"
# The gateway writes a keep-alive every 15 s: a relay that missed the browser's going would
# notice it then, so the gateway's stream must end well before.
CLOSED_WITHIN_SECONDS = 10


@pytest.fixture(scope="module")
def lab(flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-events")
    token = flow_stack.login("analyst")["Authorization"].removeprefix("Bearer ")
    env = {"LAKEBOOK_GATEWAY_URL": flow_stack.gateway.url, "LAKEBOOK_TOKEN": token}
    with running_lab_server(root, root, env) as lab:
        yield lab


def events_of(lines: Iterator[str], deadline: float) -> Iterator[ServerSentEvent]:
    """The stream's events as they come (comments too, so the deadline is checked at least
    at every keep-alive), parsed by the relay's own reader."""
    pending: list[str] = []
    for line in lines:
        assert time.monotonic() < deadline, "the run's events did not end in time"
        pending.append(line)
        if not line:
            yield from asyncio.run(parse_lines(pending))
            pending = []


async def parse_lines(lines: list[str]) -> list[ServerSentEvent]:
    async def each() -> AsyncIterator[str]:
        for line in lines:
            yield line

    return [event async for event in server_sent_events(each())]


def finished_event_streams(gateway_url: str) -> float:
    """How many event streams the gateway has finished answering (counted when they end)."""
    total = 0.0
    for family in text_string_to_metric_families(httpx.get(f"{gateway_url}/metrics").text):
        for sample in family.samples:
            if sample.name == "lakebook_http_requests_total" and sample.labels["route"] == (
                EVENTS_ROUTE
            ):
                total += sample.value
    return total


def test_a_runs_events_arrive_as_they_happen_through_to_the_end(lab: LabServer) -> None:
    received: list[tuple[ServerSentEvent, float]] = []
    with lab.client() as client:
        run_id = launch_ping(client, wait_seconds=3)
        timeout = httpx.Timeout(30, read=45)
        with client.stream("GET", f"runs/{run_id}/events", timeout=timeout) as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/event-stream"
            for event in events_of(response.iter_lines(), time.monotonic() + 90):
                if event.kind is not None:
                    received.append((event, time.monotonic()))
                if event.kind == "end":
                    break
    kinds = [event.kind for event, _ in received]
    states = [json.loads(event.data) for event, _ in received if event.kind == "state"]
    assert [state["state"] for state in states][-2:] == ["RUNNING", "COMPLETED"], kinds
    assert set(states[0]) == {"state", "name", "timestamp", "message"}
    logs = [json.loads(event.data) for event, _ in received if event.kind == "log"]
    assert "ping: hello lab" in [line["message"] for line in logs]
    end, ended_at = received[-1]
    assert (end.kind, json.loads(end.data)) == ("end", {"state": "COMPLETED"})
    running_at = next(
        at
        for event, at in received
        if event.kind == "state" and json.loads(event.data)["state"] == "RUNNING"
    )
    # The run waits 3 s between Running and Completed: events were relayed one by one.
    assert ended_at - running_at > 2


def test_the_gateways_stream_ends_when_the_browser_goes_away(
    lab: LabServer, flow_stack: FlowStack
) -> None:
    with lab.client() as client:
        run_id = launch_ping(client, wait_seconds=60)
        before = finished_event_streams(flow_stack.gateway.url)
        with client.stream("GET", f"runs/{run_id}/events") as response:
            # After the log line the run is silent for a minute: nothing else would make the
            # relay write (and so find the browser gone) before the gateway's keep-alive.
            for event in events_of(response.iter_lines(), time.monotonic() + 60):
                if event.kind == "log":
                    break
        deadline = time.monotonic() + CLOSED_WITHIN_SECONDS
        while finished_event_streams(flow_stack.gateway.url) == before:
            assert time.monotonic() < deadline, "the gateway's event stream is still open"
            time.sleep(0.2)
        cancelled = client.post(f"runs/{run_id}/cancel")
        assert cancelled.status_code == 202, cancelled.text
        assert cancelled.json()["run_id"] == run_id


def test_event_data_is_checked_through_its_model() -> None:
    state = '{"state": "FAILED", "name": "Failed", "timestamp": "2026-12-07T01:02:03Z", '
    state += '"message": "boom", "extra": 1}'
    assert encode_event(ServerSentEvent("state", state)) == (
        'event: state\ndata: {"state":"FAILED","name":"Failed",'
        '"timestamp":"2026-12-07T01:02:03Z","message":"boom"}\n\n'
    )
    bad = encode_event(ServerSentEvent("end", '{"state": 3}'))
    assert bad is not None
    assert bad.startswith("event: error\ndata: ")
    assert "'end' event lakebook cannot read" in json.loads(bad.split("data: ")[1])["message"]
    assert encode_event(ServerSentEvent("unknown", "{}")) is None
    assert encode_event(ServerSentEvent(None, "keep-alive")) == ": keep-alive\n\n"


def test_the_event_stream_format_is_read_line_by_line() -> None:
    lines = [": connected", "", "event: log", "data: {", "data: }", "", "data: plain", ""]
    assert asyncio.run(parse_lines(lines)) == [
        ServerSentEvent(None, "connected"),
        ServerSentEvent("log", "{\n}"),
        ServerSentEvent("message", "plain"),
    ]
