"""The run_notebook flow: papermill runs a notebook with parameters; the executed notebook and its
HTML are published to the lake as a report, also when a cell fails."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated, Any

import nbformat
from nbformat import NotebookNode
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from pydantic import BaseModel, Field

from lakebook.common.settings import get_settings
from lakebook.flows.kernel_env import kernel_environment
from lakebook.flows.lake_tasks import (
    NO_PREFECT_RESULT,
    current_run_id,
    in_flow_run,
    lake_publisher,
    lake_task,
    publish_report,
    run_owner,
)
from lakebook.flows.notebook_execution import (
    ExecutionOutcome,
    execute_notebook,
    render_html,
    resolve_kernel,
)
from lakebook.flows.notebook_report import (
    create_report_artifacts,
    failure_message,
    report_metadata,
)
from lakebook.lake.notebook_params import check_parameters, read_parameters
from lakebook.lake.notebook_source import (
    NotebookSource,
    locate_notebook,
    parse_notebook,
    read_notebook_bytes,
)

FLOW_NAME = "run_notebook"
TAGS = {"notebook"}
MAX_CELL_TIMEOUT_SECONDS = 24 * 3600
KERNEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

logger = logging.getLogger(__name__)


class NotebookRunError(RuntimeError):
    """A cell failed, timed out or killed its kernel; the partial report was published."""


class NotebookRunResult(BaseModel):
    """A completed notebook run and where its report is."""

    report_id: str
    notebook: str
    status: str
    duration_seconds: float
    notebook_uri: str
    html_uri: str
    metadata_uri: str


@lake_task("read-notebook", tags=TAGS)
def read_notebook(source: NotebookSource) -> bytes:
    """The notebook file from the workspace folder or the lake."""
    return read_notebook_bytes(source, lake_publisher().store)


# Never retried: cells may have side effects (writes, e-mails) that must not happen twice.
@task(name="execute-notebook", tags=TAGS, cache_policy=NO_CACHE)
def execute_notebook_task(
    notebook: NotebookNode,
    source: NotebookSource,
    parameters: dict[str, Any],
    kernel_name: str,
    timeout_seconds: int,
) -> ExecutionOutcome:
    """Runs the notebook in its own folder (a scratch folder for a lake notebook)."""
    with tempfile.TemporaryDirectory(prefix="lakebook-notebook-") as scratch:
        work_dir = Path(scratch)
        cwd = source.workspace_path.parent if source.workspace_path else work_dir
        return execute_notebook(
            notebook,
            parameters=parameters,
            kernel_name=kernel_name,
            cwd=cwd,
            timeout_seconds=timeout_seconds,
            work_dir=work_dir,
            kernel_env=kernel_environment(
                get_settings(),
                owner=run_owner()[0],
                timeout_seconds=timeout_seconds,
                temp_dir=work_dir,
            ),
            logger=_run_logger(),
        )


@flow(
    name=FLOW_NAME,
    description="Runs a notebook with parameters (papermill) and publishes it as an HTML report.",
    **NO_PREFECT_RESULT,
)
def run_notebook(
    notebook: str,
    # Never mutated; `{}` keeps the JSON schema's default an empty object.
    parameters: dict[str, Any] = {},  # noqa: B006
    report_name: Annotated[str | None, Field(max_length=200)] = None,
    timeout_seconds: Annotated[int, Field(ge=1, le=MAX_CELL_TIMEOUT_SECONDS)] = 600,
    kernel_name: Annotated[str | None, Field(pattern=KERNEL_NAME_PATTERN)] = None,
) -> NotebookRunResult:
    """Executes the notebook and publishes results/reports/{run id}/ (report.ipynb, report.html,
    metadata.json); a failing cell fails the run after its partial report is published.

    Args:
        notebook: A path relative to the workspace folder (e.g. reports/sales.ipynb), or a lake
            key (raw/notebooks/x.ipynb) or URI under the lake root.
        parameters: Values for the notebook's `parameters` cell; unknown names and wrong types
            are refused before anything runs.
        report_name: A title for the report; defaults to the notebook's file name.
        timeout_seconds: How long one cell may run.
        kernel_name: The kernel to use; defaults to the notebook's own.
    """
    settings = get_settings()
    store = lake_publisher().store
    workspace = settings.flows.notebook_dir or Path.cwd()
    source = locate_notebook(notebook, workspace=workspace, lake=store.paths)
    document = parse_notebook(source, read_notebook(source))
    check_parameters(read_parameters(document), parameters)
    kernel = resolve_kernel(document, kernel_name)
    outcome = execute_notebook_task(document, source, parameters, kernel, timeout_seconds)

    report_id = current_run_id()
    title = report_name or source.name
    owner, schedule = run_owner()
    metadata = report_metadata(
        report_id=report_id,
        title=title,
        flow_name=FLOW_NAME,
        source=source,
        parameters=parameters,
        user=owner,
        schedule=schedule,
        outcome=outcome,
        timeout_seconds=timeout_seconds,
    )
    report = publish_report(
        report_id,
        notebook=nbformat.writes(outcome.notebook).encode(),  # type: ignore[no-untyped-call]
        html=render_html(outcome.notebook).encode(),
        metadata=metadata,
    )
    if in_flow_run():
        create_report_artifacts(title, source, parameters, outcome, report)
    if outcome.failed_cell is not None:
        raise NotebookRunError(failure_message(source, outcome, report.html_uri))
    return NotebookRunResult(
        report_id=report_id,
        notebook=source.display,
        status=outcome.status,
        duration_seconds=outcome.duration_seconds,
        notebook_uri=report.notebook_uri,
        html_uri=report.html_uri,
        metadata_uri=report.metadata_uri,
    )


def _run_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except MissingContextError:  # `.fn()` outside a run
        return logger
