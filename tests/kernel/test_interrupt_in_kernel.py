"""Interrupting a real Jupyter kernel cancels the running %%duckdb query and keeps DuckDB usable."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from lakebook.common.settings import Settings
from tests.utils.lake import use_lake

# Starts an IPython kernel.
pytestmark = pytest.mark.services

LONG_QUERY = "%%duckdb\nSELECT sum(hash(range)) AS total FROM range(10000000000::BIGINT)"
STARTUP_SECONDS = 60
# An interrupted query stops within moments; this bound only keeps a broken run from hanging.
INTERRUPT_SECONDS = 60


@pytest.fixture
def kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    settings = Settings(data_dir=tmp_path, lake_url=f"file://{tmp_path}/lake", dev_mode=True)
    (tmp_path / "lake").mkdir()
    use_lake(monkeypatch, settings, tmp_path)
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=STARTUP_SECONDS)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run_cell(client: BlockingKernelClient, code: str, timeout: float = 120) -> list[dict[str, Any]]:
    """Executes code and returns its iopub outputs once the kernel is idle again."""
    msg_id = client.execute(code)
    return outputs_until_idle(client, msg_id, timeout)


def outputs_until_idle(
    client: BlockingKernelClient, msg_id: str, timeout: float
) -> list[dict[str, Any]]:
    outputs: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.1))
        except queue.Empty:
            break
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "status" and content["execution_state"] == "idle":
            return outputs
        if kind in {"error", "stream", "execute_result", "display_data"}:
            outputs.append({"type": kind, **content})
    raise AssertionError(f"the kernel did not finish {msg_id} within {timeout} s: {outputs}")


def shown_errors(outputs: list[dict[str, Any]]) -> list[str]:
    """The lines a user sees of a failed cell: error outputs (with traceback) and stderr."""
    lines: list[str] = []
    for output in outputs:
        if output["type"] == "error":
            lines += [line for line in output["traceback"] if line.strip()] or [output["ename"]]
        elif output.get("name") == "stderr":
            lines += output["text"].strip().splitlines()
    return lines


def wait_until_busy(client: BlockingKernelClient, msg_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.1))
        except queue.Empty:
            break
        if (
            message["parent_header"].get("msg_id") == msg_id
            and message["msg_type"] == "status"
            and message["content"]["execution_state"] == "busy"
        ):
            return
    raise AssertionError(f"the kernel never started {msg_id}")


def test_interrupting_the_kernel_cancels_a_running_query(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    manager, client = kernel
    # The connection is opened first, so the interrupt lands in the query itself.
    setup = run_cell(client, "%load_ext lakebook.kernel\n%duckdb SELECT 1 AS one")
    assert shown_errors(setup) == [], setup
    msg_id = client.execute(LONG_QUERY)
    wait_until_busy(client, msg_id)
    # The magic is parsing and has handed the query to DuckDB by now. Nothing outside the
    # kernel shows that moment; an earlier interrupt would test IPython's, not DuckDB's.
    time.sleep(1.0)
    started = time.monotonic()
    manager.interrupt_kernel()
    outputs = outputs_until_idle(client, msg_id, INTERRUPT_SECONDS)
    # The query would take minutes; an interrupted one ends well inside the bound.
    assert time.monotonic() - started < INTERRUPT_SECONDS
    # IPython shows a UsageError as one stderr line, a KeyboardInterrupt as an error output.
    shown = shown_errors(outputs)
    assert shown in (["UsageError: query interrupted"], ["KeyboardInterrupt"]), outputs
    after = run_cell(client, "%%duckdb -o answer\nSELECT 42 AS answer\n")
    assert shown_errors(after) == [], after
    check = run_cell(client, "print(answer.item())")
    assert [output["text"].strip() for output in check if output["type"] == "stream"] == ["42"]
