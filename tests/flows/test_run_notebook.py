"""run_notebook as real Prefect flow runs with real kernels, against a local lake and SeaweedFS,
and once through the gateway and the runner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from prefect.client.schemas.objects import State

from lakebook.common.lake import LakePaths
from lakebook.common.settings import Settings
from lakebook.flows.notebook import run_notebook
from lakebook.lake.metadata import FailedCellRecord
from lakebook.lake.notebook_source import NotebookLocationError, locate_notebook
from lakebook.lake.reports import ReportPublisher
from lakebook.lake.store import LakeStore
from tests.gateway.test_flows_api import wait_for_state
from tests.utils.flow_lake import flows_use_lake
from tests.utils.services import FlowStack

GREETING = """\
import os
print(f"{greeting} x{count} in {os.path.basename(os.getcwd())}")"""

FAILING = ('print("before")', "1 / n", 'print("after")')


def notebook_of(*sources: str, parameters: str | None = None) -> NotebookNode:
    cells = [new_markdown_cell("# test notebook")]
    if parameters is not None:
        cells.append(new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    cells += [new_code_cell(source) for source in sources]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return new_notebook(cells=cells, metadata={"kernelspec": kernelspec})


def greeting_notebook() -> NotebookNode:
    return notebook_of(
        GREETING,
        'open("data.txt").read()',
        parameters='greeting: str = "hello"\ncount: int = 1',
    )


@dataclass(frozen=True)
class NotebookLake:
    workspace: Path
    store: LakeStore

    @property
    def reports(self) -> ReportPublisher:
        return ReportPublisher(self.store)

    def write(self, relative: str, notebook: NotebookNode) -> Path:
        path = self.workspace / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
        return path

    def report_notebook(self, report_id: str) -> NotebookNode:
        key = self.store.paths.report_key(report_id, "report.ipynb")
        return nbformat.reads(self.store.read_bytes(key).decode(), as_version=4)

    def report_html(self, report_id: str) -> str:
        return self.store.read_bytes(self.store.paths.report_key(report_id, "report.html")).decode()


@pytest.fixture
def lake(
    lake_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefect_api_url: str,
) -> Iterator[NotebookLake]:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    monkeypatch.setenv("LAKEBOOK_NOTEBOOK_DIR", str(workspace))
    with flows_use_lake(monkeypatch, lake_settings, tmp_path, prefect_api_url):
        yield NotebookLake(workspace, LakeStore.from_settings(lake_settings))


def run(**parameters: Any) -> State:
    state: State = run_notebook(**parameters, return_state=True)
    return state


def run_id_of(state: State) -> str:
    return str(state.state_details.flow_run_id)


def test_parameters_are_injected_and_the_report_is_published(lake: NotebookLake) -> None:
    lake.write("sub/greet.ipynb", greeting_notebook())
    (lake.workspace / "sub" / "data.txt").write_text("read beside the notebook")

    state = run(notebook="sub/greet.ipynb", parameters={"greeting": "bonjour", "count": 3})

    assert state.is_completed(), state.message
    result = state.result()
    report_id = run_id_of(state)
    assert result.report_id == report_id
    assert result.html_uri == lake.store.paths.uri(f"results/reports/{report_id}/report.html")
    published = lake.reports.list_reports()
    assert [report.report_id for report in published] == [report_id]
    files = set(lake.store.find(lake.store.paths.report_prefix(report_id)))
    assert {name.rsplit("/", 1)[1] for name in files} == {
        "report.ipynb",
        "report.html",
        "metadata.json",
        "_SUCCESS",
    }

    executed = lake.report_notebook(report_id)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'greeting = "bonjour"' in injected[0].source
    outputs = [out for cell in executed.cells if cell.cell_type == "code" for out in cell.outputs]
    # The notebook ran in its own folder: it read data.txt beside it.
    assert outputs[0].text == "bonjour x3 in sub\n"
    assert outputs[1].data["text/plain"] == "'read beside the notebook'"
    assert "bonjour x3 in sub" in lake.report_html(report_id)

    metadata = lake.reports.read_metadata(report_id)
    assert metadata.status == "completed"
    assert metadata.notebook == "sub/greet.ipynb"
    assert metadata.notebook_source == "workspace"
    assert metadata.parameters == {"greeting": "bonjour", "count": 3}
    assert metadata.report_name == "greet"
    assert metadata.failed_cell is None
    assert metadata.kernel_name == "python3"
    assert metadata.duration_seconds > 0


def test_a_failing_cell_fails_the_run_and_keeps_the_partial_report(lake: NotebookLake) -> None:
    lake.write("broken.ipynb", notebook_of(*FAILING, parameters="n: int = 1"))

    state = run(notebook="broken.ipynb", parameters={"n": 0}, report_name="Broken report")

    assert state.is_failed()
    report_id = run_id_of(state)
    # Cell 3 as written (markdown, parameters, print, division): papermill's injected cell and
    # error banners are not counted.
    assert "broken.ipynb failed: cell 3 (In [4]) raised ZeroDivisionError" in str(state.message)
    assert report_id in str(state.message)

    metadata = lake.reports.read_metadata(report_id)
    assert metadata.status == "failed"
    assert metadata.report_name == "Broken report"
    assert metadata.failed_cell == FailedCellRecord(
        index=3, execution_count=4, ename="ZeroDivisionError", evalue="division by zero"
    )
    executed = lake.report_notebook(report_id)
    by_source = {cell.source: cell for cell in executed.cells if cell.cell_type == "code"}
    assert by_source["1 / n"].execution_count == 4
    assert by_source["1 / n"].outputs[0].ename == "ZeroDivisionError"
    assert by_source['print("before")'].outputs[0].text == "before\n"
    after = by_source['print("after")']
    assert after.execution_count is None
    assert after.outputs == []
    assert "ZeroDivisionError" in lake.report_html(report_id)


def test_a_cell_that_times_out_fails_the_run_and_keeps_the_partial_report(
    lake: NotebookLake,
) -> None:
    lake.write("slow.ipynb", notebook_of('print("started")', "import time\ntime.sleep(60)", "2"))

    state = run(notebook="slow.ipynb", timeout_seconds=2)

    assert state.is_failed()
    assert "slow.ipynb failed: cell 2 (In [2]) raised CellTimeoutError: ran longer than 2 s" in (
        str(state.message)
    )
    metadata = lake.reports.read_metadata(run_id_of(state))
    assert metadata.failed_cell is not None
    assert metadata.failed_cell.index == 2
    executed = lake.report_notebook(run_id_of(state))
    assert executed.cells[1].outputs[0].text == "started\n"
    assert executed.cells[3].execution_count is None


@pytest.mark.parametrize(
    ("launch", "message"),
    [
        (
            {"parameters": {"colour": "red"}},
            "unknown parameter 'colour' (the notebook's parameters: count, greeting)",
        ),
        (
            {"parameters": {"count": "three"}},
            "parameter 'count' must be int (default 1), got str 'three'",
        ),
        ({"kernel_name": "nope"}, "kernel 'nope' is not installed on the runner"),
    ],
)
def test_bad_parameters_fail_the_run_and_write_nothing(
    lake: NotebookLake, launch: dict[str, Any], message: str
) -> None:
    lake.write("greet.ipynb", greeting_notebook())
    state = run(notebook="greet.ipynb", **launch)
    assert state.is_failed()
    assert message in str(state.message)
    assert lake.reports.list_reports() == []
    assert lake.store.find("results") == {}


def test_a_notebook_from_the_lake_runs_by_key_or_uri(lake: NotebookLake) -> None:
    key = "raw/notebooks/greet.ipynb"
    notebook = notebook_of(GREETING, parameters='greeting = "hi"\ncount = 2')
    lake.store.write_bytes(key, nbformat.writes(notebook).encode())

    by_key = run(notebook=key, parameters={"count": 5})
    by_uri = run(notebook=lake.store.paths.uri(key))

    assert by_key.is_completed(), by_key.message
    assert by_uri.is_completed(), by_uri.message
    first = lake.reports.read_metadata(run_id_of(by_key))
    assert first.notebook == lake.store.paths.uri(key)
    assert first.notebook_source == "lake"
    assert "hi x5 in lakebook-notebook-" in lake.report_html(run_id_of(by_key))
    assert "hi x2" in lake.report_html(run_id_of(by_uri))
    assert len(lake.reports.list_reports()) == 2


def test_paths_out_of_the_workspace_are_refused(lake: NotebookLake, tmp_path: Path) -> None:
    nbformat.write(greeting_notebook(), tmp_path / "outside.ipynb")
    state = run(notebook="../outside.ipynb")
    assert state.is_failed()
    assert "'../outside.ipynb' is outside the workspace folder" in str(state.message)

    (lake.workspace / "link.ipynb").symlink_to(tmp_path / "outside.ipynb")
    (lake.workspace / "notes.txt").write_text("not a notebook")
    refused = {
        str(tmp_path / "outside.ipynb"): "is outside the workspace folder",
        "link.ipynb": "is outside the workspace folder",
        "sub/../../outside.ipynb": "is outside the workspace folder",
        "notes.txt": "is not a notebook: the name must end in .ipynb",
        "missing.ipynb": "there is no notebook 'missing.ipynb' in the workspace folder",
        "raw/../processed/x.ipynb": "lake key 'raw/../processed/x.ipynb' is not allowed",
        "s3://elsewhere/x.ipynb": "is not in the lake",
    }
    for notebook, message in refused.items():
        with pytest.raises(NotebookLocationError) as caught:
            locate_notebook(notebook, workspace=lake.workspace, lake=lake.store.paths)
        assert message in str(caught.value), notebook
    assert lake.reports.list_reports() == []


def test_workspace_paths_that_look_like_lake_keys_need_a_dot_slash(tmp_path: Path) -> None:
    lake = LakePaths("s3://bucket/root")
    (tmp_path / "raw").mkdir()
    nbformat.write(greeting_notebook(), tmp_path / "raw" / "x.ipynb")
    assert locate_notebook("raw/x.ipynb", workspace=tmp_path, lake=lake).lake_key == "raw/x.ipynb"
    local = locate_notebook("./raw/x.ipynb", workspace=tmp_path, lake=lake)
    assert local.workspace_path == (tmp_path / "raw" / "x.ipynb").resolve()
    uri = locate_notebook("s3://bucket/root/results/x.ipynb", workspace=tmp_path, lake=lake)
    assert uri.lake_key == "results/x.ipynb"


def test_run_notebook_through_the_gateway(flow_stack: FlowStack) -> None:
    settings = flow_stack.gateway.settings
    assert settings.flows.notebook_dir is not None
    nbformat.write(greeting_notebook(), settings.flows.notebook_dir / "gateway_greet.ipynb")
    (settings.flows.notebook_dir / "data.txt").write_text("runner side")
    analyst = flow_stack.login("analyst")
    me = httpx.get(flow_stack.gateway.api("/auth/me"), headers=analyst).json()["name"]

    launched = httpx.post(
        flow_stack.gateway.api("/flows/run_notebook/execute"),
        json={"parameters": {"notebook": "gateway_greet.ipynb", "parameters": {"count": 7}}},
        headers=analyst,
    )

    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_for_state(flow_stack, analyst, run_id, timeout=180) == "COMPLETED"
    reports = ReportPublisher(LakeStore.from_settings(settings))
    metadata = reports.read_metadata(run_id)
    assert metadata.status == "completed"
    assert metadata.user == me
    assert metadata.parameters == {"count": 7}
    html_key = reports.paths.report_key(run_id, "report.html")
    # It ran in the workspace folder, where data.txt is.
    greeting = f"hello x7 in {settings.flows.notebook_dir.name}"
    assert greeting in reports.store.read_bytes(html_key).decode()

    # The gateway serves the report to its owner: how it went and where to download it.
    answer = httpx.get(flow_stack.gateway.api(f"/flows/runs/{run_id}/report"), headers=analyst)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["run_id"], report["status"], report["user"]) == (run_id, "completed", me)
    assert report["notebook"] == "gateway_greet.ipynb"
    assert report["parameters"] == {"count": 7}
    assert report["failed_cell"] is None
    assert report["html_uri"].endswith(f"results/reports/{run_id}/report.html")
    assert greeting in httpx.get(report["html_url"], timeout=30).text
    executed = nbformat.reads(httpx.get(report["notebook_url"], timeout=30).text, as_version=4)
    assert any(greeting in str(cell.get("outputs")) for cell in executed.cells)
    # Another analyst's request is the same 404 as a run that does not exist.
    stranger = flow_stack.login("analyst")
    hidden = httpx.get(flow_stack.gateway.api(f"/flows/runs/{run_id}/report"), headers=stranger)
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"no run {run_id!r}"
    # The owner's reports list has it; the stranger's does not.
    mine = httpx.get(flow_stack.gateway.api("/reports"), headers=analyst)
    assert mine.status_code == 200, mine.text
    assert [listed["run_id"] for listed in mine.json()] == [run_id]
    assert httpx.get(flow_stack.gateway.api("/reports"), headers=stranger).json() == []
    too_many = httpx.get(flow_stack.gateway.api("/reports?limit=101"), headers=analyst)
    assert too_many.status_code == 422
