"""The client and widgets in a real Jupyter kernel: views render, and following a run never
blocks the kernel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.utils.gateway_clients import token_for
from tests.utils.services import FlowStack

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

CELLS = {
    "connect": (
        "from lakebook.kernel import connect\n"
        "from lakebook.kernel.widgets import FlowLauncher, RunMonitor\n"
        "lb = connect()\n"
        "print(lb.me().role)"
    ),
    "monitor": (
        "run = lb.run('ping', message='in-kernel', wait_seconds=3)\n"
        "monitor = RunMonitor(run)\n"
        "monitor"
    ),
    "kernel_is_free": "print(monitor.finished.is_set())",
    "finished": "print(monitor.join(60), monitor.state)",
    "launcher": (
        "launcher = FlowLauncher(lb, monitor_runs=False)\n"
        "display(launcher)\n"
        "print('ping' in launcher.flow_picker.options)"
    ),
    "close": "monitor.close()\nlauncher.close()\nprint('closed')",
}


def _stdout(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout").strip()


def _has_widget_view(cell: Any) -> bool:
    return any(WIDGET_VIEW in output.get("data", {}) for output in cell.outputs)


def test_widgets_render_and_follow_runs_in_a_kernel(
    flow_stack: FlowStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEBOOK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LAKEBOOK_GATEWAY_URL", flow_stack.gateway.url)
    monkeypatch.setenv("LAKEBOOK_TOKEN", token_for(flow_stack, "analyst"))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, kernel_name="python3", timeout=120, resources=resources).execute()
    cells = dict(zip(CELLS, notebook.cells, strict=True))

    assert _stdout(cells["connect"]) == "analyst"
    assert _has_widget_view(cells["monitor"])
    # The monitor cell returned while the run (3 s of work) was still going.
    assert _stdout(cells["kernel_is_free"]) == "False"
    assert _stdout(cells["finished"]) == "True COMPLETED"
    assert _has_widget_view(cells["launcher"])
    assert _stdout(cells["launcher"]) == "True"
    assert _stdout(cells["close"]) == "closed"
